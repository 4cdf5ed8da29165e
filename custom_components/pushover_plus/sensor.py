"""Sensors of Pushover Plus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
import logging
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    GUARD_DUPLICATE,
    GUARD_RATE_LIMIT,
    GUARD_RESERVE,
    LICENSE_UPDATE_INTERVAL,
    SIGNAL_LICENSE_CREDITS,
)
from .coordinator import QuotaCoordinator
from .data import PushoverConfigEntry, ReceiverData, sender_data
from .entity import PushoverCoordinatorEntity, PushoverEntity
from .guard import QuotaGuard
from .outbox import Outbox
from .pushover import Limits, PushoverClient, PushoverError
from .receipts import ReceiptTracker
from .receiver import OpenClientListener, message_attributes

_LOGGER = logging.getLogger(__name__)

PARALLEL_UPDATES = 0
SCAN_INTERVAL = LICENSE_UPDATE_INTERVAL  # only the license credits sensor polls


@dataclass(frozen=True, kw_only=True)
class QuotaSensorDescription(SensorEntityDescription):
    """A sensor reading the monthly quota."""

    value_fn: Callable[[Limits], int | datetime]


QUOTA_SENSORS: tuple[QuotaSensorDescription, ...] = (
    QuotaSensorDescription(
        key="limit",
        translation_key="limit",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda limits: limits.limit,
    ),
    QuotaSensorDescription(
        key="remaining",
        translation_key="remaining",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda limits: limits.remaining,
    ),
    QuotaSensorDescription(
        key="reset",
        translation_key="reset",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda limits: limits.reset,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PushoverConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of the entry: quota and alerts (sender), last message (receiver)."""
    if isinstance(entry.runtime_data, ReceiverData):
        async_add_entities([LastMessageSensor(entry, entry.runtime_data.listener)])
        return
    data = sender_data(entry)
    async_add_entities(QuotaSensor(data.quota, entry, description) for description in QUOTA_SENSORS)
    async_add_entities(
        [
            ActiveAlertsSensor(entry, data.receipts),
            HeldMessagesSensor(entry, data.sender.outbox),
            GuardSensor(entry, data.sender.guard),
        ]
    )
    async_add_entities([LicenseCreditsSensor(entry, data.client)])


class QuotaSensor(PushoverCoordinatorEntity[QuotaCoordinator], SensorEntity):
    """A quota figure."""

    entity_description: QuotaSensorDescription

    def __init__(
        self,
        coordinator: QuotaCoordinator,
        entry: PushoverConfigEntry,
        description: QuotaSensorDescription,
    ) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator, entry, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> int | datetime:
        """Return the figure."""
        return self.entity_description.value_fn(self.coordinator.data)


class ActiveAlertsSensor(PushoverEntity, SensorEntity):
    """Emergency alerts sent and not yet acknowledged, expired or canceled."""

    _attr_translation_key = "active_alerts"
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, entry: PushoverConfigEntry, receipts: ReceiptTracker) -> None:
        """Initialize the sensor."""
        super().__init__(entry, "active_alerts")
        self.receipts = receipts

    async def async_added_to_hass(self) -> None:
        """Follow the receipt tracker."""
        await super().async_added_to_hass()
        self.async_on_remove(self.receipts.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> int:
        """Return how many alerts are active."""
        return len(self.receipts.active)


class HeldMessagesSensor(PushoverEntity, SensorEntity):
    """Messages held while Pushover is unreachable."""

    _attr_translation_key = "queued_messages"
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, entry: PushoverConfigEntry, outbox: Outbox) -> None:
        """Initialize the sensor."""
        super().__init__(entry, "queued_messages")
        self.outbox = outbox

    async def async_added_to_hass(self) -> None:
        """Follow the outbox."""
        await super().async_added_to_hass()
        self.async_on_remove(self.outbox.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> int:
        """Return how many messages are held."""
        return len(self.outbox.messages)


class GuardSensor(PushoverEntity, SensorEntity):
    """Messages the quota guard stopped since Home Assistant started, by reason."""

    _attr_translation_key = "guarded_messages"
    _attr_state_class = SensorStateClass.TOTAL_INCREASING

    def __init__(self, entry: PushoverConfigEntry, guard: QuotaGuard) -> None:
        """Initialize the sensor."""
        super().__init__(entry, "guarded_messages")
        self.guard = guard

    async def async_added_to_hass(self) -> None:
        """Follow the guard."""
        await super().async_added_to_hass()
        self.async_on_remove(self.guard.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> int:
        """Return how many messages were suppressed or refused."""
        return self.guard.stopped.total()

    @property
    def extra_state_attributes(self) -> dict[str, int]:
        """Return the count of each reason: duplicates, rate ceiling, reserve."""
        return {
            "suppressed": self.guard.stopped[GUARD_DUPLICATE],
            "rate_limited": self.guard.stopped[GUARD_RATE_LIMIT],
            "reserve": self.guard.stopped[GUARD_RESERVE],
        }


class LastMessageSensor(PushoverEntity, SensorEntity):
    """The last message received by an Open Client device (nothing restored).

    Available while the websocket session is up.
    """

    _attr_translation_key = "last_message"

    def __init__(self, entry: PushoverConfigEntry, listener: OpenClientListener) -> None:
        """Initialize the sensor."""
        super().__init__(entry, "last_message")
        self.listener = listener

    async def async_added_to_hass(self) -> None:
        """Follow the listener."""
        await super().async_added_to_hass()
        self.async_on_remove(self.listener.async_add_listener(self.async_write_ha_state))

    @property
    def available(self) -> bool:
        """Return whether the receiver is connected to Pushover."""
        return self.listener.connected

    @property
    def native_value(self) -> str | None:
        """Return the text of the last message (up to 255 characters)."""
        message = self.listener.last_message
        return None if message is None else message.message[:255]

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the other fields of the last message."""
        message = self.listener.last_message
        if message is None:
            return None
        attributes = message_attributes(message)
        del attributes["message"]
        return attributes


class LicenseCreditsSensor(PushoverEntity, SensorEntity):
    """License credits left on the application (disabled by default; polls only if enabled).

    Polls licenses.json twice a day; the license actions pass fresh figures for free.
    """

    _attr_translation_key = "license_credits"
    _attr_should_poll = True
    _attr_entity_registry_enabled_default = False
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, entry: PushoverConfigEntry, client: PushoverClient) -> None:
        """Initialize the sensor."""
        super().__init__(entry, "license_credits")
        self.client = client

    async def async_added_to_hass(self) -> None:
        """Fetch the credits now and take the ones the license actions see."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                SIGNAL_LICENSE_CREDITS.format(self.entry.entry_id),
                self._async_credits_seen,
            )
        )
        self.async_schedule_update_ha_state(force_refresh=True)

    @callback
    def _async_credits_seen(self, credits_left: int) -> None:
        self._attr_native_value = credits_left
        self._attr_available = True
        self.async_write_ha_state()

    async def async_update(self) -> None:
        """Fetch the credits."""
        try:
            self._attr_native_value = await self.client.get_license_credits()
        except PushoverError as err:
            if self._attr_available:
                _LOGGER.info("License credits of %s are unavailable: %s", self.entry.title, err)
            self._attr_available = False
            return
        if not self._attr_available:
            _LOGGER.info("License credits of %s are available again", self.entry.title)
        self._attr_available = True
