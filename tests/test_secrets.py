"""Secrets: no token, key, session secret, device id, password or email in logs or states.

One long run logs at DEBUG everywhere: a sender (with a team token and a recipient) that
sends, is refused, holds, fails, runs management actions, follows an emergency alert and
has its token rejected; a receiver that logs in through the config flow, receives and
acknowledges that alert, and has its session rejected; diagnostics of both.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentry,
)
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD, EVENT_LOGGING_CHANGED
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pushover_plus.const import (
    CONF_API_TOKEN,
    CONF_API_URL,
    CONF_DEVICE_ID,
    CONF_DEVICE_NAME,
    CONF_HOLD_WHEN_OFFLINE,
    CONF_SECRET,
    CONF_TEAM_TOKEN,
    CONF_USER_KEY,
    DOMAIN,
    EVENT_MESSAGE,
    EVENT_RECEIPT,
    SUBENTRY_TYPE_RECIPIENT,
)
from custom_components.pushover_plus.data import ReceiverData
from pushover_simulator import PushoverSimulator

from .conftest import Account, later, wait_until

EMAIL = "owner@example.com"
PASSWORD = "correct horse battery staple"
TEAM_EMAIL = "colleague@example.com"
TEAM_PASSWORD = "colleague password 42"
LOGGERS = ("", "custom_components.pushover_plus", "homeassistant", "aiohttp", "pushover_simulator")


def outside(record: logging.LogRecord) -> bool:
    """Return whether a log line is outside the integration's reach.

    The test harness logs what a Store would write to .storage (held messages keep their
    user key there, as config entries keep theirs), and Home Assistant logs the data of
    every action call, as given by the caller, when its bus logs at DEBUG.
    """
    if record.name == "pytest_homeassistant_custom_component.common":
        return record.getMessage().startswith("Writing data to ")
    return record.name == "homeassistant.core" and record.getMessage().startswith(
        "Bus:Handling <Event call_service"
    )


async def instant(_seconds: float) -> None:
    """Reconnect at once (the receiver's backoff is tested elsewhere)."""


class Run:
    """Calls actions and keeps the text of every error they raise."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start with no errors."""
        self.hass = hass
        self.errors: list[str] = []

    async def call(self, action: str, data: dict[str, Any], *, response: bool = False) -> Any:
        """Call a pushover_plus action; return its response, or None when it raised."""
        try:
            return await self.hass.services.async_call(
                DOMAIN, action, data, blocking=True, return_response=response
            )
        except HomeAssistantError as err:
            self.errors.append(f"{err!r} {err}")
            return None

    async def send(self, entity: str, message: str, **extra: Any) -> Any:
        """Send through pushover_plus.send_message."""
        return await self.call(
            "send_message", {"entity_id": entity, "message": message, **extra}, response=True
        )


async def add_receiver(hass: HomeAssistant, simulator: PushoverSimulator) -> MockConfigEntry:
    """Log in with email and password through the config flow; wait for the websocket."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "receiver"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_EMAIL: EMAIL,
            CONF_PASSWORD: PASSWORD,
            "advanced": {CONF_API_URL: simulator.base_url},
        },
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE_NAME: "ha"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await wait_until(lambda: bool(simulator.websocket_logins))
    return entry


def reauth_flow(hass: HomeAssistant, entry_id: str) -> str:
    """Return the id of the reauth flow of an entry."""
    (flow,) = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH and flow["context"]["entry_id"] == entry_id
    ]
    return flow["flow_id"]


@pytest.mark.usefixtures("instant_retries")
async def test_no_secret_in_logs_states_errors_or_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
) -> None:
    for logger in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=logger)
    hass.bus.async_fire(EVENT_LOGGING_CHANGED)  # the bus logs every event from now on
    run = Run(hass)
    receiver_user = simulator.add_user(devices=(), email=EMAIL, password=PASSWORD)
    team_token = simulator.add_team(members=[TEAM_EMAIL])
    group = simulator.add_group("Family", owner_token=account.token)

    # ------------------------------------------------------------ sender
    for title, user in (("Partner", account.other_user), ("Phone", receiver_user)):
        hass.config_entries.async_add_subentry(
            sender_entry,
            ConfigSubentry(
                data={CONF_USER_KEY: user},
                subentry_type=SUBENTRY_TYPE_RECIPIENT,
                title=title,
                unique_id=title,
            ),
        )
    hass.config_entries.async_update_entry(
        sender_entry,
        options={**sender_entry.options, CONF_TEAM_TOKEN: team_token, CONF_HOLD_WHEN_OFFLINE: True},
    )
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    entry_id = {"config_entry_id": sender_entry.entry_id}
    # ------------------------------------------------------------ receiver
    receiver = await add_receiver(hass, simulator)
    receiver_data = receiver.runtime_data
    assert isinstance(receiver_data, ReceiverData)
    receiver_data.listener.sleep = instant
    messages = async_capture_events(hass, EVENT_MESSAGE)

    assert await run.send("notify.home", "sent")
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": "notify.partner", "message": "hi"}, blocking=True
    )
    assert not await run.send("notify.home", "x" * 2000)  # refused locally
    simulator.inject_fault("503", count=3, path="messages")
    assert not await run.send("notify.home", "lost", hold_when_offline=False)
    simulator.inject_fault("drop", path="messages")
    assert (await run.send("notify.home", "held"))["notify.home"]["status"] == "held"
    await later(hass, 31)
    simulator.inject_fault("429", path="messages")
    assert not await run.send("notify.home", "over quota")
    for action, data in (
        ("validate_user", {"user": account.other_user}),
        ("validate_user", {"user": "a" * 30}),
        ("update_glance", {"user": account.user, "text": "21 °C"}),
        ("team_add_user", {"email": "new@example.com", "password": TEAM_PASSWORD}),
        ("team_remove_user", {"email": TEAM_EMAIL}),
        ("team_remove_user", {"email": TEAM_EMAIL}),  # no longer a member
        ("group_add_user", {"group_key": group, "user": account.other_user, "memo": "Partner"}),
        ("get_group", {"group_key": group}),
        ("assign_license", {"email": EMAIL}),
        ("list_groups", {}),
        ("get_limits", {}),
    ):
        await run.call(action, {**entry_id, **data}, response=action not in _NO_RESPONSE)

    # ------------------------------------------------------------ an alert, acknowledged
    receipts = async_capture_events(hass, EVENT_RECEIPT)
    sent = await run.send("notify.phone", "alarm", priority=2, retry=30, expire=600)
    receipt = sent["notify.phone"]["receipt"]
    await wait_until(lambda: bool(messages))
    await run.call("acknowledge", {"config_entry_id": receiver.entry_id, "receipt": receipt})
    await later(hass, 31)
    assert [event.data["state"] for event in receipts] == ["acknowledged"]
    await run.call("get_receipt", {**entry_id, "receipt": receipt}, response=True)

    # ------------------------------------------------------------ rejected credentials
    old_token, old_secret = account.token, receiver.data[CONF_SECRET]
    del simulator.apps[account.token]
    assert not await run.send("notify.home", "token rejected")
    new_token = simulator.add_app("Home again")
    result = await hass.config_entries.flow.async_configure(
        reauth_flow(hass, sender_entry.entry_id), {CONF_API_TOKEN: new_token}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert await run.send("notify.home", "with the new token")

    logins = len(simulator.websocket_logins)
    simulator.sessions.clear()  # the session secret is no longer valid
    await simulator.close_websockets()
    await wait_until(lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    result = await hass.config_entries.flow.async_configure(
        reauth_flow(hass, receiver.entry_id), {CONF_EMAIL: EMAIL, CONF_PASSWORD: PASSWORD}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    await wait_until(lambda: len(simulator.websocket_logins) > logins)

    # ------------------------------------------------------------ diagnostics
    diagnostics = [
        json.dumps(await get_diagnostics_for_config_entry(hass, hass_client, entry))
        for entry in (sender_entry, receiver)
    ]

    secrets = {
        "app token": old_token,
        "new app token": new_token,
        "user key": account.user,
        "recipient user key": account.other_user,
        "receiver user key": receiver_user,
        "team token": team_token,
        "session secret": old_secret,
        "new session secret": receiver.data[CONF_SECRET],
        "receiver device id": receiver.data[CONF_DEVICE_ID],
        "email": EMAIL,
        "team email": TEAM_EMAIL,
        "password": PASSWORD,
        "team password": TEAM_PASSWORD,
    }
    assert old_secret != receiver.data[CONF_SECRET]
    assert len(run.errors) >= 6
    places = {
        "logs": "\n".join(
            caplog.handler.format(record) for record in caplog.records if not outside(record)
        ),
        "states": str(hass.states.async_all()),
        "errors": "\n".join(run.errors),
        "diagnostics": "\n".join(diagnostics),
    }
    leaks = [
        f"{name} in {place}"
        for name, secret in secrets.items()
        for place, text in places.items()
        if secret in text
    ]
    assert leaks == []
    assert "Pushover" in caplog.text  # the run did log


_NO_RESPONSE = {"update_glance", "team_add_user", "team_remove_user", "group_add_user"}
