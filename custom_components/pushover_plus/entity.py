"""Base entities of Pushover Plus."""

from typing import TYPE_CHECKING, Any

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)

from .const import CONF_ENTRY_TYPE, CONFIGURATION_URL, DOMAIN, ENTRY_TYPE_RECEIVER, MANUFACTURER

if TYPE_CHECKING:
    from .data import PushoverConfigEntry


def entry_device_info(entry: PushoverConfigEntry) -> DeviceInfo:
    """Return the service device that represents a config entry."""
    receiver = entry.data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_RECEIVER
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer=MANUFACTURER,
        model="Open Client device" if receiver else "Application",
        name=entry.title,
        configuration_url=CONFIGURATION_URL,
    )


class PushoverEntity(Entity):
    """An entity of a Pushover Plus config entry."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: PushoverConfigEntry, key: str) -> None:
        """Initialize the entity on the entry's device."""
        self.entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = entry_device_info(entry)


class PushoverCoordinatorEntity[CoordinatorT: DataUpdateCoordinator[Any]](
    CoordinatorEntity[CoordinatorT]
):
    """An entity fed by one of the entry's coordinators."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: CoordinatorT, entry: PushoverConfigEntry, key: str) -> None:
        """Initialize the entity on the entry's device."""
        super().__init__(coordinator)
        self.entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = entry_device_info(entry)
