"""Follow emergency alerts until they are acknowledged, expire or are canceled."""

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
import logging
import re
import time
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qs

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    CONF_RECEIPT_POLL_INTERVAL,
    CONF_USE_WEBHOOK,
    CONF_WEBHOOK_ID,
    DEFAULT_RECEIPT_POLL_INTERVAL,
    DOMAIN,
    EVENT_RECEIPT,
    ISSUE_WEBHOOK_UNREACHABLE,
    RECEIPT_ACKNOWLEDGED,
    RECEIPT_CANCELED,
    RECEIPT_EXPIRED,
    SIGNAL_RECEIPT,
)
from .coordinator import PushCoordinator
from .issues import async_clear_issue, async_raise_issue
from .pushover import (
    DEVICE_NAME_PATTERN,
    KEY_PATTERN,
    MIN_POLL_INTERVAL_SECONDS,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverError,
    PushoverRequestError,
    Receipt,
)

if TYPE_CHECKING:
    from .data import PushoverConfigEntry

_LOGGER = logging.getLogger(__name__)

STORE_VERSION = 1
RECEIPT_MAX_AGE = timedelta(days=7)
WEBHOOK_POLL_INTERVAL = timedelta(minutes=5)
DIGITS_PATTERN = r"[0-9]{1,12}"  # matched whole


class TrackedReceipt(NamedTuple):
    """An emergency alert we sent and still follow."""

    receipt: str
    recipient: str
    tags: tuple[str, ...] = ()
    sent_at: float = 0.0
    expires_at: float = 0.0


class ReceiptTracker:
    """Receipts of one sender entry: persisted, polled while active, fed by the webhook."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        client: PushoverClient,
        names: Callable[[], dict[str, str]],
    ) -> None:
        """Initialize the tracker; ``names`` maps user keys to recipient names."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self._names = names
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.receipts.{entry.entry_id}"
        )
        self.active: dict[str, TrackedReceipt] = {}
        self.callback_url: str | None = None
        self._unsub_poll: CALLBACK_TYPE | None = None
        self.coordinator = PushCoordinator(hass, entry, "receipts", 0)  # alerts active
        self._polling = False
        self._confirming: dict[str, bool] = {}  # receipt -> another callback came meanwhile

    @property
    def poll_interval(self) -> timedelta:
        """Return the poll interval: the option, or slower while the webhook reports."""
        seconds = max(
            float(
                self.entry.options.get(CONF_RECEIPT_POLL_INTERVAL, DEFAULT_RECEIPT_POLL_INTERVAL)
            ),
            MIN_POLL_INTERVAL_SECONDS,
        )
        interval = timedelta(seconds=seconds)
        if self.callback_url is not None:
            return max(interval, WEBHOOK_POLL_INTERVAL)
        return interval

    async def async_load(self) -> None:
        """Read the receipts of the last run (only reads: setup may still fail)."""
        stored = await self._store.async_load() or {}
        oldest = dt_util.utcnow().timestamp() - RECEIPT_MAX_AGE.total_seconds()
        for item in stored.get("receipts", []):
            tracked = TrackedReceipt(**{**item, "tags": tuple(item.get("tags", ()))})
            if tracked.sent_at >= oldest:
                self.active[tracked.receipt] = tracked

    @callback
    def async_setup(self) -> None:
        """Show the loaded receipts, register the webhook and resume polling."""
        self.coordinator.async_set_updated_data(len(self.active))
        self._setup_webhook()
        self.entry.async_on_unload(self._async_stop)
        self.entry.async_on_unload(self._async_save)
        self._schedule()

    def _setup_webhook(self) -> None:
        """Register the acknowledgement webhook when wanted; raise a repair issue if unusable."""
        if not self.entry.options.get(CONF_USE_WEBHOOK, False):
            async_clear_issue(self.hass, self.entry, ISSUE_WEBHOOK_UNREACHABLE)
            return
        webhook_id: str = self.entry.data[CONF_WEBHOOK_ID]
        webhook.async_register(
            self.hass,
            DOMAIN,
            f"Pushover Plus {self.entry.title}",
            webhook_id,
            self._async_handle_webhook,
            local_only=False,
            allowed_methods=("POST",),
        )
        self.entry.async_on_unload(lambda: webhook.async_unregister(self.hass, webhook_id))
        try:
            self.callback_url = webhook.async_generate_url(
                self.hass, webhook_id, allow_internal=False, prefer_external=True
            )
        except NoURLAvailableError:
            async_raise_issue(
                self.hass,
                self.entry,
                ISSUE_WEBHOOK_UNREACHABLE,
                learn_more_url="https://www.home-assistant.io/integrations/http/#external_url",
            )
            return
        async_clear_issue(self.hass, self.entry, ISSUE_WEBHOOK_UNREACHABLE)

    @callback
    def _async_stop(self) -> None:
        if self._unsub_poll is not None:
            self._unsub_poll()
            self._unsub_poll = None

    def _changed(self) -> None:
        self.coordinator.async_set_updated_data(len(self.active))
        self._store.async_delay_save(self._data_to_save, 1)
        self._schedule()

    async def _async_save(self) -> None:
        """Write the receipts now (on unload) instead of after the save delay."""
        await self._store.async_save(self._data_to_save())

    def _data_to_save(self) -> dict[str, Any]:
        return {"receipts": [tracked._asdict() for tracked in self.active.values()]}

    async def async_track(self, receipt: str, recipient: str, tags: list[str], expire: int) -> None:
        """Follow a receipt returned by a priority 2 send; return once it is on disk."""
        now = dt_util.utcnow().timestamp()
        self.active[receipt] = TrackedReceipt(
            receipt=receipt,
            recipient=recipient,
            tags=tuple(tags),
            sent_at=now,
            expires_at=now + expire,
        )
        self._changed()
        await self._store.async_save(self._data_to_save())

    def _schedule(self) -> None:
        """Poll again after the interval while anything is active (never sooner than 5 s)."""
        self._async_stop()
        if not self.active or self._polling:
            return
        delay = self.poll_interval.total_seconds()
        now = dt_util.utcnow().timestamp()
        first_expiry = min(tracked.expires_at for tracked in self.active.values())
        delay = max(min(delay, first_expiry + 1 - now), MIN_POLL_INTERVAL_SECONDS)
        self._unsub_poll = async_call_later(self.hass, delay, self._async_poll)

    async def _async_poll(self, _now: datetime) -> None:
        """Ask Pushover about every active receipt, one after another."""
        self._unsub_poll = None
        self._polling = True
        try:
            for receipt in list(self.active):
                try:
                    state = await self.client.get_receipt(receipt)
                except PushoverAuthenticationError:
                    self.entry.async_start_reauth(self.hass)
                    return
                except PushoverRequestError as err:
                    _LOGGER.debug("Receipt no longer known to Pushover: %s", err)
                    self.async_finish(receipt, RECEIPT_EXPIRED)
                    continue
                except PushoverError as err:
                    _LOGGER.debug("Could not poll a receipt: %s", err)
                    break
                self._apply(receipt, state)
        finally:
            self._polling = False
            self._schedule()

    @callback
    def update_from(self, receipt: str, state: Receipt) -> None:
        """End tracking when a receipt fetched elsewhere (get_receipt) is final."""
        if receipt in self.active:
            self._apply(receipt, state)

    def _apply(self, receipt: str, state: Receipt) -> None:
        if state.acknowledged:
            self.async_finish(
                receipt,
                RECEIPT_ACKNOWLEDGED,
                acknowledged_by=state.acknowledged_by,
                acknowledged_by_device=state.acknowledged_by_device,
                acknowledged_at=state.acknowledged_at,
            )
        elif state.expired:
            self.async_finish(receipt, RECEIPT_EXPIRED)

    def describe_user(self, user_key: str | None) -> str | None:
        """Return the recipient name for a user key, never the key itself."""
        if not user_key:
            return None
        return self._names().get(user_key, "unknown user")

    @callback
    def async_finish(
        self,
        receipt: str,
        state: str,
        *,
        acknowledged_by: str | None = None,
        acknowledged_by_device: str | None = None,
        acknowledged_at: datetime | None = None,
    ) -> bool:
        """End tracking with exactly one terminal event; False if it was not active."""
        tracked = self.active.pop(receipt, None)
        if tracked is None:
            return False
        data: dict[str, Any] = {
            "receipt": receipt,
            "state": state,
            "recipient": tracked.recipient,
            "acknowledged_by": self.describe_user(acknowledged_by),
            "acknowledged_by_device": acknowledged_by_device or None,
            "acknowledged_at": acknowledged_at.isoformat() if acknowledged_at else None,
            "tags": list(tracked.tags),
        }
        _LOGGER.debug("Emergency alert %s", state)
        async_dispatcher_send(
            self.hass, SIGNAL_RECEIPT.format(self.entry.entry_id), state, dict(data)
        )
        self.hass.bus.async_fire(EVENT_RECEIPT, {**data, "config_entry_id": self.entry.entry_id})
        self._changed()
        return True

    @callback
    def async_finish_tag(self, tag: str) -> None:
        """Mark every followed receipt with that tag canceled."""
        for receipt, tracked in list(self.active.items()):
            if tag in tracked.tags:
                self.async_finish(receipt, RECEIPT_CANCELED)

    async def _async_handle_webhook(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Take Pushover's acknowledgement callback as a hint to ask Pushover (get_receipt).

        Anyone who learns the webhook URL can post to it, so the alert is finished only
        when Pushover confirms it. Anything else is ignored with 200, a body over
        MAX_CALLBACK_BYTES gets 413 unread; nothing here raises (Home Assistant would
        log the webhook id with the traceback).
        """
        body = await _read_callback(request)  # a sender gone away cancels the handler
        if body is None:
            _LOGGER.debug("Ignored a callback of more than %d bytes", MAX_CALLBACK_BYTES)
            return web.Response(status=413)
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        fields = {key: form.get(key, [""])[0] for key in _CALLBACK_FIELDS}
        receipt = fields["receipt"]
        if not _well_formed(fields) or receipt not in self.active:
            _LOGGER.debug("Ignored a callback that is not for an alert we follow")
            return web.Response(status=200)
        if receipt in self._confirming:
            self._confirming[receipt] = True  # ask again once this confirmation is done
            return web.Response(status=200)
        self._confirming[receipt] = False
        self.entry.async_create_background_task(
            hass, self._async_confirm(receipt), name=f"{DOMAIN} confirm a callback"
        )
        return web.Response(status=200)

    async def _async_confirm(self, receipt: str) -> None:
        """Ask Pushover about the receipt callbacks named; finish it if Pushover says so.

        Callbacks that arrive meanwhile cost one more request, CALLBACK_SPACING seconds
        after the last one at the earliest, however many they are.
        """
        try:
            while True:
                started = time.monotonic()
                try:
                    self.update_from(receipt, await self.client.get_receipt(receipt))
                except PushoverError as err:
                    _LOGGER.debug("Could not confirm a callback (polling goes on): %s", err)
                if not self._confirming.get(receipt) or receipt not in self.active:
                    return
                self._confirming[receipt] = False
                await asyncio.sleep(started + CALLBACK_SPACING - time.monotonic())
        finally:
            del self._confirming[receipt]


CALLBACK_SPACING = MIN_POLL_INTERVAL_SECONDS
MAX_CALLBACK_BYTES = 4096  # Pushover posts five short fields


async def _read_callback(request: web.Request) -> bytes | None:
    """Return the body of a callback, or None (unread) beyond MAX_CALLBACK_BYTES."""
    if request.content_length is not None and request.content_length > MAX_CALLBACK_BYTES:
        return None
    body = bytearray()
    while chunk := await request.content.read(MAX_CALLBACK_BYTES + 1 - len(body)):
        body += chunk
        if len(body) > MAX_CALLBACK_BYTES:
            return None
    return bytes(body)


_CALLBACK_FIELDS = (
    "receipt",
    "acknowledged",
    "acknowledged_at",
    "acknowledged_by",
    "acknowledged_by_device",
)


def _well_formed(fields: dict[str, str]) -> bool:
    """Check the five callback fields as Pushover sends them."""
    return bool(
        re.fullmatch(KEY_PATTERN, fields["receipt"])
        and fields["acknowledged"] == "1"
        and re.fullmatch(DIGITS_PATTERN, fields["acknowledged_at"])
        and re.fullmatch(KEY_PATTERN, fields["acknowledged_by"])
        and (
            not fields["acknowledged_by_device"]
            or re.fullmatch(DEVICE_NAME_PATTERN, fields["acknowledged_by_device"])
        )
    )
