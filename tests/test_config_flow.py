"""Config flow: sender, receiver, import from core pushover, reauth and reconfigure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_EMAIL, CONF_NAME, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    mock_integration,
)

from custom_components.pushover_plus.config_flow import PushoverPlusConfigFlow
from custom_components.pushover_plus.const import (
    CONF_API_TOKEN,
    CONF_API_URL,
    CONF_CORE_ENTRY_ID,
    CONF_DEVICE_ID,
    CONF_DEVICE_NAME,
    CONF_ENTRY_TYPE,
    CONF_HOLD_WHEN_OFFLINE,
    CONF_LEGACY_NOTIFY,
    CONF_LEGACY_SERVICE,
    CONF_MAX_HELD_AGE,
    CONF_RECEIPT_POLL_INTERVAL,
    CONF_SECRET,
    CONF_TEAM_TOKEN,
    CONF_TWOFA,
    CONF_USE_WEBHOOK,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_TYPE_RECEIVER,
    ENTRY_TYPE_SENDER,
    SUBENTRY_TYPE_RECIPIENT,
)
from custom_components.pushover_plus.data import sender_unique_id
from pushover_simulator import PushoverSimulator

from .conftest import (
    RECEIVER_EMAIL,
    RECEIVER_PASSWORD,
    Account,
    add_receiver_entry,
    assert_errors_shown,
)

ADVANCED = {"source": SOURCE_USER, "show_advanced_options": True}


async def _sender_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context=ADVANCED)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["sender", "receiver"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "sender"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "sender"
    return result["flow_id"]


async def test_sender_created_after_checking_credentials(
    hass: HomeAssistant, simulator: PushoverSimulator, account: Account
) -> None:
    flow_id = await _sender_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_API_TOKEN: account.token,
            CONF_USER_KEY: account.user,
            CONF_NAME: "Family",
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Family"
    assert result["data"] == {
        CONF_ENTRY_TYPE: ENTRY_TYPE_SENDER,
        CONF_API_TOKEN: account.token,
        CONF_USER_KEY: account.user,
        CONF_API_URL: simulator.base_url,
    }
    entry = result["result"]
    assert entry.unique_id == sender_unique_id(account.token, account.user)
    assert (entry.version, entry.minor_version) == (1, 1)
    assert account.token not in entry.unique_id
    assert account.user not in entry.unique_id
    assert entry.options[CONF_HOLD_WHEN_OFFLINE] is True
    assert entry.options[CONF_USE_WEBHOOK] is False  # no external URL in tests
    assert entry.options[CONF_LEGACY_NOTIFY] is False
    paths = [request.path for request in simulator.requests]
    assert "/1/users/validate.json" in paths
    assert "/1/apps/limits.json" in paths


async def test_api_url_is_in_a_collapsed_section(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "sender"}
    )
    advanced = result["data_schema"].schema["advanced"]
    assert advanced.options == {"collapsed": True}
    assert CONF_API_URL in advanced.schema.schema


@pytest.mark.parametrize(
    ("credentials", "field", "error"),
    [
        ("bad_token", CONF_API_TOKEN, "invalid_api_token"),
        ("bad_user", CONF_USER_KEY, "invalid_user_key"),
        ("no_devices", CONF_USER_KEY, "no_active_devices"),
        ("no_devices_text_only", CONF_USER_KEY, "no_active_devices"),
    ],
)
async def test_sender_credential_errors_then_recovery(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    credentials: str,
    field: str,
    error: str,
) -> None:
    unknown = "u" * 30
    token, user = account.token, account.user
    if credentials == "bad_token":
        token = "a" * 30
    elif credentials == "bad_user":
        user = unknown
    else:
        user = simulator.add_user(devices=())
        # Whether Pushover adds "user": "invalid" to this refusal is unknown: the text decides.
        simulator.no_devices_verdict = credentials == "no_devices"
    flow_id = await _sender_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_API_TOKEN: token,
            CONF_USER_KEY: user,
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_API_TOKEN: account.token,
            CONF_USER_KEY: account.user,
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Pushover"


async def test_sender_cannot_connect_and_server_error(
    hass: HomeAssistant, simulator: PushoverSimulator, account: Account
) -> None:
    flow_id = await _sender_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_API_TOKEN: account.token,
            CONF_USER_KEY: account.user,
            "advanced": {CONF_API_URL: "http://127.0.0.1:9/1/"},
        },
    )
    assert result["errors"] == {"base": "cannot_connect"}
    simulator.inject_fault("500")
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_API_TOKEN: account.token,
            CONF_USER_KEY: account.user,
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["errors"] == {"base": "server_error"}
    assert result["description_placeholders"] == {"status": "500"}


async def test_sender_rejects_plain_http_to_remote_hosts(
    hass: HomeAssistant, simulator: PushoverSimulator, account: Account
) -> None:
    flow_id = await _sender_form(hass)
    before = len(simulator.requests)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_API_TOKEN: account.token,
            CONF_USER_KEY: account.user,
            "advanced": {CONF_API_URL: "http://api.example.com/1/"},
        },
    )
    assert result["errors"] == {"advanced": "invalid_api_url"}
    assert len(simulator.requests) == before


async def test_duplicate_sender_aborts(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    flow_id = await _sender_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_API_TOKEN: account.token,
            CONF_USER_KEY: account.user,
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_second_application_for_the_same_key_gets_its_own_entry(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    """Doorbell and Backups, each with its own icon, send to one user key."""
    backups = simulator.add_app("Backups")
    flow_id = await _sender_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_API_TOKEN: backups,
            CONF_USER_KEY: account.user,
            CONF_NAME: "Backups",
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == sender_unique_id(backups, account.user)
    assert entry.unique_id != sender_entry.unique_id
    await hass.async_block_till_done()
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2


async def test_pair_of_a_reauthenticated_entry_aborts(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    """The entry keeps its first token's unique id, so its data are compared too.

    The first token keeps its id taken: it cannot make a new entry for that key either.
    """
    new_token = simulator.add_app("Home 2")
    hass.config_entries.async_update_entry(
        sender_entry, data={**sender_entry.data, CONF_API_TOKEN: new_token}
    )
    requests = len(simulator.requests)
    for token in (new_token, account.token):
        flow_id = await _sender_form(hass)
        result = await hass.config_entries.flow.async_configure(
            flow_id,
            {
                CONF_API_TOKEN: token,
                CONF_USER_KEY: account.user,
                "advanced": {CONF_API_URL: simulator.base_url},
            },
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"
    assert len(simulator.requests) == requests


async def test_reauth_updates_token(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    new_token = simulator.add_app("Home 2")
    result = await sender_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: "b" * 30}
    )
    assert result["errors"] == {CONF_API_TOKEN: "invalid_api_token"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: new_token}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert sender_entry.data[CONF_API_TOKEN] == new_token
    assert sender_entry.unique_id == sender_unique_id(account.token, account.user)  # unchanged
    assert sender_entry.unique_id != sender_unique_id(new_token, account.user)


def _second_sender(hass: HomeAssistant, sender_entry: MockConfigEntry, token: str) -> None:
    """Add another application's entry for the same user key."""
    MockConfigEntry(
        domain=DOMAIN,
        title="Backups",
        unique_id=sender_unique_id(token, sender_entry.data[CONF_USER_KEY]),
        data={**sender_entry.data, CONF_API_TOKEN: token},
        options=sender_entry.options,
    ).add_to_hass(hass)


async def test_reauth_with_another_entrys_token_aborts(
    hass: HomeAssistant, simulator: PushoverSimulator, sender_entry: MockConfigEntry
) -> None:
    backups = simulator.add_app("Backups")
    _second_sender(hass, sender_entry, backups)
    before = dict(sender_entry.data)
    result = await sender_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: backups}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert dict(sender_entry.data) == before


async def test_reconfigure_to_another_entrys_token_aborts(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    backups = simulator.add_app("Backups")
    _second_sender(hass, sender_entry, backups)
    before = dict(sender_entry.data)
    result = await sender_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_TOKEN: backups,
            CONF_USER_KEY: account.user,
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert dict(sender_entry.data) == before


async def test_reconfigure_changes_token_and_checks_it(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    unique_id = sender_entry.unique_id
    new_token = simulator.add_app("Home 2")
    result = await sender_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_TOKEN: new_token,
            CONF_USER_KEY: account.user,
            "advanced": {CONF_API_URL: "http://example.com/1/"},
        },
    )
    assert result["errors"] == {"advanced": "invalid_api_url"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_TOKEN: "t" * 30,
            CONF_USER_KEY: account.user,
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["errors"] == {CONF_API_TOKEN: "invalid_api_token"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_TOKEN: new_token,
            CONF_USER_KEY: account.user,
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert sender_entry.data[CONF_API_TOKEN] == new_token
    assert sender_entry.unique_id == unique_id


async def test_reconfigure_to_another_user_key_aborts(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    """Another user or group key is another entry: reconfigure cannot switch to it."""
    before = dict(sender_entry.data)
    result = await sender_entry.start_reconfigure_flow(hass)
    requests = len(simulator.requests)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_TOKEN: account.token,
            CONF_USER_KEY: account.other_user,
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert dict(sender_entry.data) == before
    assert len(simulator.requests) == requests


# ---------------------------------------------------------------- receiver


async def _receiver_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context=ADVANCED)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "receiver"}
    )
    assert result["step_id"] == "receiver"
    return result["flow_id"]


@pytest.fixture
def no_entry_setup():
    with patch("custom_components.pushover_plus.async_setup_entry", return_value=True):
        yield


@pytest.mark.usefixtures("no_entry_setup")
async def test_receiver_login_and_register(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    simulator.add_user(email="me@example.com", password="hunter22")
    flow_id = await _receiver_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_EMAIL: "me@example.com",
            CONF_PASSWORD: "wrong",
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_EMAIL: "me@example.com",
            CONF_PASSWORD: "hunter22",
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["step_id"] == "device"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_DEVICE_NAME: "not valid!"}
    )
    assert result["errors"] == {CONF_DEVICE_NAME: "invalid_device_name"}
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_DEVICE_NAME: "ha"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert data[CONF_ENTRY_TYPE] == ENTRY_TYPE_RECEIVER
    assert data[CONF_DEVICE_NAME] == "ha"
    assert data[CONF_DEVICE_ID] in simulator.open_client_devices
    assert data[CONF_SECRET]
    assert "hunter22" not in str(data)
    assert "me@example.com" not in str(data)
    assert result["result"].unique_id == data[CONF_DEVICE_ID]


@pytest.mark.usefixtures("no_entry_setup")
async def test_receiver_two_factor_and_taken_name(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    simulator.add_user(email="me@example.com", password="hunter22", twofa="123456")
    flow_id = await _receiver_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_EMAIL: "me@example.com",
            CONF_PASSWORD: "hunter22",
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["step_id"] == "twofa"
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TWOFA: "000000"})
    assert result["errors"] == {CONF_TWOFA: "invalid_twofa"}
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TWOFA: "123456"})
    assert result["step_id"] == "device"
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_DEVICE_NAME: "ha"})
    assert result["type"] is FlowResultType.CREATE_ENTRY

    flow_id = await _receiver_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_EMAIL: "me@example.com",
            CONF_PASSWORD: "hunter22",
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TWOFA: "123456"})
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_DEVICE_NAME: "ha"})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "device_taken"


@pytest.mark.usefixtures("socket_enabled")
async def test_receiver_cannot_connect(hass: HomeAssistant) -> None:
    flow_id = await _receiver_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_EMAIL: "me@example.com",
            CONF_PASSWORD: "x",
            "advanced": {CONF_API_URL: "http://127.0.0.1:9/1/"},
        },
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_EMAIL: "me@example.com",
            CONF_PASSWORD: "x",
            "advanced": {CONF_API_URL: "http://10.0.0.1/1/"},
        },
    )
    assert result["errors"] == {"advanced": "invalid_api_url"}


async def test_receiver_reauth_stores_new_secret(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    entry, _ = await add_receiver_entry(hass, simulator)
    old_secret, device_id = entry.data[CONF_SECRET], entry.data[CONF_DEVICE_ID]
    with patch("custom_components.pushover_plus.async_setup_entry", return_value=True):
        result = await entry.start_reauth_flow(hass)
        assert result["step_id"] == "receiver"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_EMAIL: RECEIVER_EMAIL, CONF_PASSWORD: RECEIVER_PASSWORD}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_SECRET] not in (old_secret, "")
    assert entry.data[CONF_DEVICE_ID] == device_id
    assert entry.unique_id == device_id


@pytest.mark.usefixtures("no_entry_setup")
async def test_receiver_relogin_to_another_account_aborts(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """A login of another account cannot take over this entry: its device is not there."""
    entry, _ = await add_receiver_entry(hass, simulator)
    before = dict(entry.data)
    simulator.add_user(email="other@example.com", password="other-pw")
    for start in (entry.start_reauth_flow, entry.start_reconfigure_flow):
        result = await start(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_EMAIL: "other@example.com", CONF_PASSWORD: "other-pw"}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "wrong_account"
    assert dict(entry.data) == before


@pytest.mark.usefixtures("no_entry_setup")
async def test_receiver_relogin_check_unreachable(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    entry, _ = await add_receiver_entry(hass, simulator)
    result = await entry.start_reauth_flow(hass)
    # aiohttp itself resends an idempotent GET once when a kept-alive connection drops
    simulator.inject_fault("drop", path="messages", count=2)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EMAIL: RECEIVER_EMAIL, CONF_PASSWORD: RECEIVER_PASSWORD}
    )
    assert result["step_id"] == "receiver"
    assert result["errors"] == {"base": "cannot_connect"}


# ---------------------------------------------------------------- import from core pushover


async def test_import_from_core_pushover(
    hass: HomeAssistant, simulator: PushoverSimulator, account: Account
) -> None:
    core = MockConfigEntry(
        domain="pushover",
        title="Core Pushover",
        data={"api_key": account.token, "user_key": account.user, CONF_NAME: "Core Pushover"},
    )
    core.add_to_hass(hass)
    with patch("custom_components.pushover_plus.config_flow.CORE_API_URL", simulator.base_url):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        assert result["menu_options"] == ["sender", "receiver", "import_core"]
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "import_core"}
        )
        assert result["step_id"] == "import_core"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"core_entry": core.entry_id}
        )
        assert result["step_id"] == "import_confirm"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Core Pushover"
    assert result["data"][CONF_API_TOKEN] == account.token
    assert result["data"][CONF_USER_KEY] == account.user
    # Its automations call notify.core_pushover: the copy offers that action.
    assert result["data"][CONF_CORE_ENTRY_ID] == core.entry_id
    assert result["data"][CONF_LEGACY_SERVICE] == "core_pushover"
    assert result["options"][CONF_LEGACY_NOTIFY] is True
    assert core.data == {
        "api_key": account.token,
        "user_key": account.user,
        CONF_NAME: "Core Pushover",
    }
    await hass.async_block_till_done()

    # Nothing is left to import now.
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["menu_options"] == ["sender", "receiver"]
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": "integration_discovery"}, data={"core_entry_id": core.entry_id}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_import_offered_at_startup_and_errors(
    hass: HomeAssistant, simulator: PushoverSimulator, account: Account
) -> None:
    core = MockConfigEntry(
        domain="pushover", title="Core", data={"api_key": "x" * 30, "user_key": account.user}
    )
    core.add_to_hass(hass)
    from homeassistant.setup import async_setup_component

    with patch("custom_components.pushover_plus.config_flow.CORE_API_URL", simulator.base_url):
        assert await async_setup_component(hass, DOMAIN, {})
        await hass.async_block_till_done()
        (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        assert flow["context"]["source"] == "integration_discovery"
        assert flow["step_id"] == "import_confirm"
        result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
        assert result["errors"] == {"base": "invalid_api_token"}


async def test_import_of_vanished_entry_aborts(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": "integration_discovery"}, data={"core_entry_id": "gone"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "nothing_to_import"
    mock_integration(hass, MockModule("pushover"))
    core = MockConfigEntry(domain="pushover", data={"api_key": "k" * 30, "user_key": "u" * 30})
    core.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert "import_core" in result["menu_options"]
    await hass.config_entries.async_remove(core.entry_id)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "import_core"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "nothing_to_import"


# ---------------------------------------------------------------- remaining paths


async def test_receiver_entries_have_no_options_or_recipients(hass: HomeAssistant) -> None:
    receiver = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_TYPE: ENTRY_TYPE_RECEIVER})
    sender = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_TYPE: ENTRY_TYPE_SENDER})
    flow = PushoverPlusConfigFlow
    assert not flow.async_supports_options_flow(receiver)
    assert flow.async_supports_options_flow(sender)
    assert flow.async_get_supported_subentry_types(receiver) == {}
    assert SUBENTRY_TYPE_RECIPIENT in flow.async_get_supported_subentry_types(sender)


async def test_webhook_defaults_on_with_an_external_url(
    hass: HomeAssistant, simulator: PushoverSimulator, account: Account
) -> None:
    hass.config.external_url = "https://ha.example.com"
    flow_id = await _sender_form(hass)
    with patch("custom_components.pushover_plus.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            flow_id,
            {
                CONF_API_TOKEN: account.token,
                CONF_USER_KEY: account.user,
                "advanced": {CONF_API_URL: simulator.base_url},
            },
        )
    assert result["result"].options[CONF_USE_WEBHOOK] is True


async def test_reconfigure_only_the_api_url(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    unique_id = sender_entry.unique_id
    hass.config_entries.async_update_entry(
        sender_entry, data={**sender_entry.data, CONF_API_URL: "http://127.0.0.1:9/1/"}
    )
    result = await sender_entry.start_reconfigure_flow(hass)
    url = simulator.base_url
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_TOKEN: account.token,
            CONF_USER_KEY: account.user,
            "advanced": {CONF_API_URL: url},
        },
    )
    assert result["reason"] == "reconfigure_successful"
    assert sender_entry.data[CONF_API_URL] == url
    assert sender_entry.unique_id == unique_id


@pytest.mark.usefixtures("no_entry_setup")
async def test_receiver_reconfigure_logs_in_again(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    entry, user = await add_receiver_entry(hass, simulator)
    simulator.users[user].twofa = "123456"
    old_secret = entry.data[CONF_SECRET]
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "receiver"
    assert "advanced" not in result["data_schema"].schema
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_EMAIL: RECEIVER_EMAIL, CONF_PASSWORD: RECEIVER_PASSWORD}
    )
    assert result["step_id"] == "twofa"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TWOFA: "123456"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_SECRET] != old_secret


@pytest.mark.usefixtures("no_entry_setup")
async def test_receiver_login_server_error_and_code_refused(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    user = simulator.add_user(email="me@example.com", password="hunter22", twofa="123456")
    flow_id = await _receiver_form(hass)
    credentials = {
        CONF_EMAIL: "me@example.com",
        CONF_PASSWORD: "hunter22",
        "advanced": {CONF_API_URL: simulator.base_url},
    }
    simulator.inject_fault("500", path="login")
    result = await hass.config_entries.flow.async_configure(flow_id, credentials)
    assert result["errors"] == {"base": "server_error"}
    result = await hass.config_entries.flow.async_configure(flow_id, credentials)
    assert result["step_id"] == "twofa"
    simulator.users[user].password = "changed"  # a refusal other than 412 while in the code step
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_TWOFA: "123456"})
    assert result["errors"] == {CONF_TWOFA: "invalid_twofa"}


@pytest.mark.usefixtures("no_entry_setup")
async def test_receiver_device_refused_and_unreachable(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    simulator.add_user(email="me@example.com", password="hunter22")
    flow_id = await _receiver_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_EMAIL: "me@example.com",
            CONF_PASSWORD: "hunter22",
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["step_id"] == "device"
    simulator.inject_fault("drop", path="devices")
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_DEVICE_NAME: "ha"})
    assert result["errors"] == {"base": "cannot_connect"}
    simulator.inject_fault("503", path="devices")
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_DEVICE_NAME: "ha"})
    assert result["errors"] == {"base": "server_error"}
    assert result["description_placeholders"] == {"status": "503"}
    simulator.sessions.clear()  # the session secret was revoked meanwhile
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_DEVICE_NAME: "ha"})
    assert result["errors"] == {CONF_DEVICE_NAME: "device_name_refused"}
    assert "secret" in result["description_placeholders"]["error"]


# ---------------------------------------------------------------- what a new user meets


def _suggested(result: dict[str, Any], *path: str) -> object:
    """The suggested value of a field (a path through a section)."""
    schema = result["data_schema"]
    for name in path[:-1]:
        schema = next(value for key, value in schema.schema.items() if key == name).schema
    marker = next(key for key in schema.schema if key == path[-1])
    return (marker.description or {}).get("suggested_value")


async def test_keys_are_checked_locally_before_anything_is_sent(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    before = len(simulator.requests)
    flow_id = await _sender_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_API_TOKEN: "abcde",
            CONF_USER_KEY: account.other_user[:29],
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["errors"] == {CONF_API_TOKEN: "key_format", CONF_USER_KEY: "key_format"}
    assert_errors_shown(result)

    result = await loaded_sender.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: "short"}
    )
    assert result["errors"] == {CONF_API_TOKEN: "key_format"}

    result = await hass.config_entries.options.async_init(loaded_sender.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_TEAM_TOKEN: "team",
            CONF_HOLD_WHEN_OFFLINE: True,
            CONF_USE_WEBHOOK: False,
            CONF_RECEIPT_POLL_INTERVAL: 5,
            CONF_MAX_HELD_AGE: 1,
        },
    )
    assert result["errors"] == {CONF_TEAM_TOKEN: "key_format"}

    result = await hass.config_entries.subentries.async_init(
        (loaded_sender.entry_id, SUBENTRY_TYPE_RECIPIENT), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Partner", CONF_USER_KEY: "u" * 31}
    )
    assert result["errors"] == {CONF_USER_KEY: "key_format"}
    assert len(simulator.requests) == before


async def test_api_url_without_the_version_path(
    hass: HomeAssistant, simulator: PushoverSimulator, account: Account
) -> None:
    """A bare host gets /1/; another path is refused at once, not with "HTTP 404"."""
    flow_id = await _sender_form(hass)
    before = len(simulator.requests)
    credentials = {CONF_API_TOKEN: account.token, CONF_USER_KEY: account.user}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**credentials, "advanced": {CONF_API_URL: simulator.base_url + "messages"}}
    )
    assert result["errors"] == {"advanced": "api_url_version"}
    assert_errors_shown(result)
    assert len(simulator.requests) == before
    with patch("custom_components.pushover_plus.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            flow_id,
            {**credentials, "advanced": {CONF_API_URL: simulator.base_url.removesuffix("/1/")}},
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_URL] == simulator.base_url


async def test_reauth_shows_user_key_errors_on_its_form(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    """The reauth form has only the token: a user-key refusal is the form's own error."""
    simulator.users[account.user].devices.clear()
    result = await sender_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_TOKEN: account.token}
    )
    assert result["errors"] == {"base": "no_active_devices"}
    assert_errors_shown(result)


@pytest.mark.usefixtures("socket_enabled")
async def test_failed_receiver_login_keeps_the_api_url(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    simulator.add_user(email="me@example.com", password="hunter22")
    flow_id = await _receiver_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_EMAIL: "me@example.com",
            CONF_PASSWORD: "wrong",
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert_errors_shown(result)
    assert result["description_placeholders"] == {}  # no raw Pushover text
    assert _suggested(result, CONF_EMAIL) == "me@example.com"
    assert _suggested(result, "advanced", CONF_API_URL) == simulator.base_url
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_EMAIL: "me@example.com",
            CONF_PASSWORD: "hunter22",
            "advanced": {CONF_API_URL: "http://192.168.1.2:8765/1/"},
        },
    )
    assert result["errors"] == {"advanced": "invalid_api_url"}
    assert_errors_shown(result)
    assert _suggested(result, "advanced", CONF_API_URL) == "http://192.168.1.2:8765/1/"


@pytest.mark.usefixtures("no_entry_setup")
async def test_taken_device_name_can_be_taken_over(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> None:
    """Re-adding a receiver whose name is used: take that device over (force=1)."""
    _, user = await add_receiver_entry(hass, simulator)
    (old_device,) = simulator.open_client_devices
    credentials = {
        CONF_EMAIL: RECEIVER_EMAIL,
        CONF_PASSWORD: RECEIVER_PASSWORD,
        "advanced": {CONF_API_URL: simulator.base_url},
    }
    flow_id = await _receiver_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, credentials)
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_DEVICE_NAME: "ha"})
    assert result["step_id"] == "device_taken"
    assert result["menu_options"] == ["device_takeover", "device"]
    assert result["description_placeholders"] == {"name": "ha"}
    # "Choose another name" goes back to the name, as typed.
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "device"})
    assert result["step_id"] == "device"
    assert _suggested(result, CONF_DEVICE_NAME) == "ha"
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_DEVICE_NAME: "ha"})
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "device_takeover"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    device_id = result["data"][CONF_DEVICE_ID]
    assert list(simulator.open_client_devices) == [device_id] != [old_device]
    assert simulator.users[user].devices.count("ha") == 1
    assert simulator.requests[-1].params["force"] == "1"


@pytest.mark.usefixtures("no_entry_setup")
async def test_take_over_refused(hass: HomeAssistant, simulator: PushoverSimulator) -> None:
    await add_receiver_entry(hass, simulator)
    flow_id = await _receiver_form(hass)
    await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_EMAIL: RECEIVER_EMAIL,
            CONF_PASSWORD: RECEIVER_PASSWORD,
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    await hass.config_entries.flow.async_configure(flow_id, {CONF_DEVICE_NAME: "ha"})
    simulator.sessions.clear()  # the login expired meanwhile
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "device_takeover"}
    )
    assert result["step_id"] == "device"
    assert result["errors"] == {CONF_DEVICE_NAME: "device_name_refused"}
    assert "secret" in result["description_placeholders"]["error"]


def test_descriptions_carry_no_raw_error_text() -> None:
    """Pushover's English text goes only into an error, never into a step description."""
    folder = Path(__file__).resolve().parent.parent / "custom_components/pushover_plus/translations"
    found = []
    for path in sorted(folder.glob("*.json")):
        translations = json.loads(path.read_text(encoding="utf-8"))
        for section in ("config", "options", "config_subentries"):
            flows = translations[section]
            for flow in flows.values() if section == "config_subentries" else [flows]:
                for step_id, step in flow["step"].items():
                    if "{error}" in step.get("description", ""):
                        found.append(f"{path.name} {section} {step_id}")
    assert not found


async def test_reconfigure_checks_the_key_format_first(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    result = await sender_entry.start_reconfigure_flow(hass)
    before = len(simulator.requests)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_TOKEN: account.token + " x",
            CONF_USER_KEY: account.user,
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["errors"] == {CONF_API_TOKEN: "key_format"}
    assert len(simulator.requests) == before


async def test_unexpected_refusal_shows_pushovers_text(
    hass: HomeAssistant, simulator: PushoverSimulator, account: Account
) -> None:
    """Only an unexpected refusal carries Pushover's own words: they are the information."""
    flow_id = await _sender_form(hass)
    simulator.inject_fault("429", path="validate")
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_API_TOKEN: account.token,
            CONF_USER_KEY: account.user,
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    assert result["errors"] == {"base": "unknown_error"}
    assert result["description_placeholders"] == {
        "error": "application has exceeded current limit of 10000 messages"
    }
