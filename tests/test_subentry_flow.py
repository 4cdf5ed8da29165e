"""Tests of the recipients' subentry flow: adding a recipient and changing its devices."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import (
    CONF_DEVICES,
    CONF_USER_KEY,
    DOMAIN,
    SUBENTRY_TYPE_RECIPIENT,
)
from pushover_simulator import PushoverSimulator

from .conftest import Account, add_partner, assert_errors_shown


async def test_recipient_subentry_add_and_remove(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (loaded_sender.entry_id, SUBENTRY_TYPE_RECIPIENT), context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Partner", CONF_USER_KEY: "u" * 30}
    )
    assert result["errors"] == {CONF_USER_KEY: "invalid_user_key"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Partner", CONF_USER_KEY: account.other_user}
    )
    assert result["step_id"] == "devices"
    options = result["data_schema"].schema[CONF_DEVICES].config["options"]
    assert options == ["pixel"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_DEVICES: ["bad name!"]}
    )
    assert result["errors"] == {CONF_DEVICES: "invalid_device_name"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_DEVICES: ["pixel"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    (subentry,) = loaded_sender.subentries.values()
    assert subentry.data == {CONF_USER_KEY: account.other_user, CONF_DEVICES: ["pixel"]}
    assert account.other_user not in (subentry.unique_id or "")
    entity_id = entity_registry.async_get_entity_id(
        "notify", DOMAIN, f"{loaded_sender.entry_id}_{subentry.subentry_id}_notify"
    )
    assert entity_id is not None
    assert hass.states.get(entity_id) is not None

    # the same key again aborts
    result = await hass.config_entries.subentries.async_init(
        (loaded_sender.entry_id, SUBENTRY_TYPE_RECIPIENT), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Again", CONF_USER_KEY: account.other_user}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    assert hass.config_entries.async_remove_subentry(loaded_sender, subentry.subentry_id)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id) is None
    assert entity_registry.async_get(entity_id) is None


async def test_recipient_reconfigure_devices(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    add_partner(hass, sender_entry, account.other_user, ["old"])
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    (subentry,) = sender_entry.subentries.values()
    result = await sender_entry.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
    assert result["step_id"] == "reconfigure"
    assert result["data_schema"].schema[CONF_DEVICES].config["options"] == ["old", "pixel"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_DEVICES: ["no way"]}
    )
    assert result["errors"] == {CONF_DEVICES: "invalid_device_name"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_DEVICES: []}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert sender_entry.subentries[subentry.subentry_id].data[CONF_DEVICES] == []
    await hass.async_block_till_done()


async def test_recipient_reconfigure_offline_keeps_known_devices(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    add_partner(hass, sender_entry, account.other_user, ["old"])
    (subentry,) = sender_entry.subentries.values()
    simulator.inject_fault("drop", path="validate")
    result = await sender_entry.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
    assert result["data_schema"].schema[CONF_DEVICES].config["options"] == ["old"]


async def test_recipient_with_the_entrys_own_key_aborts(
    hass: HomeAssistant, account: Account, loaded_sender: MockConfigEntry
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (loaded_sender.entry_id, SUBENTRY_TYPE_RECIPIENT), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Me", CONF_USER_KEY: account.user}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_user_key"


async def test_recipient_errors_of_the_entry_token_are_shown(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (loaded_sender.entry_id, SUBENTRY_TYPE_RECIPIENT), context={"source": SOURCE_USER}
    )
    del simulator.apps[account.token]  # the token was revoked since
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Partner", CONF_USER_KEY: account.other_user}
    )
    assert result["errors"] == {"base": "invalid_api_token"}
    assert_errors_shown(result)
