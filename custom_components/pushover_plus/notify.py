"""Notify entities of Pushover Plus: one per recipient."""

from collections.abc import Callable
from typing import Any

from homeassistant.components.notify import (  # type: ignore[attr-defined]
    NotifyEntity,
    NotifyEntityFeature,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    ATTR_DEVICES,
    ATTR_HOLD_WHEN_OFFLINE,
    ATTR_MESSAGE,
    ATTR_SOUND,
    ATTR_TITLE,
    CONF_DEVICES,
    CONF_USER_KEY,
    DOMAIN,
    MANUFACTURER,
    SIGNAL_RECIPIENTS,
    SUBENTRY_TYPE_RECIPIENT,
)
from .data import PushoverConfigEntry, sender_data
from .entity import PushoverEntity
from .messages import build_message

# Sends are bounded by the request budget every client shares (connection.py).
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PushoverConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's own recipient and one entity per recipient subentry."""
    async_add_entities([PushoverNotifyEntity(entry, None)])
    recipients: dict[str, PushoverNotifyEntity] = {}

    @callback
    def async_sync_recipients() -> None:
        """Add new recipients, update changed ones, forget removed ones.

        Home Assistant itself removes the entity and the device of a removed subentry.
        """
        current = {
            subentry_id: subentry
            for subentry_id, subentry in entry.subentries.items()
            if subentry.subentry_type == SUBENTRY_TYPE_RECIPIENT
        }
        for subentry_id in recipients.keys() - current.keys():
            del recipients[subentry_id]
        for subentry_id, subentry in current.items():
            if (entity := recipients.get(subentry_id)) is not None:
                entity.async_set_recipient(subentry)
                continue
            recipients[subentry_id] = PushoverNotifyEntity(entry, subentry)
            async_add_entities([recipients[subentry_id]], config_subentry_id=subentry_id)

    async_sync_recipients()
    entry.async_on_unload(
        async_dispatcher_connect(
            hass, SIGNAL_RECIPIENTS.format(entry.entry_id), async_sync_recipients
        )
    )


class PushoverNotifyEntity(PushoverEntity, NotifyEntity):
    """Send to one user or delivery group."""

    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, entry: PushoverConfigEntry, subentry: ConfigSubentry | None) -> None:
        """Initialize for the entry's own user key or a recipient subentry."""
        key = "notify" if subentry is None else f"{subentry.subentry_id}_notify"
        super().__init__(entry, key)
        self.runtime = sender_data(entry)
        if subentry is None:
            self.user_key: str = entry.data[CONF_USER_KEY]
            self.default_devices: list[str] = []
            self.recipient_name = entry.title
            self._attr_name = None
        else:
            self.user_key = subentry.data[CONF_USER_KEY]
            self.async_set_recipient(subentry)
            self._attr_name = None
            self._attr_device_info = DeviceInfo(
                identifiers={(DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")},
                entry_type=DeviceEntryType.SERVICE,
                manufacturer=MANUFACTURER,
                model="Recipient",
                name=subentry.title,
            )

    @callback
    def async_set_recipient(self, subentry: ConfigSubentry) -> None:
        """Take the name and the devices of the recipient subentry (after a change)."""
        self.default_devices = list(subentry.data.get(CONF_DEVICES, []))
        self.recipient_name = subentry.title

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send a message through notify.send_message (which records the time itself)."""
        await self._async_send({ATTR_MESSAGE: message, ATTR_TITLE: title})

    async def async_send_pushover(self, **data: Any) -> dict[str, Any]:
        """Send a message with every Pushover parameter (pushover_plus.send_message)."""
        response = await self._async_send(data)
        # Newer Home Assistant releases can record the time of the last message for
        # actions other than notify.send_message; 2026.3 records it only for that action.
        record: Callable[[], None] | None = getattr(self, "_async_record_notification", None)
        if record is not None:
            record()
        return response

    async def _async_send(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data.get(ATTR_DEVICES) and self.default_devices:
            data[ATTR_DEVICES] = self.default_devices
        validated = await build_message(
            self.hass,
            data,
            users=[self.user_key],
            sounds=await self.runtime.sender.async_sounds() if data.get(ATTR_SOUND) else None,
            callback_url=self.runtime.receipts.callback_url,
        )
        return await self.runtime.sender.async_send(
            validated,
            recipient=self.recipient_name,
            hold=data.get(ATTR_HOLD_WHEN_OFFLINE),
        )
