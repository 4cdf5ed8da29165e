"""Setup, unload, migration, reauth at setup and the removal of stores."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus import websocket_url_for
from custom_components.pushover_plus.const import DOMAIN
from pushover_simulator import PushoverSimulator

from .conftest import Account


async def test_setup_and_unload(hass: HomeAssistant, loaded_sender: MockConfigEntry) -> None:
    assert loaded_sender.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(loaded_sender.entry_id)
    assert loaded_sender.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get("notify.home").state == STATE_UNAVAILABLE


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


async def test_unreachable_at_setup_retries(
    hass: HomeAssistant, simulator: PushoverSimulator, sender_entry: MockConfigEntry
) -> None:
    simulator.inject_fault("500", count=3)
    from unittest.mock import patch

    async def no_wait(_seconds: float) -> None:
        return None

    with patch("custom_components.pushover_plus.api.asyncio.sleep", no_wait):
        assert not await hass.config_entries.async_setup(sender_entry.entry_id)
    assert sender_entry.state is ConfigEntryState.SETUP_RETRY
    assert "HTTP 500" in str(sender_entry.reason)


async def test_migration_refuses_future_versions(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, version=2, data={})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


def test_websocket_url_follows_the_api_url() -> None:
    assert websocket_url_for("https://api.pushover.net/1/") == "wss://client.pushover.net/push"
    assert websocket_url_for("http://127.0.0.1:8765/1/") == "ws://127.0.0.1:8765/push"
    assert websocket_url_for("https://pushover.example.com/1/") == "wss://pushover.example.com/push"


async def test_quota_poll_auth_failure_starts_reauth(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    del simulator.apps[account.token]
    await loaded_sender.runtime_data.quota.async_refresh()
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_removing_the_entry_deletes_its_stores(
    hass: HomeAssistant, hass_storage: dict[str, object], loaded_sender: MockConfigEntry
) -> None:
    hass_storage[f"{DOMAIN}.receipts.{loaded_sender.entry_id}"] = {
        "version": 1,
        "data": {"receipts": []},
    }
    await hass.config_entries.async_remove(loaded_sender.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.receipts.{loaded_sender.entry_id}" not in hass_storage
