"""Snapshots of every platform's entities (sender and receiver entries) and of diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from unittest.mock import PropertyMock, patch

from awesomeversion import AwesomeVersion
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform, __version__ as ha_version
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.pushover_plus.const import (
    CONF_API_TOKEN,
    CONF_API_URL,
    CONF_DEVICE_ID,
    CONF_DEVICE_NAME,
    CONF_ENTRY_TYPE,
    CONF_SECRET,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_TYPE_RECEIVER,
    ENTRY_TYPE_SENDER,
)
from custom_components.pushover_plus.data import receiver_data, sender_unique_id
from custom_components.pushover_plus.pushover import PushoverClient
from pushover_simulator import PushoverSimulator

from .conftest import wait_until

# The entity registry's snapshot form changed since the oldest supported release (2026.3
# shows aliases as a set): the entity snapshots are recorded on the pinned release.
recorded_release = pytest.mark.skipif(
    AwesomeVersion(ha_version) < AwesomeVersion("2026.10.0"),
    reason="entity snapshots are recorded on Home Assistant 2026.10",
)

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)
TOKEN = "a" * 30
USER = "u" * 30
MEMBER = "m" * 30
GROUP = "g" * 30
SENDER_PLATFORMS = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR, Platform.SWITCH]
RECEIVER_PLATFORMS = [Platform.EVENT, Platform.SENSOR]
# The simulator listens on a new port each run: its URL is left out.
SIMULATOR_URL = props("api_url")


@pytest.fixture(autouse=True)
def fixed_keys(simulator: PushoverSimulator) -> None:
    """Fixed keys: the same entities and states on every run."""
    simulator.clock = lambda: dt_util.utcnow().timestamp()
    simulator.add_app("Home", token=TOKEN)
    simulator.add_user(user_key=USER, devices=("phone",))
    simulator.add_user(user_key=MEMBER, devices=("pixel",))
    simulator.add_group("Family", owner_token=TOKEN, key=GROUP, members=[(MEMBER, None, "kid")])


@pytest.fixture
def fixed_time(freezer: FrozenDateTimeFactory) -> None:
    """A fixed time for the sender's quota (the receiver's listener needs time to pass)."""
    freezer.move_to(NOW)


@pytest.fixture
def every_entity_enabled() -> Iterator[None]:
    """Enable the entities that are disabled by default (snapshot_platform wants them all)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


def sender(hass: HomeAssistant, simulator: PushoverSimulator) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id="01SENDER00000000000000000",
        title="Home",
        unique_id=sender_unique_id(TOKEN, USER),
        data={
            CONF_ENTRY_TYPE: ENTRY_TYPE_SENDER,
            CONF_API_TOKEN: TOKEN,
            CONF_USER_KEY: USER,
            CONF_API_URL: simulator.base_url,
        },
    )
    entry.add_to_hass(hass)
    return entry


async def receiver(hass: HomeAssistant, simulator: PushoverSimulator) -> MockConfigEntry:
    simulator.add_user(devices=(), email="me@example.com", password="pw")
    client = PushoverClient(async_get_clientsession(hass), base_url=simulator.base_url)
    login = await client.login("me@example.com", "pw")
    device_id = await client.register_device(login.secret, "ha")
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id="01RECEIVER000000000000000",
        title="Pushover ha",
        unique_id=device_id,
        data={
            CONF_ENTRY_TYPE: ENTRY_TYPE_RECEIVER,
            CONF_SECRET: login.secret,
            CONF_DEVICE_ID: device_id,
            CONF_DEVICE_NAME: "ha",
            CONF_API_URL: simulator.base_url,
        },
    )
    entry.add_to_hass(hass)
    return entry


@pytest.mark.usefixtures("fixed_time", "every_entity_enabled")
@recorded_release
@pytest.mark.parametrize("platform", SENDER_PLATFORMS)
async def test_sender_entities(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    entry = sender(hass, simulator)
    with patch("custom_components.pushover_plus.SENDER_PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)  # quota and groups
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.usefixtures("every_entity_enabled")
@recorded_release
@pytest.mark.parametrize("platform", RECEIVER_PLATFORMS)
async def test_receiver_entities(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    entry = await receiver(hass, simulator)
    with patch("custom_components.pushover_plus.RECEIVER_PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    listener = receiver_data(entry).listener
    await wait_until(lambda: listener.connected)
    await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.usefixtures("fixed_time")
async def test_sender_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PushoverSimulator,
    snapshot: SnapshotAssertion,
) -> None:
    entry = sender(hass, simulator)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics == snapshot(exclude=SIMULATOR_URL)


async def test_receiver_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PushoverSimulator,
    snapshot: SnapshotAssertion,
) -> None:
    entry = await receiver(hass, simulator)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_until(lambda: receiver_data(entry).listener.connected)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics == snapshot(exclude=SIMULATOR_URL)
