"""Send messages for a sender entry: quota, receipts and the outbox in one place."""

from __future__ import annotations

import logging
import time
from typing import Any

from homeassistant.core import HomeAssistant, callback

from .api import Message, MessageResult, PushoverClient, PushoverError, PushoverQuotaExceededError
from .const import CONF_HOLD_WHEN_OFFLINE, DEFAULT_HOLD_WHEN_OFFLINE, STATUS_HELD, STATUS_SENT
from .coordinator import PushoverConfigEntry, QuotaCoordinator
from .errors import home_assistant_error
from .outbox import HeldMessage, Outbox, is_transient
from .receipts import ReceiptTracker

_LOGGER = logging.getLogger(__name__)

SOUNDS_MAX_AGE = 3600.0


class MessageSender:
    """Send through the entry's client and report the outcome per recipient."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PushoverConfigEntry,
        client: PushoverClient,
        quota: QuotaCoordinator,
        receipts: ReceiptTracker,
    ) -> None:
        """Initialize the sender and its outbox."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.quota = quota
        self.receipts = receipts
        self.outbox = Outbox(hass, entry, self._async_deliver, self._async_delivered)
        self.sounds: dict[str, str] = {}
        self._sounds_at = 0.0

    async def async_sounds(self) -> dict[str, str] | None:
        """Return the sounds of the account (built-in and custom), refreshed hourly.

        None when they cannot be fetched: the message then goes out and Pushover plays
        the default sound for an unknown name.
        """
        if not self.sounds or time.monotonic() - self._sounds_at > SOUNDS_MAX_AGE:
            try:
                self.sounds = await self.client.get_sounds()
            except PushoverError as err:
                _LOGGER.debug("Could not fetch the sounds: %s", err)
                return self.sounds or None
            self._sounds_at = time.monotonic()
        return self.sounds

    @callback
    def async_set_sounds(self, sounds: dict[str, str]) -> None:
        """Take a sound list fetched by the list_sounds action (restarts the hour)."""
        self.sounds = sounds
        self._sounds_at = time.monotonic()

    async def _async_deliver(self, user_key: str, message: Message) -> MessageResult:
        """Send once (the client retries transient failures) and keep the quota in step."""
        try:
            result = await self.client.send_message(user_key, message)
        except PushoverQuotaExceededError as err:
            if err.limits is not None:
                self.quota.async_set_limits(err.limits)
            raise
        if result.limits is not None:
            self.quota.async_set_limits(result.limits)
        return result

    @callback
    def _async_delivered(self, held: HeldMessage, result: MessageResult) -> None:
        """Follow the receipt of a message delivered from the outbox."""
        self._async_track(held.recipient, held.message, result)

    def _async_track(self, recipient: str, message: Message, result: MessageResult) -> None:
        if result.receipt is not None:
            self.receipts.async_track(
                result.receipt, recipient, list(message.tags), message.expire or 0
            )

    async def async_send(
        self, user_key: str, message: Message, *, recipient: str, hold: bool | None = None
    ) -> dict[str, Any]:
        """Send one message; return request, receipt and status, or raise HomeAssistantError.

        With holding on, a transient failure (or messages already waiting, to keep the
        order) puts the message in the outbox and the status is ``held``.
        """
        if hold is None:
            hold = self.entry.options.get(CONF_HOLD_WHEN_OFFLINE, DEFAULT_HOLD_WHEN_OFFLINE)
        if hold and self.outbox.messages:
            self.outbox.async_hold(user_key, recipient, message)
            return {"request": None, "receipt": None, "status": STATUS_HELD}
        try:
            result = await self._async_deliver(user_key, message)
        except PushoverError as err:
            if hold and is_transient(err):
                _LOGGER.debug("Pushover unreachable; holding a message for %s", recipient)
                self.outbox.async_hold(user_key, recipient, message)
                return {"request": None, "receipt": None, "status": STATUS_HELD}
            raise home_assistant_error(self.hass, self.entry, err) from err
        self._async_track(recipient, message, result)
        return {"request": result.request, "receipt": result.receipt, "status": STATUS_SENT}
