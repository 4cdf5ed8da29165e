"""Pushover Plus: the whole Pushover API in Home Assistant."""

import asyncio
from functools import partial
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.components import webhook
from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, discovery_flow
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.importlib import async_import_module
from homeassistant.helpers.storage import STORAGE_DIR, Store
from homeassistant.helpers.typing import ConfigType

from .connection import create_client
from .const import (
    CONF_ENTRY_TYPE,
    CONF_LEGACY_NOTIFY,
    CONF_USER_KEY,
    CONF_WEBHOOK_ID,
    CORE_DOMAIN,
    DEFAULT_LEGACY_NOTIFY,
    DOMAIN,
    ENTRY_TYPE_RECEIVER,
    SIGNAL_RECIPIENTS,
    SUBENTRY_TYPE_RECIPIENT,
)
from .coordinator import GroupsCoordinator, LicenseCreditsCoordinator, QuotaCoordinator
from .data import PushoverConfigEntry, ReceiverData, SenderData
from .errors import entry_errors
from .outbox import is_transient
from .pushover import PushoverClient, PushoverError
from .receipts import ReceiptTracker
from .sender import MessageSender
from .services import async_setup_services

if TYPE_CHECKING:
    from .receiver import OpenClientListener

_LOGGER = logging.getLogger(__name__)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

SENDER_PLATFORMS: list[Platform] = [
    Platform.EVENT,
    Platform.NOTIFY,
    Platform.SENSOR,
    Platform.SWITCH,
]
RECEIVER_PLATFORMS: list[Platform] = [Platform.EVENT, Platform.SENSOR]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions of Pushover Plus."""
    async_setup_services(hass)
    for core_entry in hass.config_entries.async_entries(CORE_DOMAIN):
        discovery_flow.async_create_flow(
            hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={"core_entry_id": core_entry.entry_id},
        )
    return True


def recipient_names(entry: PushoverConfigEntry) -> dict[str, str]:
    """Map the user keys of the entry and its recipients to their names."""
    names = {
        subentry.data[CONF_USER_KEY]: subentry.title
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_TYPE_RECIPIENT
    }
    names[entry.data[CONF_USER_KEY]] = entry.title
    return names


def _platforms(entry: PushoverConfigEntry) -> list[Platform]:
    if entry.data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_RECEIVER:
        return RECEIVER_PLATFORMS
    return SENDER_PLATFORMS


async def async_setup_entry(hass: HomeAssistant, entry: PushoverConfigEntry) -> bool:
    """Set up a sender or receiver entry."""
    client = create_client(hass, entry)
    if entry.data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_RECEIVER:
        entry.runtime_data = await _async_setup_receiver(hass, entry, client)
    else:
        entry.runtime_data = await _async_setup_sender(hass, entry, client)
    await hass.config_entries.async_forward_entry_setups(entry, _platforms(entry))
    if isinstance(data := entry.runtime_data, ReceiverData):
        entry.async_create_background_task(
            hass, data.listener.async_run(), f"{DOMAIN} receiver {entry.entry_id}"
        )
    else:  # the entities of the quota and the groups follow their first answers
        entry.async_create_background_task(
            hass, _async_refresh_all(data), f"{DOMAIN} first refresh {entry.entry_id}"
        )
        if entry.options.get(CONF_LEGACY_NOTIFY, DEFAULT_LEGACY_NOTIFY):
            legacy = await async_import_module(hass, f"{__package__}.legacy")
            await legacy.async_setup_legacy(hass, entry)
    entry.async_on_unload(
        entry.add_update_listener(partial(_async_update_listener, _settings(entry)))
    )
    return True


async def _async_setup_receiver(
    hass: HomeAssistant, entry: PushoverConfigEntry, client: PushoverClient
) -> ReceiverData:
    """Take the receiver's backlog (test-before-setup); the websocket follows.

    The Open Client code is loaded for receivers alone (most installations have none).
    """
    receiver = await async_import_module(hass, f"{__package__}.receiver")
    listener: OpenClientListener = receiver.OpenClientListener(hass, entry, client)
    await listener.async_setup()
    return ReceiverData(client=client, listener=listener)


async def _async_setup_sender(
    hass: HomeAssistant, entry: PushoverConfigEntry, client: PushoverClient
) -> SenderData:
    """Check the credentials (the one request of setup), load what was held and followed.

    What was held and followed is read while the credentials are checked.
    """
    quota = QuotaCoordinator(hass, entry, client)
    receipts = ReceiptTracker(hass, entry, client, partial(recipient_names, entry))
    sender = MessageSender(hass, entry, client, quota, receipts)
    reachable, _, held = await asyncio.gather(
        _async_test_sender(client, entry.data[CONF_USER_KEY]),
        receipts.async_load(),
        sender.outbox.async_load(),
    )
    if CONF_WEBHOOK_ID not in entry.data:
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_WEBHOOK_ID: webhook.async_generate_id()}
        )
    receipts.async_setup()
    await sender.outbox.async_setup(*held)
    sender.guard.async_setup()
    sender.outbox.offline = sender.outbox.offline or not reachable
    return SenderData(
        client=client,
        user_key=entry.data[CONF_USER_KEY],
        quota=quota,
        sender=sender,
        receipts=receipts,
        groups=GroupsCoordinator(hass, entry, client),
        license_credits=LicenseCreditsCoordinator(hass, entry, client),
    )


async def _async_test_sender(client: PushoverClient, user_key: str) -> bool:
    """Check the token and user key before setting up (test-before-setup).

    Return False when Pushover cannot be reached: the credentials were checked when the
    entry was made, so it loads anyway and holds messages until Pushover answers (a
    power cut brings Home Assistant back before the router). A rejected token or key
    starts reauth.
    """
    try:
        await client.validate_user(user_key, retries=0)  # unreachable: load now, hold
    except PushoverError as err:
        if not is_transient(err):
            with entry_errors(ConfigEntryNotReady, "setup_failed"):
                raise
        _LOGGER.warning("Pushover cannot be reached (%s); messages are held until it answers", err)
        return False
    return True


async def _async_refresh_all(data: SenderData) -> None:
    """Fetch the quota and the groups of a sender just set up."""
    await data.quota.async_refresh()
    await data.groups.async_refresh()


def _settings(entry: PushoverConfigEntry) -> tuple[Any, ...]:
    """Return what the entry was set up with, apart from its recipients."""
    return entry.title, dict(entry.data), dict(entry.options)


async def _async_update_listener(
    settings: tuple[Any, ...], hass: HomeAssistant, entry: PushoverConfigEntry
) -> None:
    """Reload when the settings change; recipients alone are added or removed in place.

    A reload would make every entity unavailable for a moment (and the event entity
    report a state change); a new or removed recipient concerns only its own entity.
    """
    if _settings(entry) != settings:
        await hass.config_entries.async_reload(entry.entry_id)
        return
    async_dispatcher_send(hass, SIGNAL_RECIPIENTS.format(entry.entry_id))


async def async_unload_entry(hass: HomeAssistant, entry: PushoverConfigEntry) -> bool:
    """Unload an entry."""
    return await hass.config_entries.async_unload_platforms(entry, _platforms(entry))


async def async_remove_entry(hass: HomeAssistant, entry: PushoverConfigEntry) -> None:
    """Delete what the entry stored: followed receipts, held messages, received ids."""
    for kind in ("receipts", "outbox", "receiver"):
        await Store[dict[str, object]](hass, 1, f"{DOMAIN}.{kind}.{entry.entry_id}").async_remove()
    await hass.async_add_executor_job(
        Path(hass.config.path(STORAGE_DIR, f"{DOMAIN}.outbox.{entry.entry_id}.jsonl")).unlink,
        True,
    )


async def async_migrate_entry(hass: HomeAssistant, entry: PushoverConfigEntry) -> bool:
    """Migrate an entry from an older version (none exists yet; 1.x loads as it is)."""
    return entry.version == 1
