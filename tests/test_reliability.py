"""Reliability: bursts, faults, outages and restarts lose nothing and duplicate nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
import time
from typing import Any

from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.pushover_plus.const import (
    CONF_HOLD_WHEN_OFFLINE,
    CONF_RATE_LIMIT,
    CONF_USER_KEY,
    DOMAIN,
)
from custom_components.pushover_plus.outbox import HeldMessage
from custom_components.pushover_plus.pushover import Message
from pushover_simulator import PushoverSimulator
from pushover_simulator.server import FaultKind

from .conftest import CLIENT_TIMEOUT, later, wait_until

ENTITY = "notify.home"
HELD = "sensor.home_held_messages"
BURST = 1000
RESPONSE_DELAY = 0.002
MAX_BURST_SECONDS = 30.0


def delivered(simulator: PushoverSimulator) -> Counter[str]:
    """Return how often each message text reached the simulator's users."""
    return Counter(delivery.params["message"] for delivery in simulator.deliveries)


async def call_send(hass: HomeAssistant, message: str, **extra: Any) -> None:
    """Call pushover_plus.send_message on the entry's own notify entity."""
    await hass.services.async_call(
        DOMAIN, "send_message", {"entity_id": ENTITY, "message": message, **extra}, blocking=True
    )


async def send_outcome(hass: HomeAssistant, message: str, **extra: Any) -> str:
    """Send and return the status (sent, held) or the translation key of the failure."""
    try:
        response = await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"entity_id": ENTITY, "message": message, **extra},
            blocking=True,
            return_response=True,
        )
    except HomeAssistantError as err:
        return str(err.translation_key)
    assert response is not None
    status: str = response[ENTITY]["status"]
    return status


async def retry_setup(hass: HomeAssistant, entry: MockConfigEntry) -> ConfigEntryState:
    """Let the setup retry come due and return the state it ends in.

    Home Assistant retries in a background task, which block_till_done does not wait for.
    """
    await later(hass, 600)
    for _ in range(500):
        if entry.state is not ConfigEntryState.SETUP_IN_PROGRESS:
            return entry.state
        await asyncio.sleep(0.01)
    raise AssertionError("the setup retry did not finish in 5 s")


@pytest.fixture(autouse=True)
def without_rate_ceiling(hass: HomeAssistant, sender_entry: MockConfigEntry) -> None:
    """These tests send bursts to one recipient: the quota guard's ceiling is off.

    The guard itself is tested in test_guard.py; here only delivery is measured.
    """
    hass.config_entries.async_update_entry(
        sender_entry, options={**sender_entry.options, CONF_RATE_LIMIT: 0}
    )


@pytest.fixture
async def holding_sender(
    hass: HomeAssistant, sender_entry: MockConfigEntry, fast_clients: None
) -> MockConfigEntry:
    """The sender entry with hold-when-offline on, set up with fast clients."""
    hass.config_entries.async_update_entry(
        sender_entry, options={**sender_entry.options, CONF_HOLD_WHEN_OFFLINE: True}
    )
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    return sender_entry


async def flush_held(hass: HomeAssistant) -> None:
    """Let the outbox retry (backoff up to 300 s) until nothing is held."""
    for _ in range(100):
        if hass.states.get(HELD).state == "0":
            return
        await later(hass, 301)
    raise AssertionError(f"{hass.states.get(HELD).state} messages still held")


# ---------------------------------------------------------------- load


@contextmanager
def production_loop(hass: HomeAssistant) -> Iterator[None]:
    """Run without asyncio debug mode, as Home Assistant does outside tests.

    The test harness turns debug mode on, which records a traceback for every callback
    and would make the figures measure the harness rather than the integration.
    """
    hass.loop.set_debug(False)
    try:
        yield
    finally:
        hass.loop.set_debug(True)


async def test_burst_of_concurrent_actions_is_delivered_exactly_once(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    record_property: Any,
) -> None:
    simulator.reset_stats()
    simulator.response_delay = RESPONSE_DELAY
    messages = [f"burst {index}" for index in range(BURST)]
    with production_loop(hass):
        start = time.perf_counter()
        await asyncio.gather(*(call_send(hass, message) for message in messages))
        elapsed = time.perf_counter() - start
    assert delivered(simulator) == Counter(messages)
    assert simulator.max_concurrent_connections <= 2
    assert simulator.max_concurrent_requests <= 2
    assert elapsed < MAX_BURST_SECONDS
    record_property("burst_seconds", round(elapsed, 3))
    record_property("burst_messages_per_second", round(BURST / elapsed, 1))
    record_property("burst_max_connections", simulator.max_concurrent_connections)


async def test_automation_triggered_a_thousand_times_delivers_each_run_once(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    record_property: Any,
) -> None:
    assert await async_setup_component(
        hass,
        AUTOMATION_DOMAIN,
        {
            AUTOMATION_DOMAIN: {
                "id": "burst",
                "mode": "parallel",
                "max": BURST,
                "triggers": [{"trigger": "event", "event_type": "burst"}],
                "actions": [
                    {
                        "action": f"{DOMAIN}.send_message",
                        "target": {"entity_id": ENTITY},
                        "data": {"message": "run {{ trigger.event.data.run }}"},
                    }
                ],
            }
        },
    )
    await hass.async_block_till_done()
    simulator.reset_stats()
    simulator.response_delay = RESPONSE_DELAY
    with production_loop(hass):
        start = time.perf_counter()
        for run in range(BURST):
            hass.bus.async_fire("burst", {"run": run})
        await hass.async_block_till_done()
        elapsed = time.perf_counter() - start
    assert delivered(simulator) == Counter(f"run {run}" for run in range(BURST))
    assert simulator.max_concurrent_connections <= 2
    assert simulator.max_concurrent_requests <= 2
    assert elapsed < MAX_BURST_SECONDS
    record_property("automation_seconds", round(elapsed, 3))
    record_property("automation_messages_per_second", round(BURST / elapsed, 1))
    record_property("automation_max_connections", simulator.max_concurrent_connections)


# ---------------------------------------------------------------- faults

MIXED_FAULTS: list[tuple[FaultKind, int]] = [
    ("500", 1),
    ("502", 2),
    ("drop", 1),
    ("503", 3),
    ("429", 1),
    ("drop", 2),
    ("500", 3),
    ("429", 2),
    ("503", 1),
    ("drop", 3),
    ("502", 1),
    ("503", 9),
    ("drop", 9),
]
WAVE = 3


async def send_in_waves(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    messages: list[str],
    faults: list[tuple[FaultKind, int]],
    *,
    pause: float = 0.0,
) -> list[str]:
    """Send ``WAVE`` messages at a time, as a few busy automations would; return outcomes.

    Before each wave the next fault of ``faults`` is queued for messages.json; with a
    pause, that much time passes for Home Assistant's timers after each wave.
    """
    outcomes: list[str] = []
    for wave, start in enumerate(range(0, len(messages), WAVE)):
        kind, count = faults[wave % len(faults)]
        simulator.inject_fault(kind, count=count, path="messages")
        batch = messages[start : start + WAVE]
        outcomes += await asyncio.gather(*(send_outcome(hass, message) for message in batch))
        if pause:
            await later(hass, pause)
    return outcomes


def failed_requests(simulator: PushoverSimulator) -> int:
    """Return how many messages.json requests the simulator failed (each takes a fault)."""
    return sum(
        1
        for request in simulator.requests
        if request.path == "/1/messages.json" and request.status != 200
    )


@pytest.mark.usefixtures("fast_clients")
async def test_faults_without_holding_deliver_once_or_report_the_failure(
    hass: HomeAssistant, simulator: PushoverSimulator, sender_entry: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    simulator.reset_stats()
    messages = [f"fault {index}" for index in range(WAVE * len(MIXED_FAULTS) * 3)]
    outcomes = await send_in_waves(hass, simulator, messages, MIXED_FAULTS)
    # A send cut off after it was written is not retried (it may have arrived), so
    # some faults are left over.
    assert failed_requests(simulator) <= sum(count for _, count in MIXED_FAULTS) * 3
    by_outcome = Counter(outcomes)
    assert set(by_outcome) == {"sent", "server_error", "cannot_connect", "quota_exceeded"}
    assert by_outcome["quota_exceeded"] == 9  # a refusal is never retried
    sent = [
        message for message, outcome in zip(messages, outcomes, strict=True) if outcome == "sent"
    ]
    assert delivered(simulator) == Counter(sent)


async def test_faults_while_holding_deliver_everything_exactly_once(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    """Failures that Pushover never took (5xx) are held and delivered exactly once."""
    simulator.reset_stats()
    transient = [(kind, count) for kind, count in MIXED_FAULTS if kind in ("500", "502", "503")]
    messages = [f"held {index}" for index in range(WAVE * len(transient) * 3)]
    outcomes = await send_in_waves(hass, simulator, messages, transient, pause=301)
    assert set(outcomes) == {"sent", "held"}
    await flush_held(hass)
    assert failed_requests(simulator) == sum(count for _, count in transient) * 3
    assert delivered(simulator) == Counter(messages)


async def test_a_send_cut_off_after_it_was_written_is_sent_once_more_at_most(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    holding_sender: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A dropped connection may follow acceptance: resend once, never a third time."""
    simulator.inject_fault("drop", path="messages")
    assert await send_outcome(hass, "cut off once") == "held"
    await flush_held(hass)
    simulator.inject_fault("drop", count=5, path="messages")
    assert await send_outcome(hass, "cut off twice") == "held"
    await flush_held(hass)
    tried = Counter(
        request.params.get("message")
        for request in simulator.requests
        if request.path == "/1/messages.json"
    )
    assert tried == Counter({"cut off once": 2, "cut off twice": 2})
    assert delivered(simulator) == Counter(["cut off once"])
    assert "not sending it a third time" in caplog.text


async def test_long_outage_with_a_restart_delivers_everything_once_in_order(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    simulator.reset_stats()
    assert await send_outcome(hass, "before") == "sent"
    await simulator.stop()  # Pushover unreachable: connections refused
    outage = [f"outage {index}" for index in range(10)]
    for message in outage[:5]:
        assert await send_outcome(hass, message) == "held"
    await later(hass, 6)  # a flush attempt fails
    await later(hass, 11)
    assert hass.states.get(HELD).state == "5"

    # Home Assistant restarts in the middle of the outage: the entry loads offline.
    assert await hass.config_entries.async_unload(holding_sender.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(holding_sender.entry_id)
    await hass.async_block_till_done()
    assert holding_sender.state is ConfigEntryState.LOADED
    assert hass.states.get(HELD).state == "5"
    for _ in range(12):  # an hour passes; every attempt fails
        await later(hass, 301)
    assert list(delivered(simulator)) == ["before"]
    for message in outage[5:]:  # queued behind the held ones to keep the order
        assert await send_outcome(hass, message) == "held"

    await simulator.start()  # same port: Pushover is back
    await flush_held(hass)
    assert [delivery.params["message"] for delivery in simulator.deliveries] == ["before", *outage]


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload and set up the entry again, as a reload (or a restart) does."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)


async def test_restart_during_a_flush_sends_no_held_message_twice(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    simulator.inject_fault("503", path="messages")
    messages = [f"queued {index}" for index in range(5)]
    for message in messages:
        assert await send_outcome(hass, message) == "held"
    simulator.response_delay = 0.05  # each delivery of the flush takes a while
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await wait_until(lambda: len(simulator.deliveries) == 2)
    await restart(hass, holding_sender)  # while the third is on its way
    simulator.response_delay = 0.0
    await hass.async_block_till_done()
    await flush_held(hass)
    assert delivered(simulator) == Counter(messages)


async def test_send_failing_across_a_restart_is_held_and_delivered_once(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    """Unloading waits for a send in flight; what it could not send, the next setup sends."""
    simulator.inject_fault("503", path="messages")
    simulator.response_delay = 0.1
    sending = hass.async_create_task(send_outcome(hass, "in flight"))
    await wait_until(lambda: bool(simulator.requests_in_flight))
    assert await hass.config_entries.async_unload(holding_sender.entry_id)
    assert sending.done()  # held (in the journal) before the unload returned
    assert await sending == "held"
    simulator.response_delay = 0.0
    assert await hass.config_entries.async_setup(holding_sender.entry_id)
    assert hass.states.get(HELD).state == "1"  # the new outbox adopted it
    await hass.async_block_till_done()
    await flush_held(hass)
    assert delivered(simulator) == Counter(["in flight"])


async def test_a_hold_after_the_outbox_closed_is_adopted_by_the_next_setup(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    """A send still failing after the unload gave up waiting goes to the journal."""
    outbox = holding_sender.runtime_data.sender.outbox
    assert await hass.config_entries.async_unload(holding_sender.entry_id)
    await outbox.async_hold(
        HeldMessage(
            holding_sender.data[CONF_USER_KEY], "me", Message("late"), held_at=time.time(), id=1
        )
    )
    assert outbox.messages == []  # closed: nothing is sent from here
    assert await hass.config_entries.async_setup(holding_sender.entry_id)
    assert hass.states.get(HELD).state == "1"
    await hass.async_block_till_done()
    await flush_held(hass)
    assert [delivery.params["message"] for delivery in simulator.deliveries] == ["late"]


LOST_RESPONSES = {"none lost": 0, "one lost": 1, "two lost": 2, "all three lost": 3}


async def test_lost_response_after_acceptance_delivers_the_message_twice_at_most(
    hass: HomeAssistant, simulator: PushoverSimulator, holding_sender: MockConfigEntry
) -> None:
    """The one documented duplicate: Pushover has no idempotency key.

    Pushover accepts the message but its answer does not arrive within the client's
    timeout. Home Assistant cannot tell this from a request that never arrived, so the
    message is held and sent once more (a second copy); never a third time.
    """
    late = CLIENT_TIMEOUT * 1.5  # the simulator answers (and accepts) after the timeout
    for message, lost in LOST_RESPONSES.items():
        if lost:
            simulator.inject_fault("timeout", count=lost, path="messages", delay=late)
        assert await send_outcome(hass, message) == ("held" if lost else "sent")
        await flush_held(hass)
        simulator.clear_faults()
    expected = Counter({message: min(1 + lost, 2) for message, lost in LOST_RESPONSES.items()})
    await wait_until(lambda: len(simulator.deliveries) >= expected.total())
    await asyncio.sleep(late)  # nothing else is on its way
    assert delivered(simulator) == expected
