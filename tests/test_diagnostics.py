"""Diagnostics: useful, and no secret anywhere in them."""

from __future__ import annotations

import json

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pushover_plus.const import (
    CONF_DEVICE_ID,
    CONF_DEVICES,
    CONF_SECRET,
    CONF_TEAM_TOKEN,
    CONF_USER_KEY,
    CONF_WEBHOOK_ID,
    DOMAIN,
)
from pushover_simulator import PushoverSimulator

from .conftest import Account, add_partner, add_receiver_entry, wait_until


async def test_entry_and_device_diagnostics_are_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    team_token = simulator.add_team()
    hass.config_entries.async_update_entry(
        sender_entry, options={**sender_entry.options, CONF_TEAM_TOKEN: team_token}
    )
    add_partner(hass, sender_entry, account.other_user, ["pixel"])
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()

    result = await get_diagnostics_for_config_entry(hass, hass_client, sender_entry)
    assert result["entry"]["title"] == "Home"
    assert result["entry"]["data"]["api_token"] == REDACTED
    assert result["entry"]["data"]["user_key"] == REDACTED
    assert result["entry"]["data"][CONF_WEBHOOK_ID] == REDACTED
    assert result["entry"]["options"][CONF_TEAM_TOKEN] == REDACTED
    assert result["entry"]["subentries"][0]["data"] == {
        CONF_USER_KEY: REDACTED,
        CONF_DEVICES: ["pixel"],
    }
    assert result["quota"]["limit"] == 10000
    assert result["quota"]["last_update_success"] is True

    (device,) = [
        device
        for device in dr.async_entries_for_config_entry(device_registry, sender_entry.entry_id)
        if (DOMAIN, sender_entry.entry_id) in device.identifiers
    ]
    device_result = await get_diagnostics_for_device(hass, hass_client, sender_entry, device)
    assert device_result["device"]["model"] == "Application"

    text = json.dumps([result, device_result])
    for secret in (
        account.token,
        account.user,
        account.other_user,
        team_token,
        sender_entry.data[CONF_WEBHOOK_ID],
    ):
        assert secret not in text


async def test_receiver_diagnostics_redact_the_device_and_show_the_connection(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PushoverSimulator,
) -> None:
    entry, user = await add_receiver_entry(hass, simulator)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_until(lambda: bool(simulator.websocket_logins))

    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert result["entry"]["data"][CONF_DEVICE_ID] == REDACTED
    assert result["entry"]["data"][CONF_SECRET] == REDACTED
    assert result["receiver"] == {"connected": True, "reconnect_attempts": 0, "highest_id": "0"}
    text = json.dumps(result)
    for secret in (entry.data[CONF_DEVICE_ID], entry.data[CONF_SECRET], user):
        assert secret not in text
