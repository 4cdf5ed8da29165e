"""Send messages for a sender entry: quota, receipts and the outbox in one place."""

import asyncio
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from .const import CONF_HOLD_WHEN_OFFLINE, DEFAULT_HOLD_WHEN_OFFLINE, STATUS_HELD, STATUS_SENT
from .coordinator import QuotaCoordinator
from .errors import home_assistant_error
from .guard import QuotaGuard
from .outbox import HeldMessage, Outbox, is_transient
from .pushover import (
    Message,
    MessageResult,
    PushoverClient,
    PushoverConnectionError,
    PushoverError,
    PushoverQuotaExceededError,
    ValidatedMessage,
    validate_message,
)
from .receipts import ReceiptTracker

if TYPE_CHECKING:
    from .data import PushoverConfigEntry

_LOGGER = logging.getLogger(__name__)

SOUNDS_MAX_AGE = 3600.0
INTERNAL_TAG_PREFIX = "pp"  # the tag every emergency message gets, to cancel a copy of it


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
        self.outbox = Outbox(
            hass,
            entry,
            deliver=self._async_deliver_held,
            delivered=self._async_delivered,
            cancel_tag=client.cancel_by_tag,
            probe=self._async_probe,
        )
        self.guard = QuotaGuard(hass, entry, quota)
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

    async def _async_deliver(
        self,
        outgoing: ValidatedMessage,
        *,
        retries: int | None = 0,
        abandon: asyncio.Future[None] | None = None,
    ) -> MessageResult:
        """Send and keep the quota in step (``retries`` None: the client's default)."""
        try:
            result = await self.client.send(outgoing, retries=retries, abandon=abandon)
        except PushoverQuotaExceededError as err:
            if err.limits is not None:
                self.quota.async_set_limits(err.limits)
            raise
        if result.limits is not None:
            self.quota.async_set_limits(result.limits)
        return result

    async def _async_deliver_held(self, user_key: str, message: Message) -> MessageResult:
        """Send a held message once (the outbox retries), validated again: it may come from disk."""
        return await self._async_deliver(validate_message(user_key, message))

    async def _async_probe(self) -> None:
        """Ask Pushover for the quota: it answers once it can be reached again."""
        self.quota.async_set_limits(await self.client.get_limits(retries=0))

    async def _async_delivered(self, held: HeldMessage, result: MessageResult) -> None:
        """Follow the receipt of a message delivered from the outbox."""
        await self._async_track(held.recipient, held.message, result)

    async def _async_track(self, recipient: str, message: Message, result: MessageResult) -> None:
        if result.receipt is not None:
            tags = [tag for tag in message.tags if not _internal(tag)]
            await self.receipts.async_track(result.receipt, recipient, tags, message.expire or 0)

    async def async_send(
        self, outgoing: ValidatedMessage, *, recipient: str, hold: bool | None = None
    ) -> dict[str, Any]:
        """Send one message unless the quota guard stops it (guard.py) before anything."""
        user_key, message = outgoing
        if (verdict := self.guard.async_admit(user_key, message, recipient)) is not None:
            return verdict
        try:
            return await self._async_send_admitted(outgoing, recipient, hold)
        except HomeAssistantError:
            self.guard.async_release(user_key, message)
            raise

    async def _async_send_admitted(
        self, outgoing: ValidatedMessage, recipient: str, hold: bool | None
    ) -> dict[str, Any]:
        """Send one message; return request, receipt and status, or raise HomeAssistantError.

        With holding on, a message goes behind messages already held (to keep the order),
        and one that Pushover cannot take now (unreachable, no answer, 5xx) is held; the
        status is then ``held``, once the message is on disk.
        """
        if hold is None:
            hold = self.entry.options.get(CONF_HOLD_WHEN_OFFLINE, DEFAULT_HOLD_WHEN_OFFLINE)
        if not hold:
            return await self._async_send_now(outgoing, recipient)
        user_key, message = outgoing
        if message.priority == 2:  # the internal tag is a valid one
            message = message._replace(
                tags=(*message.tags, f"{INTERNAL_TAG_PREFIX}{secrets.token_hex(8)}")
            )
            outgoing = outgoing._replace(message=message)
        held = HeldMessage(
            user_key,
            recipient,
            message,
            held_at=dt_util.utcnow().timestamp(),
            id=self.outbox.next_id(),
            tag=message.tags[-1] if message.priority == 2 else None,
        )
        if self.outbox.holding:
            return await self._async_hold(held)
        with self.outbox.sending():
            return await self._async_send_or_hold(outgoing, held)

    async def _async_send_or_hold(
        self, outgoing: ValidatedMessage, held: HeldMessage
    ) -> dict[str, Any]:
        """Send now; hold the message if Pushover cannot take it now."""
        recipient = held.recipient
        try:
            # The outbox retries, so the client does not; waiting for a free slot ends
            # as soon as another message is held, and this one is held behind it.
            result = await self._async_deliver(outgoing, abandon=self.outbox.held_signal)
        except PushoverError as err:
            if not is_transient(err):
                raise home_assistant_error(self.hass, self.entry, err) from err
            _LOGGER.debug("Pushover cannot take a message now; holding it for %s", recipient)
            if isinstance(err, PushoverConnectionError) and err.request_sent:
                held.unsure = 1
            return await self._async_hold(held)
        await self._async_track(recipient, held.message, result)
        return {"request": result.request, "receipt": result.receipt, "status": STATUS_SENT}

    async def _async_hold(self, held: HeldMessage) -> dict[str, Any]:
        await self.outbox.async_hold(held)
        return {"request": None, "receipt": None, "status": STATUS_HELD}

    async def _async_send_now(self, outgoing: ValidatedMessage, recipient: str) -> dict[str, Any]:
        """Send without holding: the client retries what did not reach Pushover."""
        try:
            result = await self._async_deliver(outgoing, retries=None)
        except PushoverError as err:
            raise home_assistant_error(self.hass, self.entry, err) from err
        await self._async_track(recipient, outgoing.message, result)
        return {"request": result.request, "receipt": result.receipt, "status": STATUS_SENT}


def _internal(tag: str) -> bool:
    return tag.startswith(INTERNAL_TAG_PREFIX) and len(tag) == len(INTERNAL_TAG_PREFIX) + 16
