"""The Open Client (pushover/open_client.py): login, devices, downloads, websocket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
import tracemalloc
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.pushover_plus.pushover import (
    MAX_DOWNLOAD_BYTES,
    MAX_MESSAGE_LENGTH,
    MAX_PUSH_FRAME_BYTES,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    MAX_URL_TITLE_LENGTH,
    Download,
    Message,
    PushFrame,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverConnectionError,
    PushoverError,
    PushoverRequestError,
    PushoverServerError,
    PushoverTimeoutError,
    PushoverUnexpectedResponseError,
    ReceivedMessage,
)
from pushover_simulator import PushoverSimulator
from tests.conftest import Account, wait_until
from tests.pushover.conftest import JSON, FakeApi, as_json, fake_client, free_port, raises


@dataclass
class Device:
    """A logged-in, registered Open Client device."""

    user: str
    secret: str
    device_id: str


@pytest.fixture
async def device(client: PushoverClient, simulator: PushoverSimulator) -> Device:
    simulator.add_user(devices=(), email="me@example.com", password="pw")
    login = await client.login("me@example.com", "pw")
    device_id = await client.register_device(login.secret, "home-assistant")
    return Device(login.user_key, login.secret, device_id)


async def test_register_device(device: Device, simulator: PushoverSimulator) -> None:
    registered = simulator.open_client_devices[device.device_id]
    assert (registered.name, registered.user) == ("home-assistant", device.user)
    assert simulator.requests[-1].params == {
        "secret": device.secret,
        "name": "home-assistant",
        "os": "O",
    }


async def test_download_delete_and_acknowledge(
    client: PushoverClient, simulator: PushoverSimulator, account: Account, device: Device
) -> None:
    await client.send_message(device.user, Message("plain"))
    await client.send_message(
        device.user,
        Message(
            "full",
            title="Title",
            url="https://example.com",
            url_title="Link",
            sound="pushover",
            html=True,
            timestamp=1_700_000_000,
        ),
    )
    emergency = await client.send_message(
        device.user, Message("Emergency", priority=2, retry=30, expire=60)
    )
    queue = simulator.open_client_devices[device.device_id].queue
    queue.reverse()  # the server's order is not trusted

    download = await client.download_messages(device.secret, device.device_id)

    assert download.skipped == 0
    messages = download.messages
    assert [m.message for m in messages] == ["plain", "full", "Emergency"]
    assert [m.id for m in messages] == sorted(int(m.raw["id_str"]) for m in messages)
    assert all(m.id_str == str(m.id) for m in messages)
    plain, full, urgent = messages
    assert isinstance(plain, ReceivedMessage)
    assert (plain.title, plain.url, plain.sound, plain.receipt, plain.html) == (
        None,
        None,
        None,
        None,
        False,
    )
    assert plain.app == "Home"
    assert plain.icon == simulator.apps[account.token].icon
    assert plain.umid == plain.raw["umid_str"]
    assert (full.title, full.url, full.url_title, full.sound, full.html) == (
        "Title",
        "https://example.com",
        "Link",
        "po",
        True,
    )
    assert full.date == datetime.fromtimestamp(1_700_000_000, UTC)
    assert (urgent.priority, urgent.receipt, urgent.acked) == (2, emergency.receipt, False)

    await client.acknowledge_receipt(device.secret, urgent.receipt)
    state = simulator.receipts[urgent.receipt]
    assert (state.acknowledged_by, state.acknowledged_by_device) == (device.user, "home-assistant")

    await client.delete_messages(device.secret, device.device_id, full.id_str)
    remaining = await client.download_messages(device.secret, device.device_id)
    assert [m.message for m in remaining.messages] == ["Emergency"]
    await client.delete_messages(device.secret, device.device_id, urgent.id_str)
    assert await client.download_messages(device.secret, device.device_id) == Download([])


async def test_downloaded_messages_tolerate_missing_fields(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    fake_api.responses["messages.json"] = (
        200,
        as_json(
            {
                "status": 1,
                "messages": [
                    {"id": 9, "message": "late", "priority": None, "acked": 1},
                    {"id": 3, "id_str": "3", "umid": 77, "date": 1_700_000_000},
                ],
            }
        ),
        JSON,
    )

    download = await fake_client(session, fake_api).download_messages("s", "d")
    first, second = download.messages

    assert (first.id, first.id_str, first.message, first.umid, first.app) == (
        3,
        "3",
        "",
        "77",
        None,
    )
    assert first.date == datetime.fromtimestamp(1_700_000_000, UTC)
    assert (second.id_str, second.priority, second.acked, second.umid) == ("9", 0, True, None)
    assert second.date == datetime.fromtimestamp(0, UTC)


async def test_downloaded_items_without_a_readable_id_are_skipped(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    """A hostile or broken server: bad ids, bad numbers, text beyond Pushover's limits."""
    long = {
        "message": "m" * 5000,
        "title": "t" * 1000,
        "url": "u" * 1000,
        "url_title": "v" * 1000,
        "app": "a" * 1000,
        "umid_str": "9" * 1000,
    }
    items: list[Any] = [
        "not an object",
        {"id_str": "x1", "id": 4},
        {"id": True},
        {"id": -1},
        {"id_str": "0"},
        {"id_str": "٣"},  # a digit, but not an ASCII one
        {"id_str": "1" * 20},
        {"id": 2**63},
        {"id": 5, "priority": 99, "acked": float("inf"), **long},
        {"id_str": str(2**63 - 1), "priority": -7, "html": "yes", "date": 10**20},
    ]
    fake_api.responses["messages.json"] = (
        200,
        as_json({"status": 1, "messages": items}),
        JSON,
    )
    client = fake_client(session, fake_api)

    download = await client.download_messages("s", "d")

    assert download.skipped == 8
    capped, highest = download.messages
    assert (capped.id, capped.priority, capped.acked) == (5, 2, False)
    assert len(capped.message) == MAX_MESSAGE_LENGTH
    assert len(capped.title or "") == MAX_TITLE_LENGTH
    assert len(capped.url or "") == MAX_URL_LENGTH
    assert len(capped.url_title or "") == MAX_URL_TITLE_LENGTH
    assert len(capped.app or "") == len(capped.umid or "") == MAX_TITLE_LENGTH
    assert (highest.id, highest.id_str, highest.priority, highest.html) == (
        2**63 - 1,
        str(2**63 - 1),
        -2,
        False,
    )
    assert highest.date == datetime.fromtimestamp(0, UTC)

    fake_api.responses["messages.json"] = (200, as_json({"status": 1, "messages": {}}), JSON)
    assert await client.download_messages("s", "d") == Download([])


@pytest.mark.parametrize(
    ("status", "body", "kind", "text"),
    [
        (500, "<html>down</html>", PushoverServerError, "Pushover answered HTTP 500"),
        (302, "", PushoverServerError, "Pushover answered HTTP 302"),  # never followed
        (200, "not json", PushoverServerError, "Pushover answered HTTP 200 without JSON"),
        (200, as_json({"status": 0}), PushoverRequestError, "HTTP 200"),
        (
            403,
            "<html>no</html>",
            PushoverUnexpectedResponseError,
            "HTTP 403 without Pushover's answer (a proxy or captive portal?)",
        ),
        (400, as_json({"secret": "invalid", "errors": ["secret is invalid"]}), None, ""),
    ],
)
async def test_a_failed_download_is_not_retried(
    session: aiohttp.ClientSession,
    fake_api: FakeApi,
    status: int,
    body: str,
    kind: type[PushoverError] | None,
    text: str,
) -> None:
    """The receiver's backoff is the retry; a redirect could take the secret elsewhere."""
    headers = {**JSON, "Location": "/1/elsewhere.json", "X-Request-Id": "req-3"}
    fake_api.responses["messages.json"] = (status, body, headers)
    client = fake_client(session, fake_api, max_retries=2)

    if kind is None:
        err = await raises(PushoverAuthenticationError, client.download_messages("s", "d"))
        assert err.parameter == "secret"
    else:
        err = await raises(kind, client.download_messages("s", "d"))
        assert str(err) == text
        assert getattr(err, "request_id", None) == "req-3"
    assert fake_api.hits == ["messages.json"]


async def test_an_unreachable_or_slow_download_fails_at_once(
    session: aiohttp.ClientSession, simulator: PushoverSimulator
) -> None:
    gone = PushoverClient(session, base_url=f"http://127.0.0.1:{free_port()}/1/", max_retries=2)
    err = await raises(PushoverConnectionError, gone.download_messages("s", "d"))
    assert str(err) == "Could not reach Pushover: ClientConnectorError"

    simulator.inject_fault("timeout", delay=1.0)
    slow = PushoverClient(session, base_url=simulator.base_url, timeout=0.1, max_retries=2)
    err = await raises(PushoverTimeoutError, slow.download_messages("s", "d"))
    assert str(err) == "Pushover did not answer messages.json in time"
    assert len(simulator.requests) == 1


@dataclass
class Flood:
    """A server streaming an endless download; how much it wrote before the client left."""

    base_url: str
    written: int = 0


@pytest.fixture
async def flood(socket_enabled: None) -> AsyncIterator[Flood]:
    chunk = b"x" * 65536
    server = Flood("")

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers=JSON)
        if request.query["secret"] == "announce":  # the test's way to ask for a length
            response.content_length = 100 * 1024 * 1024
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            for _ in range(100 * 16):  # 100 MB
                await response.write(chunk)
                server.written += len(chunk)
        return response

    app = web.Application()
    app.router.add_get("/1/messages.json", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    server.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/1/"
    yield server
    await runner.cleanup()


@pytest.mark.parametrize("secret", ["chunked", "announce"])
async def test_a_giant_download_is_refused_with_bounded_memory(
    session: aiohttp.ClientSession, flood: Flood, secret: str
) -> None:
    """A 100 MB download took memory from 240 to 622 MB and reached the event bus."""
    client = PushoverClient(session, base_url=flood.base_url)
    tracemalloc.start()
    try:
        err = await raises(PushoverServerError, client.download_messages(secret, "d"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(
        f"100 MB download ({secret}): refused after "
        f"{flood.written / 2**20:.1f} MiB sent, peak {peak / 2**20:.1f} MiB allocated"
    )
    assert str(err) == f"Pushover's answer is over {MAX_DOWNLOAD_BYTES} bytes"
    assert peak < 4 * MAX_DOWNLOAD_BYTES


async def next_after_login(
    frames: AsyncIterator[PushFrame], simulator: PushoverSimulator, device_id: str
) -> asyncio.Task[PushFrame]:
    """Take CONNECTED, wait until the simulator accepted the login, start reading on."""
    assert await anext(frames) is PushFrame.CONNECTED  # yielded once the login is sent
    await wait_until(lambda: device_id in simulator.websocket_logins)
    return asyncio.ensure_future(anext(frames))


async def test_push_frames(
    client: PushoverClient, simulator: PushoverSimulator, device: Device
) -> None:
    frames = client.push_frames(device.device_id, device.secret, heartbeat_timeout=5)
    try:
        first = await next_after_login(frames, simulator, device.device_id)
        await simulator.send_frame(device.device_id, "!")
        assert await first is PushFrame.NEW_MESSAGE

        await simulator.send_frame(device.device_id, "#", as_text=True)
        assert await anext(frames) is PushFrame.KEEPALIVE
        await simulator.send_frame(device.device_id, "x")  # unknown: ignored
        await simulator.send_frame(device.device_id, "R")
        assert await anext(frames) is PushFrame.RELOAD
        await simulator.send_frame(device.device_id, "E", as_text=True)
        assert await anext(frames) is PushFrame.ERROR
        await simulator.send_frame(device.device_id, "A")
        assert await anext(frames) is PushFrame.OTHER_SESSION
        for ignored in ("#!\n", "!!", "", "R" * (MAX_PUSH_FRAME_BYTES - 1)):
            await simulator.send_frame(device.device_id, ignored, as_text=True)
        await simulator.send_frame(device.device_id, "é")  # two bytes
        await simulator.send_frame(device.device_id, "!")
        assert await anext(frames) is PushFrame.NEW_MESSAGE
    finally:
        await frames.aclose()
    await wait_until(lambda: not simulator._sockets[device.device_id])  # the client hung up


async def test_a_new_message_is_announced(
    client: PushoverClient, simulator: PushoverSimulator, device: Device
) -> None:
    frames = client.push_frames(device.device_id, device.secret, heartbeat_timeout=5)
    try:
        first = await next_after_login(frames, simulator, device.device_id)
        await client.send_message(device.user, Message("Hello"))
        assert await first is PushFrame.NEW_MESSAGE
    finally:
        await frames.aclose()


async def test_bad_websocket_login_gets_e(
    client: PushoverClient, simulator: PushoverSimulator, device: Device
) -> None:
    frames = client.push_frames(device.device_id, "wrong-secret", heartbeat_timeout=5)
    try:
        assert await anext(frames) is PushFrame.CONNECTED
        assert await anext(frames) is PushFrame.ERROR
        await raises(PushoverConnectionError, anext(frames))  # then the server hangs up
    finally:
        await frames.aclose()
    assert simulator.websocket_logins == []


async def test_a_silent_websocket_times_out(
    client: PushoverClient, simulator: PushoverSimulator, device: Device
) -> None:
    frames = client.push_frames(device.device_id, device.secret, heartbeat_timeout=0.1)
    try:
        assert await anext(frames) is PushFrame.CONNECTED
        err = await raises(PushoverTimeoutError, anext(frames))
    finally:
        await frames.aclose()
    assert str(err) == "The websocket stayed silent"


async def test_a_closed_websocket_is_a_connection_error(
    client: PushoverClient, simulator: PushoverSimulator, device: Device
) -> None:
    frames = client.push_frames(device.device_id, device.secret, heartbeat_timeout=5)
    try:
        first = await next_after_login(frames, simulator, device.device_id)
        await simulator.close_websockets()
        with pytest.raises(PushoverConnectionError) as caught:
            await first
        assert type(caught.value) is PushoverConnectionError
    finally:
        await frames.aclose()


async def test_a_websocket_closed_before_the_login_is_a_connection_error(
    client: PushoverClient, device: Device, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server hangs up between the handshake and the login (a race no server can stage)."""

    async def closing(self: aiohttp.ClientWebSocketResponse, data: str) -> None:
        raise aiohttp.ClientConnectionResetError("Cannot write to closing transport")

    monkeypatch.setattr(aiohttp.ClientWebSocketResponse, "send_str", closing)
    frames = client.push_frames(device.device_id, device.secret)
    try:
        err = await raises(PushoverConnectionError, anext(frames))
    finally:
        await frames.aclose()
    assert str(err) == "The websocket closed during the login"


async def test_an_oversized_frame_ends_the_websocket_unread(
    client: PushoverClient, simulator: PushoverSimulator, device: Device
) -> None:
    frames = client.push_frames(device.device_id, device.secret, heartbeat_timeout=5)
    try:
        first = await next_after_login(frames, simulator, device.device_id)
        await simulator.send_frame(device.device_id, "!" * MAX_PUSH_FRAME_BYTES)
        err = await raises(PushoverConnectionError, first)
    finally:
        await frames.aclose()
    assert str(err) == "The websocket ended (ERROR)"


@pytest.mark.parametrize("where", ["refused", "not-a-websocket"])
async def test_websocket_connect_failure(
    session: aiohttp.ClientSession, simulator: PushoverSimulator, where: str
) -> None:
    url = (
        f"ws://127.0.0.1:{free_port()}/push"
        if where == "refused"
        else simulator.base_url + "sounds.json"
    )
    client = PushoverClient(session, websocket_url=url)
    frames = client.push_frames("device", "secret")
    try:
        err = await raises(PushoverConnectionError, anext(frames))
    finally:
        await frames.aclose()
    assert str(err).startswith("Could not open the websocket")
