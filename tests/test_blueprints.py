"""The automation blueprints: valid for Home Assistant's blueprint loader, and run for real.

Each blueprint is loaded with Home Assistant's own ``Blueprint`` model, then instantiated with
``use_blueprint`` in a temporary configuration directory and driven end to end: against the
Pushover simulator for sending and receipts, and through the bus for received messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
import logging
from pathlib import Path
import shutil
from typing import Any

from homeassistant.components.blueprint import BLUEPRINT_SCHEMA, Blueprint
from homeassistant.components.blueprint.errors import InvalidBlueprint
from homeassistant.components.persistent_notification import (
    Notification,
    UpdateType,
    async_register_callback,
)
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, yaml as yaml_util
from homeassistant.util.async_ import get_scheduled_timer_handles
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.pushover_plus.connection import request_slots
from custom_components.pushover_plus.const import (
    CONF_API_TOKEN,
    CONF_DEVICE_ID,
    CONF_DUPLICATE_WINDOW,
    CONF_HOLD_WHEN_OFFLINE,
    DOMAIN,
    EVENT_MESSAGE,
    EVENT_RECEIPT,
)
from custom_components.pushover_plus.pushover import Message, PushoverClient
from pushover_simulator import PushoverSimulator
from pushover_simulator.state import Delivery

from .conftest import JPEG, Account, add_partner, add_receiver_entry, wait_until

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = ROOT / "blueprints" / "automation" / DOMAIN
SOURCE_URL = "https://github.com/pushover-plus/pushover-plus/blob/main/blueprints/automation/"
ESCALATION = "emergency_escalation.yaml"
CAMERA = "camera_snapshot_on_motion.yaml"
FORWARD = "forward_received_messages.yaml"

#: Inputs that pick notify entities; they must offer this integration's entities only.
NOTIFY_INPUTS = {
    ESCALATION: {"first_notify", "escalation_notify"},
    CAMERA: {"notify_entities"},
    FORWARD: set(),
}


def blueprint_files() -> list[Path]:
    return sorted(BLUEPRINTS.glob("*.yaml"))


def load(path: Path) -> Blueprint:
    """Load a blueprint the way Home Assistant's automation blueprints are loaded."""
    data = yaml_util.load_yaml_dict(path)
    return Blueprint(data, path=str(path), expected_domain="automation", schema=BLUEPRINT_SCHEMA)


@pytest.fixture(autouse=True)
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test when anything, such as an automation run, logged an error."""
    yield
    errors = [r.getMessage() for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A configuration directory of this test only, where the blueprints are copied."""
    return hass_tmp_config_dir


def install(config_dir: str, name: str) -> None:
    """Copy a blueprint where use_blueprint finds it: <config>/blueprints/automation/."""
    target = Path(config_dir, "blueprints", "automation", DOMAIN)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(BLUEPRINTS / name, target / name)


async def use_blueprint(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> str:
    """Set up an automation from a blueprint; return its entity id."""
    await hass.async_add_executor_job(install, hass.config.config_dir, name)
    config = {
        "id": name.removesuffix(".yaml"),
        "alias": name.removesuffix(".yaml"),
        "use_blueprint": {"path": f"{DOMAIN}/{name}", "input": inputs},
    }
    assert await async_setup_component(hass, "automation", {"automation": [config]})
    await hass.async_block_till_done()
    entity_id = f"automation.{config['alias']}"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_ON, f"{name} did not validate: {state.attributes}"
    return entity_id


def capture_notifications(hass: HomeAssistant) -> list[Notification]:
    """Record every persistent notification created from now on."""
    created: list[Notification] = []

    def updated(update_type: UpdateType, notifications: dict[str, Notification]) -> None:
        if update_type is UpdateType.ADDED:
            created.extend(notifications.values())

    async_register_callback(hass, updated)
    return created


# ---------------------------------------------------------------- loading


def test_every_blueprint_is_tested() -> None:
    assert [path.name for path in blueprint_files()] == sorted(NOTIFY_INPUTS)


@pytest.mark.parametrize("path", blueprint_files(), ids=lambda path: path.name)
def test_blueprint_loads_with_home_assistant(path: Path) -> None:
    blueprint = load(path)
    assert blueprint.domain == "automation"
    assert blueprint.name.startswith("Pushover Plus ")
    assert blueprint.metadata["description"].strip()
    assert blueprint.metadata["source_url"] == f"{SOURCE_URL}{DOMAIN}/{path.name}"
    assert blueprint.metadata["homeassistant"]["min_version"] == "2026.3.0"
    # every input is used, and every use is declared (Blueprint checks the latter)
    used = yaml_util.extract_inputs(blueprint.data)
    assert used == set(blueprint.inputs), f"unused inputs {set(blueprint.inputs) - used}"
    for name, spec in blueprint.inputs.items():
        assert spec.get("name"), f"{name} has no name"
        assert "selector" in spec, f"{name} has no selector"


@pytest.mark.parametrize("path", blueprint_files(), ids=lambda path: path.name)
def test_pushover_inputs_offer_this_integration_only(path: Path) -> None:
    blueprint = load(path)
    notify_inputs: set[str] = set()
    for name, spec in blueprint.inputs.items():
        selector = spec["selector"]
        if "config_entry" in selector:
            assert selector["config_entry"] == {"integration": DOMAIN}, name
        filters = (selector.get("entity") or {}).get("filter", [])
        if any("notify" in f.get("domain", []) for f in filters):
            assert filters == [{"integration": DOMAIN, "domain": ["notify"]}], name
            notify_inputs.add(name)
    assert notify_inputs == NOTIFY_INPUTS[path.name]


def test_a_missing_input_definition_is_refused(tmp_path: Path) -> None:
    """The loader used above does catch a blueprint that uses an undeclared input."""
    text = (BLUEPRINTS / FORWARD).read_text(encoding="utf-8")
    broken = tmp_path / FORWARD
    broken.write_text(text.replace("apps: !input apps", "apps: !input applications"))
    with pytest.raises(InvalidBlueprint, match="Missing input definition for applications"):
        load(broken)


# ---------------------------------------------------------------- forward received messages


def message_event(**data: Any) -> dict[str, Any]:
    return {
        "title": None,
        "message": "Backup finished",
        "app": "Backups",
        "priority": 0,
        "url": None,
        "url_title": None,
        "date": "2026-05-01T10:00:00+00:00",
        "receipt": None,
        "id": "4001",
        "config_entry_id": "receiver1",
        **data,
    }


async def test_forward_received_messages(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "persistent_notification", {})
    created = capture_notifications(hass)
    await use_blueprint(hass, FORWARD, {})

    hass.bus.async_fire(EVENT_MESSAGE, message_event())
    hass.bus.async_fire(
        EVENT_MESSAGE,
        message_event(
            id="4002",
            title="Front door",
            message="Opened",
            url="https://example.com/door",
            url_title="Camera",
        ),
    )
    await hass.async_block_till_done()

    assert [(n["notification_id"], n["title"], n["message"]) for n in created] == [
        ("pushover_plus_4001", "Backups", "Backup finished"),
        ("pushover_plus_4002", "Front door", "Opened\n\n[Camera](https://example.com/door)"),
    ]


async def test_forward_filters_by_app_and_receiver(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "persistent_notification", {})
    created = capture_notifications(hass)
    await use_blueprint(hass, FORWARD, {"apps": ["Alarm", "Doorbell"], "receiver": "receiver1"})

    hass.bus.async_fire(EVENT_MESSAGE, message_event(id="1", app="Backups"))
    hass.bus.async_fire(EVENT_MESSAGE, message_event(id="2", app="Alarm", message="Smoke"))
    hass.bus.async_fire(
        EVENT_MESSAGE, message_event(id="3", app="Doorbell", config_entry_id="receiver2")
    )
    hass.bus.async_fire(EVENT_MESSAGE, message_event(id="4", app=None, title=None))
    await hass.async_block_till_done()

    assert [(n["notification_id"], n["title"], n["message"]) for n in created] == [
        ("pushover_plus_2", "Alarm", "Smoke")
    ]


async def test_forward_titles_messages_without_title_or_app(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "persistent_notification", {})
    created = capture_notifications(hass)
    await use_blueprint(hass, FORWARD, {})
    hass.bus.async_fire(EVENT_MESSAGE, message_event(app=None, url="https://example.com/x"))
    await hass.async_block_till_done()
    assert [(n["title"], n["message"]) for n in created] == [
        ("Pushover", "Backup finished\n\n[https://example.com/x](https://example.com/x)")
    ]


async def test_forward_messages_received_from_pushover(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """End to end: apps send to the user, the receiver entry's device gets them over its
    websocket, and the blueprint forwards those of the chosen app."""
    entry, user = await add_receiver_entry(hass, simulator)
    device_id = entry.data[CONF_DEVICE_ID]
    session = async_get_clientsession(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_until(lambda: device_id in simulator.websocket_logins)

    assert await async_setup_component(hass, "persistent_notification", {})
    created = capture_notifications(hass)
    received = async_capture_events(hass, EVENT_MESSAGE)
    await use_blueprint(hass, FORWARD, {"apps": ["Doorbell"], "receiver": entry.entry_id})
    doorbell = PushoverClient(session, simulator.add_app("Doorbell"), base_url=simulator.base_url)
    backups = PushoverClient(session, simulator.add_app("Backups"), base_url=simulator.base_url)
    await backups.send_message(user, Message(message="Backup finished"))
    await doorbell.send_message(
        user, Message(message="Ding dong", url="https://example.com/cam", url_title="Camera")
    )
    await wait_until(lambda: len(received) == 2)
    await hass.async_block_till_done()

    ding = next(event.data for event in received if event.data["app"] == "Doorbell")
    assert [(n["notification_id"], n["title"], n["message"]) for n in created] == [
        (
            f"pushover_plus_{ding['id']}",
            "Doorbell",
            "Ding dong\n\n[Camera](https://example.com/cam)",
        )
    ]


# ---------------------------------------------------------------- running automations
#
# An automation run that waits (wait_for_trigger, or the cooldown's delay) is a task that
# hass.async_block_till_done() waits for, so the tests below wait for what they expect
# instead, and let time pass with async_fire_time_changed (the real clock is not frozen: the
# simulator and Home Assistant run on loopback in real time).


async def all_done(hass: HomeAssistant) -> None:
    """Wait (up to 10 s) until every task, automation runs included, has finished."""
    async with asyncio.timeout(10):
        await hass.async_block_till_done()


async def still_running(hass: HomeAssistant) -> bool:
    """Whether some task (a waiting automation run) is still pending after half a second."""
    try:
        async with asyncio.timeout(0.5):
            await hass.async_block_till_done()
    except TimeoutError:
        return True
    return False


class Clock:
    """Moves Home Assistant's timers forward; the offset adds up over a test."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        """Fire every timer due within the next ``seconds`` (counted from earlier moves)."""
        self.offset += seconds
        async_fire_time_changed(self.hass, dt_util.utcnow() + timedelta(seconds=self.offset))


def timer_due_in(hass: HomeAssistant, seconds: float) -> bool:
    """Whether a timer (a delay of a running automation) is due within ``seconds`` but later
    than 80 % of it: a delay started up to a few seconds ago, not a long-period poll."""
    now = hass.loop.time()
    return any(
        0.8 * seconds < handle.when() - now <= seconds
        for handle in get_scheduled_timer_handles(hass.loop)
        if not handle.cancelled()
    )


def trip(hass: HomeAssistant, entity_id: str, name: str) -> None:
    """Turn a binary sensor off, then on."""
    hass.states.async_set(entity_id, STATE_OFF, {"friendly_name": name})
    hass.states.async_set(entity_id, STATE_ON, {"friendly_name": name})


def running(hass: HomeAssistant, automation: str) -> int:
    """How many runs of the automation are in progress."""
    state = hass.states.get(automation)
    assert state is not None
    count = state.attributes["current"]
    assert isinstance(count, int)
    return count


def receipt_waiters(hass: HomeAssistant) -> int:
    """Listeners of pushover_plus_receipt (a waiting escalation adds one)."""
    return hass.bus.async_listeners().get(EVENT_RECEIPT, 0)


# ---------------------------------------------------------------- emergency escalation


async def set_up_with_partner(
    hass: HomeAssistant, entry: MockConfigEntry, account: Account
) -> MockConfigEntry:
    """Add a recipient "Partner" (notify.partner, the other user) and set the entry up."""
    add_partner(hass, entry, account.other_user)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def sender_with_partner(
    hass: HomeAssistant, sender_entry: MockConfigEntry, account: Account
) -> MockConfigEntry:
    """The sender entry (holding off) with notify.home and notify.partner, set up."""
    return await set_up_with_partner(hass, sender_entry, account)


@pytest.fixture
async def holding_sender_with_partner(
    hass: HomeAssistant, instant_retries: None, sender_entry: MockConfigEntry, account: Account
) -> MockConfigEntry:
    """The same, holding messages while Pushover is unreachable; its client never sleeps."""
    hass.config_entries.async_update_entry(
        sender_entry, options={**sender_entry.options, CONF_HOLD_WHEN_OFFLINE: True}
    )
    return await set_up_with_partner(hass, sender_entry, account)


@pytest.fixture
async def camera_sender(
    hass: HomeAssistant, sender_entry: MockConfigEntry, account: Account
) -> MockConfigEntry:
    """The sender with a partner, without duplicate suppression.

    The snapshots repeat the same text; Clock moves Home Assistant's timers, not the quota
    guard's clock, so its window (test_guard.py) would never pass here.
    """
    hass.config_entries.async_update_entry(
        sender_entry, options={**sender_entry.options, CONF_DUPLICATE_WINDOW: 0}
    )
    return await set_up_with_partner(hass, sender_entry, account)


def escalation_inputs(**extra: Any) -> dict[str, Any]:
    return {
        "trigger_entity": "binary_sensor.smoke",
        "first_notify": "notify.home",
        "escalation_notify": ["notify.partner"],
        "message": "{{ trigger.to_state.name }} went {{ trigger.to_state.state }}",
        "retry": 30,
        "expire": 3600,
        "tag": "smoke",
        "timeout": 2,
        **extra,
    }


async def start_alert(hass: HomeAssistant, simulator: PushoverSimulator) -> Delivery:
    """Trip the smoke sensor; return the first alert once the automation waits for it."""
    waiters = receipt_waiters(hass)
    trip(hass, "binary_sensor.smoke", "Smoke")
    await wait_until(lambda: receipt_waiters(hass) > waiters)
    assert len(simulator.deliveries) == 1
    return simulator.deliveries[0]


async def test_escalation_stops_when_the_first_recipient_acknowledges(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_with_partner: MockConfigEntry,
) -> None:
    clock = Clock(hass)
    receipts = async_capture_events(hass, EVENT_RECEIPT)
    automation = await use_blueprint(hass, ESCALATION, escalation_inputs())

    first = await start_alert(hass, simulator)
    assert first.user == account.user
    assert first.params["priority"] == "2"
    assert first.params["retry"] == "30"
    assert first.params["expire"] == "3600"
    assert first.params["tags"] == "smoke"
    assert first.params["title"] == "Emergency"
    assert first.params["message"] == "Smoke went on"
    assert first.receipt is not None
    assert running(hass, automation) == 1

    # acknowledged on the phone; the integration learns it at its next poll (30 s)
    await simulator.acknowledge(first.receipt, user=account.user, device="phone")
    clock.advance(31)
    await all_done(hass)
    assert [(e.data["receipt"], e.data["state"]) for e in receipts] == [
        (first.receipt, "acknowledged")
    ]
    assert running(hass, automation) == 0

    # the timeout passes without an escalation or a cancel
    clock.advance(5 * 60)
    await all_done(hass)
    assert [d.user for d in simulator.deliveries] == [account.user]
    assert not simulator.receipts[first.receipt].canceled
    assert not [r for r in simulator.requests if "cancel" in r.path]


async def test_escalation_when_nobody_acknowledges(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_with_partner: MockConfigEntry,
) -> None:
    clock = Clock(hass)
    receipts = async_capture_events(hass, EVENT_RECEIPT)
    automation = await use_blueprint(hass, ESCALATION, escalation_inputs())
    first = await start_alert(hass, simulator)

    # still waiting just before the timeout (2 minutes), though the alert was polled
    polls = f"/1/receipts/{first.receipt}.json"
    clock.advance(119)
    await wait_until(lambda: any(r.path == polls for r in simulator.requests))
    assert await still_running(hass)
    assert len(simulator.deliveries) == 1
    assert running(hass, automation) == 1

    clock.advance(2)
    await all_done(hass)
    assert [d.user for d in simulator.deliveries] == [account.user, account.other_user]
    escalated = simulator.deliveries[1]
    assert escalated.params["priority"] == "2"
    assert escalated.params["message"] == "Smoke went on"
    assert escalated.params["tags"] == "smoke"
    assert escalated.receipt is not None
    assert escalated.receipt != first.receipt
    # the first alert was canceled through the entry of notify.home (no entry was chosen)
    assert simulator.receipts[first.receipt].canceled
    assert not simulator.receipts[escalated.receipt].canceled
    assert [(e.data["receipt"], e.data["state"]) for e in receipts] == [(first.receipt, "canceled")]
    assert running(hass, automation) == 0


async def test_escalation_keeps_the_first_alert_when_asked(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_with_partner: MockConfigEntry,
) -> None:
    clock = Clock(hass)
    await use_blueprint(hass, ESCALATION, escalation_inputs(cancel_first_alert=False, timeout=1))
    await start_alert(hass, simulator)
    clock.advance(61)
    await all_done(hass)
    assert [d.user for d in simulator.deliveries] == [account.user, account.other_user]
    assert not any(state.canceled for state in simulator.receipts.values())
    assert not [r for r in simulator.requests if "cancel" in r.path]


async def test_escalation_cancels_with_the_chosen_entry(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    sender_with_partner: MockConfigEntry,
) -> None:
    clock = Clock(hass)
    await use_blueprint(
        hass, ESCALATION, escalation_inputs(config_entry=sender_with_partner.entry_id, timeout=1)
    )
    first = await start_alert(hass, simulator)
    clock.advance(61)
    await all_done(hass)
    assert simulator.receipts[first.receipt].canceled
    cancels = [r.path for r in simulator.requests if "cancel" in r.path]
    assert cancels == [f"/1/receipts/{first.receipt}/cancel.json"]


async def test_escalation_of_a_held_alert_cancels_nothing(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    holding_sender_with_partner: MockConfigEntry,
) -> None:
    """Pushover is down: the first alert is held, so it has no receipt to wait for or cancel."""
    clock = Clock(hass)
    simulator.inject_fault("503", path="messages")  # the send (the outbox retries)
    await use_blueprint(hass, ESCALATION, escalation_inputs(timeout=1))
    waiters = receipt_waiters(hass)
    trip(hass, "binary_sensor.smoke", "Smoke")
    await wait_until(lambda: receipt_waiters(hass) > waiters)
    assert simulator.deliveries == []

    # Moving the clock fires every due timer, the timeout of a request on its way too: it
    # moves only while Home Assistant has no request in flight.
    slots = request_slots(hass, simulator.base_url)
    await wait_until(lambda: slots.in_use == 0)
    clock.advance(31)  # Pushover is back: the held alert goes out
    await wait_until(lambda: len(simulator.deliveries) == 1)
    await wait_until(lambda: slots.in_use == 0)
    clock.advance(30)
    await all_done(hass)
    assert [d.user for d in simulator.deliveries] == [account.user, account.other_user]
    assert not [r for r in simulator.requests if "cancel" in r.path]


# ---------------------------------------------------------------- camera snapshot on motion


MOTION = "binary_sensor.porch_motion"


async def test_camera_snapshot_on_motion_with_cooldown(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    camera_sender: MockConfigEntry,
    porch_camera: str,
) -> None:
    clock = Clock(hass)
    automation = await use_blueprint(
        hass,
        CAMERA,
        {
            "motion_sensor": MOTION,
            "camera": porch_camera,
            "notify_entities": ["notify.home", "notify.partner"],
            "priority": "high",
            "cooldown": 7,  # minutes: no other timer of this setup is due then
        },
    )

    assert not timer_due_in(hass, 7 * 60)
    trip(hass, MOTION, "Porch motion")
    await wait_until(lambda: len(simulator.deliveries) == 2)
    # the two notify entities send concurrently, in either order
    assert {d.user for d in simulator.deliveries} == {account.user, account.other_user}
    for delivery in simulator.deliveries:
        assert delivery.attachment == JPEG
        assert delivery.attachment_type == "image/jpeg"
        assert delivery.params["title"] == "Motion"
        assert delivery.params["priority"] == "1"
        assert "sound" not in delivery.params  # empty: the recipient's default
        assert delivery.params["message"].startswith("Porch motion detected motion at ")

    # more motion during the cooldown sends nothing (once both sends returned, it waits)
    await wait_until(lambda: timer_due_in(hass, 7 * 60))
    clock.advance(60)
    trip(hass, MOTION, "Porch motion")
    assert await still_running(hass)
    assert running(hass, automation) == 1
    assert len(simulator.deliveries) == 2

    # after the cooldown, motion sends again
    clock.advance(7 * 60)
    await all_done(hass)
    trip(hass, MOTION, "Porch motion")
    await wait_until(lambda: len(simulator.deliveries) == 4)


async def test_camera_snapshot_without_cooldown_sends_every_time(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    camera_sender: MockConfigEntry,
    porch_camera: str,
) -> None:
    simulator.add_sound(camera_sender.data[CONF_API_TOKEN], "porch", "Porch bell")
    await use_blueprint(
        hass,
        CAMERA,
        {
            "motion_sensor": MOTION,
            "camera": porch_camera,
            "notify_entities": ["notify.home"],
            "message": "Someone is at the door",
            "sound": "porch",
            "cooldown": 0,
        },
    )
    for _ in range(3):
        trip(hass, MOTION, "Porch motion")
        await all_done(hass)
    assert [d.params["message"] for d in simulator.deliveries] == ["Someone is at the door"] * 3
    assert {d.params["priority"] for d in simulator.deliveries} == {"0"}
    assert {d.params["sound"] for d in simulator.deliveries} == {"porch"}
