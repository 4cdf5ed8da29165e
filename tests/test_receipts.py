"""Emergency lifecycle: receipts, webhook, polling, events, cancel, quota."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from itertools import pairwise
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pushover_plus import receipts as receipts_module
from custom_components.pushover_plus.const import (
    CONF_RECEIPT_POLL_INTERVAL,
    CONF_USE_WEBHOOK,
    CONF_WEBHOOK_ID,
    DOMAIN,
    EVENT_RECEIPT,
)
from pushover_simulator import PushoverSimulator

from .conftest import Account

EVENT_ENTITY = "event.home_emergency_alert"
ACTIVE = "sensor.home_active_emergency_alerts"


async def emergency(hass: HomeAssistant, message: str = "Smoke", **extra: Any) -> str:
    """Send an emergency and return its receipt (the quota guard suppresses a duplicate)."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {
            "entity_id": "notify.home",
            "message": message,
            "priority": 2,
            "retry": 30,
            "expire": 3600,
            **extra,
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    receipt = response["notify.home"]["receipt"]
    assert isinstance(receipt, str)
    return receipt


def polls(simulator: PushoverSimulator, receipt: str) -> list[float]:
    return [r.at for r in simulator.requests if r.path == f"/1/receipts/{receipt}.json"]


@pytest.fixture
def frozen_simulator(
    simulator: PushoverSimulator, freezer: FrozenDateTimeFactory
) -> PushoverSimulator:
    simulator.clock = lambda: dt_util.utcnow().timestamp()
    return simulator


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_ack_found_by_polling_fires_one_event(
    hass: HomeAssistant,
    frozen_simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    events = async_capture_events(hass, EVENT_RECEIPT)
    receipt = await emergency(hass, tags=["smoke"])
    assert hass.states.get(ACTIVE).state == "1"
    await advance(hass, freezer, 31)
    assert len(polls(frozen_simulator, receipt)) == 1
    await frozen_simulator.acknowledge(receipt, user=account.user, device="phone")
    await advance(hass, freezer, 31)
    assert hass.states.get(ACTIVE).state == "0"
    state = hass.states.get(EVENT_ENTITY)
    assert state.attributes["event_type"] == "acknowledged"
    assert state.attributes["receipt"] == receipt
    assert state.attributes["acknowledged_by"] == "Home"  # the recipient's name, never the key
    assert state.attributes["acknowledged_by_device"] == "phone"
    assert state.attributes["tags"] == ["smoke"]
    assert account.user not in str(state.attributes)
    assert len(events) == 1
    assert events[0].data["state"] == "acknowledged"
    # nothing active: no more polling
    before = len(frozen_simulator.requests)
    await advance(hass, freezer, 3600)
    assert len(frozen_simulator.requests) == before


async def test_expiry_by_polling(
    hass: HomeAssistant,
    frozen_simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    events = async_capture_events(hass, EVENT_RECEIPT)
    receipt = await emergency(hass, expire=60)
    for _ in range(4):
        await advance(hass, freezer, 31)
    assert [event.data["state"] for event in events] == ["expired"]
    assert events[0].data["receipt"] == receipt
    times = polls(frozen_simulator, receipt)
    assert all(b - a >= 5 for a, b in pairwise(times))


async def test_polling_never_faster_than_five_seconds(
    hass: HomeAssistant,
    frozen_simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    hass.config_entries.async_update_entry(
        loaded_sender, options={**loaded_sender.options, CONF_RECEIPT_POLL_INTERVAL: 1}
    )
    await hass.async_block_till_done()
    receipt = await emergency(hass)
    for _ in range(60):
        await advance(hass, freezer, 1)
    times = polls(frozen_simulator, receipt)
    assert len(times) >= 5
    assert min(b - a for a, b in pairwise(times)) >= 5


async def test_cancel_and_cancel_by_tag(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    events = async_capture_events(hass, EVENT_RECEIPT)
    first = await emergency(hass, "Front door", tags=["door"])
    second = await emergency(hass, "Back door", tags=["door", "night"])
    third = await emergency(hass, "Garage", tags=["garage"])
    await hass.services.async_call(
        DOMAIN,
        "cancel_receipt",
        {"config_entry_id": loaded_sender.entry_id, "receipt": third},
        blocking=True,
    )
    assert simulator.receipts[third].canceled
    response = await hass.services.async_call(
        DOMAIN,
        "cancel_by_tag",
        {"config_entry_id": loaded_sender.entry_id, "tag": "door"},
        blocking=True,
        return_response=True,
    )
    assert response == {"canceled": 2}
    assert simulator.receipts[first].canceled
    assert simulator.receipts[second].canceled
    assert sorted((e.data["receipt"], e.data["state"]) for e in events) == sorted(
        [(third, "canceled"), (first, "canceled"), (second, "canceled")]
    )
    assert hass.states.get(ACTIVE).state == "0"
    # canceling again yields no second event
    await hass.services.async_call(
        DOMAIN,
        "cancel_receipt",
        {"config_entry_id": loaded_sender.entry_id, "receipt": third},
        blocking=True,
    )
    assert len(events) == 3


async def test_get_receipt_and_errors(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    receipt = await emergency(hass)
    await simulator.acknowledge(receipt, user=account.user, device="tablet")
    response = await hass.services.async_call(
        DOMAIN,
        "get_receipt",
        {"config_entry_id": loaded_sender.entry_id, "receipt": receipt},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["acknowledged"] is True
    assert response["acknowledged_by"] == "Home"
    assert response["acknowledged_by_device"] == "tablet"
    assert hass.states.get(ACTIVE).state == "0"
    requests = len(simulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "get_receipt",
            {"config_entry_id": loaded_sender.entry_id, "receipt": "short"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "receipt_invalid"
    assert len(simulator.requests) == requests
    with pytest.raises(HomeAssistantError, match="receipt not found"):
        await hass.services.async_call(
            DOMAIN,
            "get_receipt",
            {"config_entry_id": loaded_sender.entry_id, "receipt": "r" * 30},
            blocking=True,
            return_response=True,
        )
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "cancel_by_tag",
            {"config_entry_id": loaded_sender.entry_id, "tag": "a/b"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "tag_invalid"
    assert len(simulator.requests) == requests + 1  # the well formed unknown receipt only
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "cancel_receipt",
            {"config_entry_id": "nope", "receipt": "r" * 30},
            blocking=True,
        )
    assert (err.value.translation_domain, err.value.translation_key) == (
        "homeassistant",
        "service_config_entry_not_found",
    )


async def test_restart_keeps_following_active_receipts(
    hass: HomeAssistant,
    frozen_simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    events = async_capture_events(hass, EVENT_RECEIPT)
    receipt = await emergency(hass)
    await hass.config_entries.async_unload(loaded_sender.entry_id)
    await hass.async_block_till_done()
    await frozen_simulator.acknowledge(receipt, user=account.user)
    assert await hass.config_entries.async_setup(loaded_sender.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(ACTIVE).state == "1"
    await advance(hass, freezer, 31)
    assert [event.data["state"] for event in events] == ["acknowledged"]
    assert hass.states.get(ACTIVE).state == "0"


async def test_receipts_older_than_a_week_are_forgotten(
    hass: HomeAssistant,
    frozen_simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await emergency(hass, expire=10800)
    await hass.config_entries.async_unload(loaded_sender.entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(days=8))
    assert await hass.config_entries.async_setup(loaded_sender.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(ACTIVE).state == "0"


# ---------------------------------------------------------------- webhook


@pytest.fixture
async def webhook_sender(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    sender_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> MockConfigEntry:
    hass.config.external_url = "https://ha.example.com"
    hass.config_entries.async_update_entry(
        sender_entry, options={**sender_entry.options, CONF_USE_WEBHOOK: True}
    )
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client_no_auth()

    async def post(url: str, fields: dict[str, str]) -> None:
        assert url.startswith("https://ha.example.com/api/webhook/")
        response = await client.post(url.removeprefix("https://ha.example.com"), data=fields)
        assert response.status == 200

    simulator.callback_poster = post
    return sender_entry


async def test_ack_by_webhook(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    webhook_sender: MockConfigEntry,
) -> None:
    events = async_capture_events(hass, EVENT_RECEIPT)
    receipt = await emergency(hass)
    webhook_id = webhook_sender.data[CONF_WEBHOOK_ID]
    assert (
        simulator.deliveries[-1].params["callback"]
        == f"https://ha.example.com/api/webhook/{webhook_id}"
    )
    await simulator.acknowledge(receipt, user=account.user, device="phone")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["state"] for event in events] == ["acknowledged"]
    assert events[0].data["acknowledged_by_device"] == "phone"
    assert simulator.receipts[receipt].called_back
    assert webhook_id not in str(hass.states.async_all())


def callback_fields(receipt: str, **changes: str) -> dict[str, str]:
    """The five fields Pushover posts, well formed."""
    return {
        "receipt": receipt,
        "acknowledged": "1",
        "acknowledged_at": "1700000000",
        "acknowledged_by": "u" * 30,
        "acknowledged_by_device": "phone",
        **changes,
    }


def receipt_polls(simulator: PushoverSimulator, receipt: str) -> int:
    return len(polls(simulator, receipt))


async def test_forged_webhook_posts_change_nothing_until_pushover_confirms(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    webhook_sender: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A well-formed forged acknowledgement was trusted: the alert ended, phones rang on."""
    events = async_capture_events(hass, EVENT_RECEIPT)
    receipt = await emergency(hass)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_sender.data[CONF_WEBHOOK_ID]}"
    for forged in (
        callback_fields("x" * 30),  # not ours
        callback_fields(receipt, acknowledged="0"),
        callback_fields(receipt, acknowledged_at="soon"),
        callback_fields(receipt, acknowledged_by="me"),
        callback_fields(receipt, acknowledged_by_device="bad device!"),
        {},
    ):
        response = await client.post(url, data=forged)
        assert response.status == 200
        assert await response.text() == ""
    response = await client.get(url)
    assert response.status == 405
    assert receipt_polls(simulator, receipt) == 0

    response = await client.post(url, data=callback_fields(receipt))
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert receipt_polls(simulator, receipt) == 1  # asked Pushover, which says no
    assert events == []
    assert hass.states.get(ACTIVE).state == "1"

    await simulator.acknowledge(receipt, user=account.user, device="phone")  # calls back
    await hass.async_block_till_done(wait_background_tasks=True)
    assert receipt_polls(simulator, receipt) == 2
    assert [event.data["state"] for event in events] == ["acknowledged"]
    assert events[0].data["acknowledged_by"] == "Home"  # Pushover's answer, not the post
    assert hass.states.get(ACTIVE).state == "0"


@pytest.mark.usefixtures("instant_retries")
async def test_a_callback_pushover_cannot_confirm_changes_nothing(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    webhook_sender: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    events = async_capture_events(hass, EVENT_RECEIPT)
    receipt = await emergency(hass)
    client = await hass_client_no_auth()
    simulator.inject_fault("503", path=f"receipts/{receipt}", count=3)  # every attempt
    url = f"/api/webhook/{webhook_sender.data[CONF_WEBHOOK_ID]}"
    response = await client.post(url, data=callback_fields(receipt))
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert receipt_polls(simulator, receipt) == 3
    assert events == []
    assert hass.states.get(ACTIVE).state == "1"


async def test_a_flood_of_callbacks_costs_two_requests(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    webhook_sender: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(receipts_module, "CALLBACK_SPACING", 0.0)
    receipt = await emergency(hass)
    client = await hass_client_no_auth()
    url = f"/api/webhook/{webhook_sender.data[CONF_WEBHOOK_ID]}"
    simulator.response_delay = 1.0  # the first confirmation is in flight meanwhile
    for _ in range(20):
        response = await client.post(url, data=callback_fields(receipt))
        assert response.status == 200
    simulator.response_delay = 0.0
    await hass.async_block_till_done(wait_background_tasks=True)
    assert receipt_polls(simulator, receipt) == 2  # the one in flight, one more after it


async def test_bad_or_oversized_callbacks_are_answered_without_a_traceback(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    webhook_sender: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """acknowledged_at=999999999999 and a 20 MB body were logged at ERROR with the id."""
    receipt = await emergency(hass)
    client = await hass_client_no_auth()
    webhook_id = webhook_sender.data[CONF_WEBHOOK_ID]
    url = f"/api/webhook/{webhook_id}"

    response = await client.post(url, data=callback_fields(receipt, acknowledged_at="9" * 12))
    assert response.status == 200
    big = b"receipt=" + b"x" * (20 * 1024 * 1024)
    response = await client.post(url, data=big)
    assert response.status == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(320):
            yield b"x" * 65536

    response = await client.post(url, data=chunks())  # no length announced
    assert response.status == 413

    await hass.async_block_till_done(wait_background_tasks=True)

    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert [line for line in ours if webhook_id in line] == []
    assert hass.states.get(ACTIVE).state == "1"


async def test_webhook_without_external_url_raises_repair_issue(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    sender_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    hass.config_entries.async_update_entry(
        sender_entry, options={**sender_entry.options, CONF_USE_WEBHOOK: True}
    )
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    issue_id = f"webhook_unreachable_{sender_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id)
    await emergency(hass)
    assert "callback" not in simulator.deliveries[-1].params
    hass.config.external_url = "https://ha.example.com"
    assert await hass.config_entries.async_reload(sender_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


# ---------------------------------------------------------------- quota and idle cost


async def test_idle_day_costs_few_api_calls(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    simulator.reset_stats()
    for _ in range(24 * 6):  # one day in 10-minute steps
        freezer.tick(timedelta(minutes=10))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    calls = [r.path for r in simulator.requests]
    # Quota every 6 hours, delivery groups every 12 hours, nothing else.
    assert calls.count("/1/apps/limits.json") == 4, calls
    assert len(calls) <= 8, calls


@pytest.mark.usefixtures("instant_retries")
async def test_poll_errors(
    hass: HomeAssistant,
    frozen_simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    events = async_capture_events(hass, EVENT_RECEIPT)
    gone = await emergency(hass, "Smoke")
    kept = await emergency(hass, "Heat")
    # a server error stops this round; the receipts stay active
    frozen_simulator.inject_fault("503", count=3, path="receipts")
    await advance(hass, freezer, 31)
    assert hass.states.get(ACTIVE).state == "2"
    # a receipt Pushover no longer knows ends as expired
    del frozen_simulator.receipts[gone]
    await advance(hass, freezer, 31)
    assert [(e.data["receipt"], e.data["state"]) for e in events] == [(gone, "expired")]
    # a rejected token asks for a new one
    del frozen_simulator.apps[account.token]
    await advance(hass, freezer, 31)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert kept in loaded_sender.runtime_data.receipts.active
