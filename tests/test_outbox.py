"""Hold-when-offline: held messages survive outages and restarts and go out in order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import (
    CONF_HOLD_WHEN_OFFLINE,
    CONF_MAX_HELD_AGE,
    DOMAIN,
)
from pushover_simulator import PushoverSimulator

from .conftest import later

HELD = "sensor.home_held_messages"


async def send(hass: HomeAssistant, message: str, **extra: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"entity_id": "notify.home", "message": message, **extra},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return response["notify.home"]


@pytest.fixture
async def holding_sender(hass: HomeAssistant, sender_entry: MockConfigEntry) -> MockConfigEntry:
    hass.config_entries.async_update_entry(
        sender_entry, options={**sender_entry.options, CONF_HOLD_WHEN_OFFLINE: True}
    )
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    return sender_entry


def fast_client(entry: MockConfigEntry) -> None:
    """Make the entry's client retry without waiting (the etiquette is tested in test_api)."""

    async def no_wait(_seconds: float) -> None:
        return None

    entry.runtime_data.client._sleep = no_wait


async def test_outage_holds_then_delivers_in_order_with_original_time(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    fast_client(holding_sender)
    simulator.inject_fault("503", path="messages")  # the first send (the outbox retries)
    sent_at = int(dt_util.utcnow().timestamp())
    first = await send(hass, "first")
    assert first == {"request": None, "receipt": None, "status": "held"}
    second = await send(hass, "second")  # queued behind the first, without trying
    assert second["status"] == "held"
    assert hass.states.get(HELD).state == "2"
    assert simulator.deliveries == []
    await later(hass, 4)
    assert simulator.deliveries == []  # never sooner than 5 s
    await later(hass, 5)
    assert [d.params["message"] for d in simulator.deliveries] == ["first", "second"]
    assert int(simulator.deliveries[0].params["timestamp"]) >= sent_at
    assert hass.states.get(HELD).state == "0"
    third = await send(hass, "third")
    assert third["status"] == "sent"


async def test_held_messages_survive_a_restart(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    fast_client(holding_sender)
    simulator.inject_fault("drop", count=3, path="messages")  # may each have reached Pushover
    assert (await send(hass, "kept", priority=2, retry=30, expire=60))["status"] == "held"
    await hass.config_entries.async_unload(holding_sender.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(holding_sender.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(HELD).state == "1"
    for _ in range(3):  # each resend of an emergency message cancels its tag first
        await later(hass, 300)
    (delivery,) = simulator.deliveries
    assert delivery.params["message"] == "kept"
    assert delivery.receipt is not None
    assert hass.states.get("sensor.home_active_emergency_alerts").state == "1"


async def test_hold_can_be_turned_off_per_call(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    fast_client(holding_sender)
    simulator.inject_fault("500", count=3, path="messages")
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, "now or never", hold_when_offline=False)
    assert err.value.translation_key == "server_error"
    assert hass.states.get(HELD).state == "0"


async def test_refusals_are_never_held(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    simulator.inject_fault("429", path="messages")
    with pytest.raises(HomeAssistantError):
        await send(hass, "quota")
    user = holding_sender.data["user_key"]
    del simulator.users[user]
    with pytest.raises(HomeAssistantError):
        await send(hass, "refused")
    assert hass.states.get(HELD).state == "0"


async def test_long_outage_drops_old_messages_with_repair_issue(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    holding_sender: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    fast_client(holding_sender)
    hass.config_entries.async_update_entry(
        holding_sender, options={**holding_sender.options, CONF_MAX_HELD_AGE: 1}
    )
    await hass.async_block_till_done()
    fast_client(holding_sender)
    simulator.inject_fault("drop", count=1000, path="messages")
    await send(hass, "old")
    await send(hass, "older")
    start = dt_util.utcnow()
    from unittest.mock import patch

    with patch(
        "custom_components.pushover_plus.outbox.dt_util.utcnow",
        return_value=start + timedelta(hours=2),
    ):
        await later(hass, 600)
    assert hass.states.get(HELD).state == "0"
    issue = issue_registry.async_get_issue(
        DOMAIN, f"held_messages_dropped_{holding_sender.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders["count"] == "2"
    assert simulator.deliveries == []


async def test_quota_refusal_while_flushing_waits_for_the_reset(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    fast_client(holding_sender)
    simulator.inject_fault("503", path="messages")
    await send(hass, "held")
    simulator.inject_fault("429", path="messages")
    await later(hass, 6)
    assert hass.states.get(HELD).state == "1"
    await later(hass, 3600)  # still before the monthly reset
    assert hass.states.get(HELD).state == "1"
