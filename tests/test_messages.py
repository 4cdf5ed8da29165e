"""Attachments and action data against hostile servers and files (messages.py)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
import errno
import os
from pathlib import Path
import threading
from typing import Any

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from custom_components.pushover_plus import messages
from custom_components.pushover_plus.const import DOMAIN
from custom_components.pushover_plus.messages import MAX_REDIRECTS, read_below
from custom_components.pushover_plus.pushover import MAX_ATTACHMENT_BYTES, validation
from pushover_simulator import PushoverSimulator

from . import conftest

ENTITY = "notify.home"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
SECRET_PNG = b"\x89PNG\r\n\x1a\n" + b"secret" * 8


async def send(hass: HomeAssistant, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, "send_message", {"entity_id": ENTITY, **data}, blocking=True, return_response=True
    )


async def refused(hass: HomeAssistant, **data: Any) -> ServiceValidationError:
    """Send and return the translated refusal."""
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="look", **data)
    assert err.value.translation_domain == DOMAIN
    return err.value


def sends(simulator: PushoverSimulator) -> int:
    return sum(1 for r in simulator.requests if r.path == "/1/messages.json")


# ---------------------------------------------------------------- URLs


@dataclass
class Site:
    """A loopback web server; ``hits`` lists the paths it was asked for."""

    url: str = ""
    hits: list[str] = field(default_factory=list)


async def serve(routes: dict[str, Any], site: Site) -> web.AppRunner:
    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        site.hits.append(request.path)
        return await handler(request)

    app = web.Application(middlewares=[record])
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    site.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    return runner


@dataclass
class Sites:
    """An allow-listed server and an internal one that is not allow-listed."""

    public: Site
    internal: Site
    never: asyncio.Event  # a body that never comes


@pytest.fixture
async def sites(socket_enabled: None, hass: HomeAssistant) -> AsyncIterator[Sites]:
    public, internal, never = Site(), Site(), asyncio.Event()

    def redirect(target: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            location = target() if callable(target) else target
            headers = {} if location is None else {"Location": location}
            return web.Response(status=302, headers=headers)

        return handler

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    async def secret(request: web.Request) -> web.Response:
        return web.Response(body=SECRET_PNG, content_type="image/png")

    def held(content_type: str, length: int | None = None) -> Any:
        async def handler(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": content_type})
            if length is not None:
                response.content_length = length
            await response.prepare(request)
            await never.wait()  # headers only: the body would come later
            return response

        return handler

    internal_runner = await serve({"/secret.png": secret}, internal)
    public_runner = await serve(
        {
            "/small.png": image,
            "/to-internal.png": redirect(lambda: f"{internal.url}/secret.png"),
            "/hop.png": redirect(lambda: f"{public.url}/small.png"),
            "/relative.png": redirect("small.png"),
            "/loop.png": redirect("/loop.png"),
            "/nowhere.png": redirect(None),
            "/bad-location.png": redirect("http://[bad"),
            "/to-page.png": redirect("/page.html"),
            "/page.html": held("text/html"),
            "/announced.jpg": held("image/jpeg", 6 * 1024 * 1024),
        },
        public,
    )
    hass.config.allowlist_external_urls = {public.url}
    yield Sites(public, internal, never)
    never.set()
    await public_runner.cleanup()
    await internal_runner.cleanup()


@pytest.mark.usefixtures("loaded_sender")
async def test_a_redirect_to_a_url_not_allow_listed_is_refused(
    hass: HomeAssistant, simulator: PushoverSimulator, sites: Sites
) -> None:
    """An allow-listed URL answered 302 to an internal one, whose image was sent (SSRF)."""
    err = await refused(hass, attachment_url=f"{sites.public.url}/to-internal.png")
    assert err.translation_key == "attachment_url_not_allowed"
    assert err.translation_placeholders == {"url": f"{sites.internal.url}/secret.png"}
    assert sites.internal.hits == []
    assert sends(simulator) == 0


@pytest.mark.usefixtures("loaded_sender")
async def test_redirects_within_the_allow_list_are_followed(
    hass: HomeAssistant, simulator: PushoverSimulator, sites: Sites
) -> None:
    for path in ("/hop.png", "/relative.png"):
        await send(hass, message="look", attachment_url=f"{sites.public.url}{path}")
        assert simulator.deliveries[-1].attachment == PNG
    assert sites.public.hits == ["/hop.png", "/small.png", "/relative.png", "/small.png"]


@pytest.mark.usefixtures("loaded_sender")
@pytest.mark.parametrize(
    ("path", "key", "error"),
    [
        ("/loop.png", "attachment_download_failed", "too many redirects"),
        ("/nowhere.png", "attachment_download_failed", "HTTP 302"),
        ("/bad-location.png", "attachment_url_invalid", None),
    ],
)
async def test_broken_redirects_are_refused(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    sites: Sites,
    path: str,
    key: str,
    error: str | None,
) -> None:
    err = await refused(hass, attachment_url=f"{sites.public.url}{path}")
    assert err.translation_key == key
    if error is not None:
        assert err.translation_placeholders["error"] == error
    if path == "/loop.png":
        assert sites.public.hits == [path] * (MAX_REDIRECTS + 1)
    assert sends(simulator) == 0


@pytest.mark.usefixtures("loaded_sender")
@pytest.mark.parametrize(
    ("path", "key"),
    [("/to-page.png", "attachment_type_invalid"), ("/announced.jpg", "attachment_too_large")],
)
async def test_type_and_size_are_checked_before_the_body(
    hass: HomeAssistant, simulator: PushoverSimulator, sites: Sites, path: str, key: str
) -> None:
    """A redirect to a text page was fetched before it was refused.

    These servers send headers and hold the body back: reading it would wait for the
    download timeout instead of refusing at once.
    """
    async with asyncio.timeout(5):
        err = await refused(hass, attachment_url=f"{sites.public.url}{path}")
    assert err.translation_key == key
    assert sends(simulator) == 0


# ---------------------------------------------------------------- files


@pytest.fixture
def folders(tmp_path: Path, hass: HomeAssistant) -> Iterator[tuple[Path, Path]]:
    """An allow-listed folder with photo.png, and an outside one with secret.png."""
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    (allowed / "photo.png").write_bytes(PNG)
    (outside / "secret.png").write_bytes(SECRET_PNG)
    hass.config.allowlist_external_dirs = {str(allowed)}
    return allowed, outside


@pytest.mark.usefixtures("loaded_sender")
async def test_a_send_with_an_attachment_is_validated_once(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    folders: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The message before its attachment is loaded, the attachment then; the client trusts it."""
    checks: Counter[str] = Counter()
    for name in ("_check_text", "validate_attachment"):
        check = getattr(validation, name)

        def counted(*args: Any, check: Callable[..., None] = check, name: str = name) -> None:
            checks[name] += 1
            check(*args)

        monkeypatch.setattr(validation, name, counted)
    allowed, _ = folders

    await send(hass, message="look", attachment_path=str(allowed / "photo.png"))

    assert sends(simulator) == 1
    assert simulator.deliveries[-1].attachment == PNG
    assert checks == {"_check_text": 1, "validate_attachment": 1}


@pytest.mark.usefixtures("loaded_sender")
async def test_a_symlink_swapped_during_sends_never_escapes(
    hass: HomeAssistant, simulator: PushoverSimulator, folders: tuple[Path, Path]
) -> None:
    """A link flipped between the check and the read escaped in 88 of 400 sends."""
    allowed, outside = folders
    link = allowed / "link.png"
    link.symlink_to(allowed / "photo.png")
    stop = threading.Event()

    def flip() -> None:
        spare = allowed / "spare.png"
        targets = [outside / "secret.png", allowed / "photo.png"]
        turn = 0
        while not stop.is_set():
            spare.unlink(missing_ok=True)
            spare.symlink_to(targets[turn % 2])
            spare.replace(link)  # atomic: the link always exists
            turn += 1

    flipper = threading.Thread(target=flip)
    flipper.start()
    outcomes: list[str] = []
    try:
        for _ in range(100):
            try:
                await send(hass, message="look", attachment_path=str(link))
                outcomes.append("sent")
            except ServiceValidationError as err:
                outcomes.append(err.translation_key or "")
    finally:
        stop.set()
        flipper.join()
    escapes = sum(1 for delivery in simulator.deliveries if delivery.attachment == SECRET_PNG)
    print(f"swapped symlink, 100 sends: {Counter(outcomes)}, {escapes} escapes")
    assert escapes == 0
    assert set(outcomes) <= {"sent", "attachment_path_not_allowed"}
    assert all(d.attachment == PNG for d in simulator.deliveries)


def test_a_symlink_that_appears_after_the_check_fails_the_open(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checked real path is opened without following links: a swap cannot redirect."""
    allowed, outside = folders
    (allowed / "file.png").symlink_to(outside / "secret.png")
    (allowed / "folder").symlink_to(outside)
    # As if each path had been resolved before the link was put there.
    monkeypatch.setattr(messages.os.path, "realpath", lambda path, strict=False: str(path))
    for path in (allowed / "file.png", allowed / "folder" / "secret.png"):
        with pytest.raises(ServiceValidationError) as err:
            read_below(str(path), {str(allowed)}, "image/png")
        assert err.value.translation_key == "attachment_path_not_allowed"
    assert read_below(str(allowed / "photo.png"), {str(allowed)}, "image/png") == PNG


def test_files_that_are_not_regular_or_readable_are_refused(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    allowed, _ = folders
    os.mkfifo(allowed / "pipe.png")  # opening it for reading must not wait for a writer
    (allowed / "folder.png").mkdir()
    for name in ("pipe.png", "folder.png"):
        with pytest.raises(ServiceValidationError) as err:
            read_below(str(allowed / name), {str(allowed)}, "image/png")
        assert err.value.translation_key == "attachment_path_missing"

    def denied(*args: Any, **kwargs: Any) -> int:
        raise PermissionError(errno.EACCES, "denied")

    monkeypatch.setattr(messages, "_open_without_symlinks", denied)
    with pytest.raises(ServiceValidationError) as err:
        read_below(str(allowed / "photo.png"), {str(allowed)}, "image/png")
    assert err.value.translation_key == "attachment_path_unreadable"
    assert err.value.translation_placeholders["error"] == os.strerror(errno.EACCES)


def test_the_root_folder_is_not_a_file(folders: tuple[Path, Path]) -> None:
    with pytest.raises(ServiceValidationError) as err:
        read_below("/", {"/"}, "image/png")
    assert err.value.translation_key == "attachment_path_unreadable"


def test_an_allow_listed_folder_reached_through_a_link_is_allowed(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    allowed, _ = folders
    (tmp_path / "media").symlink_to(allowed)  # e.g. /media pointing at a disk
    photo = tmp_path / "media" / "photo.png"
    assert read_below(str(photo), {str(tmp_path / "media")}, "image/png") == PNG


# ---------------------------------------------------------------- action data


@pytest.mark.usefixtures("loaded_sender")
@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"timestamp": "0001-01-01T00:00:00"}, "timestamp_invalid"),
        ({"timestamp": "9999-12-31T23:59:59+00:00"}, "timestamp_invalid"),
        ({"timestamp": "1970-01-01T00:00:00+00:00"}, "timestamp_invalid"),
        ({"timestamp": "2038-01-19T03:14:08+00:00"}, "timestamp_invalid"),
        ({"attachment": {"media_content_id": 5}}, "attachment_media_invalid"),
        ({"attachment": {"media_content_id": ["x"]}}, "attachment_media_invalid"),
        ({"attachment": {"media_content_id": "x"}}, "attachment_media_invalid"),
        ({"priority": True}, "priority_invalid"),
        ({"priority": 1.5}, "priority_invalid"),
        ({"priority": "1.5"}, "priority_invalid"),
        ({"ttl": 18446744073709551615}, "integer_invalid"),
        ({"ttl": 2**31}, "integer_invalid"),
        ({"ttl": False}, "integer_invalid"),
        ({"ttl": "ten"}, "integer_invalid"),
        ({"ttl": "9" * 5000}, "integer_invalid"),
        ({"retry": 30.5, "priority": 2, "expire": 60}, "integer_invalid"),
        ({"expire": True, "priority": 2, "retry": 30}, "integer_invalid"),
        ({"tags": "x" * 10_000}, "tag_invalid"),
        ({"tags": ["door", "a/b"]}, "tag_invalid"),
        ({"tags": ["d" * 101]}, "tag_invalid"),
    ],
)
async def test_bad_values_get_a_translated_error(
    hass: HomeAssistant, simulator: PushoverSimulator, data: dict[str, Any], key: str
) -> None:
    err = await refused(hass, **data)
    assert err.translation_key == key
    assert sends(simulator) == 0


@pytest.mark.usefixtures("loaded_sender")
async def test_whole_numbers_and_times_at_the_limits_are_sent(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    await send(
        hass,
        message="edge",
        priority="1",
        ttl=2**31 - 1,
        timestamp="2038-01-19T03:14:07+00:00",
        tags=["d" * 100],
    )
    params = simulator.deliveries[-1].params
    assert (params["priority"], params["ttl"], params["timestamp"]) == (
        "1",
        str(2**31 - 1),
        str(2**31 - 1),
    )
    await send(hass, message="floats", priority=-1.0, ttl=" 60 ", timestamp="1970-01-01T00:00:01Z")
    params = simulator.deliveries[-1].params
    assert (params["priority"], params["ttl"], params["timestamp"]) == ("-1", "60", "1")


@pytest.mark.usefixtures("loaded_sender")
async def test_a_time_without_zone_is_home_assistant_local_time(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    await hass.config.async_set_time_zone("Europe/Berlin")
    await send(hass, message="local", timestamp="2026-01-01T01:00:00")
    assert simulator.deliveries[-1].params["timestamp"] == "1767225600"  # 00:00 UTC


@pytest.mark.usefixtures("loaded_sender")
async def test_a_camera_snapshot_over_5_mb_is_refused(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    porch_camera: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(conftest, "JPEG", b"\xff\xd8" + b"\0" * MAX_ATTACHMENT_BYTES)
    err = await refused(
        hass, attachment={"media_content_id": f"media-source://camera/{porch_camera}"}
    )
    assert err.translation_key == "attachment_too_large"
    assert sends(simulator) == 0
