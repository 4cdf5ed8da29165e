"""Hold-when-offline: held messages survive outages and restarts and go out in order."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.pushover_plus.const import (
    CONF_HOLD_WHEN_OFFLINE,
    CONF_MAX_HELD_AGE,
    DOMAIN,
)
from custom_components.pushover_plus.outbox import HeldMessage
from custom_components.pushover_plus.pushover import Message
from pushover_simulator import PushoverSimulator

from .conftest import later, send, wait_until

HELD = "sensor.home_held_messages"


@pytest.fixture
async def holding_sender(
    hass: HomeAssistant, sender_entry: MockConfigEntry, fast_clients: None
) -> MockConfigEntry:
    hass.config_entries.async_update_entry(
        sender_entry, options={**sender_entry.options, CONF_HOLD_WHEN_OFFLINE: True}
    )
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    return sender_entry


async def test_outage_holds_then_delivers_in_order_with_original_time(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
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


async def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    holding_sender: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.inject_fault("503", path="messages", count=2)  # the first send and one retry
    for number in range(3):
        assert (await send(hass, f"held {number}"))["status"] == "held"
    await later(hass, 6)  # the first retry fails too
    await later(hass, 11)
    assert len(simulator.deliveries) == 3
    outbox = [r for r in caplog.records if r.name.endswith(".outbox") and r.levelno >= 20]
    assert [(r.levelname, r.getMessage()) for r in outbox] == [
        ("WARNING", "Pushover cannot take messages of Home now; holding them until it answers"),
        ("INFO", "Pushover answers again; delivering the held messages of Home"),
    ]


async def test_held_messages_survive_a_restart(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
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
    hass.config_entries.async_update_entry(
        holding_sender, options={**holding_sender.options, CONF_MAX_HELD_AGE: 1}
    )
    await hass.async_block_till_done()
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
    simulator.inject_fault("503", path="messages")
    await send(hass, "held")
    simulator.inject_fault("429", path="messages")
    await later(hass, 6)
    assert hass.states.get(HELD).state == "1"
    await later(hass, 3600)  # still before the monthly reset
    assert hass.states.get(HELD).state == "1"


class Clock:
    """Home Assistant's timers, moved forward step by step from now."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start at the current time."""
        self.hass = hass
        self.now = dt_util.utcnow()

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` more pass and run what came due."""
        self.now += timedelta(seconds=seconds)
        async_fire_time_changed(self.hass, self.now)
        await self.hass.async_block_till_done()


def message_requests(simulator: PushoverSimulator) -> list[Any]:
    """Return the messages.json requests the simulator saw, answered or not."""
    return [request for request in simulator.requests if request.path == "/1/messages.json"]


async def test_a_page_that_is_not_pushovers_stops_the_flush_and_keeps_the_queue(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    holding_sender: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A captive portal answers 403 HTML: one refused request, nothing dropped."""
    simulator.inject_fault("503", path="messages")
    for number in range(20):
        assert (await send(hass, f"m{number}"))["status"] == "held"
    simulator.reset_stats()
    simulator.inject_fault("403", count=100, path="messages")
    clock = Clock(hass)
    await clock.advance(6)
    assert len(message_requests(simulator)) == 1
    assert hass.states.get(HELD).state == "20"
    issue_id = f"unexpected_response_{holding_sender.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await clock.advance(600)  # a portal is not asked again soon
    assert len(message_requests(simulator)) == 1
    simulator.clear_faults()
    await clock.advance(301)
    assert [d.params["message"] for d in simulator.deliveries] == [f"m{n}" for n in range(20)]
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_rejected_token_stops_the_flush_keeps_the_queue_and_asks_to_reauthenticate(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Any,
    holding_sender: MockConfigEntry,
) -> None:
    simulator.inject_fault("503", path="messages")
    for number in range(20):
        assert (await send(hass, f"m{number}"))["status"] == "held"
    simulator.reset_stats()
    del simulator.apps[account.token]
    await later(hass, 6)
    await later(hass, 600)
    assert len(message_requests(simulator)) == 1
    assert hass.states.get(HELD).state == "20"
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"


async def test_a_refused_held_message_is_dropped_alone_with_a_repair_issue(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Any,
    holding_sender: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A recipient's account was deleted during the outage: only its message goes."""
    simulator.inject_fault("503", path="messages")
    assert (await send(hass, "first"))["status"] == "held"
    gone = simulator.add_user()
    outbox = holding_sender.runtime_data.sender.outbox
    await outbox.async_hold(
        HeldMessage(
            gone, "Gone", Message("refused"), dt_util.utcnow().timestamp(), id=outbox.next_id()
        )
    )
    assert (await send(hass, "last"))["status"] == "held"
    del simulator.users[gone]
    await later(hass, 6)
    assert [d.params["message"] for d in simulator.deliveries] == ["first", "last"]
    issue = issue_registry.async_get_issue(
        DOMAIN, f"held_message_refused_{holding_sender.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders["error"]


async def test_a_quota_refusal_with_a_past_reset_waits_an_hour(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    simulator.inject_fault("503", path="messages")
    await send(hass, "held")
    simulator.reset_stats()
    simulator.inject_fault("429", path="messages")
    clock = Clock(hass)
    with patch.object(simulator, "_limit_headers", return_value={"X-Limit-App-Reset": "1"}):
        await clock.advance(6)
    for _ in range(11):  # 55 minutes
        await clock.advance(300)
    assert len(message_requests(simulator)) == 1
    await clock.advance(301)
    assert len(simulator.deliveries) == 1


async def test_a_held_message_keeps_the_time_the_action_was_called(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    called_at = dt_util.utcnow() - timedelta(seconds=40)  # the failure takes a while
    simulator.inject_fault("503", path="messages")
    with patch("custom_components.pushover_plus.sender.dt_util.utcnow", return_value=called_at):
        assert (await send(hass, "late failure"))["status"] == "held"
    await later(hass, 6)
    (delivery,) = simulator.deliveries
    assert int(delivery.params["timestamp"]) == int(called_at.timestamp())


async def test_sends_waiting_behind_a_hanging_one_are_held_at_once(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    """Two sends hang until the timeout; the others do not wait their own timeouts."""
    simulator.inject_fault("timeout", count=2, path="messages", delay=60)
    outcomes = await asyncio.gather(*(send(hass, f"m{number}") for number in range(8)))
    assert [outcome["status"] for outcome in outcomes] == ["held"] * 8
    assert len(message_requests(simulator)) == 2
    simulator.clear_faults()
    for _ in range(3):
        await later(hass, 301)
    copies = Counter(d.params["message"] for d in simulator.deliveries)
    # The two that hung may have been taken: each is sent once more, never a third time.
    assert all(1 <= copies[text] <= 2 for text in ("m0", "m1"))
    later_ones = [
        d.params["message"] for d in simulator.deliveries if d.params["message"] not in ("m0", "m1")
    ]
    assert later_ones == [f"m{number}" for number in range(2, 8)]


async def test_an_unanswered_emergency_alert_is_canceled_before_it_is_sent_again(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    """Pushover took the alert but the answer was lost: only one alert may ring."""
    simulator.inject_fault("timeout", path="messages", delay=0.5)  # accepted after the timeout
    response = await send(hass, "smoke", priority=2, retry=30, expire=600, tags=["kitchen"])
    assert response["status"] == "held"
    await wait_until(lambda: len(simulator.receipts) == 1)
    await later(hass, 6)
    receipts = list(simulator.receipts.values())
    assert len(receipts) == 2
    assert [receipt.canceled for receipt in receipts] == [True, False]
    assert "kitchen" in receipts[1].tags
    live = receipts[1].receipt
    tracked = holding_sender.runtime_data.receipts.active
    assert list(tracked) == [live]
    assert tracked[live].tags == ("kitchen",)  # the internal tag is not shown
    assert hass.states.get("sensor.home_active_emergency_alerts").state == "1"


async def test_home_assistant_stopping_lets_the_send_in_flight_finish(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    """A clean stop during a flush sends nothing twice after the restart."""
    simulator.inject_fault("503", path="messages")
    for number in range(5):
        await send(hass, f"m{number}")
    simulator.response_delay = 0.1
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await wait_until(lambda: len(simulator.deliveries) == 1)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    sent = len(simulator.deliveries)
    assert 1 <= sent < 5
    simulator.response_delay = 0
    assert await hass.config_entries.async_unload(holding_sender.entry_id)
    assert await hass.config_entries.async_setup(holding_sender.entry_id)
    await hass.async_block_till_done()
    await later(hass, 6)
    assert [d.params["message"] for d in simulator.deliveries] == [f"m{n}" for n in range(5)]


async def test_messages_held_by_the_previous_version_are_taken_over(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    sender_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    held = {
        "user_key": sender_entry.data["user_key"],
        "recipient": "Home",
        "held_at": dt_util.utcnow().timestamp(),
        "message": {"message": "from 1.0", "devices": [], "tags": []},
        "attachment": None,
    }
    hass_storage[f"{DOMAIN}.outbox.{sender_entry.entry_id}"] = {
        "version": 1,
        "key": f"{DOMAIN}.outbox.{sender_entry.entry_id}",
        "data": {"messages": [held]},
    }
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    assert [d.params["message"] for d in simulator.deliveries] == ["from 1.0"]
    assert f"{DOMAIN}.outbox.{sender_entry.entry_id}" not in hass_storage
