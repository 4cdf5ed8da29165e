"""Tests of the options flow: a sender's options and its team token."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import (
    CONF_DUPLICATE_WINDOW,
    CONF_HOLD_WHEN_OFFLINE,
    CONF_LEGACY_NOTIFY,
    CONF_MAX_HELD_AGE,
    CONF_QUOTA_RESERVE,
    CONF_RATE_LIMIT,
    CONF_RECEIPT_POLL_INTERVAL,
    CONF_TEAM_TOKEN,
    CONF_USE_WEBHOOK,
)
from pushover_simulator import PushoverSimulator


async def test_options_validate_team_token(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    team_token = simulator.add_team("Ops")
    result = await hass.config_entries.options.async_init(loaded_sender.entry_id)
    assert result["step_id"] == "init"
    options = {
        CONF_HOLD_WHEN_OFFLINE: False,
        CONF_USE_WEBHOOK: False,
        CONF_RECEIPT_POLL_INTERVAL: 10,
        CONF_MAX_HELD_AGE: 48,
        CONF_LEGACY_NOTIFY: False,
        CONF_DUPLICATE_WINDOW: 30,
        CONF_RATE_LIMIT: 10,
        CONF_QUOTA_RESERVE: 0.5,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**options, CONF_TEAM_TOKEN: "t" * 30}
    )
    assert result["errors"] == {CONF_TEAM_TOKEN: "invalid_team_token"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**options, CONF_TEAM_TOKEN: team_token}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_sender.options == {**options, CONF_TEAM_TOKEN: team_token}
    await hass.async_block_till_done()


async def test_options_without_team_token(
    hass: HomeAssistant, loaded_sender: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(loaded_sender.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_HOLD_WHEN_OFFLINE: True,
            CONF_USE_WEBHOOK: False,
            CONF_RECEIPT_POLL_INTERVAL: 5,
            CONF_MAX_HELD_AGE: 1,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_TEAM_TOKEN not in loaded_sender.options
    await hass.async_block_till_done()


async def test_options_team_check_cannot_connect(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(loaded_sender.entry_id)
    # aiohttp itself resends an idempotent request once when a kept-alive connection drops
    simulator.inject_fault("drop", path="teams", count=2)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_TEAM_TOKEN: "t" * 30,
            CONF_HOLD_WHEN_OFFLINE: True,
            CONF_USE_WEBHOOK: False,
            CONF_RECEIPT_POLL_INTERVAL: 5,
            CONF_MAX_HELD_AGE: 1,
        },
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_options_team_check_server_error(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(loaded_sender.entry_id)
    simulator.inject_fault("500", path="teams")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_TEAM_TOKEN: "t" * 30,
            CONF_HOLD_WHEN_OFFLINE: True,
            CONF_USE_WEBHOOK: False,
            CONF_RECEIPT_POLL_INTERVAL: 5,
            CONF_MAX_HELD_AGE: 1,
        },
    )
    assert result["errors"] == {"base": "server_error"}
    assert result["description_placeholders"] == {"status": "500"}
