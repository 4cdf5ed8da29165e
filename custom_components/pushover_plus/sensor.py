"""Sensors of Pushover Plus."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN, GUARD_DUPLICATE, GUARD_RATE_LIMIT, GUARD_RESERVE
from .coordinator import (
    LicenseCreditsCoordinator,
    PushCoordinator,
    QuotaCoordinator,
    ReceiverCoordinator,
    message_attributes,
)
from .data import PushoverConfigEntry, ReceiverData, sender_data
from .entity import PushoverCoordinatorEntity
from .pushover import Limits

PARALLEL_UPDATES = 0


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

# Emergency alerts sent and not yet acknowledged, expired or canceled.
ACTIVE_ALERTS_SENSOR = SensorEntityDescription(
    key="active_alerts",
    translation_key="active_alerts",
    state_class=SensorStateClass.MEASUREMENT,
)
# Messages held while Pushover is unreachable.
HELD_MESSAGES_SENSOR = SensorEntityDescription(
    key="queued_messages",
    translation_key="queued_messages",
    state_class=SensorStateClass.MEASUREMENT,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PushoverConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of the entry: quota and alerts (sender), last message (receiver)."""
    if isinstance(entry.runtime_data, ReceiverData):
        async_add_entities([LastMessageSensor(entry.runtime_data.listener.coordinator, entry)])
        return
    data = sender_data(entry)
    async_add_entities(
        [
            *(QuotaSensor(data.quota, entry, description) for description in QUOTA_SENSORS),
            CountSensor(data.receipts.coordinator, entry, ACTIVE_ALERTS_SENSOR),
            CountSensor(data.sender.outbox.coordinator, entry, HELD_MESSAGES_SENSOR),
            GuardSensor(data.sender.guard.coordinator, entry),
            LicenseCreditsSensor(data.license_credits, entry),
        ]
    )


class QuotaSensor(PushoverCoordinatorEntity[QuotaCoordinator], SensorEntity):
    """A quota figure; unknown until Pushover first answers.

    Every send brings the quota: the state is written only when this figure (or its
    availability) changed, mostly the remaining messages alone.
    """

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
        self._written: tuple[bool, int | datetime | None] | None = None

    @property
    def native_value(self) -> int | datetime | None:
        """Return the figure."""
        limits = self.coordinator.data
        return None if limits is None else self.entity_description.value_fn(limits)

    async def async_added_to_hass(self) -> None:
        """Remember what the first state shows."""
        await super().async_added_to_hass()
        self._written = (self.available, self.native_value)

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when it changed."""
        shown = (self.available, self.native_value)
        if shown != self._written:
            self._written = shown
            self.async_write_ha_state()


class CountSensor(PushoverCoordinatorEntity[PushCoordinator[int]], SensorEntity):
    """A count the integration keeps itself: active alerts, held messages."""

    def __init__(
        self,
        coordinator: PushCoordinator[int],
        entry: PushoverConfigEntry,
        description: SensorEntityDescription,
    ) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator, entry, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> int:
        """Return the count."""
        return self.coordinator.data


class GuardSensor(PushoverCoordinatorEntity[PushCoordinator[Counter[str]]], SensorEntity):
    """Messages the quota guard stopped since Home Assistant started, by reason."""

    _attr_translation_key = "guarded_messages"
    _attr_state_class = SensorStateClass.TOTAL_INCREASING

    def __init__(
        self, coordinator: PushCoordinator[Counter[str]], entry: PushoverConfigEntry
    ) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator, entry, "guarded_messages")

    @property
    def native_value(self) -> int:
        """Return how many messages were suppressed or refused."""
        return self.coordinator.data.total()

    @property
    def extra_state_attributes(self) -> dict[str, int]:
        """Return the count of each reason: duplicates, rate ceiling, reserve."""
        stopped = self.coordinator.data
        return {
            "suppressed": stopped[GUARD_DUPLICATE],
            "rate_limited": stopped[GUARD_RATE_LIMIT],
            "reserve": stopped[GUARD_RESERVE],
        }


class LastMessageSensor(PushoverCoordinatorEntity[ReceiverCoordinator], SensorEntity):
    """The last message received by an Open Client device (nothing restored).

    Available while the websocket session is up.
    """

    _attr_translation_key = "last_message"

    def __init__(self, coordinator: ReceiverCoordinator, entry: PushoverConfigEntry) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator, entry, "last_message")

    @property
    def native_value(self) -> str | None:
        """Return the text of the last message (up to 255 characters)."""
        message = self.coordinator.data
        return None if message is None else message.message[:255]

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the other fields of the last message."""
        message = self.coordinator.data
        if message is None:
            return None
        attributes = message_attributes(message)
        del attributes["message"]
        return attributes


class LicenseCreditsSensor(PushoverCoordinatorEntity[LicenseCreditsCoordinator], SensorEntity):
    """License credits left on the application (disabled by default; polls only if enabled).

    While it is disabled, its coordinator has no listener and asks nothing.
    """

    _attr_translation_key = "license_credits"
    _attr_entity_registry_enabled_default = False
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: LicenseCreditsCoordinator, entry: PushoverConfigEntry) -> None:
        """Initialize the sensor."""
        super().__init__(coordinator, entry, "license_credits")

    async def async_added_to_hass(self) -> None:
        """Follow the coordinator (which starts polling) and fetch the credits now."""
        await super().async_added_to_hass()
        self.entry.async_create_task(
            self.hass, self.coordinator.async_refresh(), f"{DOMAIN} license credits"
        )

    @property
    def native_value(self) -> int | None:
        """Return the credits left."""
        return self.coordinator.data
