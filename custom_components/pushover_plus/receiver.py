"""Receiving: Home Assistant as a Pushover Open Client device.

The listener downloads what waits on the server when the entry is set up (the backlog:
recorded, never fired as events), then holds the websocket. Once logged in to the
websocket, and at each ``!`` frame, it downloads the new messages, fires them as events
and deletes them on the server. The highest processed message id is stored, so a message
is processed once across restarts and reconnects.
"""

from __future__ import annotations

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
from homeassistant.helpers.storage import Store

from .api import (
    PushFrame,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverConnectionError,
    PushoverError,
    PushoverRequestError,
    ReceivedMessage,
)
from .const import (
    CONF_DEVICE_ID,
    CONF_SECRET,
    DOMAIN,
    EVENT_MESSAGE,
    EVENT_TYPE_MESSAGE,
    ISSUE_RECEIVER_OTHER_SESSION,
    SIGNAL_MESSAGE,
)

if TYPE_CHECKING:
    from .coordinator import PushoverConfigEntry

_LOGGER = logging.getLogger(__name__)

STORE_VERSION = 1
HEARTBEAT_TIMEOUT = 90.0
BACKOFF_INITIAL = 1.0
BACKOFF_MAX = 300.0
BACKOFF_JITTER = 0.2

type Sleep = Callable[[float], Awaitable[None]]
type Jitter = Callable[[float, float], float]

_RANDOM = random.SystemRandom()


def message_id(message: ReceivedMessage) -> int:
    """Return the id of a message as an int (from ``id_str``: ids exceed 2**53)."""
    return int(message.id_str)


def message_attributes(message: ReceivedMessage) -> dict[str, Any]:
    """Return what automations see of a message (event entity and sensor attributes)."""
    return {
        "title": message.title,
        "message": message.message,
        "app": message.app,
        "priority": message.priority,
        "url": message.url,
        "url_title": message.url_title,
        "date": message.date.isoformat(),
        "receipt": message.receipt,
    }


def secret_rejected(err: PushoverError) -> bool:
    """Return whether Pushover refused the session secret (a new login is needed)."""
    if isinstance(err, PushoverAuthenticationError):
        return True
    if not isinstance(err, PushoverRequestError) or not 400 <= err.status < 500:
        return False
    texts = [*err.errors, *err.parameters, str(err)]
    return any("secret" in text.lower() for text in texts)


def describe(err: PushoverError) -> str:
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
        self.last_message: ReceivedMessage | None = None
        self.heartbeat_timeout = HEARTBEAT_TIMEOUT
        self.sleep: Sleep = asyncio.sleep
        self.jitter: Jitter = _RANDOM.uniform
        self._failures = 0
        self._listeners: list[CALLBACK_TYPE] = []

    @property
    def _issue_id(self) -> str:
        return f"{ISSUE_RECEIVER_OTHER_SESSION}_{self.entry.entry_id}"

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update`` whenever the last message changes."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

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
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)

    async def async_run(self) -> None:
        """Hold the websocket until a permanent error; reconnect with backoff otherwise."""
        while True:
            try:
                if not await self._async_listen():
                    return
                _LOGGER.debug("Pushover asked device %s to reconnect", self.device_id)
            except PushoverError as err:
                if secret_rejected(err):
                    self._async_reauth()
                    return
                delay = self._next_delay()
                _LOGGER.info(
                    "Pushover connection of device %s lost (%s); reconnecting in %.0f s",
                    self.device_id,
                    describe(err),
                    delay,
                )
                await self.sleep(delay)

    def _next_delay(self) -> float:
        """Return the next reconnect delay: capped exponential backoff with jitter."""
        delay = min(BACKOFF_MAX, BACKOFF_INITIAL * 2.0**self._failures)
        if delay < BACKOFF_MAX:
            self._failures += 1
        return delay * self.jitter(1 - BACKOFF_JITTER, 1 + BACKOFF_JITTER)

    async def _async_listen(self) -> bool:
        """Hold one websocket connection; return True to reconnect at once, False to stop.

        Raises PushoverError when the connection drops or a download fails.
        """
        frames = self.client.push_frames(
            self.device_id, self._secret, heartbeat_timeout=self.heartbeat_timeout
        )
        async with aclosing(frames):
            async for frame in frames:
                if frame is PushFrame.CONNECTED:
                    await self._async_catch_up()
                    continue
                self._failures = 0  # the server spoke: the connection is healthy
                if frame is PushFrame.NEW_MESSAGE:
                    await self._async_sync(fire=True)
                elif frame is PushFrame.RELOAD:
                    return True
                elif frame is PushFrame.ERROR:
                    self._async_reauth()
                    return False
                elif frame is PushFrame.OTHER_SESSION:
                    self._async_other_session()
                    return False
        raise PushoverConnectionError("The websocket was closed")

    async def _async_catch_up(self) -> None:
        """Download what arrived while the websocket was down (never announced by "!").

        A refusal other than of the secret leaves the messages on the server for the next
        "!" and lets the server's own frame (such as "E") speak.
        """
        try:
            await self._async_sync(fire=True)
        except PushoverError as err:
            if secret_rejected(err):
                raise
            _LOGGER.debug("Download after connecting failed: %s", describe(err))

    @callback
    def _async_reauth(self) -> None:
        _LOGGER.warning(
            "Pushover refused the session of device %s; log in again to resume receiving",
            self.device_id,
        )
        self.entry.async_start_reauth(self.hass)

    @callback
    def _async_other_session(self) -> None:
        _LOGGER.warning(
            "Device %s logged in from another session; receiving stopped", self.device_id
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_RECEIVER_OTHER_SESSION,
            translation_placeholders={"name": self.entry.title},
        )

    async def _async_sync(self, *, fire: bool) -> None:
        """Download, process the messages not seen yet, store the id, delete on the server."""
        messages = await self.client.download_messages(self._secret, self.device_id)
        if not messages:
            return
        messages = sorted(messages, key=message_id)
        new = [message for message in messages if message_id(message) > self.highest_id]
        if new:
            for message in new:
                if fire:
                    self._async_fire(message)
            self.last_message = new[-1]
            self.highest_id = message_id(new[-1])
            await self._store.async_save({"highest_id": str(self.highest_id)})
            for update in list(self._listeners):
                update()
        await self.client.delete_messages(self._secret, self.device_id, messages[-1].id_str)

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
