"""Quota guard: duplicates suppressed, a rate ceiling per recipient, an emergency reserve."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.pushover_plus.const import (
    CONF_DUPLICATE_WINDOW,
    CONF_HOLD_WHEN_OFFLINE,
    CONF_LEGACY_NOTIFY,
    CONF_MAX_HELD_AGE,
    CONF_QUOTA_RESERVE,
    CONF_RATE_LIMIT,
    CONF_RECEIPT_POLL_INTERVAL,
    CONF_USE_WEBHOOK,
    DOMAIN,
    EVENT_GUARD,
)
from pushover_simulator import PushoverSimulator

from .conftest import Account, ask, send

GUARD_SENSOR = "sensor.home_messages_stopped_by_the_quota_guard"


def sent(simulator: PushoverSimulator) -> list[dict[str, str]]:
    """Return the parameters of every messages.json request the simulator answered 200."""
    return [
        request.params
        for request in simulator.requests
        if request.path == "/1/messages.json" and request.status == 200
    ]


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    await hass.async_block_till_done()


async def test_a_loop_of_identical_messages_reaches_pushover_once(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    events = async_capture_events(hass, EVENT_GUARD)
    statuses = []
    for _ in range(1000):  # 1,000 sends in 50 seconds
        statuses.append((await send(hass, "Washer done", title="Laundry"))["status"])
        await tick(hass, freezer, 0.05)
    assert len(sent(simulator)) == 1
    assert statuses[0] == "sent"
    assert set(statuses[1:]) == {"suppressed"}
    state = hass.states.get(GUARD_SENSOR)
    assert state.state == "999"
    assert state.attributes["suppressed"] == 999
    assert state.attributes["rate_limited"] == 0
    # One event for the episode, with what a user needs to build an alert on it.
    assert [event.data for event in events] == [
        {
            "config_entry_id": loaded_sender.entry_id,
            "reason": "duplicate",
            "recipient": "Home",
            "title": "Laundry",
            "message": "Washer done",
            "priority": 0,
        }
    ]
    # Another title, another device, a higher priority (an escalation): not the same message.
    assert (await send(hass, "Washer done", title="Kitchen"))["status"] == "sent"
    assert (await send(hass, "Washer done", title="Laundry", devices="phone"))["status"] == "sent"
    assert (await send(hass, "Washer done", title="Laundry", priority=1))["status"] == "sent"
    # The window runs from when the message was let through: after 60 s it goes out again.
    await tick(hass, freezer, 10)
    assert (await send(hass, "Washer done", title="Laundry"))["status"] == "sent"
    assert (await send(hass, "Washer done", title="Laundry"))["status"] == "suppressed"
    assert len(sent(simulator)) == 5
    assert len(events) == 2  # a new episode


async def test_the_rate_ceiling_stops_normal_messages_but_never_urgent_ones(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    events = async_capture_events(hass, EVENT_GUARD)
    refused: list[HomeAssistantError] = []
    for number in range(200):  # 200 distinct sends in 50 seconds, one recipient
        try:
            await send(hass, f"Reading {number}")
        except HomeAssistantError as refusal:
            refused.append(refusal)
        await tick(hass, freezer, 0.25)
    assert len(sent(simulator)) == 30
    assert len(refused) == 170
    assert {refusal.translation_key for refusal in refused} == {"rate_limited"}
    assert refused[0].translation_placeholders == {"recipient": "Home", "limit": "30"}
    # High and emergency messages still go out; lower ones stay refused.
    assert (await send(hass, "Smoke in the kitchen", priority=2, retry=30, expire=300))["receipt"]
    assert (await send(hass, "Door open", priority=1))["status"] == "sent"
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, "Lowest", priority=-2)
    assert err.value.translation_key == "rate_limited"
    assert [message["message"] for message in sent(simulator)[-2:]] == [
        "Smoke in the kitchen",
        "Door open",
    ]
    state = hass.states.get(GUARD_SENSOR)
    assert state.state == "171"
    assert state.attributes["rate_limited"] == 171
    assert [event.data["reason"] for event in events] == ["rate_limit"]
    # A minute after the first ones, normal messages go out again.
    await tick(hass, freezer, 15)
    assert (await send(hass, "Reading again"))["status"] == "sent"


async def test_the_reserve_keeps_the_last_messages_for_urgent_ones(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    issue_id = f"quota_reserve_{loaded_sender.entry_id}"
    events = async_capture_events(hass, EVENT_GUARD)
    simulator.set_quota(account.token, limit=10_000, remaining=201)  # reserve: 2 % = 200
    assert (await send(hass, "Still fine"))["status"] == "sent"  # 201 before, 200 after
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert (await send(hass, "Now under"))["status"] == "sent"  # 199 left
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "quota_reserve"
    assert issue.translation_placeholders["reserve"] == "200"
    assert issue.translation_placeholders["percent"] == "2"
    for priority in (0, -1, -2):
        with pytest.raises(HomeAssistantError) as err:
            await send(hass, f"Normal {priority}", priority=priority)
        assert err.value.translation_key == "quota_reserve"
        assert err.value.translation_placeholders == {"remaining": "199", "reserve": "200"}
    assert (await send(hass, "High", priority=1))["status"] == "sent"
    assert (await send(hass, "Emergency", priority=2, retry=30, expire=300))["receipt"]
    assert [message["message"] for message in sent(simulator)] == [
        "Still fine",
        "Now under",
        "High",
        "Emergency",
    ]
    assert hass.states.get(GUARD_SENSOR).attributes["reserve"] == 3
    assert [event.data["reason"] for event in events] == ["reserve"]
    # A new month: the reserve lets everything through again and its issue goes.
    simulator.set_quota(account.token, remaining=10_000)
    await ask(hass, loaded_sender, "get_limits")
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert (await send(hass, "Normal again"))["status"] == "sent"


async def test_a_message_that_failed_is_not_a_duplicate(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    simulator.inject_fault("400", path="messages")
    with pytest.raises(HomeAssistantError):
        await send(hass, "Garage open")
    assert (await send(hass, "Garage open"))["status"] == "sent"
    assert hass.states.get(GUARD_SENSOR).state == "0"


async def test_options_change_the_limits(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    result = await hass.config_entries.options.async_init(loaded_sender.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    defaults = schema({})
    assert defaults[CONF_DUPLICATE_WINDOW] == 60
    assert defaults[CONF_RATE_LIMIT] == 30
    assert defaults[CONF_QUOTA_RESERVE] == 2
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_HOLD_WHEN_OFFLINE: False,
            CONF_USE_WEBHOOK: False,
            CONF_RECEIPT_POLL_INTERVAL: 30,
            CONF_MAX_HELD_AGE: 24,
            CONF_LEGACY_NOTIFY: False,
            CONF_DUPLICATE_WINDOW: 5,
            CONF_RATE_LIMIT: 3,
            CONF_QUOTA_RESERVE: 50,
        },
    )
    assert loaded_sender.options[CONF_DUPLICATE_WINDOW] == 5
    await hass.async_block_till_done()  # the entry reloads with the new limits
    assert (await send(hass, "Same"))["status"] == "sent"
    await tick(hass, freezer, 5)
    assert (await send(hass, "Same"))["status"] == "sent"  # a 5 s window
    assert (await send(hass, "Other"))["status"] == "sent"
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, "Fourth")
    assert err.value.translation_placeholders["limit"] == "3"
    simulator.set_quota(account.token, limit=100, remaining=60)
    await ask(hass, loaded_sender, "get_limits")
    await tick(hass, freezer, 60)
    assert (await send(hass, "Above half"))["status"] == "sent"
    simulator.set_quota(account.token, remaining=49)
    await ask(hass, loaded_sender, "get_limits")
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, "Under half")
    assert err.value.translation_placeholders == {"remaining": "49", "reserve": "50"}

    # 0 turns each rule off.
    result = await hass.config_entries.options.async_init(loaded_sender.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            **loaded_sender.options,
            CONF_DUPLICATE_WINDOW: 0,
            CONF_RATE_LIMIT: 0,
            CONF_QUOTA_RESERVE: 0,
        },
    )
    await hass.async_block_till_done()
    before = len(sent(simulator))
    for _ in range(40):
        assert (await send(hass, "Same"))["status"] == "sent"
    assert len(sent(simulator)) == before + 40
