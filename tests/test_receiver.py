"""Receiving: Home Assistant as an Open Client device against the simulator's websocket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
import logging
from typing import Any
from unittest.mock import patch

from aiohttp import web
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.pushover_plus import receiver as receiver_module
from custom_components.pushover_plus.const import (
    CONF_DEVICE_ID,
    CONF_SECRET,
    DOMAIN,
    EVENT_MESSAGE,
    ISSUE_RECEIVER_OTHER_SESSION,
)
from custom_components.pushover_plus.data import ReceiverData
from custom_components.pushover_plus.pushover import (
    MAX_DOWNLOAD_BYTES,
    Message,
    PushoverClient,
    PushoverConnectionError,
    PushoverRequestError,
    PushoverServerError,
)
from custom_components.pushover_plus.receiver import (
    BACKOFF_INITIAL,
    BACKOFF_JITTER,
    BACKOFF_MAX,
    HEALTHY_SESSION,
    OpenClientListener,
    describe,
    secret_rejected,
)
from pushover_simulator import PushoverSimulator

from .conftest import RECEIVER_DEVICE, add_receiver_entry, later, wait_until

JITTER = 1.1
DELETE_PATH = "update_highest_message.json"


@dataclass
class Receiver:
    """A registered Open Client device, its entry and an app that writes to its user."""

    entry: MockConfigEntry
    device_id: str
    secret: str
    user: str
    sender: PushoverClient

    async def send(self, text: str, **fields: Any) -> str | None:
        """Send a message to the user through messages.json; return the receipt."""
        result = await self.sender.send_message(self.user, Message(message=text, **fields))
        return result.receipt


class Backoff:
    """Records the reconnect delays and holds the listener in each until allowed on."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.bounds: list[tuple[float, float]] = []
        self.opened = False
        self._permits = asyncio.Semaphore(0)

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        if not self.opened:
            await self._permits.acquire()

    def jitter(self, low: float, high: float) -> float:
        self.bounds.append((low, high))
        return JITTER

    def allow(self, count: int = 1) -> None:
        """Let ``count`` sleeps (waiting or to come) end."""
        for _ in range(count):
            self._permits.release()

    def open(self) -> None:
        """End every sleep at once from now on."""
        self.opened = True
        self.allow()


class VirtualTime:
    """A sleep that lets virtual time pass at once; past ``until`` it holds the listener."""

    def __init__(self, until: float) -> None:
        self.until = until
        self.now = 0.0
        self.delays: list[float] = []

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        self.now += delay
        if self.now >= self.until:
            await asyncio.Event().wait()  # until the test unloads the entry
        await asyncio.sleep(0)

    @staticmethod
    def lowest(low: float, high: float) -> float:
        """The jitter that makes the most reconnects."""
        return low


async def wait_processed(
    simulator: PushoverSimulator, receiver: Receiver, events: list[Event], count: int
) -> None:
    """Wait until ``count`` events fired and the server's queue is empty (deleted last)."""
    await wait_until(lambda: len(events) == count and not queue(simulator, receiver))


@pytest.fixture
def no_client_retries():
    """Clients that fail at once instead of retrying 5 s later (the listener retries)."""
    with patch(
        "custom_components.pushover_plus.connection.PushoverClient",
        partial(PushoverClient, max_retries=0),
    ):
        yield


@pytest.fixture
async def receiver(hass: HomeAssistant, simulator: PushoverSimulator) -> Receiver:
    """Log in and register a device through the API; the entry is not set up yet."""
    entry, user = await add_receiver_entry(hass, simulator)
    session = async_get_clientsession(hass)
    sender = PushoverClient(session, simulator.add_app("Alarm"), base_url=simulator.base_url)
    return Receiver(entry, entry.data[CONF_DEVICE_ID], entry.data[CONF_SECRET], user, sender)


async def setup_receiver(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    receiver: Receiver,
    backoff: Backoff | None = None,
) -> OpenClientListener:
    """Set the entry up; wait until its websocket is logged in and the download that
    follows the login (after the one of the setup) is answered."""
    logged_in = logins(simulator, receiver)
    answered = downloads(simulator)
    assert await hass.config_entries.async_setup(receiver.entry.entry_id)
    await hass.async_block_till_done()
    assert receiver.entry.state is ConfigEntryState.LOADED
    data = receiver.entry.runtime_data
    assert isinstance(data, ReceiverData)
    if backoff is not None:
        data.listener.sleep = backoff.sleep
        data.listener.jitter = backoff.jitter
    await wait_until(
        lambda: logins(simulator, receiver) > logged_in and downloads(simulator) >= answered + 2
    )
    return data.listener


def entity_id(hass: HomeAssistant, receiver: Receiver, platform: str, key: str) -> str:
    found = er.async_get(hass).async_get_entity_id(
        platform, DOMAIN, f"{receiver.entry.entry_id}_{key}"
    )
    assert found is not None
    return found


def state_of(hass: HomeAssistant, receiver: Receiver, platform: str, key: str) -> State:
    state = hass.states.get(entity_id(hass, receiver, platform, key))
    assert state is not None
    return state


def queue(simulator: PushoverSimulator, receiver: Receiver) -> list[dict[str, Any]]:
    return simulator.open_client_devices[receiver.device_id].queue


def deletions(simulator: PushoverSimulator) -> list[str]:
    """The highest ids sent to update_highest_message, in order."""
    return [r.params["message"] for r in simulator.requests if r.path.endswith(DELETE_PATH)]


def downloads(simulator: PushoverSimulator) -> int:
    """How many downloads (GET messages.json) the simulator has answered."""
    return sum(
        1
        for r in simulator.requests
        if r.method == "GET" and r.path.endswith("messages.json") and r.status
    )


def logins(simulator: PushoverSimulator, receiver: Receiver) -> int:
    return simulator.websocket_logins.count(receiver.device_id)


def reauth_flows(hass: HomeAssistant, receiver: Receiver) -> list[Any]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
        and flow["context"]["entry_id"] == receiver.entry.entry_id
    ]


def listener_stopped(receiver: Receiver) -> bool:
    return not receiver.entry._background_tasks


def listener_of(receiver: Receiver) -> OpenClientListener:
    data = receiver.entry.runtime_data
    assert isinstance(data, ReceiverData)
    return data.listener


def send(*frames: bytes) -> Callable[[web.WebSocketResponse], Awaitable[None]]:
    """A login script for the simulator: send these frames (then it hangs up)."""

    async def script(socket: web.WebSocketResponse) -> None:
        for frame in frames:
            await socket.send_bytes(frame)

    return script


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The receiver's WARNING lines."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == receiver_module.__name__ and r.levelno == logging.WARNING
    ]


class LoopLag:
    """Measures the longest stall of the event loop (a figure to print, not to assert)."""

    def __init__(self) -> None:
        self.longest = 0.0

    @contextlib.asynccontextmanager
    async def measured(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()

        async def tick() -> None:
            while True:
                started = loop.time()
                await asyncio.sleep(0.001)
                self.longest = max(self.longest, loop.time() - started - 0.001)

        ticker = asyncio.ensure_future(tick())
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker


# ---------------------------------------------------------------- backlog and live messages


async def test_backlog_is_recorded_and_deleted_without_events(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    receiver: Receiver,
    hass_storage: dict[str, Any],
) -> None:
    await receiver.send("first")
    await receiver.send("second", title="Two")
    long_text = "x" * 300
    await receiver.send(long_text, title="Three", url="https://example.com", url_title="Site")
    ids = [item["id_str"] for item in queue(simulator, receiver)]
    assert len(ids) == 3
    events = async_capture_events(hass, EVENT_MESSAGE)

    await setup_receiver(hass, simulator, receiver)

    sensor = state_of(hass, receiver, "sensor", "last_message")
    assert sensor.state == long_text[:255]
    assert sensor.attributes["title"] == "Three"
    assert sensor.attributes["app"] == "Alarm"
    assert sensor.attributes["url"] == "https://example.com"
    assert sensor.attributes["url_title"] == "Site"
    assert sensor.attributes["priority"] == 0
    assert sensor.attributes["receipt"] is None
    assert "message" not in sensor.attributes
    event = state_of(hass, receiver, "event", "message")
    assert event.state == STATE_UNKNOWN
    assert events == []
    assert queue(simulator, receiver) == []
    assert deletions(simulator) == [ids[-1]]
    stored = hass_storage[f"{DOMAIN}.receiver.{receiver.entry.entry_id}"]["data"]
    assert stored == {"highest_id": ids[-1]}


async def test_live_messages_fire_events_and_are_deleted(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    events = async_capture_events(hass, EVENT_MESSAGE)
    await setup_receiver(hass, simulator, receiver)
    assert state_of(hass, receiver, "sensor", "last_message").state == STATE_UNKNOWN
    assert deletions(simulator) == []

    sent_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    await receiver.send(
        "Door open",
        title="Front door",
        priority=1,
        url="https://example.com/cam",
        url_title="Camera",
        timestamp=int(sent_at.timestamp()),
    )
    await wait_processed(simulator, receiver, events, 1)
    await hass.async_block_till_done()

    first_id = deletions(simulator)[-1]
    expected = {
        "title": "Front door",
        "message": "Door open",
        "app": "Alarm",
        "priority": 1,
        "url": "https://example.com/cam",
        "url_title": "Camera",
        "date": sent_at.isoformat(),
        "receipt": None,
    }
    assert events[0].data == {
        **expected,
        "id": first_id,
        "config_entry_id": receiver.entry.entry_id,
    }
    event = state_of(hass, receiver, "event", "message")
    assert event.state != STATE_UNKNOWN
    assert event.attributes["event_type"] == "message"
    for key, value in expected.items():
        assert event.attributes[key] == value
    assert state_of(hass, receiver, "sensor", "last_message").state == "Door open"
    assert queue(simulator, receiver) == []

    await receiver.send("two")
    await receiver.send("three")
    await wait_processed(simulator, receiver, events, 3)
    await hass.async_block_till_done()
    assert [e.data["message"] for e in events] == ["Door open", "two", "three"]
    ids = [int(e.data["id"]) for e in events]
    assert ids == sorted(set(ids))
    assert int(deletions(simulator)[-1]) == ids[-1]
    assert queue(simulator, receiver) == []
    assert state_of(hass, receiver, "sensor", "last_message").state == "three"


async def test_acknowledge_an_emergency(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    events = async_capture_events(hass, EVENT_MESSAGE)
    await setup_receiver(hass, simulator, receiver)
    receipt = await receiver.send("Fire", priority=2, retry=30, expire=600)
    assert receipt is not None
    await wait_until(lambda: len(events) == 1)
    assert events[0].data["receipt"] == receipt
    assert events[0].data["priority"] == 2

    await hass.services.async_call(
        DOMAIN,
        "acknowledge",
        {"config_entry_id": receiver.entry.entry_id, "receipt": receipt},
        blocking=True,
    )
    state = simulator.receipts[receipt]
    assert state.acknowledged
    assert state.acknowledged_by == receiver.user
    assert state.acknowledged_by_device == RECEIVER_DEVICE

    requests = len(simulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "acknowledge",
            {"config_entry_id": receiver.entry.entry_id, "receipt": "not-a-receipt"},
            blocking=True,
        )
    assert err.value.translation_key == "receipt_invalid"
    assert len(simulator.requests) == requests

    with pytest.raises(HomeAssistantError, match="receipt not found") as refused:
        await hass.services.async_call(
            DOMAIN,
            "acknowledge",
            {"config_entry_id": receiver.entry.entry_id, "receipt": "u" * 30},
            blocking=True,
        )
    assert not isinstance(refused.value, ServiceValidationError)


# ---------------------------------------------------------------- control frames


async def test_reload_frame_reconnects_after_the_backoff(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=receiver_module.__name__)
    backoff = Backoff()
    backoff.open()
    await setup_receiver(hass, simulator, receiver, backoff)
    await simulator.send_frame(receiver.device_id, "R")
    await wait_until(lambda: logins(simulator, receiver) == 2)
    await simulator.send_frame(receiver.device_id, "R", as_text=True)
    await wait_until(lambda: logins(simulator, receiver) == 3)
    # The session after the first R never stayed up: the second R waits longer.
    assert backoff.delays == pytest.approx([BACKOFF_INITIAL * JITTER, 2 * BACKOFF_INITIAL * JITTER])
    assert not listener_stopped(receiver)
    # A routine R is not an outage; an R again before the session settled is one.
    assert warnings(caplog) == [
        f"Pushover connection of {receiver.entry.title} lost "
        "(asked to reconnect again); reconnecting"
    ]


async def test_reload_storm_reconnects_twice_in_30_seconds(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    """A server that answers every login with R and a close (13,596 reconnects in 30 s)."""
    await setup_receiver(hass, simulator, receiver)
    listener = listener_of(receiver)
    virtual = VirtualTime(until=30.0)
    listener.sleep = virtual.sleep
    listener.jitter = VirtualTime.lowest
    simulator.login_script = send(b"R")
    before = logins(simulator, receiver)

    await simulator.send_frame(receiver.device_id, "R")
    await wait_until(lambda: virtual.now >= 30.0)

    reconnects = logins(simulator, receiver) - before
    print(f"R storm: {reconnects} reconnects in the first 30 s (virtual time)")
    assert reconnects <= 10
    assert virtual.delays == [BACKOFF_INITIAL, 2 * BACKOFF_INITIAL, 4 * BACKOFF_INITIAL]
    assert reconnects == 2  # after 5 s and 15 s; the third waits until 35 s


async def test_keepalive_then_close_grows_the_backoff(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    """A frame is no proof of health: only a session that stays up resets the backoff."""
    steps = [min(BACKOFF_MAX, BACKOFF_INITIAL * 2**attempt) for attempt in range(9)]
    assert steps[-3:] == [BACKOFF_MAX] * 3
    await setup_receiver(hass, simulator, receiver)
    listener = listener_of(receiver)
    virtual = VirtualTime(until=sum(steps))  # held in the ninth sleep
    listener.sleep = virtual.sleep
    listener.jitter = VirtualTime.lowest
    simulator.login_script = send(b"#")

    await simulator.close_websockets(receiver.device_id)
    await wait_until(lambda: virtual.now >= virtual.until)

    assert virtual.delays == steps
    assert logins(simulator, receiver) == 1 + 8


async def test_error_frame_starts_reauth_without_reconnecting(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    backoff = Backoff()
    await setup_receiver(hass, simulator, receiver, backoff)
    await simulator.send_frame(receiver.device_id, "E")
    await wait_until(lambda: listener_stopped(receiver))
    await hass.async_block_till_done()
    assert len(reauth_flows(hass, receiver)) == 1
    assert logins(simulator, receiver) == 1
    assert backoff.delays == []
    assert receiver.entry.state is ConfigEntryState.LOADED
    assert state_of(hass, receiver, "sensor", "last_message").state == STATE_UNAVAILABLE


async def test_other_session_raises_issue_until_set_up_again(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    backoff = Backoff()
    await setup_receiver(hass, simulator, receiver, backoff)
    # The same device logs in elsewhere (another program with the same secret).
    elsewhere = PushoverClient(
        async_get_clientsession(hass),
        base_url=simulator.base_url,
        websocket_url=simulator.websocket_url,
    ).push_frames(receiver.device_id, receiver.secret)
    await wait_until(lambda: logins(simulator, receiver) == 1)
    second_login = asyncio.ensure_future(anext(elsewhere))
    await wait_until(lambda: listener_stopped(receiver))
    second_login.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await second_login
    await elsewhere.aclose()
    issue_id = f"{ISSUE_RECEIVER_OTHER_SESSION}_{receiver.entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == ISSUE_RECEIVER_OTHER_SESSION
    assert issue.translation_placeholders == {"name": receiver.entry.title}
    assert logins(simulator, receiver) == 2  # ours, then the other session's
    assert backoff.delays == []
    assert reauth_flows(hass, receiver) == []

    assert await hass.config_entries.async_reload(receiver.entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await wait_until(lambda: logins(simulator, receiver) == 3)


# ---------------------------------------------------------------- frames that are not one byte


async def test_frames_other_than_one_known_byte_are_ignored(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    events = async_capture_events(hass, EVENT_MESSAGE)
    backoff = Backoff()
    await setup_receiver(hass, simulator, receiver, backoff)
    for frame in ("x", "!!", "#!\n", "R" * 1000, ""):
        await simulator.send_frame(receiver.device_id, frame, as_text=True)
    await simulator.send_frame(receiver.device_id, "ER")
    await receiver.send("still listening")
    await wait_processed(simulator, receiver, events, 1)
    assert backoff.delays == []
    assert logins(simulator, receiver) == 1


async def test_oversized_frame_ends_the_session_before_it_is_read(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    """A 4 MB frame froze Home Assistant for 6.4 s: every character was looked at."""
    events = async_capture_events(hass, EVENT_MESSAGE)
    backoff = Backoff()
    await setup_receiver(hass, simulator, receiver, backoff)
    answered = downloads(simulator)
    lag = LoopLag()
    async with lag.measured():
        await simulator.send_frame(receiver.device_id, "!" * 4_000_000, as_text=True)
        await wait_until(lambda: len(backoff.delays) == 1)
    print(f"4 MB frame: the session ended; longest loop stall {lag.longest * 1000:.1f} ms")
    assert backoff.delays == pytest.approx([BACKOFF_INITIAL * JITTER])
    assert downloads(simulator) == answered  # none for the "!" characters of the frame
    backoff.allow()
    await wait_until(lambda: logins(simulator, receiver) == 2)
    await receiver.send("after the big frame")
    await wait_processed(simulator, receiver, events, 1)


# ---------------------------------------------------------------- downloads


async def test_a_flood_of_new_message_frames_is_coalesced(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    """300 "!" frames caused 302 downloads for 2 messages."""
    events = async_capture_events(hass, EVENT_MESSAGE)
    await setup_receiver(hass, simulator, receiver)
    await receiver.send("one")
    await receiver.send("two")
    await wait_processed(simulator, receiver, events, 2)
    before = downloads(simulator)

    for _ in range(300):
        await simulator.send_frame(receiver.device_id, "!")
    await receiver.send("three")  # its "!" comes after the flood on the same socket
    await wait_processed(simulator, receiver, events, 3)

    flood = downloads(simulator) - before
    print(f"300 '!' frames and one message: {flood} downloads")
    assert flood <= 3  # one in flight, one queued, and the one for "three"
    assert [event.data["message"] for event in events] == ["one", "two", "three"]


async def test_unreadable_ids_are_skipped_and_reported_once(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An id_str of "x1" raised ValueError and ended the listener for good."""
    events = async_capture_events(hass, EVENT_MESSAGE)
    backoff = Backoff()
    await setup_receiver(hass, simulator, receiver, backoff)
    never_deleted = 10**30  # the simulator keeps items above the highest deleted id
    queue(simulator, receiver).extend(
        [
            {"id": never_deleted, "id_str": "x1", "message": "bad"},
            {"id": never_deleted, "id_str": "-5", "message": "negative"},
            {"id": never_deleted, "message": "id too large"},
            {"id": never_deleted, "id_str": True, "message": "not text"},
        ]
    )
    await receiver.send("good one")
    await wait_until(lambda: len(events) == 1)
    await receiver.send("good two")
    await wait_until(lambda: len(events) == 2 and len(deletions(simulator)) == 2)

    assert [event.data["message"] for event in events] == ["good one", "good two"]
    assert len(queue(simulator, receiver)) == 4
    assert backoff.delays == []
    skipped = [line for line in warnings(caplog) if "no readable id" in line]
    assert skipped == [
        f"Skipped 4 messages for {receiver.entry.title} that have no readable id; "
        "later ones are received"
    ]


async def test_oversized_download_ends_the_session_and_fires_nothing(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 100 MB download took 380 MB and fired an event carrying it."""
    events = async_capture_events(hass, EVENT_MESSAGE)
    backoff = Backoff()
    await setup_receiver(hass, simulator, receiver, backoff)
    await receiver.send("huge")
    await wait_processed(simulator, receiver, events, 1)
    queue(simulator, receiver).append(
        {"id": 10**18, "id_str": str(10**18), "message": "x" * (MAX_DOWNLOAD_BYTES + 1)}
    )
    await simulator.send_frame(receiver.device_id, "!")
    await wait_until(lambda: len(backoff.delays) == 1)
    assert len(events) == 1
    assert warnings(caplog) == [
        f"Pushover connection of {receiver.entry.title} lost (PushoverServerError); reconnecting"
    ]

    queue(simulator, receiver).clear()
    backoff.allow()
    await wait_until(lambda: logins(simulator, receiver) == 2)
    await receiver.send("x" * 1000 + "é" * 24)
    await wait_processed(simulator, receiver, events, 2)


async def test_an_unexpected_error_is_logged_and_the_listener_goes_on(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = async_capture_events(hass, EVENT_MESSAGE)
    backoff = Backoff()
    await setup_receiver(hass, simulator, receiver, backoff)
    failures = [RuntimeError("boom")]
    attributes = receiver_module.message_attributes

    def fail_once(message: Any) -> dict[str, Any]:
        if failures:
            raise failures.pop()
        return attributes(message)

    monkeypatch.setattr(receiver_module, "message_attributes", fail_once)
    await receiver.send("first")
    await wait_until(lambda: len(backoff.delays) == 1)
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.getMessage() == (
        f"Unexpected error in the Pushover receiver {receiver.entry.title}; reconnecting"
    )
    assert error.exc_info is not None
    assert error.exc_info[0] is RuntimeError
    assert events == []

    backoff.allow()
    await wait_processed(simulator, receiver, events, 1)  # processed after reconnecting
    assert [event.data["message"] for event in events] == ["first"]


# ---------------------------------------------------------------- availability and logs


async def test_entities_unavailable_while_disconnected_logged_once(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=receiver_module.__name__)
    backoff = Backoff()
    await setup_receiver(hass, simulator, receiver, backoff)
    entities = [("sensor", "last_message"), ("event", "message")]
    await hass.async_block_till_done()
    assert [state_of(hass, receiver, *e).state for e in entities] == [STATE_UNKNOWN] * 2

    simulator.login_script = send()  # hang up at once: an outage of three attempts
    await simulator.close_websockets(receiver.device_id)
    await wait_until(lambda: len(backoff.delays) == 1)
    await hass.async_block_till_done()
    assert [state_of(hass, receiver, *e).state for e in entities] == [STATE_UNAVAILABLE] * 2
    backoff.allow(2)
    await wait_until(lambda: len(backoff.delays) == 3)

    simulator.login_script = None
    backoff.allow()
    await wait_until(lambda: logins(simulator, receiver) == 4)
    await hass.async_block_till_done()
    assert [state_of(hass, receiver, *e).state for e in entities] == [STATE_UNKNOWN] * 2
    await later(hass, HEALTHY_SESSION)

    title = receiver.entry.title
    lines = [
        (r.levelname, r.getMessage())
        for r in caplog.records
        if r.name == receiver_module.__name__ and not r.getMessage().startswith("Reconnecting")
    ]
    assert lines == [
        ("WARNING", f"Pushover connection of {title} lost (PushoverConnectionError); reconnecting"),
        ("DEBUG", f"Pushover connection of {title} failed again: PushoverConnectionError"),
        ("DEBUG", f"Pushover connection of {title} failed again: PushoverConnectionError"),
        ("INFO", f"Receiving Pushover messages on {title} again"),
    ]
    assert receiver.device_id not in caplog.text

    # Healthy again: the next drop starts the backoff from the beginning.
    await simulator.close_websockets(receiver.device_id)
    await wait_until(lambda: len(backoff.delays) == 4)
    steps = [1, 2, 4, 1]
    assert backoff.delays == pytest.approx([BACKOFF_INITIAL * JITTER * s for s in steps])


async def test_update_entity_leaves_the_entities_unavailable_while_disconnected(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    """Their coordinator is pushed to: a refresh asks nothing and changes nothing."""
    assert await async_setup_component(hass, "homeassistant", {})
    backoff = Backoff()
    await setup_receiver(hass, simulator, receiver, backoff)
    entities = [("sensor", "last_message"), ("event", "message")]
    simulator.login_script = send()  # hang up at once
    await simulator.close_websockets(receiver.device_id)
    await wait_until(lambda: len(backoff.delays) == 1)
    requests = len(simulator.requests)
    entity_ids = [state_of(hass, receiver, *e).entity_id for e in entities]
    await hass.services.async_call(
        "homeassistant", "update_entity", {"entity_id": entity_ids}, blocking=True
    )
    await hass.async_block_till_done()
    assert [state_of(hass, receiver, *e).state for e in entities] == [STATE_UNAVAILABLE] * 2
    assert len(simulator.requests) == requests


# ---------------------------------------------------------------- drops, silence, backoff


async def test_drop_reconnects_with_backoff_and_catches_up(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    events = async_capture_events(hass, EVENT_MESSAGE)
    backoff = Backoff()
    await setup_receiver(hass, simulator, receiver, backoff)

    # Dropped: wait 5 s (+0-20 %); a message sent meanwhile is fetched once logged in again.
    await simulator.close_websockets(receiver.device_id)
    await wait_until(lambda: len(backoff.delays) == 1)
    await receiver.send("while away")
    assert events == []
    backoff.allow()
    await wait_until(lambda: logins(simulator, receiver) == 2)
    await wait_processed(simulator, receiver, events, 1)
    assert [event.data["message"] for event in events] == ["while away"]

    # A session that did not stay up does not reset the backoff.
    await simulator.send_frame(receiver.device_id, "#")
    await simulator.close_websockets(receiver.device_id)
    backoff.allow()
    await wait_until(lambda: logins(simulator, receiver) == 3)
    # One that stayed up HEALTHY_SESSION seconds resets it.
    await later(hass, HEALTHY_SESSION)
    await simulator.close_websockets(receiver.device_id)
    backoff.allow()
    await wait_until(lambda: logins(simulator, receiver) == 4)

    steps = [1, 2, 1]
    assert backoff.delays == pytest.approx([BACKOFF_INITIAL * JITTER * s for s in steps])
    assert backoff.bounds == [(1, 1 + BACKOFF_JITTER)] * 3
    assert len(events) == 1


async def test_silence_reconnects_with_capped_exponential_backoff(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(receiver_module, "HEARTBEAT_TIMEOUT", 0.05)
    backoff = Backoff()
    backoff.open()
    await setup_receiver(hass, simulator, receiver, backoff)
    await wait_until(lambda: len(backoff.delays) >= 8)
    assert await hass.config_entries.async_unload(receiver.entry.entry_id)

    expected = [min(BACKOFF_MAX, BACKOFF_INITIAL * 2.0**n) * JITTER for n in range(8)]
    assert expected[-2:] == pytest.approx([BACKOFF_MAX * JITTER] * 2)
    assert backoff.delays[:8] == pytest.approx(expected)
    assert logins(simulator, receiver) >= 8
    assert listener_stopped(receiver)


@pytest.mark.usefixtures("no_client_retries")
async def test_failed_download_reconnects_with_backoff(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    events = async_capture_events(hass, EVENT_MESSAGE)
    backoff = Backoff()
    await setup_receiver(hass, simulator, receiver, backoff)

    simulator.inject_fault("500", path="messages.json")  # the download after "!"
    await simulator.send_frame(receiver.device_id, "!")
    await wait_until(lambda: len(backoff.delays) == 1)
    backoff.allow()
    await wait_until(lambda: logins(simulator, receiver) == 2)
    assert events == []

    await receiver.send("after the fault")
    await wait_until(lambda: len(events) == 1)
    assert backoff.delays == pytest.approx([BACKOFF_INITIAL * JITTER])


async def test_secret_revoked_while_running_starts_reauth(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    backoff = Backoff()
    await setup_receiver(hass, simulator, receiver, backoff)
    del simulator.sessions[receiver.secret]
    await simulator.send_frame(receiver.device_id, "!")
    await wait_until(lambda: listener_stopped(receiver))
    await hass.async_block_till_done()
    assert len(reauth_flows(hass, receiver)) == 1
    assert backoff.delays == []


async def test_secret_revoked_while_disconnected_starts_reauth(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    backoff = Backoff()
    backoff.open()
    await setup_receiver(hass, simulator, receiver, backoff)
    del simulator.sessions[receiver.secret]
    await simulator.close_websockets(receiver.device_id)
    await wait_until(lambda: listener_stopped(receiver))
    await hass.async_block_till_done()
    assert len(reauth_flows(hass, receiver)) == 1
    assert backoff.delays == pytest.approx([BACKOFF_INITIAL * JITTER])
    assert logins(simulator, receiver) == 1


async def test_websocket_refused_starts_reauth(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    """A server that answers the login with E (downloads still work) is not retried."""
    backoff = Backoff()
    backoff.open()
    await setup_receiver(hass, simulator, receiver, backoff)
    simulator.login_script = send(b"E")
    await simulator.close_websockets(receiver.device_id)
    await wait_until(lambda: listener_stopped(receiver))
    await hass.async_block_till_done()
    assert len(reauth_flows(hass, receiver)) == 1
    assert backoff.delays == pytest.approx([BACKOFF_INITIAL * JITTER])
    assert logins(simulator, receiver) == 2


# ---------------------------------------------------------------- restarts and setup


async def test_restart_processes_each_message_once(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    events = async_capture_events(hass, EVENT_MESSAGE)
    await setup_receiver(hass, simulator, receiver)
    await receiver.send("one")
    await wait_processed(simulator, receiver, events, 1)

    assert await hass.config_entries.async_unload(receiver.entry.entry_id)
    await hass.async_block_till_done()
    assert listener_stopped(receiver)
    await receiver.send("two")
    await receiver.send("three")
    assert len(queue(simulator, receiver)) == 2

    await setup_receiver(hass, simulator, receiver)
    assert state_of(hass, receiver, "sensor", "last_message").state == "three"
    assert queue(simulator, receiver) == []
    await receiver.send("four")
    await wait_processed(simulator, receiver, events, 2)
    await hass.async_block_till_done()

    assert [event.data["message"] for event in events] == ["one", "four"]
    assert state_of(hass, receiver, "sensor", "last_message").state == "four"
    assert len(deletions(simulator)) == 3


async def test_messages_at_or_below_the_stored_id_are_skipped(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    receiver: Receiver,
    hass_storage: dict[str, Any],
) -> None:
    """Processed before a crash but not deleted: deleted now, not processed again."""
    await receiver.send("one")
    await receiver.send("two")
    highest = queue(simulator, receiver)[-1]["id_str"]
    hass_storage[f"{DOMAIN}.receiver.{receiver.entry.entry_id}"] = {
        "version": 1,
        "key": f"{DOMAIN}.receiver.{receiver.entry.entry_id}",
        "data": {"highest_id": highest},
    }
    listener = await setup_receiver(hass, simulator, receiver)
    assert listener.last_message is None
    assert state_of(hass, receiver, "sensor", "last_message").state == STATE_UNKNOWN
    assert queue(simulator, receiver) == []
    assert deletions(simulator) == [highest]


async def test_rejected_secret_at_setup_starts_reauth(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    del simulator.sessions[receiver.secret]
    assert not await hass.config_entries.async_setup(receiver.entry.entry_id)
    await hass.async_block_till_done()
    assert receiver.entry.state is ConfigEntryState.SETUP_ERROR
    assert receiver.entry.error_reason_translation_key == "authentication_failed"
    assert len(reauth_flows(hass, receiver)) == 1
    assert logins(simulator, receiver) == 0


@pytest.mark.usefixtures("no_client_retries")
async def test_unreachable_at_setup_retries_later(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    await simulator.stop()
    assert not await hass.config_entries.async_setup(receiver.entry.entry_id)
    assert receiver.entry.state is ConfigEntryState.SETUP_RETRY
    assert receiver.entry.error_reason_translation_key == "setup_failed"
    assert receiver.entry.error_reason_translation_placeholders == {
        "error": "PushoverConnectionError"
    }
    assert reauth_flows(hass, receiver) == []
    assert logins(simulator, receiver) == 0


async def test_unload_ends_the_listener_and_closes_the_socket(
    hass: HomeAssistant, simulator: PushoverSimulator, receiver: Receiver
) -> None:
    await setup_receiver(hass, simulator, receiver)
    assert not listener_stopped(receiver)
    assert await hass.config_entries.async_unload(receiver.entry.entry_id)
    await hass.async_block_till_done()
    assert receiver.entry.state is ConfigEntryState.NOT_LOADED
    assert listener_stopped(receiver)
    await wait_until(lambda: not simulator._sockets.get(receiver.device_id))


# ---------------------------------------------------------------- error classification


def test_secret_rejection_is_recognised_from_any_4xx_about_the_secret() -> None:
    assert secret_rejected(
        PushoverRequestError("secret is invalid", status=400, errors=["secret is invalid"])
    )
    assert secret_rejected(
        PushoverRequestError("no", status=403, errors=[], parameters={"secret": "invalid"})
    )
    assert not secret_rejected(
        PushoverRequestError("device", status=400, errors=["device_id is invalid"])
    )
    assert not secret_rejected(PushoverServerError("secret", status=500))
    assert not secret_rejected(PushoverConnectionError("down"))


def test_errors_are_described_without_urls() -> None:
    assert describe(PushoverRequestError("x", status=400, errors=["a", "b"])) == "a; b"
    assert describe(PushoverRequestError("x", status=400)) == "PushoverRequestError"
    assert (
        describe(PushoverConnectionError("http://host/1/messages.json?secret=s"))
        == "PushoverConnectionError"
    )
