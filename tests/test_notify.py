"""Sending: notify entities and pushover_plus.send_message against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_NAME, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_RECEIPT_POLL_INTERVAL,
    CONF_USER_KEY,
    DOMAIN,
    SUBENTRY_TYPE_RECIPIENT,
)
from pushover_simulator import PushoverSimulator
from pushover_simulator.state import BUILTIN_SOUNDS

from .conftest import JPEG, Account, add_partner

ENTITY = "notify.home"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


async def send(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call pushover_plus.send_message on the entry's own notify entity."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"entity_id": ENTITY, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return response[ENTITY]


def sends(simulator: PushoverSimulator) -> list[str]:
    return [r.path for r in simulator.requests if r.path == "/1/messages.json"]


@pytest.mark.usefixtures("loaded_sender")
async def test_notify_send_message(
    hass: HomeAssistant, simulator: PushoverSimulator, account: Account
) -> None:
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": ENTITY, "message": "Door open", "title": "Home"},
        blocking=True,
    )
    delivery = simulator.deliveries[-1]
    assert delivery.user == account.user
    assert delivery.params["message"] == "Door open"
    assert delivery.params["title"] == "Home"
    assert hass.states.get(ENTITY).state != "unknown"


@pytest.mark.usefixtures("loaded_sender")
async def test_send_message_every_parameter(
    hass: HomeAssistant, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.add_sound(account.token, "doorbell", "Doorbell")
    when = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    response = await send(
        hass,
        message="<b>Alarm</b>",
        title="Alarm",
        devices=["phone"],
        priority="emergency",
        retry=60,
        expire=600,
        tags=["door", "night"],
        sound="doorbell",
        timestamp=when.isoformat(),
        url="https://example.com",
        url_title="Open",
        html=True,
    )
    assert response["status"] == "sent"
    assert response["receipt"] in simulator.receipts
    assert response["request"]
    params = simulator.deliveries[-1].params
    assert params == {
        "user": account.user,
        "message": "<b>Alarm</b>",
        "title": "Alarm",
        "device": "phone",
        "priority": "2",
        "retry": "60",
        "expire": "600",
        "tags": "door,night",
        "sound": "doorbell",
        "timestamp": str(int(when.timestamp())),
        "url": "https://example.com",
        "url_title": "Open",
        "html": "1",
    }
    assert simulator.deliveries[-1].devices == ["phone"]


@pytest.mark.usefixtures("loaded_sender")
async def test_send_message_low_priority_ttl_monospace(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    response = await send(hass, message="fyi", priority=-1, ttl=3600, monospace=True, devices="a,b")
    assert response == {
        "request": simulator.deliveries[-1].request,
        "receipt": None,
        "status": "sent",
    }
    params = simulator.deliveries[-1].params
    assert params["priority"] == "-1"
    assert params["ttl"] == "3600"
    assert params["monospace"] == "1"
    assert params["device"] == "a,b"


@pytest.mark.usefixtures("loaded_sender")
async def test_ttl_ignored_for_emergency(
    hass: HomeAssistant, simulator: PushoverSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    await send(hass, message="x", priority=2, retry=30, expire=60, ttl=10)
    assert "ttl" not in simulator.deliveries[-1].params
    assert "ttl is ignored" in caplog.text


async def test_recipient_subentry_sends_to_its_key_and_devices(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    add_partner(hass, sender_entry, account.other_user, ["pixel"])
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    await hass.services.async_call(
        DOMAIN, "send_message", {"entity_id": "notify.partner", "message": "hi"}, blocking=True
    )
    delivery = simulator.deliveries[-1]
    assert delivery.user == account.other_user
    assert delivery.params["device"] == "pixel"


async def test_recipients_come_and_go_without_a_reload(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    """Adding, changing or removing a recipient touches only its own entity.

    A reload would make every entity unavailable for a moment; the emergency event entity
    would report "unavailable" and then its last event again, firing state triggers.
    """
    runtime = loaded_sender.runtime_data
    others = [state.entity_id for state in hass.states.async_all() if state.domain != "sun"]
    assert {"notify.home", "event.home_emergency_alert"} <= set(others)
    changed: list[str] = []

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        changed.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, record)

    result = await hass.config_entries.subentries.async_init(
        (loaded_sender.entry_id, SUBENTRY_TYPE_RECIPIENT), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Partner", CONF_USER_KEY: account.other_user}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert hass.states.get("notify.partner") is not None
    assert changed == ["notify.partner"]

    (subentry,) = loaded_sender.subentries.values()
    result = await loaded_sender.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_DEVICES: ["pixel"]}
    )
    await hass.async_block_till_done()
    assert changed == ["notify.partner"]

    assert hass.config_entries.async_remove_subentry(loaded_sender, subentry.subentry_id)
    await hass.async_block_till_done()
    assert hass.states.get("notify.partner") is None
    assert changed == ["notify.partner", "notify.partner"]
    assert loaded_sender.runtime_data is runtime  # never reloaded
    assert all(hass.states.get(entity_id).state != "unavailable" for entity_id in others)


async def test_a_changed_recipient_sends_to_its_new_devices(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    add_partner(hass, loaded_sender, account.other_user, [])
    await hass.async_block_till_done()
    (subentry,) = loaded_sender.subentries.values()
    hass.config_entries.async_update_subentry(
        loaded_sender, subentry, data={CONF_USER_KEY: account.other_user, CONF_DEVICES: ["pixel"]}
    )
    await hass.async_block_till_done()
    await hass.services.async_call(
        DOMAIN, "send_message", {"entity_id": "notify.partner", "message": "hi"}, blocking=True
    )
    assert simulator.deliveries[-1].params["device"] == "pixel"


async def test_changed_options_still_reload(
    hass: HomeAssistant, loaded_sender: MockConfigEntry
) -> None:
    runtime = loaded_sender.runtime_data
    hass.config_entries.async_update_entry(
        loaded_sender, options={**loaded_sender.options, CONF_RECEIPT_POLL_INTERVAL: 10}
    )
    await hass.async_block_till_done()
    assert loaded_sender.runtime_data is not runtime


# ---------------------------------------------------------------- attachments


@pytest.mark.usefixtures("loaded_sender")
async def test_attachment_from_allowed_path(
    hass: HomeAssistant, simulator: PushoverSimulator, tmp_path: Path
) -> None:
    picture = tmp_path / "snapshot.png"
    picture.write_bytes(PNG)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    await send(hass, message="look", attachment_path=str(picture))
    delivery = simulator.deliveries[-1]
    assert delivery.attachment == PNG
    assert delivery.attachment_type == "image/png"


async def test_an_attachment_pushover_refuses_fails_the_action_with_its_text(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    tmp_path: Path,
) -> None:
    """Pushover stricter than its documented limit: its refusal names the attachment."""
    simulator.attachment_limit = 2_621_440
    picture = tmp_path / "large.png"
    picture.write_bytes(PNG + b"\0" * 2_700_000)
    hass.config.allowlist_external_dirs = {str(tmp_path)}

    with pytest.raises(HomeAssistantError) as err:
        await send(hass, message="look", attachment_path=str(picture))

    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "request_refused"
    size = picture.stat().st_size
    assert err.value.translation_placeholders == {
        "error": f"attachment is too large ({size} bytes is more than 2621440 limit"
    }
    assert simulator.deliveries == []
    assert loaded_sender.runtime_data.sender.outbox.messages == []
    await send(hass, message="next")
    assert simulator.deliveries[-1].params["message"] == "next"


@pytest.mark.usefixtures("loaded_sender")
@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/etc/passwd", "attachment_path_not_allowed"),
        ("relative.png", "attachment_path_not_allowed"),
    ],
)
async def test_attachment_path_not_allowed(
    hass: HomeAssistant, simulator: PushoverSimulator, path: str, key: str
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="look", attachment_path=path)
    assert err.value.translation_key == key
    assert sends(simulator) == []


@pytest.mark.usefixtures("loaded_sender")
async def test_attachment_path_missing_or_too_large(
    hass: HomeAssistant, simulator: PushoverSimulator, tmp_path: Path
) -> None:
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="look", attachment_path=str(tmp_path / "missing.png"))
    assert err.value.translation_key == "attachment_path_missing"
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (5_242_880 + 1))
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="look", attachment_path=str(big))
    assert err.value.translation_key == "attachment_too_large"
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="look", attachment_path=str(text))
    assert err.value.translation_key == "attachment_type_invalid"
    assert sends(simulator) == []


@pytest.fixture
async def image_server(socket_enabled: None) -> AsyncIterator[str]:
    """A loopback web server with a small image, a huge one and a missing one."""

    async def small(request: web.Request) -> web.Response:
        return web.Response(body=PNG, content_type="image/png")

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
        await response.prepare(request)
        chunk = b"\0" * 65536
        for _ in range(90):
            await response.write(chunk)
        return response

    app = web.Application()
    app.router.add_get("/small.png", small)
    app.router.add_get("/huge.jpg", huge)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.mark.usefixtures("loaded_sender")
async def test_attachment_from_allowed_url(
    hass: HomeAssistant, simulator: PushoverSimulator, image_server: str
) -> None:
    hass.config.allowlist_external_urls = {image_server}
    await send(hass, message="look", attachment_url=f"{image_server}/small.png")
    assert simulator.deliveries[-1].attachment == PNG
    for url, key in (
        (f"{image_server}/huge.jpg", "attachment_too_large"),
        (f"{image_server}/missing.png", "attachment_download_failed"),
        ("https://example.com/x.png", "attachment_url_not_allowed"),
        ("ftp://example.com/x.png", "attachment_url_invalid"),
        ("http://127.0.0.1:9/x.png", "attachment_url_not_allowed"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await send(hass, message="look", attachment_url=url)
        assert err.value.translation_key == key, url
    hass.config.allowlist_external_urls = {"http://127.0.0.1:9"}
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, message="look", attachment_url="http://127.0.0.1:9/x.png")
    assert err.value.translation_key == "attachment_download_failed"
    assert len(sends(simulator)) == 1


@pytest.mark.usefixtures("loaded_sender")
async def test_attachment_from_local_media(
    hass: HomeAssistant, simulator: PushoverSimulator, tmp_path: Path
) -> None:
    (tmp_path / "photo.png").write_bytes(PNG)
    hass.config.media_dirs = {"local": str(tmp_path)}
    assert await async_setup_component(hass, "media_source", {})
    await send(
        hass,
        message="look",
        attachment={
            "media_content_id": "media-source://media_source/local/photo.png",
            "media_content_type": "image/png",
        },
    )
    assert simulator.deliveries[-1].attachment == PNG
    for content_id, key in (
        ("", "attachment_media_invalid"),
        ("media-source://media_source/local/missing.png", "attachment_path_missing"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await send(hass, message="look", attachment={"media_content_id": content_id})
        assert err.value.translation_key == key


@pytest.mark.usefixtures("loaded_sender")
async def test_attachment_camera_and_image_snapshots(
    hass: HomeAssistant, simulator: PushoverSimulator, porch_camera: str
) -> None:
    await send(
        hass,
        message="cam",
        attachment={"media_content_id": f"media-source://camera/{porch_camera}"},
    )
    assert simulator.deliveries[-1].attachment == JPEG
    assert simulator.deliveries[-1].attachment_type == "image/jpeg"
    assert await async_setup_component(hass, "image", {})
    with pytest.raises(ServiceValidationError) as err:
        await send(
            hass, message="img", attachment={"media_content_id": "media-source://image/image.none"}
        )
    assert err.value.translation_key == "attachment_media_unavailable"
    assert len(sends(simulator)) == 1


@pytest.mark.usefixtures("loaded_sender")
async def test_one_attachment_source_only(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await send(
            hass, message="x", attachment_path="/tmp/a.png", attachment_url="https://e.com/a.png"
        )
    assert err.value.translation_key == "attachment_sources"
    assert sends(simulator) == []


# ---------------------------------------------------------------- validation: nothing is sent


@pytest.mark.usefixtures("loaded_sender")
@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"message": " "}, "message_empty"),
        ({"message": "x" * 1025}, "message_too_long"),
        ({"message": "x", "title": "t" * 251}, "title_too_long"),
        ({"message": "x", "url": "u" * 513}, "url_too_long"),
        ({"message": "x", "url_title": "u" * 101}, "url_title_too_long"),
        ({"message": "x", "priority": 3}, "priority_invalid"),
        ({"message": "x", "priority": "urgent"}, "priority_invalid"),
        ({"message": "x", "priority": 2, "expire": 60}, "retry_required"),
        ({"message": "x", "priority": 2, "retry": 29, "expire": 60}, "retry_too_short"),
        ({"message": "x", "priority": 2, "retry": 30}, "expire_required"),
        ({"message": "x", "priority": 2, "retry": 30, "expire": 10801}, "expire_too_long"),
        ({"message": "x", "ttl": 0}, "ttl_invalid"),
        ({"message": "x", "html": True, "monospace": True}, "html_and_monospace"),
        ({"message": "x", "devices": ["bad name"]}, "device_name_invalid"),
        ({"message": "x", "devices": ["d" * 26]}, "device_name_invalid"),
        ({"message": "x", "sound": "nosuchsound"}, "sound_unknown"),
    ],
)
async def test_invalid_input_is_refused_before_sending(
    hass: HomeAssistant, simulator: PushoverSimulator, data: dict[str, Any], key: str
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, **data)
    assert err.value.translation_key == key
    assert err.value.translation_domain == DOMAIN
    assert sends(simulator) == []


@pytest.mark.usefixtures("loaded_sender")
async def test_message_length_counts_code_points(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    await send(hass, message="🚨" * 1024)
    assert simulator.deliveries[-1].params["message"] == "🚨" * 1024


# ---------------------------------------------------------------- Pushover refusals


@pytest.mark.usefixtures("loaded_sender")
async def test_pushover_refusal_carries_its_text(
    hass: HomeAssistant, simulator: PushoverSimulator, account: Account
) -> None:
    del simulator.users[account.user]
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, message="x")
    assert "user identifier is not a valid user" in str(err.value)
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_rejected_token_starts_reauth(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    del simulator.apps[account.token]
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, message="x")
    assert "application token is invalid" in str(err.value)
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"


async def test_quota_exhausted_raises_and_opens_repair_issue(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    simulator.set_quota(account.token, remaining=0)
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, message="x", hold_when_offline=True)
    assert err.value.translation_key == "quota_exceeded"
    assert issue_registry.async_get_issue(DOMAIN, f"quota_exhausted_{loaded_sender.entry_id}")
    assert hass.states.get("sensor.home_messages_remaining").state == "0"


def test_sound_offers_pushovers_sounds_and_takes_custom_ones() -> None:
    """`sound` is a dropdown of Pushover's own sounds that still accepts a custom name."""
    services = load_yaml(
        Path(__file__).parent.parent / "custom_components/pushover_plus/services.yaml"
    )
    for action in ("send_message", "migrate_subscription"):
        select = services[action]["fields"]["sound"]["selector"]["select"]
        assert select["custom_value"] is True
        assert select["options"] == list(BUILTIN_SOUNDS)
        assert select["translation_key"] == "sound"
