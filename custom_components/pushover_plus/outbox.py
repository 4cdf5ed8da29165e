"""Hold messages while Pushover is unreachable and deliver them, in order, later.

The held messages of an entry are one ordered queue, kept in a journal in
``.storage``: a message is on disk before the action that held it returns, and a
delivered one is marked done on disk before the next one is sent. The queue goes out one
message at a time, so a crash re-sends at most the one message that was in flight.

An outbox that closes (unload, reload, stop) waits for the sends in flight; what they
cannot send goes to the journal, where the outbox of the next setup finds it.
"""

import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
import logging
from pathlib import Path
from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import STORAGE_DIR, Store
from homeassistant.util import dt as dt_util

from .const import (
    CONF_MAX_HELD_AGE,
    DEFAULT_MAX_HELD_AGE_HOURS,
    DOMAIN,
    ISSUE_HELD_DROPPED,
    ISSUE_HELD_REFUSED,
    ISSUE_UNEXPECTED_RESPONSE,
)
from .coordinator import PushCoordinator
from .data import PushoverConfigEntry
from .issues import async_clear_issue, async_raise_issue
from .journal import Journal, Record
from .pushover import (
    Attachment,
    Message,
    MessageResult,
    PushoverAuthenticationError,
    PushoverConnectionError,
    PushoverError,
    PushoverQuotaExceededError,
    PushoverRequestError,
    PushoverServerError,
    PushoverUnexpectedResponseError,
    RefusalReason,
)

_LOGGER = logging.getLogger(__name__)

FIRST_RETRY_DELAY = 5.0
MAX_RETRY_DELAY = 300.0
UNEXPECTED_RESPONSE_DELAY = 900.0  # a proxy or captive portal answers: try again later
QUOTA_RESET_UNKNOWN_DELAY = 3600.0
STOP_WAIT = 20.0  # seconds a send in flight may take to finish when Home Assistant stops

type Deliver = Callable[[str, Message], Awaitable[MessageResult]]
type Delivered = Callable[[HeldMessage, MessageResult], Awaitable[None]]
type CancelTag = Callable[[str], Awaitable[int]]
type Probe = Callable[[], Awaitable[None]]


def is_transient(err: PushoverError) -> bool:
    """Return whether a failure may pass by itself: hold the message and try later.

    Connection errors, timeouts, 5xx, and 4xx answers that are not Pushover's (a proxy
    or a captive portal in between).
    """
    return isinstance(
        err, PushoverConnectionError | PushoverServerError | PushoverUnexpectedResponseError
    )


@dataclass(eq=False)  # each held message is itself (the queue finds it by identity)
class HeldMessage:
    """A message waiting for Pushover.

    ``id`` orders the queue (the order the actions were called in); ``unsure`` counts
    the attempts that may have reached Pushover without an answer; ``tag`` is the
    internal tag of an emergency message, canceled before it is sent again.
    """

    user_key: str
    recipient: str
    message: Message
    held_at: float
    id: int = 0
    unsure: int = 0
    tag: str | None = None

    @property
    def emergency(self) -> bool:
        """Return whether this is a priority 2 message."""
        return self.message.priority == 2

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-serializable form (attachments as base64)."""
        message = self.message._replace(attachment=None)._asdict()
        attachment = self.message.attachment
        message["devices"] = list(self.message.devices)
        message["tags"] = list(self.message.tags)
        return {
            "id": self.id,
            "user_key": self.user_key,
            "recipient": self.recipient,
            "held_at": self.held_at,
            "unsure": self.unsure,
            "tag": self.tag,
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
            id=int(item.get("id", 0)),
            unsure=int(item.get("unsure", 0)),
            tag=item.get("tag"),
        )


def replay(records: list[Record]) -> list[HeldMessage]:
    """Rebuild the queue from the journal's records, in order.

    ``{"hold": ...}`` adds a message, ``{"done": id}`` removes it, and
    ``{"sending": id, "unsure": n}`` says an attempt started: had it been answered, a
    ``done`` would follow (or the next ``sending``), so it may have reached Pushover.
    """
    held: dict[int, HeldMessage] = {}
    for record in records:
        if "hold" in record:
            message = HeldMessage.from_json(record["hold"])
            held[message.id] = message
        elif "done" in record:
            held.pop(int(record["done"]), None)
        elif "sending" in record and (sending := held.get(int(record["sending"]))):
            sending.unsure = int(record.get("unsure", 0)) + 1
    return sorted(held.values(), key=lambda message: message.id)


class Outbox:
    """The ordered queue of held messages of one sender entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        *,
        deliver: Deliver,
        delivered: Delivered,
        cancel_tag: CancelTag,
        probe: Probe,
    ) -> None:
        """Initialize; ``deliver`` sends once, ``delivered`` is told about each success.

        ``cancel_tag`` cancels the emergency alerts of a tag, ``probe`` makes a cheap
        request that succeeds once Pushover answers again.
        """
        self.hass = hass
        self.entry = entry
        self._deliver = deliver
        self._delivered = delivered
        self._cancel_tag = cancel_tag
        self._probe = probe
        self.journal = Journal(
            Path(hass.config.path(STORAGE_DIR, f"{DOMAIN}.outbox.{entry.entry_id}.jsonl"))
        )
        self._former_store: Store[dict[str, Any]] = Store(
            hass, 1, f"{DOMAIN}.outbox.{entry.entry_id}"
        )
        self.messages: list[HeldMessage] = []
        self.offline = False  # Pushover failed and has not answered a send since
        self._next_id = 1
        self.coordinator = PushCoordinator(hass, entry, "outbox", 0)  # messages held
        self._unsub_retry: CALLBACK_TYPE | None = None
        self._delay = FIRST_RETRY_DELAY
        self._flushing: asyncio.Task[None] | None = None
        self._sends = 0
        self._no_sends = asyncio.Event()
        self._no_sends.set()
        self._closed = False
        self._held_signal: asyncio.Future[None] = hass.loop.create_future()
        self._unsub_stop: CALLBACK_TYPE | None = None

    async def async_load(self) -> tuple[list[Record], dict[str, Any] | None]:
        """Read what was held before a restart: the journal, a former version's Store file."""
        records, stored = await asyncio.gather(
            self.journal.async_load(), self._former_store.async_load()
        )
        return records, stored

    async def async_setup(self, records: list[Record], stored: dict[str, Any] | None) -> None:
        """Take over what was held before a restart (async_load) and schedule its delivery."""
        records.extend(await self._async_migrate_store(stored))
        self.messages = replay(records)
        self._next_id = max((held.id for held in self.messages), default=0) + 1
        self._changed()
        if records:  # compact: only the live messages, with what is known about them
            await self.journal.async_rewrite([{"hold": held.to_json()} for held in self.messages])
        self._unsub_stop = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_stop
        )
        self.entry.async_on_unload(self.async_close)
        await self._async_drop_expired()
        if self.messages:
            self.offline = True
            self._schedule(0)

    async def _async_migrate_store(self, stored: dict[str, Any] | None) -> list[Record]:
        """Take the messages held by a version that kept them in a Store file."""
        if not stored:
            return []
        records = [
            {"hold": {**item, "id": number}}
            for number, item in enumerate(stored.get("messages", []), 1)
        ]
        await self.journal.async_append(*records)
        await self._former_store.async_remove()
        return records

    def _changed(self) -> None:
        self.coordinator.async_set_updated_data(len(self.messages))

    @contextmanager
    def sending(self) -> Iterator[None]:
        """Count a send that may end up held: closing waits for it."""
        self._sends += 1
        self._no_sends.clear()
        try:
            yield
        finally:
            self._sends -= 1
            if not self._sends:
                self._no_sends.set()

    @property
    def held_signal(self) -> asyncio.Future[None]:
        """Return a future that is done once a message is held (sends waiting give up)."""
        return self._held_signal

    @property
    def holding(self) -> bool:
        """Return whether new sends go behind held messages instead of out directly."""
        return self.offline or bool(self.messages)

    def next_id(self) -> int:
        """Return the place in the queue of a send that starts now."""
        self._next_id += 1
        return self._next_id - 1

    async def async_hold(self, held: HeldMessage) -> None:
        """Queue a message in its place and return once it is on disk.

        A message without a timestamp gets the time it was first sent.
        """
        if held.message.timestamp is None:
            held.message = held.message._replace(timestamp=int(held.held_at))
        if self._closed:  # the next setup takes it from the journal
            await self.journal.async_append({"hold": held.to_json()})
            return
        self._async_offline()
        place = len(self.messages)
        while place and self.messages[place - 1].id > held.id:
            place -= 1
        self.messages.insert(place, held)
        if not self._held_signal.done():
            self._held_signal.set_result(None)
        try:
            await self.journal.async_append({"hold": held.to_json()})
        finally:
            self._changed()
            if self._unsub_retry is None and self._flushing is None:
                self._schedule(self._delay)

    async def async_close(self) -> None:
        """Stop delivering; the sends in flight may finish so that none is sent again.

        Sends waiting for a request slot give up and are held. What is held from now on
        goes to the journal: the next setup, which starts once this returns, reads it.
        """
        self._closed = True
        self._async_cancel_retry()
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        if not self._held_signal.done():
            self._held_signal.set_result(None)
        flushing = self._flushing
        if flushing is asyncio.current_task():
            flushing = None
        if flushing is None and not self._sends:
            return
        _LOGGER.debug("Letting the messages in flight finish (at most %s s)", STOP_WAIT)
        try:
            async with asyncio.timeout(STOP_WAIT):
                if flushing is not None:
                    await asyncio.shield(flushing)
                await self._no_sends.wait()
        except TimeoutError:
            _LOGGER.warning(
                "A message was still on its way after %s s; a held one is sent again later",
                STOP_WAIT,
            )
            if flushing is not None:
                flushing.cancel()

    async def _async_stop(self, _event: Event) -> None:
        """Let a send in flight finish when Home Assistant stops (not sent twice)."""
        self._unsub_stop = None
        await self.async_close()

    def _schedule(self, delay: float) -> None:
        self._async_cancel_retry()
        if self._closed or not self.messages:
            return
        self._unsub_retry = async_call_later(self.hass, delay, self._async_retry)

    @callback
    def _async_cancel_retry(self) -> None:
        if self._unsub_retry is not None:
            self._unsub_retry()
            self._unsub_retry = None

    @callback
    def _async_retry(self, _now: datetime) -> None:
        self._unsub_retry = None
        if self._flushing is None and not self._closed:
            self._flushing = self.entry.async_create_task(
                self.hass, self._async_flush(), f"{DOMAIN} outbox {self.entry.entry_id}"
            )

    def _back_off(self, minimum: float = FIRST_RETRY_DELAY) -> None:
        """Try again later: 5 s, then twice as long each time, at most 5 minutes."""
        self._schedule(max(self._delay, minimum))
        self._delay = min(self._delay * 2, MAX_RETRY_DELAY)

    async def _async_flush(self) -> None:
        try:
            await self._async_flush_queue()
        finally:
            self._flushing = None

    async def _async_flush_queue(self) -> None:
        """Deliver held messages in order, one at a time, until Pushover fails again."""
        await self._async_drop_expired()
        done: list[Record] = []
        while self.messages and not self._closed:
            held = self.messages[0]
            if not held.emergency and held.unsure > 1:
                _LOGGER.warning(
                    "Pushover twice did not answer a held message for %s after it was sent; "
                    "not sending it a third time (it has most likely arrived)",
                    held.recipient,
                )
                self._remove(held)
                done.append({"done": held.id})
                continue
            if held.unsure and not await self._async_prepare_resend(held, done):
                return
            await self._async_write([*done, {"sending": held.id, "unsure": held.unsure}])
            done = []
            try:
                result = await self._deliver(held.user_key, held.message)
            except PushoverError as err:
                if not self._async_failed(held, err):
                    return
            else:
                self._async_online()
                await self._delivered(held, result)
            self._remove(held)
            done.append({"done": held.id})
        await self._async_write(done)
        if not self.messages and not self._closed:  # closed: holds may still be appended
            self.offline = False
            self._delay = FIRST_RETRY_DELAY
            self._held_signal = self.hass.loop.create_future()
            await self.journal.async_rewrite([])

    async def _async_write(self, records: list[Record]) -> None:
        """Write done and sending marks (no fsync: a power cut may repeat, never lose)."""
        if records:
            await self.journal.async_append(*records, sync=False)
            records.clear()

    def _remove(self, held: HeldMessage) -> None:
        if held in self.messages:
            self.messages.remove(held)
            self._changed()

    async def _async_prepare_resend(self, held: HeldMessage, done: list[Record]) -> bool:
        """Check that Pushover answers again before sending a message that may have arrived.

        An emergency message's earlier alert is canceled first, so only one alert rings.
        Return False (and try later) while Pushover does not answer.
        """
        await self._async_write(done)
        try:
            await self._probe()
            if held.emergency and held.tag:
                await self._cancel_tag(held.tag)
        except PushoverAuthenticationError as err:
            return self._async_failed(held, err)
        except PushoverError as err:
            _LOGGER.debug("Pushover does not answer yet: %s", type(err).__name__)
            self._back_off()
            return False
        return True

    @callback
    def _async_failed(self, held: HeldMessage, err: PushoverError) -> bool:
        """Handle a failed delivery; return whether to go on with the next message."""
        if isinstance(err, PushoverConnectionError) and err.request_sent:
            held.unsure += 1
        if isinstance(err, PushoverQuotaExceededError):
            now = dt_util.utcnow()
            wait = (err.reset - now).total_seconds() if err.reset else 0
            self._schedule(wait if wait > 0 else QUOTA_RESET_UNKNOWN_DELAY)
            return False
        if isinstance(err, PushoverUnexpectedResponseError):
            async_raise_issue(self.hass, self.entry, ISSUE_UNEXPECTED_RESPONSE, error=str(err))
            self._back_off(UNEXPECTED_RESPONSE_DELAY)
            return False
        if is_transient(err):
            self._back_off()
            return False
        if isinstance(err, PushoverRequestError) and err.reason is RefusalReason.TOKEN_REJECTED:
            _LOGGER.warning("Pushover rejected the API token; held messages are kept")
            self.entry.async_start_reauth(self.hass)
            return False
        _LOGGER.warning(
            "Pushover refused a held message for %s; dropping it: %s", held.recipient, err
        )
        if isinstance(err, PushoverRequestError):
            async_raise_issue(self.hass, self.entry, ISSUE_HELD_REFUSED, error=str(err))
        return True

    @callback
    def _async_offline(self) -> None:
        """Hold what is sent from now on; say so once (log-when-unavailable)."""
        if not self.offline:
            _LOGGER.warning(
                "Pushover cannot take messages of %s now; holding them until it answers",
                self.entry.title,
            )
        self.offline = True

    @callback
    def _async_online(self) -> None:
        if self.offline:
            _LOGGER.info(
                "Pushover answers again; delivering the held messages of %s", self.entry.title
            )
        self.offline = False
        self._delay = FIRST_RETRY_DELAY
        async_clear_issue(self.hass, self.entry, ISSUE_UNEXPECTED_RESPONSE)

    async def _async_drop_expired(self) -> None:
        """Drop messages held longer than the entry's limit and say so in a repair issue."""
        hours = float(self.entry.options.get(CONF_MAX_HELD_AGE, DEFAULT_MAX_HELD_AGE_HOURS))
        oldest = dt_util.utcnow().timestamp() - hours * 3600
        expired = [held for held in self.messages if held.held_at < oldest]
        if not expired:
            return
        for held in expired:
            self.messages.remove(held)
        self._changed()
        await self._async_write([{"done": held.id} for held in expired])
        _LOGGER.warning("Dropped %s held messages older than %s hours", len(expired), hours)
        async_raise_issue(
            self.hass,
            self.entry,
            ISSUE_HELD_DROPPED,
            fixable=True,
            count=str(len(expired)),
            hours=f"{hours:g}",
        )
