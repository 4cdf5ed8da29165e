"""Actions of Pushover Plus (registered in async_setup)."""

from __future__ import annotations

from datetime import datetime
import re

from homeassistant.components.notify.const import DOMAIN as NOTIFY_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, service

from .compat import vol
from .const import CONF_ENTRY_TYPE, CONF_SECRET, DOMAIN, ENTRY_TYPE_RECEIVER, RECEIPT_CANCELED
from .coordinator import PushoverConfigEntry, ReceiverData, SenderData
from .errors import call_api
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
ATTR_RECEIPT = "receipt"
ATTR_TAG = "tag"
SERVICE_SEND_MESSAGE = "send_message"
SERVICE_GET_RECEIPT = "get_receipt"
SERVICE_CANCEL_RECEIPT = "cancel_receipt"
SERVICE_CANCEL_BY_TAG = "cancel_by_tag"
SERVICE_ACKNOWLEDGE = "acknowledge"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9]{30}$")
TAG_PATTERN = re.compile(r"^[^,/?#%\\]{1,100}$")

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


RECEIPT_SCHEMA = vol.Schema(
    {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string, vol.Required(ATTR_RECEIPT): cv.string}
)
TAG_SCHEMA = vol.Schema(
    {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string, vol.Required(ATTR_TAG): cv.string}
)


def checked_receipt(call: ServiceCall) -> str:
    """Return the receipt of the call or raise a translated error before any request."""
    receipt: str = call.data[ATTR_RECEIPT].strip()
    if not KEY_PATTERN.match(receipt):
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="receipt_invalid")
    return receipt


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def async_get_receipt(call: ServiceCall) -> ServiceResponse:
    """Return the state of an emergency receipt."""
    receipt = checked_receipt(call)
    entry, data = loaded_sender(call.hass, call)
    state = await call_api(call.hass, entry, data.client.get_receipt(receipt))
    data.receipts.update_from(receipt, state)
    return {
        "receipt": receipt,
        "acknowledged": state.acknowledged,
        "acknowledged_at": _iso(state.acknowledged_at),
        "acknowledged_by": data.receipts.describe_user(state.acknowledged_by),
        "acknowledged_by_device": state.acknowledged_by_device or None,
        "last_delivered_at": _iso(state.last_delivered_at),
        "expired": state.expired,
        "expires_at": _iso(state.expires_at),
        "called_back": state.called_back,
        "called_back_at": _iso(state.called_back_at),
    }


async def async_cancel_receipt(call: ServiceCall) -> None:
    """Stop the retries of an emergency alert."""
    receipt = checked_receipt(call)
    entry, data = loaded_sender(call.hass, call)
    await call_api(call.hass, entry, data.client.cancel_receipt(receipt))
    data.receipts.async_finish(receipt, RECEIPT_CANCELED)


async def async_cancel_by_tag(call: ServiceCall) -> ServiceResponse:
    """Stop the retries of every emergency alert sent with a tag."""
    tag: str = call.data[ATTR_TAG].strip()
    if not TAG_PATTERN.match(tag):
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="tag_invalid")
    entry, data = loaded_sender(call.hass, call)
    canceled = await call_api(call.hass, entry, data.client.cancel_by_tag(tag))
    data.receipts.async_finish_tag(tag)
    return {"canceled": canceled}


async def async_acknowledge(call: ServiceCall) -> None:
    """Acknowledge an emergency message as the receiver's Open Client device."""
    receipt = checked_receipt(call)
    entry = loaded_entry(call.hass, call, receiver=True)
    data = entry.runtime_data
    assert isinstance(data, ReceiverData)
    await call_api(
        call.hass, entry, data.client.acknowledge_receipt(entry.data[CONF_SECRET], receipt)
    )


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action of the integration."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_RECEIPT,
        async_get_receipt,
        schema=RECEIPT_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_CANCEL_RECEIPT, async_cancel_receipt, schema=RECEIPT_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_ACKNOWLEDGE, async_acknowledge, schema=RECEIPT_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CANCEL_BY_TAG,
        async_cancel_by_tag,
        schema=TAG_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        entity_domain=NOTIFY_DOMAIN,
        schema=SEND_MESSAGE_SCHEMA,
        func="async_send_pushover",
        supports_response=SupportsResponse.OPTIONAL,
    )
