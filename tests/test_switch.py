"""Delivery-group member switches: state, toggling, and groups changing between refreshes."""

from __future__ import annotations

from datetime import timedelta
from hashlib import sha256

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.pushover_plus.const import DOMAIN
from custom_components.pushover_plus.data import sender_data
from pushover_simulator import PushoverSimulator
from pushover_simulator.state import Member

from .conftest import Account

ALICE = "switch.family_alice"
PIXEL = "switch.family_member_2"


@pytest.fixture
def family(simulator: PushoverSimulator, account: Account) -> str:
    """A group of the sender's account: the user with a memo, the other user's pixel."""
    return simulator.add_group(
        "Family",
        owner_token=account.token,
        members=[(account.user, None, "Alice"), (account.other_user, "pixel", "")],
    )


def find_group_device(
    hass: HomeAssistant, entry: MockConfigEntry, group_key: str
) -> dr.DeviceEntry | None:
    digest = sha256(group_key.encode()).hexdigest()[:16]
    identifier = (DOMAIN, f"{entry.entry_id}_group_{digest}")
    registry = dr.async_get(hass)
    return next(
        (
            device
            for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
            if identifier in device.identifiers
        ),
        None,
    )


def group_device(hass: HomeAssistant, entry: MockConfigEntry, group_key: str) -> dr.DeviceEntry:
    device = find_group_device(hass, entry, group_key)
    assert device is not None
    return device


def group_paths(simulator: PushoverSimulator) -> list[str]:
    return [r.path for r in simulator.requests if r.path.startswith("/1/groups")]


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, hours: float) -> None:
    freezer.tick(timedelta(hours=hours))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def toggle(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call("switch", service, {"entity_id": entity_id}, blocking=True)


@pytest.mark.usefixtures("family")
async def test_one_switch_per_member_on_a_group_device(
    hass: HomeAssistant, account: Account, family: str, loaded_sender: MockConfigEntry
) -> None:
    alice = hass.states.get(ALICE)
    pixel = hass.states.get(PIXEL)
    assert alice.state == STATE_ON
    assert alice.attributes["friendly_name"] == "Family Alice"  # the memo names the switch
    assert pixel.state == STATE_ON
    assert pixel.attributes["friendly_name"] == "Family Member 2"
    device = group_device(hass, loaded_sender, family)
    assert device.name == "Family"
    assert device.model == "Delivery group"
    registry = er.async_get(hass)
    entries = [registry.async_get(entity_id) for entity_id in (ALICE, PIXEL)]
    assert all(entry is not None and entry.device_id == device.id for entry in entries)
    # no key anywhere: unique ids, identifiers, attributes
    for key in (family, account.user, account.other_user, account.token):
        for entry in entries:
            assert entry is not None
            assert key not in entry.unique_id
        assert all(key not in value for _, value in device.identifiers)
        assert key not in str(alice.attributes) + str(pixel.attributes)


async def test_turning_a_member_off_and_on(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PushoverSimulator,
    account: Account,
    family: str,
    loaded_sender: MockConfigEntry,
) -> None:
    await toggle(hass, "turn_off", PIXEL)
    request = simulator.requests[-3]  # then the refresh: groups.json and groups/{key}.json
    assert request.path == f"/1/groups/{family}/disable_user.json"
    assert request.params == {"token": account.token, "user": account.other_user, "device": "pixel"}
    assert simulator.groups[family].members[1].disabled
    assert hass.states.get(PIXEL).state == STATE_OFF
    assert hass.states.get(ALICE).state == STATE_ON

    await toggle(hass, "turn_off", ALICE)
    disable = [r for r in simulator.requests if r.path.endswith("/disable_user.json")][-1]
    assert disable.params == {"token": account.token, "user": account.user}  # no device
    assert simulator.groups[family].members[0].disabled
    # a second toggle within the refresh cooldown shows once the cooldown ends
    freezer.tick(timedelta(seconds=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(ALICE).state == STATE_OFF

    await toggle(hass, "turn_on", PIXEL)
    enable = [r for r in simulator.requests if r.path.endswith("/enable_user.json")][-1]
    assert enable.params == {"token": account.token, "user": account.other_user, "device": "pixel"}
    assert not simulator.groups[family].members[1].disabled
    freezer.tick(timedelta(seconds=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(PIXEL).state == STATE_ON


async def test_a_refused_toggle_carries_pushovers_text(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    family: str,
    loaded_sender: MockConfigEntry,
) -> None:
    simulator.groups[family].members.pop(1)  # gone on Pushover, not yet refreshed
    with pytest.raises(HomeAssistantError) as err:
        await toggle(hass, "turn_off", PIXEL)
    assert err.value.translation_key == "request_refused"
    assert err.value.translation_placeholders == {"error": "user is not a member of this group"}


async def test_members_and_groups_follow_pushover_between_refreshes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PushoverSimulator,
    account: Account,
    family: str,
    loaded_sender: MockConfigEntry,
) -> None:
    registry = er.async_get(hass)
    third = simulator.add_user(devices=("ipad",))
    simulator.groups[family].members.append(Member(third, "ipad", "Grandma", disabled=True))
    simulator.groups[family].members.pop(0)  # Alice leaves
    simulator.groups[family].name = "Household"
    work = simulator.add_group(
        "Work", owner_token=account.token, members=[(account.user, None, "")]
    )
    await advance(hass, freezer, 0.5)
    assert hass.states.get("switch.household_grandma") is None  # not refreshed yet

    await advance(hass, freezer, 1)
    grandma = hass.states.get("switch.household_grandma")  # named after its device
    assert grandma is not None
    assert grandma.state == STATE_OFF
    assert hass.states.get(ALICE) is None
    assert registry.async_get(ALICE) is None
    assert hass.states.get(PIXEL).state == STATE_ON
    assert group_device(hass, loaded_sender, family).name == "Household"
    assert hass.states.get("switch.work_member_1").state == STATE_ON
    assert group_device(hass, loaded_sender, work).name == "Work"

    # a rename alone renames the device
    simulator.groups[family].name = "Home folks"
    await advance(hass, freezer, 1)
    assert group_device(hass, loaded_sender, family).name == "Home folks"

    # the whole group goes: its device and switches go too
    del simulator.groups[family]
    await advance(hass, freezer, 1)
    assert not find_group_device(hass, loaded_sender, family)
    for entity_id in ("switch.household_grandma", PIXEL):
        assert hass.states.get(entity_id) is None
        assert registry.async_get(entity_id) is None
    assert hass.states.get("switch.work_member_1").state == STATE_ON

    # an emptied group keeps no device; a member coming back gets a switch again
    simulator.groups[work].members.clear()
    await advance(hass, freezer, 1)
    assert not find_group_device(hass, loaded_sender, work)
    assert registry.async_get("switch.work_member_1") is None
    simulator.groups[work].members.append(Member(account.user, None, "Back"))
    await advance(hass, freezer, 1)
    (back,) = [
        entry
        for entry in er.async_entries_for_config_entry(registry, loaded_sender.entry_id)
        if entry.domain == "switch"
    ]
    state = hass.states.get(back.entity_id)
    assert state.state == STATE_ON
    assert state.attributes["friendly_name"] == "Work Back"
    assert back.device_id == group_device(hass, loaded_sender, work).id


async def test_stale_members_are_removed_at_setup(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    family: str,
    loaded_sender: MockConfigEntry,
) -> None:
    registry = er.async_get(hass)
    assert await hass.config_entries.async_unload(loaded_sender.entry_id)
    simulator.groups[family].members.pop(1)
    assert registry.async_get(PIXEL) is not None  # still registered while unloaded
    assert await hass.config_entries.async_setup(loaded_sender.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert registry.async_get(PIXEL) is None
    assert hass.states.get(ALICE).state == STATE_ON


async def test_groups_outage_does_not_block_setup_or_remove_switches(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PushoverSimulator,
    family: str,
    sender_entry: MockConfigEntry,
) -> None:
    simulator.inject_fault("429", path="/1/groups.json")  # refused, never retried
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sender_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(ALICE) is None
    assert hass.states.get("notify.home") is not None
    await advance(hass, freezer, 1)  # retried hourly
    assert hass.states.get(ALICE).state == STATE_ON

    # a failed refresh later makes the switches unavailable, and removes nothing
    simulator.inject_fault("429", path="/1/groups.json")
    await advance(hass, freezer, 1)
    assert hass.states.get(ALICE).state == "unavailable"
    assert er.async_get(hass).async_get(PIXEL) is not None
    await advance(hass, freezer, 1)
    assert hass.states.get(PIXEL).state == STATE_ON


async def test_groups_rejected_token_starts_reauth(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    family: str,
    loaded_sender: MockConfigEntry,
) -> None:
    del simulator.apps[account.token]
    groups = sender_data(loaded_sender).groups
    await groups.async_refresh()
    assert not groups.last_update_success
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_polling_cost_follows_the_groups(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    assert group_paths(simulator) == ["/1/groups.json"]
    await advance(hass, freezer, 11)
    assert group_paths(simulator) == ["/1/groups.json"]  # no groups: twice a day
    simulator.add_group("Family", owner_token=account.token)
    await advance(hass, freezer, 1.1)
    assert len(group_paths(simulator)) == 3  # the list and the new group
    await advance(hass, freezer, 1.1)
    assert len(group_paths(simulator)) == 5  # hourly while there are groups


@pytest.mark.usefixtures("family", "fast_clients")
async def test_switches_are_added_when_the_groups_arrive_after_setup(
    hass: HomeAssistant, simulator: PushoverSimulator, sender_entry: MockConfigEntry
) -> None:
    """Setup does not wait for the groups: their switches appear once they are fetched."""
    simulator.inject_fault("timeout", count=5, path="groups.json", delay=3600)  # no answer
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)  # it timed out
    assert sender_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(ALICE) is None
    await sender_data(sender_entry).groups.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(ALICE).state == STATE_ON
    assert hass.states.get(PIXEL).state == STATE_ON
