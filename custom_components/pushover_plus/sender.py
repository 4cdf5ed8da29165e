"""Send messages for a sender entry and keep the quota in step."""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.core import HomeAssistant

from .api import Message, PushoverClient, PushoverError, PushoverQuotaExceededError
from .const import STATUS_SENT
from .coordinator import PushoverConfigEntry, QuotaCoordinator
from .errors import home_assistant_error
from .receipts import ReceiptTracker

_LOGGER = logging.getLogger(__name__)


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
        """Initialize the sender."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.quota = quota
        self.receipts = receipts

    async def async_send(
        self, user_key: str, message: Message, *, recipient: str
    ) -> dict[str, Any]:
        """Send one message; return request, receipt and status or raise HomeAssistantError."""
        try:
            result = await self.client.send_message(user_key, message)
        except PushoverQuotaExceededError as err:
            if err.limits is not None:
                self.quota.async_set_limits(err.limits)
            raise home_assistant_error(self.hass, self.entry, err) from err
        except PushoverError as err:
            raise home_assistant_error(self.hass, self.entry, err) from err
        if result.limits is not None:
            self.quota.async_set_limits(result.limits)
        if result.receipt is not None:
            self.receipts.async_track(
                result.receipt, recipient, list(message.tags), message.expire or 0
            )
        return {"request": result.request, "receipt": result.receipt, "status": STATUS_SENT}
