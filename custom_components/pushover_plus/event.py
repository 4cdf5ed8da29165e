"""Event entities: emergency receipts (sender) and received messages (receiver)."""

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    EVENT_TYPE_MESSAGE,
    RECEIPT_ACKNOWLEDGED,
    RECEIPT_CANCELED,
    RECEIPT_EXPIRED,
    SIGNAL_MESSAGE,
    SIGNAL_RECEIPT,
)
from .coordinator import ReceiverCoordinator
from .data import PushoverConfigEntry, ReceiverData
from .entity import PushoverCoordinatorEntity, PushoverEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PushoverConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entity of the entry."""
    if isinstance(entry.runtime_data, ReceiverData):
        async_add_entities([MessageEventEntity(entry.runtime_data.listener.coordinator, entry)])
    else:
        async_add_entities([EmergencyEventEntity(entry)])


class SignalEventEntity(EventEntity):
    """Fires when the entry reports an event on its dispatcher signal."""

    _signal: str

    async def async_added_to_hass(self) -> None:
        """Listen to the entry's events."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, self._signal, self._async_handle_event)
        )

    @callback
    def _async_handle_event(self, event_type: str, attributes: dict[str, Any]) -> None:
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()


class EmergencyEventEntity(PushoverEntity, SignalEventEntity):
    """Fires when an emergency alert is acknowledged, expires or is canceled."""

    _attr_translation_key = "emergency"

    def __init__(self, entry: PushoverConfigEntry) -> None:
        """Initialize the entity."""
        super().__init__(entry, "emergency")
        self._attr_event_types = [RECEIPT_ACKNOWLEDGED, RECEIPT_EXPIRED, RECEIPT_CANCELED]
        self._signal = SIGNAL_RECEIPT.format(entry.entry_id)


class MessageEventEntity(PushoverCoordinatorEntity[ReceiverCoordinator], SignalEventEntity):
    """Fires when the Open Client device receives a message; available while connected."""

    _attr_translation_key = "message"

    def __init__(self, coordinator: ReceiverCoordinator, entry: PushoverConfigEntry) -> None:
        """Initialize the entity."""
        super().__init__(coordinator, entry, "message")
        self._attr_event_types = [EVENT_TYPE_MESSAGE]
        self._signal = SIGNAL_MESSAGE.format(entry.entry_id)
