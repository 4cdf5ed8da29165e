"""Receiving: Home Assistant as a Pushover Open Client device.

The listener downloads what waits on the server when the entry is set up (the backlog:
recorded, never fired as events), then holds the websocket. Once logged in to the
websocket, and at each ``!`` frame, it downloads the new messages, fires them as events
and deletes them on the server; downloads are coalesced (one in flight, at most one
queued, however many frames arrive). The highest processed message id is stored, so a
message is processed once across restarts and reconnects.

Every way a session ends except ``E`` and ``A`` (a close, ``R``, silence, a failed
download, an oversized frame, an unexpected error) leads to the same backoff: at least
BACKOFF_INITIAL seconds, doubling up to BACKOFF_MAX, with jitter, and back to the start
only once a session stayed up HEALTHY_SESSION seconds. ``E`` (the session is refused)
starts reauthentication and ``A`` (the device logged in elsewhere) raises a repair
issue; neither reconnects. The listener feeds the push coordinator of the receiver's
entities: they are available while a session is up. A loss is logged once at WARNING,
the recovery once at INFO (when a session has stayed up), the retries between at DEBUG.
"""

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import aclosing
import logging
import random
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store

from .const import (
    CONF_DEVICE_ID,
    CONF_SECRET,
    DOMAIN,
    EVENT_MESSAGE,
    EVENT_TYPE_MESSAGE,
    ISSUE_RECEIVER_OTHER_SESSION,
    SIGNAL_MESSAGE,
)
from .coordinator import ReceiverCoordinator, message_attributes
from .issues import async_clear_issue, async_raise_issue
from .pushover import (
    PushFrame,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverError,
    PushoverRequestError,
    ReceivedMessage,
    RefusalReason,
)

if TYPE_CHECKING:
    from datetime import datetime

    from .data import PushoverConfigEntry

_LOGGER = logging.getLogger(__name__)

STORE_VERSION = 1
HEARTBEAT_TIMEOUT = 90.0
BACKOFF_INITIAL = 5.0  # Pushover: a request may be repeated no sooner than 5 s later
BACKOFF_MAX = 300.0
BACKOFF_JITTER = 0.2  # each delay is 1 to 1.2 times the step: never under BACKOFF_INITIAL
HEALTHY_SESSION = 60.0

type Sleep = Callable[[float], Awaitable[None]]
type Jitter = Callable[[float, float], float]
type SessionEnd = PushFrame | Exception

_RANDOM = random.SystemRandom()


def secret_rejected(err: PushoverError) -> bool:
    """Return whether Pushover refused the session secret (a new login is needed)."""
    if isinstance(err, PushoverAuthenticationError):
        return True
    return (
        isinstance(err, PushoverRequestError)
        and 400 <= err.status < 500
        and err.reason is RefusalReason.SECRET_REJECTED
    )


def describe(err: Exception) -> str:
    """Describe an error for logs and messages without any URL (URLs hold the secret)."""
    if isinstance(err, PushoverRequestError) and err.errors:
        return "; ".join(err.errors)
    return type(err).__name__


class OpenClientListener:
    """The Open Client device of a receiver entry: backlog, websocket, events, ids."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        client: PushoverClient,
    ) -> None:
        """Initialize the listener; ``sleep``, ``jitter`` and the timeout may be replaced."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.device_id: str = entry.data[CONF_DEVICE_ID]
        self._secret: str = entry.data[CONF_SECRET]
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.receiver.{entry.entry_id}"
        )
        self.highest_id = 0
        self.coordinator = ReceiverCoordinator(hass, entry)
        self.heartbeat_timeout = HEARTBEAT_TIMEOUT
        self.sleep: Sleep = asyncio.sleep
        self.jitter: Jitter = _RANDOM.uniform
        self.failures = 0
        self._outage_reported = False
        self._skips_reported = False
        self._download_wanted = asyncio.Event()
        self._session_open = False
        self._unsub_healthy: CALLBACK_TYPE | None = None

    @property
    def connected(self) -> bool:
        """Return whether a websocket session is up."""
        return self.coordinator.last_update_success

    @property
    def last_message(self) -> ReceivedMessage | None:
        """Return the last message received (nothing is restored)."""
        return self.coordinator.data

    async def async_setup(self) -> None:
        """Load the highest processed id, then take the backlog (test-before-setup).

        The backlog is recorded and deleted without firing events, so that messages
        which arrived while Home Assistant was away do not flood automations.
        """
        stored = await self._store.async_load()
        if stored is not None:
            self.highest_id = int(stored["highest_id"])
        try:
            await self._async_sync(fire=False)
        except PushoverError as err:
            if secret_rejected(err):
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN,
                    translation_key="authentication_failed",
                    translation_placeholders={"error": describe(err)},
                ) from err
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="setup_failed",
                translation_placeholders={"error": describe(err)},
            ) from err
        async_clear_issue(self.hass, self.entry, ISSUE_RECEIVER_OTHER_SESSION)

    async def async_run(self) -> None:
        """Hold the websocket until E or A; after any other end, back off and reconnect."""
        try:
            while self._async_handle_end(await self._async_session()):
                delay = self._next_delay()
                _LOGGER.debug("Reconnecting %s to Pushover in %.1f s", self.entry.title, delay)
                await self.sleep(delay)
        finally:
            self._async_session_closed()

    def _next_delay(self) -> float:
        """Return the next reconnect delay: capped exponential backoff with jitter."""
        delay = min(BACKOFF_MAX, BACKOFF_INITIAL * 2.0**self.failures)
        if delay < BACKOFF_MAX:
            self.failures += 1
        return delay * self.jitter(1.0, 1.0 + BACKOFF_JITTER)

    # ------------------------------------------------------------ one session

    async def _async_session(self) -> SessionEnd:
        """Hold one websocket session; return the frame (R, E, A) or the error ending it.

        Frames are read in this task; downloads run beside it, so that a burst of "!"
        costs one download in flight and one queued. A failed download ends the session.
        """
        self._download_wanted.clear()
        self._session_open = True
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._async_downloads())
                try:
                    return await self._async_read_frames()
                except Exception as err:  # noqa: BLE001 - every end leads to the backoff
                    return err
                finally:
                    self._session_open = False
                    self._download_wanted.set()  # the downloader ends after its download
        except ExceptionGroup as failed:  # the downloader failed (the session was ended)
            return failed.exceptions[0]
        finally:
            self._async_session_closed()

    async def _async_read_frames(self) -> PushFrame:
        """Read frames until R, E or A; raise when the websocket ends otherwise."""
        frames = self.client.push_frames(
            self.device_id, self._secret, heartbeat_timeout=self.heartbeat_timeout
        )
        async with aclosing(frames):
            while True:
                frame = await anext(frames)
                if frame is PushFrame.CONNECTED:
                    self._async_session_opened()
                    self._download_wanted.set()  # what arrived while away was never announced
                elif frame is PushFrame.NEW_MESSAGE:
                    self._download_wanted.set()
                elif frame is not PushFrame.KEEPALIVE:
                    return frame

    async def _async_downloads(self) -> None:
        """Download whenever asked, one download at a time, until the session ends."""
        while True:
            await self._download_wanted.wait()
            if not self._session_open:
                return
            self._download_wanted.clear()
            await self._async_sync(fire=True)

    @callback
    def _async_session_opened(self) -> None:
        self._unsub_healthy = async_call_later(self.hass, HEALTHY_SESSION, self._async_healthy)
        self.coordinator.async_set_connected(True)

    @callback
    def _async_session_closed(self) -> None:
        if self._unsub_healthy is not None:
            self._unsub_healthy()
            self._unsub_healthy = None
        self.coordinator.async_set_connected(False)

    @callback
    def _async_healthy(self, _now: datetime) -> None:
        """Reset the backoff once a session stayed up; report the recovery once."""
        self._unsub_healthy = None
        self.failures = 0
        if self._outage_reported:
            self._outage_reported = False
            _LOGGER.info("Receiving Pushover messages on %s again", self.entry.title)

    # ------------------------------------------------------------ how a session ended

    @callback
    def _async_handle_end(self, end: SessionEnd) -> bool:
        """Act on the end of a session; return whether to reconnect."""
        if end is PushFrame.ERROR or (isinstance(end, PushoverError) and secret_rejected(end)):
            self._async_reauth()
            return False
        if end is PushFrame.OTHER_SESSION:
            self._async_other_session()
            return False
        if end is PushFrame.RELOAD and not self.failures:
            _LOGGER.debug("Pushover asked %s to reconnect", self.entry.title)
            return True
        reason = "asked to reconnect again" if isinstance(end, PushFrame) else describe(end)
        unexpected = None if isinstance(end, PushFrame | PushoverError) else end
        if self._outage_reported:
            _LOGGER.debug("Pushover connection of %s failed again: %s", self.entry.title, reason)
            return True
        self._outage_reported = True
        if unexpected is not None:
            _LOGGER.error(
                "Unexpected error in the Pushover receiver %s; reconnecting",
                self.entry.title,
                exc_info=unexpected,
            )
        else:
            _LOGGER.warning(
                "Pushover connection of %s lost (%s); reconnecting", self.entry.title, reason
            )
        return True

    @callback
    def _async_reauth(self) -> None:
        _LOGGER.warning(
            "Pushover refused the session of %s; log in again to resume receiving",
            self.entry.title,
        )
        self.entry.async_start_reauth(self.hass)

    @callback
    def _async_other_session(self) -> None:
        _LOGGER.warning(
            "The device of %s logged in from another session; receiving stopped",
            self.entry.title,
        )
        async_raise_issue(
            self.hass, self.entry, ISSUE_RECEIVER_OTHER_SESSION, severity=ir.IssueSeverity.ERROR
        )

    # ------------------------------------------------------------ messages

    async def _async_sync(self, *, fire: bool) -> None:
        """Download, process the messages not seen yet, store the id, delete on the server."""
        download = await self.client.download_messages(self._secret, self.device_id)
        if download.skipped:
            self._report_skipped(download.skipped)
        messages = download.messages
        if not messages:
            return
        new = [message for message in messages if message.id > self.highest_id]
        if new:
            for message in new:
                if fire:
                    self._async_fire(message)
            self.highest_id = new[-1].id
            await self._store.async_save({"highest_id": str(self.highest_id)})
            self.coordinator.async_set_message(new[-1])
        await self.client.delete_messages(self._secret, self.device_id, messages[-1].id_str)

    def _report_skipped(self, count: int) -> None:
        """Log skipped items once at WARNING (they come back with every download)."""
        if self._skips_reported:
            _LOGGER.debug("Skipped %d unreadable messages for %s", count, self.entry.title)
            return
        self._skips_reported = True
        _LOGGER.warning(
            "Skipped %d messages for %s that have no readable id; later ones are received",
            count,
            self.entry.title,
        )

    @callback
    def _async_fire(self, message: ReceivedMessage) -> None:
        attributes = message_attributes(message)
        async_dispatcher_send(
            self.hass, SIGNAL_MESSAGE.format(self.entry.entry_id), EVENT_TYPE_MESSAGE, attributes
        )
        self.hass.bus.async_fire(
            EVENT_MESSAGE,
            {**attributes, "id": message.id_str, "config_entry_id": self.entry.entry_id},
        )
