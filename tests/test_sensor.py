"""Sensors: quota (polled and from send headers) and license credits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, translation
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.pushover_plus.const import DOMAIN
from pushover_simulator import PushoverSimulator

from .conftest import Account, ask, paths

LICENSE_SENSOR = "sensor.home_license_credits"


@pytest.mark.usefixtures("instant_retries")
async def test_quota_poll_failures_mark_sensors_unavailable_then_recover(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    runtime = loaded_sender.runtime_data
    simulator.inject_fault("503", count=3, path="limits")
    await runtime.quota.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get("sensor.home_monthly_limit").state == STATE_UNAVAILABLE
    await runtime.quota.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get("sensor.home_monthly_limit").state == "10000"


async def test_quota_sensors_follow_send_headers(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    assert hass.states.get("sensor.home_monthly_limit").state == "10000"
    assert hass.states.get("sensor.home_messages_remaining").state == "10000"
    limits_calls = sum(r.path == "/1/apps/limits.json" for r in simulator.requests)
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": "notify.home", "message": "Hi"}, blocking=True
    )
    assert hass.states.get("sensor.home_messages_remaining").state == "9999"
    assert sum(r.path == "/1/apps/limits.json" for r in simulator.requests) == limits_calls
    assert hass.states.get("sensor.home_quota_reset").state.startswith("20")


async def test_a_send_writes_only_the_quota_figure_that_changed(
    hass: HomeAssistant, loaded_sender: MockConfigEntry
) -> None:
    """Every send brings the whole quota; mostly only the remaining messages change."""
    quota_sensors = {
        "sensor.home_monthly_limit",
        "sensor.home_messages_remaining",
        "sensor.home_quota_reset",
    }
    written: list[str] = []

    @callback
    def is_quota(data: Mapping[str, Any]) -> bool:
        return data["entity_id"] in quota_sensors

    @callback
    def record(event: Event[Any]) -> None:
        written.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, record, event_filter=is_quota)
    hass.bus.async_listen(EVENT_STATE_REPORTED, record, event_filter=is_quota)  # unchanged
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": "notify.home", "message": "Hi"}, blocking=True
    )
    await hass.async_block_till_done()
    assert written == ["sensor.home_messages_remaining"]
    assert hass.states.get("sensor.home_messages_remaining").state == "9999"


async def test_disabled_license_credits_sensor_costs_no_request(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    """Its coordinator polls only while the sensor listens: never, while it is disabled."""
    start = dt_util.utcnow()
    for hours in (12, 24, 36, 48):
        async_fire_time_changed(hass, start + timedelta(hours=hours, seconds=1))
        await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(LICENSE_SENSOR) is None
    assert "/1/licenses.json" not in paths(simulator)
    assert paths(simulator).count("/1/apps/limits.json") > 1  # the quota was polled meanwhile


async def test_license_credits_sensor(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    registry = er.async_get(hass)
    entity = registry.async_get(LICENSE_SENSOR)
    assert entity is not None
    assert entity.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert "/1/licenses.json" not in paths(simulator)  # disabled: never polled

    simulator.set_license_credits(account.token, 5)
    registry.async_update_entity(LICENSE_SENSOR, disabled_by=None)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=31))  # HA reloads
    await hass.async_block_till_done()
    assert hass.states.get(LICENSE_SENSOR).state == "5"
    assert paths(simulator).count("/1/licenses.json") == 1

    # the license actions pass their figure on for free
    await ask(hass, loaded_sender, "assign_license", user=account.user)
    assert hass.states.get(LICENSE_SENSOR).state == "4"
    simulator.set_license_credits(account.token, 9)
    await ask(hass, loaded_sender, "get_license_credits")
    assert hass.states.get(LICENSE_SENSOR).state == "9"
    assert paths(simulator).count("/1/licenses.json") == 2

    # polled twice a day; unavailable while Pushover refuses, back afterwards
    simulator.set_license_credits(account.token, 7)
    start = dt_util.utcnow()
    async_fire_time_changed(hass, start + timedelta(hours=11))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert paths(simulator).count("/1/licenses.json") == 2
    async_fire_time_changed(hass, start + timedelta(hours=12, seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(LICENSE_SENSOR).state == "7"
    assert paths(simulator).count("/1/licenses.json") == 3
    simulator.inject_fault("429", count=2, path="/1/licenses.json")
    async_fire_time_changed(hass, start + timedelta(hours=24, seconds=2))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(LICENSE_SENSOR).state == STATE_UNAVAILABLE
    async_fire_time_changed(hass, start + timedelta(hours=36, seconds=3))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(LICENSE_SENSOR).state == STATE_UNAVAILABLE
    async_fire_time_changed(hass, start + timedelta(hours=48, seconds=4))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(LICENSE_SENSOR).state == "7"
    assert paths(simulator).count("/1/licenses.json") == 6


async def test_units_are_translated(hass: HomeAssistant, sender_entry: MockConfigEntry) -> None:
    """Units have translations: the frontend shows them in the user's language.

    The state itself keeps the English unit whatever the language (Home Assistant's rule,
    so that statistics do not change unit with the language).
    """
    hass.config.language = "de"
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get("sensor.home_verbleibende_nachrichten")
    assert state.attributes["unit_of_measurement"] == "messages"
    german = await translation.async_get_translations(hass, "de", "entity", {DOMAIN})
    prefix = f"component.{DOMAIN}.entity.sensor"
    assert {
        key: german[f"{prefix}.{key}.unit_of_measurement"]
        for key in ("limit", "remaining", "active_alerts", "queued_messages", "license_credits")
    } == {
        "limit": "Nachrichten",
        "remaining": "Nachrichten",
        "active_alerts": "Alarme",
        "queued_messages": "Nachrichten",
        "license_credits": "Guthaben",
    }
