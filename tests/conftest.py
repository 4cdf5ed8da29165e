"""Shared fixtures: a real Home Assistant against the Pushover simulator on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any
from unittest.mock import patch

from homeassistant.components.camera import Camera
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    async_fire_time_changed,
    mock_integration,
    mock_platform,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.pushover_plus.const import (
    CONF_API_TOKEN,
    CONF_API_URL,
    CONF_DEVICE_ID,
    CONF_DEVICE_NAME,
    CONF_DEVICES,
    CONF_ENTRY_TYPE,
    CONF_HOLD_WHEN_OFFLINE,
    CONF_MAX_HELD_AGE,
    CONF_RECEIPT_POLL_INTERVAL,
    CONF_SECRET,
    CONF_USE_WEBHOOK,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_TYPE_RECEIVER,
    ENTRY_TYPE_SENDER,
    SUBENTRY_TYPE_RECIPIENT,
)
from custom_components.pushover_plus.data import sender_unique_id
from custom_components.pushover_plus.pushover import PushoverClient
from pushover_simulator import PushoverSimulator
from tests.translation_check import TranslationCheck, observe

CLIENT_TIMEOUT = 0.2
UNKNOWN_KEY = "u" * 30  # well formed, unknown to Pushover


async def instant(_seconds: float) -> None:
    """Sleep without waiting (the retry pause is tested in tests/pushover/test_transport.py)."""


@pytest.fixture
def instant_retries() -> Iterator[None]:
    """Every client the integration creates from now on retries at once."""
    with patch(
        "custom_components.pushover_plus.connection.PushoverClient",
        partial(PushoverClient, sleep=instant),
    ):
        yield


@pytest.fixture
def fast_clients() -> Iterator[None]:
    """Every client the integration creates retries at once, with a 0.2 s timeout."""
    with patch(
        "custom_components.pushover_plus.connection.PushoverClient",
        partial(PushoverClient, sleep=instant, timeout=CLIENT_TIMEOUT),
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Syrupy with Home Assistant's extension (ids and times of registries and states as ANY)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(autouse=True)
def check_translations() -> Iterator[TranslationCheck]:
    """Fail a test whose flows, issues or errors use a key en.json lacks (see translation_check)."""
    check = TranslationCheck()
    with observe(check):
        yield check
    if check.problems:
        pytest.fail("Translations:\n" + "\n".join(dict.fromkeys(check.problems)))


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Load custom_components/ in every test that uses hass (and only those)."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[PushoverSimulator]:
    """A fresh Pushover simulator on loopback (sockets allowed, loopback only)."""
    sim = PushoverSimulator()
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@dataclass
class Account:
    """Credentials seeded into the simulator."""

    token: str
    user: str
    other_user: str


@pytest.fixture
def account(simulator: PushoverSimulator) -> Account:
    """An application and two users (with devices) in the simulator."""
    token = simulator.add_app("Home")
    user = simulator.add_user(devices=("phone", "tablet"))
    other = simulator.add_user(devices=("pixel",))
    return Account(token=token, user=user, other_user=other)


@pytest.fixture
def sender_entry(
    hass: HomeAssistant, simulator: PushoverSimulator, account: Account
) -> MockConfigEntry:
    """A sender entry pointed at the simulator (not yet set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Home",
        unique_id=sender_unique_id(account.token, account.user),
        data={
            CONF_ENTRY_TYPE: ENTRY_TYPE_SENDER,
            CONF_API_TOKEN: account.token,
            CONF_USER_KEY: account.user,
            CONF_API_URL: simulator.base_url,
        },
        options={
            CONF_HOLD_WHEN_OFFLINE: False,
            CONF_USE_WEBHOOK: False,
            CONF_RECEIPT_POLL_INTERVAL: 30,
            CONF_MAX_HELD_AGE: 24,
        },
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def loaded_sender(hass: HomeAssistant, sender_entry: MockConfigEntry) -> MockConfigEntry:
    """The sender entry, set up, with its quota and groups fetched."""
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return sender_entry


async def act(
    hass: HomeAssistant, entry: MockConfigEntry, action: str, **data: Any
) -> ServiceResponse:
    """Call an action that returns nothing."""
    return await hass.services.async_call(
        DOMAIN, action, {"config_entry_id": entry.entry_id, **data}, blocking=True
    )


async def ask(
    hass: HomeAssistant, entry: MockConfigEntry, action: str, **data: Any
) -> dict[str, Any]:
    """Call an action and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        action,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


RECEIVER_EMAIL = "me@example.com"
RECEIVER_PASSWORD = "hunter22"
RECEIVER_DEVICE = "ha"


async def add_receiver_entry(
    hass: HomeAssistant, simulator: PushoverSimulator
) -> tuple[MockConfigEntry, str]:
    """Add a user, log in and register the Open Client device "ha" through the API.

    Returns the receiver entry (added, not set up) and the user's key.
    """
    user = simulator.add_user(email=RECEIVER_EMAIL, password=RECEIVER_PASSWORD)
    client = PushoverClient(async_get_clientsession(hass), base_url=simulator.base_url)
    login = await client.login(RECEIVER_EMAIL, RECEIVER_PASSWORD)
    device_id = await client.register_device(login.secret, RECEIVER_DEVICE)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Pushover {RECEIVER_DEVICE}",
        unique_id=device_id,
        data={
            CONF_ENTRY_TYPE: ENTRY_TYPE_RECEIVER,
            CONF_SECRET: login.secret,
            CONF_DEVICE_ID: device_id,
            CONF_DEVICE_NAME: RECEIVER_DEVICE,
            CONF_API_URL: simulator.base_url,
        },
    )
    entry.add_to_hass(hass)
    return entry, user


def assert_errors_shown(result: Mapping[str, Any]) -> None:
    """Every error is on a field or section of the form, or the form's own: none unseen.

    The frontend shows an error keyed by a top-level field or section name, or "base";
    one keyed by a field the form lacks, or by a field inside a section, is not shown.
    """
    assert result["errors"]
    shown = {str(key) for key in result["data_schema"].schema} | {"base"}
    assert set(result["errors"]) <= shown, result["errors"]


def paths(simulator: PushoverSimulator) -> list[str]:
    """Return the path of every request the simulator saw, in order."""
    return [request.path for request in simulator.requests]


def last(simulator: PushoverSimulator, path: str) -> dict[str, str]:
    """Return the parameters of the last request to a path."""
    return next(r.params for r in reversed(simulator.requests) if r.path == path)


async def wait_until(predicate: Callable[[], bool]) -> None:
    """Wait (up to 5 s) for work in the background (the listener, requests in flight)."""
    async with asyncio.timeout(5):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.005)


def add_partner(
    hass: HomeAssistant, entry: ConfigEntry, user_key: str, devices: list[str] | None = None
) -> None:
    """Add the recipient "Partner" (notify.partner) to a sender entry."""
    data: dict[str, Any] = {CONF_USER_KEY: user_key}
    if devices is not None:
        data[CONF_DEVICES] = devices
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=data, subentry_type=SUBENTRY_TYPE_RECIPIENT, title="Partner", unique_id="partner"
        ),
    )


async def send(hass: HomeAssistant, message: str, **fields: Any) -> dict[str, Any]:
    """Send through pushover_plus.send_message to notify.home; return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"entity_id": "notify.home", "message": message, **fields},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    result = response["notify.home"]
    assert isinstance(result, dict)
    return result


async def later(hass: HomeAssistant, seconds: float) -> None:
    """Let ``seconds`` pass for Home Assistant's timers."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done()


JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64


class PorchCamera(Camera):
    """A camera entity whose snapshot is a fixed JPEG."""

    _attr_name = "Porch"
    _attr_unique_id = "porch"

    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        return JPEG


@pytest.fixture
async def porch_camera(hass: HomeAssistant) -> str:
    """The camera entity camera.porch, set up through a test platform."""

    async def setup_platform(hass, config, async_add_entities, discovery_info=None) -> None:
        async_add_entities([PorchCamera()])

    mock_integration(hass, MockModule("test"))
    mock_platform(hass, "test.camera", MockPlatform(async_setup_platform=setup_platform))
    assert await async_setup_component(hass, "camera", {"camera": {"platform": "test"}})
    await hass.async_block_till_done()
    return "camera.porch"
