"""Hold messages while Pushover is unreachable and deliver them, in order, later."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import (
    Attachment,
    Message,
    MessageResult,
    PushoverConnectionError,
    PushoverError,
    PushoverQuotaExceededError,
    PushoverServerError,
)
from .const import (
    CONF_MAX_HELD_AGE,
    DEFAULT_MAX_HELD_AGE_HOURS,
    DOMAIN,
    ISSUE_HELD_DROPPED,
)
from .coordinator import PushoverConfigEntry, SenderData

_LOGGER = logging.getLogger(__name__)

STORE_VERSION = 1
FIRST_RETRY_DELAY = 30.0
MAX_RETRY_DELAY = 300.0
UNLOAD_WAIT = 5.0  # seconds a delivery in flight may take to finish when the entry unloads

type Deliver = Callable[[str, Message], Awaitable[MessageResult]]
type Delivered = Callable[[HeldMessage, MessageResult], None]


def is_transient(err: PushoverError) -> bool:
    """Return whether a failure may pass by itself (connection, timeout, 5xx)."""
    return isinstance(err, PushoverConnectionError | PushoverServerError)


@dataclass(slots=True)
class HeldMessage:
    """A message waiting for Pushover, with the time it was first sent."""

    user_key: str
    recipient: str
    message: Message
    held_at: float

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-serializable form (attachments as base64)."""
        message = asdict(replace(self.message, attachment=None))
        attachment = self.message.attachment
        message["devices"] = list(self.message.devices)
        message["tags"] = list(self.message.tags)
        return {
            "user_key": self.user_key,
            "recipient": self.recipient,
            "held_at": self.held_at,
            "message": message,
            "attachment": None
            if attachment is None
            else {
                "data": base64.b64encode(attachment.data).decode(),
                "content_type": attachment.content_type,
                "filename": attachment.filename,
            },
        }

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> HeldMessage:
        """Rebuild a held message from its stored form."""
        attachment = None
        if stored := item.get("attachment"):
            attachment = Attachment(
                base64.b64decode(stored["data"]), stored["content_type"], stored["filename"]
            )
        return cls(
            user_key=item["user_key"],
            recipient=item["recipient"],
            held_at=item["held_at"],
            message=Message(**{**item["message"], "attachment": attachment}),
        )


class Outbox:
    """Messages held for one sender entry, persisted across restarts."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        deliver: Deliver,
        delivered: Delivered,
    ) -> None:
        """Initialize; ``deliver`` sends, ``delivered`` is told about each success."""
        self.hass = hass
        self.entry = entry
        self._deliver = deliver
        self._delivered = delivered
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.outbox.{entry.entry_id}"
        )
        self.messages: list[HeldMessage] = []
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsub_retry: CALLBACK_TYPE | None = None
        self._delay = FIRST_RETRY_DELAY
        self._lock = asyncio.Lock()
        self._not_before: datetime | None = None
        self._closed = False
        self._flushing: asyncio.Task[Any] | None = None

    async def async_setup(self) -> None:
        """Load what was held before a restart and schedule its delivery."""
        stored = await self._store.async_load() or {}
        self.messages = [HeldMessage.from_json(item) for item in stored.get("messages", [])]
        self.entry.async_on_unload(self._async_cancel_retry)
        self.entry.async_on_unload(self._async_save_now)
        self._drop_expired()
        self._schedule(FIRST_RETRY_DELAY if self.messages else None)

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update`` whenever the number of held messages changes."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    def _changed(self) -> None:
        for update in list(self._listeners):
            update()
        self._store.async_delay_save(self._data_to_save, 1)

    def _data_to_save(self) -> dict[str, Any]:
        return {"messages": [held.to_json() for held in self.messages]}

    async def _async_save_now(self) -> None:
        """Stop delivering and write the held messages now (on unload).

        A delivery in flight may finish first, so that the next setup does not send it
        again; one cut off after ``UNLOAD_WAIT`` stays held (its response is lost).
        """
        self._closed = True
        self._async_cancel_retry()
        try:
            async with asyncio.timeout(UNLOAD_WAIT), self._lock:
                pass
        except TimeoutError:
            if self._flushing is not None:
                self._flushing.cancel()
        await self._store.async_save(self._data_to_save())

    @callback
    def async_hold(self, user_key: str, recipient: str, message: Message) -> None:
        """Keep a message; it keeps the time it was first sent as its timestamp."""
        now = dt_util.utcnow().timestamp()
        if message.timestamp is None:
            message = replace(message, timestamp=int(now))
        if self._closed:
            self._async_hold_after_unload(HeldMessage(user_key, recipient, message, now))
            return
        self.messages.append(HeldMessage(user_key, recipient, message, now))
        self._changed()
        if self._unsub_retry is None and not self._lock.locked():
            self._schedule(self._delay)

    @callback
    def _async_hold_after_unload(self, held: HeldMessage) -> None:
        """Keep a message whose send failed after the entry unloaded (e.g. a reload).

        The outbox of the entry set up again takes it; while the entry is not loaded it
        goes to the store, which the next setup reads.
        """
        data = getattr(self.entry, "runtime_data", None)
        if isinstance(data, SenderData) and data.sender.outbox is not self:
            data.sender.outbox.async_hold(held.user_key, held.recipient, held.message)
            return
        self.messages.append(held)
        self.hass.async_create_task(self._store.async_save(self._data_to_save()))

    def _schedule(self, delay: float | None) -> None:
        self._async_cancel_retry()
        if delay is None or not self.messages or self._closed:
            return
        self._unsub_retry = async_call_later(self.hass, delay, self._async_retry)

    @callback
    def _async_cancel_retry(self) -> None:
        if self._unsub_retry is not None:
            self._unsub_retry()
            self._unsub_retry = None

    async def _async_retry(self, _now: datetime) -> None:
        self._unsub_retry = None
        await self.async_flush()

    async def async_flush(self) -> None:
        """Deliver held messages in order until Pushover fails again."""
        async with self._lock:
            self._flushing = asyncio.current_task()
            try:
                await self._async_flush_locked()
            finally:
                self._flushing = None

    async def _async_flush_locked(self) -> None:
        self._drop_expired()
        while self.messages and not self._closed:
            held = self.messages[0]
            try:
                result = await self._deliver(held.user_key, held.message)
            except PushoverQuotaExceededError as err:
                reset = err.reset or dt_util.utcnow() + timedelta(hours=1)
                self._schedule(max((reset - dt_util.utcnow()).total_seconds(), 5.0))
                return
            except PushoverError as err:
                if is_transient(err):
                    self._delay = min(self._delay * 2, MAX_RETRY_DELAY)
                    self._schedule(self._delay)
                    return
                _LOGGER.warning(
                    "Pushover refused a held message for %s; dropping it: %s",
                    held.recipient,
                    err,
                )
            else:
                self._delivered(held, result)
            self.messages.pop(0)
            self._changed()
        self._delay = FIRST_RETRY_DELAY

    def _drop_expired(self) -> None:
        """Drop messages held longer than the entry's limit and say so in a repair issue."""
        hours = float(self.entry.options.get(CONF_MAX_HELD_AGE, DEFAULT_MAX_HELD_AGE_HOURS))
        oldest = dt_util.utcnow().timestamp() - hours * 3600
        kept = [held for held in self.messages if held.held_at >= oldest]
        dropped = len(self.messages) - len(kept)
        if not dropped:
            return
        self.messages = kept
        self._changed()
        _LOGGER.warning("Dropped %s held messages older than %s hours", dropped, hours)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{ISSUE_HELD_DROPPED}_{self.entry.entry_id}",
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_HELD_DROPPED,
            translation_placeholders={
                "name": self.entry.title,
                "count": str(dropped),
                "hours": f"{hours:g}",
            },
        )
