"""Actions of Pushover Plus (registered in async_setup)."""

from __future__ import annotations

from homeassistant.components.notify.const import DOMAIN as NOTIFY_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, service

from .compat import vol
from .const import CONF_ENTRY_TYPE, DOMAIN, ENTRY_TYPE_RECEIVER
from .coordinator import PushoverConfigEntry, SenderData
from .messages import (
    ATTR_ATTACHMENT,
    ATTR_ATTACHMENT_PATH,
    ATTR_ATTACHMENT_URL,
    ATTR_DEVICES,
    ATTR_EXPIRE,
    ATTR_HOLD_WHEN_OFFLINE,
    ATTR_HTML,
    ATTR_MESSAGE,
    ATTR_MONOSPACE,
    ATTR_PRIORITY,
    ATTR_RETRY,
    ATTR_SOUND,
    ATTR_TAGS,
    ATTR_TIMESTAMP,
    ATTR_TITLE,
    ATTR_TTL,
    ATTR_URL,
    ATTR_URL_TITLE,
)

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
SERVICE_SEND_MESSAGE = "send_message"

_STRING_LIST = vol.Any(cv.string, [cv.string])

SEND_MESSAGE_SCHEMA = cv.make_entity_service_schema(
    {
        vol.Required(ATTR_MESSAGE): cv.string,
        vol.Optional(ATTR_TITLE): cv.string,
        vol.Optional(ATTR_DEVICES): _STRING_LIST,
        vol.Optional(ATTR_PRIORITY): vol.Any(vol.Coerce(int), cv.string),
        vol.Optional(ATTR_RETRY): vol.Coerce(int),
        vol.Optional(ATTR_EXPIRE): vol.Coerce(int),
        vol.Optional(ATTR_TAGS): _STRING_LIST,
        vol.Optional(ATTR_SOUND): cv.string,
        vol.Optional(ATTR_TIMESTAMP): cv.datetime,
        vol.Optional(ATTR_TTL): vol.Coerce(int),
        vol.Optional(ATTR_URL): cv.string,
        vol.Optional(ATTR_URL_TITLE): cv.string,
        vol.Optional(ATTR_HTML): cv.boolean,
        vol.Optional(ATTR_MONOSPACE): cv.boolean,
        vol.Optional(ATTR_ATTACHMENT): dict,
        vol.Optional(ATTR_ATTACHMENT_PATH): cv.string,
        vol.Optional(ATTR_ATTACHMENT_URL): cv.string,
        vol.Optional(ATTR_HOLD_WHEN_OFFLINE): cv.boolean,
    }
)


def loaded_entry(
    hass: HomeAssistant, call: ServiceCall, *, receiver: bool = False
) -> PushoverConfigEntry:
    """Return the loaded entry named by config_entry_id, of the expected type."""
    entry_id: str = call.data[ATTR_CONFIG_ENTRY_ID]
    entry: PushoverConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"name": entry.title},
        )
    if (entry.data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_RECEIVER) != receiver:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_wrong_type",
            translation_placeholders={"name": entry.title},
        )
    return entry


def loaded_sender(hass: HomeAssistant, call: ServiceCall) -> tuple[PushoverConfigEntry, SenderData]:
    """Return a loaded sender entry and its runtime data."""
    entry = loaded_entry(hass, call)
    data = entry.runtime_data
    assert isinstance(data, SenderData)
    return entry, data


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action of the integration."""
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        entity_domain=NOTIFY_DOMAIN,
        schema=SEND_MESSAGE_SCHEMA,
        func="async_send_pushover",
        supports_response=SupportsResponse.OPTIONAL,
    )
