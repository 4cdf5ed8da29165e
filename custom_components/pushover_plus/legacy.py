"""Drop-in for the built-in pushover integration: its notify.<name> and pushover.cancel.

With the option on, a sender entry registers the legacy notify action that the built-in
entry it was copied from had (``notify.<that entry's name>``; otherwise
``notify.<this entry's name>``), with the same fields and meanings, and sends through
MessageSender: holding, receipts, the quota guard, strict validation and translated
errors apply. The built-in ``pushover.cancel`` (entry_id, tag) is offered as well, mapped
onto cancel_by_tag, once no entry of the built-in integration is left.

While a built-in entry still provides the name, nothing is registered and a repair issue
says so; when that entry is removed or disabled, the action is taken over at once (the
built-in integration cannot unload, so its stale action is replaced).
"""

from collections.abc import Mapping
from datetime import datetime
import logging
from typing import Any

from homeassistant.components.notify import ATTR_TITLE_DEFAULT
from homeassistant.components.notify.const import (
    ATTR_DATA,
    ATTR_TARGET,
    DOMAIN as NOTIFY_DOMAIN,
)
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, Service, ServiceCall, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.service import async_set_service_schema
from homeassistant.util import dt as dt_util, slugify
from homeassistant.util.hass_dict import HassKey

from .compat import vol
from .const import (
    ATTR_ATTACHMENT,
    ATTR_ATTACHMENT_PATH,
    ATTR_CALLBACK_URL,
    ATTR_DEVICES,
    ATTR_ENTRY_ID,
    ATTR_EXPIRE,
    ATTR_HTML,
    ATTR_MESSAGE,
    ATTR_PRIORITY,
    ATTR_RETRY,
    ATTR_SOUND,
    ATTR_TAG,
    ATTR_TAGS,
    ATTR_TIMESTAMP,
    ATTR_TITLE,
    ATTR_TTL,
    ATTR_URL,
    ATTR_URL_TITLE,
    CONF_CORE_ENTRY_ID,
    CONF_LEGACY_SERVICE,
    CORE_DOMAIN,
    DOMAIN,
    ISSUE_LEGACY_SERVICE_CORE,
    ISSUE_LEGACY_SERVICE_TAKEN,
    RECEIPT_CANCELED,
)
from .data import PushoverConfigEntry, SenderData, sender_data
from .errors import call_api, home_assistant_error
from .issues import async_clear_issue, async_raise_issue
from .messages import build_message, whole_number
from .pushover import PushoverError, PushoverRequestError
from .service_helpers import loaded_entry

_LOGGER = logging.getLogger(__name__)

CORE_MODULE = f"homeassistant.components.{CORE_DOMAIN}"
SERVICE_CANCEL = "cancel"
TEXT_FIELDS = (ATTR_URL, ATTR_URL_TITLE, ATTR_SOUND)
NUMBER_FIELDS = (ATTR_PRIORITY, ATTR_RETRY, ATTR_EXPIRE, ATTR_TTL)

DATA_LEGACY: HassKey[dict[str, LegacyNotifyService]] = HassKey(f"{DOMAIN}_legacy")

# The built-in action requires entry_id; its documentation calls it with a tag alone.
CANCEL_SCHEMA = vol.Schema(
    {vol.Optional(ATTR_ENTRY_ID): cv.string, vol.Optional(ATTR_TAG): cv.string}
)
CANCEL_DESCRIPTION = {
    "name": "Cancel emergency notification",
    "description": (
        "Cancels the emergency notifications (priority 2) sent with a tag, by Pushover Plus "
        "in place of the built-in Pushover integration."
    ),
    "fields": {
        ATTR_ENTRY_ID: {
            "required": False,
            "selector": {"config_entry": {"integration": DOMAIN}},
        },
        ATTR_TAG: {"required": False, "example": "alarm", "selector": {"text": {}}},
    },
}


def legacy_service_name(entry: ConfigEntry) -> str:
    """Return the notify action name: the copied built-in entry's, else this entry's."""
    name: str | None = entry.data.get(CONF_LEGACY_SERVICE)
    return name or slugify(entry.title)


def core_service_name(core: ConfigEntry) -> str:
    """Return the notify action a built-in entry registers (as the legacy platform names it)."""
    return slugify(core.data.get(CONF_NAME) or NOTIFY_DOMAIN)


def _core_entries(hass: HomeAssistant) -> list[ConfigEntry]:
    """Return the entries of the built-in integration that are set up (or will be)."""
    return [
        entry
        for entry in hass.config_entries.async_entries(CORE_DOMAIN, include_ignore=False)
        if entry.disabled_by is None
    ]


def _registered_by_core(service: Service) -> bool:
    """Whether the built-in integration registered an action (its handler's module)."""
    target = service.job.target
    owner = getattr(target, "__self__", None)
    module = type(owner).__module__ if owner is not None else getattr(target, "__module__", "")
    return bool(module == CORE_MODULE or module.startswith(f"{CORE_MODULE}."))


def _timestamp(value: Any) -> datetime | None:
    """Return the built-in field's Unix time as a time (send_message takes a datetime).

    build_message checks its range; whole_number's bound keeps it a valid time.
    """
    seconds = whole_number(value, ATTR_TIMESTAMP)
    return None if seconds is None else dt_util.utc_from_timestamp(seconds)


def _tags(value: Any) -> list[str] | str | None:
    """Return the tags as text: one tag or a list (the built-in field takes both)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return [str(tag) for tag in value]
    return str(value)


class LegacyNotifyService(BaseNotificationService):
    """notify.<name> of the built-in integration, sent by one sender entry."""

    def __init__(self, entry: PushoverConfigEntry) -> None:
        """Initialize for the entry (its own user key and devices)."""
        self.entry = entry
        self.service_name = legacy_service_name(entry)

    def _owns(self, service: Service | None) -> bool:
        return service is not None and service.job.target == self._async_notify_message_service

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Send with the built-in fields: title, target (device names) and data."""
        runtime = sender_data(self.entry)
        data: Mapping[str, Any] = {
            key: value
            for key, value in (kwargs.get(ATTR_DATA) or {}).items()
            if value is not None and value != ""  # an empty form field, as the built-in sent
        }
        fields: dict[str, Any] = {
            ATTR_MESSAGE: message,
            ATTR_TITLE: kwargs.get(ATTR_TITLE) or ATTR_TITLE_DEFAULT,
            ATTR_DEVICES: kwargs.get(ATTR_TARGET) or [],
            ATTR_HTML: bool(data.get(ATTR_HTML)),
            ATTR_TAGS: _tags(data.get(ATTR_TAGS)),
            ATTR_TIMESTAMP: _timestamp(data.get(ATTR_TIMESTAMP)),
        }
        fields.update({key: data[key] for key in NUMBER_FIELDS if key in data})
        fields.update({key: str(data[key]) for key in TEXT_FIELDS if key in data})
        if ATTR_ATTACHMENT in data:
            # A relative path is taken from the configuration directory, the working
            # directory of Home Assistant in its container, where the built-in opened it.
            fields[ATTR_ATTACHMENT_PATH] = self.hass.config.path(str(data[ATTR_ATTACHMENT]))
        built = await build_message(
            self.hass,
            fields,
            users=[runtime.user_key],
            sounds=await runtime.sender.async_sounds() if ATTR_SOUND in fields else None,
        )
        callback_url = data.get(ATTR_CALLBACK_URL)
        if callback_url is None and built.message.priority == 2:
            callback_url = runtime.receipts.callback_url
        callback = None if callback_url is None else str(callback_url)  # no limit to check
        await runtime.sender.async_send(
            built._replace(message=built.message._replace(callback=callback)),
            recipient=self.entry.title,
        )

    def _core_owner(self) -> ConfigEntry | None:
        """Return the built-in entry that provides this action's name, if any."""
        return next(
            (
                core
                for core in _core_entries(self.hass)
                if core_service_name(core) == self.service_name
            ),
            None,
        )

    async def async_update(self) -> None:
        """Register the action unless a built-in entry or another integration has it."""
        current = self.hass.services.async_services_for_domain(NOTIFY_DOMAIN).get(self.service_name)
        if self._owns(current):
            return
        if (owner := self._core_owner()) is not None:
            async_raise_issue(
                self.hass,
                self.entry,
                ISSUE_LEGACY_SERVICE_CORE,
                service=self.service_name,
                core=owner.title,
            )
            return
        async_clear_issue(self.hass, self.entry, ISSUE_LEGACY_SERVICE_CORE)
        if current is not None:
            if not _registered_by_core(current):
                async_raise_issue(
                    self.hass, self.entry, ISSUE_LEGACY_SERVICE_TAKEN, service=self.service_name
                )
                return
            # Left behind by a built-in entry that was removed: it cannot unload.
            self.hass.services.async_remove(NOTIFY_DOMAIN, self.service_name)
        async_clear_issue(self.hass, self.entry, ISSUE_LEGACY_SERVICE_TAKEN)
        await self.async_register_services()

    async def async_core_entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry) -> None:
        """Look again when an entry of the built-in integration comes, goes or changes."""
        if entry.domain != CORE_DOMAIN:
            return
        await self.async_update()
        async_update_cancel(self.hass)

    async def async_unload(self) -> None:
        """Remove the action (if it is this entry's) and the repair issues."""
        current = self.hass.services.async_services_for_domain(NOTIFY_DOMAIN).get(self.service_name)
        if self._owns(current):
            await self.async_unregister_services()
        for key in (ISSUE_LEGACY_SERVICE_CORE, ISSUE_LEGACY_SERVICE_TAKEN):
            async_clear_issue(self.hass, self.entry, key)
        self.hass.data[DATA_LEGACY].pop(self.entry.entry_id, None)
        async_update_cancel(self.hass)


async def async_setup_legacy(hass: HomeAssistant, entry: PushoverConfigEntry) -> None:
    """Offer the built-in integration's actions for a sender entry (its option is on)."""
    service = LegacyNotifyService(entry)
    await service.async_setup(hass, service.service_name, service.service_name)
    hass.data.setdefault(DATA_LEGACY, {})[entry.entry_id] = service
    entry.async_on_unload(service.async_unload)
    entry.async_on_unload(
        async_dispatcher_connect(
            hass, SIGNAL_CONFIG_ENTRY_CHANGED, service.async_core_entry_changed
        )
    )
    await service.async_update()
    async_update_cancel(hass)


@callback
def async_update_cancel(hass: HomeAssistant) -> None:
    """Offer pushover.cancel while an entry offers notify.<name> and no built-in entry is left."""
    current = hass.services.async_services_for_domain(CORE_DOMAIN).get(SERVICE_CANCEL)
    wanted = bool(hass.data.get(DATA_LEGACY, {})) and not _core_entries(hass)
    if current is not None and current.job.target is async_cancel:
        if not wanted:
            hass.services.async_remove(CORE_DOMAIN, SERVICE_CANCEL)
        return
    if not wanted:
        return
    if current is not None:
        if not _registered_by_core(current):
            return  # another integration's: leave it
        hass.services.async_remove(CORE_DOMAIN, SERVICE_CANCEL)  # the built-in's, stale
    hass.services.async_register(CORE_DOMAIN, SERVICE_CANCEL, async_cancel, schema=CANCEL_SCHEMA)
    async_set_service_schema(hass, CORE_DOMAIN, SERVICE_CANCEL, CANCEL_DESCRIPTION)


def _cancel_targets(hass: HomeAssistant, entry_id: str | None) -> list[PushoverConfigEntry]:
    """Return the entries to cancel for: the one named (or copied from it), else all."""
    if entry_id is None:
        return [legacy.entry for legacy in hass.data.get(DATA_LEGACY, {}).values()]
    copies: list[PushoverConfigEntry] = [
        entry
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
        if entry.data.get(CONF_CORE_ENTRY_ID) == entry_id
        and isinstance(entry.runtime_data, SenderData)
    ]
    return copies or [loaded_entry(hass, entry_id)]


async def async_cancel(call: ServiceCall) -> None:
    """pushover.cancel: stop the emergency alerts with the tag, or all tagged ones."""
    hass = call.hass
    tag = str(call.data.get(ATTR_TAG) or "").strip()  # the client checks it
    for entry in _cancel_targets(hass, call.data.get(ATTR_ENTRY_ID)):
        runtime = sender_data(entry)
        if tag:
            await call_api(hass, entry, runtime.client.cancel_by_tag(tag))
            runtime.receipts.async_finish_tag(tag)
            continue
        # No tag: every followed alert that was sent with one, as the built-in did.
        for receipt, tracked in list(runtime.receipts.active.items()):
            if not tracked.tags:
                continue
            try:
                await runtime.client.cancel_receipt(receipt)
            except PushoverRequestError as err:  # ended already; the next poll says how
                _LOGGER.debug("Could not cancel an alert: %s", err)
                continue
            except PushoverError as err:
                raise home_assistant_error(hass, entry, err) from err
            runtime.receipts.async_finish(receipt, RECEIPT_CANCELED)
