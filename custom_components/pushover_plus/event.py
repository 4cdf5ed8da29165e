"""Event entities: emergency receipts (sender) and received messages (receiver)."""

from __future__ import annotations

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
from .data import PushoverConfigEntry, ReceiverData
from .entity import PushoverEntity
from .receiver import OpenClientListener

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PushoverConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entity of the entry."""
    if isinstance(entry.runtime_data, ReceiverData):
        listener = entry.runtime_data.listener
        async_add_entities(
            [PushoverEventEntity(entry, "message", SIGNAL_MESSAGE, [EVENT_TYPE_MESSAGE], listener)]
        )
    else:
        async_add_entities(
            [
                PushoverEventEntity(
                    entry,
                    "emergency",
                    SIGNAL_RECEIPT,
                    [RECEIPT_ACKNOWLEDGED, RECEIPT_EXPIRED, RECEIPT_CANCELED],
                )
            ]
        )


class PushoverEventEntity(PushoverEntity, EventEntity):
    """Fires when the entry reports an event on its dispatcher signal.

    A receiver's entity is available while its listener is connected to Pushover.
    """

    def __init__(
        self,
        entry: PushoverConfigEntry,
        key: str,
        signal: str,
        event_types: list[str],
        listener: OpenClientListener | None = None,
    ) -> None:
        """Initialize the entity."""
        super().__init__(entry, key)
        self._attr_translation_key = key
        self._attr_event_types = event_types
        self._signal = signal.format(entry.entry_id)
        self.listener = listener

    async def async_added_to_hass(self) -> None:
        """Listen to the entry's events (and to the listener's connection)."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, self._signal, self._async_handle_event)
        )
        if self.listener is not None:
            self.async_on_remove(self.listener.async_add_listener(self.async_write_ha_state))

    @property
    def available(self) -> bool:
        """Return whether the entity can report events (a receiver: while connected)."""
        return self.listener is None or self.listener.connected

    @callback
    def _async_handle_event(self, event_type: str, attributes: dict[str, Any]) -> None:
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()
