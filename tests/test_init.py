"""Setup, unload, migration, reauth at setup and the removal of stores."""

from __future__ import annotations

from functools import partial
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import CONF_HOLD_WHEN_OFFLINE, DOMAIN
from custom_components.pushover_plus.pushover import PushoverClient
from pushover_simulator import PushoverSimulator

from .conftest import Account, later, send, wait_until


async def no_wait(_seconds: float) -> None:
    """Retry at once (the etiquette is tested in tests/pushover/test_transport.py)."""


async def test_setup_and_unload(hass: HomeAssistant, loaded_sender: MockConfigEntry) -> None:
    assert loaded_sender.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(loaded_sender.entry_id)
    assert loaded_sender.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get("notify.home").state == STATE_UNAVAILABLE


@pytest.mark.usefixtures("fast_clients")
async def test_setup_waits_for_the_credentials_check_alone(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    """Setup costs one request; the quota and the groups (and their entities) follow."""
    simulator.add_group("Family", owner_token=account.token, members=[(account.user, None, "")])
    simulator.inject_fault("timeout", path="limits", delay=3600)  # the first try hangs
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    assert sender_entry.state is ConfigEntryState.LOADED
    assert [r.path for r in simulator.requests if r.status] == ["/1/users/validate.json"]
    assert hass.states.get("sensor.home_messages_remaining").state == STATE_UNKNOWN
    assert hass.states.get("switch.family_member_1") is None
    await hass.async_block_till_done(wait_background_tasks=True)  # timed out, tried again
    assert hass.states.get("sensor.home_messages_remaining").state == "10000"
    assert hass.states.get("switch.family_member_1").state == STATE_ON


async def test_rejected_token_at_setup_starts_reauth(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    del simulator.apps[account.token]
    assert not await hass.config_entries.async_setup(sender_entry.entry_id)
    assert sender_entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"


@pytest.mark.parametrize("fault", ["500", "block", "timeout"])
async def test_unreachable_at_setup_loads_offline_and_holds(
    hass: HomeAssistant, simulator: PushoverSimulator, sender_entry: MockConfigEntry, fault: Any
) -> None:
    """A power cut brings Home Assistant back before the router: sends wait, none is lost."""
    hass.config_entries.async_update_entry(
        sender_entry, options={**sender_entry.options, CONF_HOLD_WHEN_OFFLINE: True}
    )
    simulator.inject_fault(fault, count=1000, delay=3600)
    impatient = partial(PushoverClient, timeout=0.2, sleep=no_wait)
    with patch("custom_components.pushover_plus.connection.PushoverClient", impatient):
        assert await hass.config_entries.async_setup(sender_entry.entry_id)
        assert sender_entry.state is ConfigEntryState.LOADED
        assert hass.states.get("notify.home").state != STATE_UNAVAILABLE
        response = await send(hass, "while the router boots")
        assert response["status"] == "held"
    assert simulator.deliveries == []
    simulator.clear_faults()
    await later(hass, 6)
    await wait_until(lambda: len(simulator.deliveries) == 1)
    assert simulator.deliveries[0].params["message"] == "while the router boots"


async def test_migration_refuses_future_versions(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, version=2, data={})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_newer_minor_version_loads_as_it_is(
    hass: HomeAssistant, sender_entry: MockConfigEntry
) -> None:
    """A 1.2 entry (made on the development branch, never released) needs no migration."""
    hass.config_entries.async_update_entry(sender_entry, unique_id="a" * 32, minor_version=2)
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    assert sender_entry.state is ConfigEntryState.LOADED
    assert (sender_entry.unique_id, sender_entry.minor_version) == ("a" * 32, 2)
