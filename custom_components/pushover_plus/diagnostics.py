"""Diagnostics of Pushover Plus (secrets redacted)."""

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_EMAIL, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .const import (
    CONF_API_TOKEN,
    CONF_DEVICE_ID,
    CONF_SECRET,
    CONF_TEAM_TOKEN,
    CONF_USER_KEY,
    CONF_WEBHOOK_ID,
)
from .data import PushoverConfigEntry, ReceiverData, SenderData

TO_REDACT = {
    CONF_API_TOKEN,
    CONF_USER_KEY,
    CONF_TEAM_TOKEN,
    CONF_SECRET,
    CONF_DEVICE_ID,
    CONF_EMAIL,
    CONF_PASSWORD,
    CONF_WEBHOOK_ID,
    "user",
    "users",
    "acknowledged_by",
    "receipt",
    "unique_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PushoverConfigEntry
) -> dict[str, Any]:
    """Return diagnostics of an entry."""
    result: dict[str, Any] = {
        "entry": {
            "title": entry.title,
            "version": f"{entry.version}.{entry.minor_version}",
            "data": dict(entry.data),
            "options": dict(entry.options),
            "subentries": [
                {"title": sub.title, "type": sub.subentry_type, "data": dict(sub.data)}
                for sub in entry.subentries.values()
            ],
        },
    }
    data = getattr(entry, "runtime_data", None)
    if isinstance(data, SenderData) and data.quota.data is not None:
        limits = data.quota.data
        result["quota"] = {
            **limits._asdict(),
            "reset": limits.reset.isoformat(),
            "last_update_success": data.quota.last_update_success,
        }
    if isinstance(data, ReceiverData):
        listener = data.listener
        result["receiver"] = {
            "connected": listener.connected,
            "reconnect_attempts": listener.failures,
            "highest_id": str(listener.highest_id),
        }
    return async_redact_data(result, TO_REDACT)


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: PushoverConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return diagnostics of a device: the entry's, plus the device's own identity."""
    result = await async_get_config_entry_diagnostics(hass, entry)
    result["device"] = {"name": device.name, "model": device.model}
    return result
