"""Reading an action call: the entry it names and its text fields."""

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import service

from .const import ATTR_CONFIG_ENTRY_ID, CONF_ENTRY_TYPE, DOMAIN, ENTRY_TYPE_RECEIVER
from .data import PushoverConfigEntry, SenderData, sender_data


def loaded_entry(
    hass: HomeAssistant, entry_id: str, *, receiver: bool = False
) -> PushoverConfigEntry:
    """Return the loaded entry with this id, of the expected type.

    Home Assistant's helper says when the id is unknown, of another integration, or of
    an entry that is not loaded.
    """
    entry: PushoverConfigEntry = service.async_get_config_entry(hass, DOMAIN, entry_id)
    if (entry.data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_RECEIVER) != receiver:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_wrong_type",
            translation_placeholders={"name": entry.title},
        )
    return entry


def loaded_sender(call: ServiceCall) -> tuple[PushoverConfigEntry, SenderData]:
    """Return the loaded sender entry named by config_entry_id and its runtime data."""
    entry = loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    return entry, sender_data(entry)


def optional_text(call: ServiceCall, key: str) -> str | None:
    """Return a text field stripped, or None when it is absent or blank."""
    value: str | None = call.data.get(key)
    return value.strip() or None if value is not None else None


def required_text(call: ServiceCall, key: str) -> str:
    """Return a required text field stripped (the client refuses it when blank)."""
    value: str = call.data[key]
    return value.strip()
