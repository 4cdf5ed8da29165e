"""Quota guard: stop an automation loop before it spends the month's Pushover quota.

Checked by MessageSender.async_send before a message is sent or held, per sender entry:
- duplicate suppression: the same recipient, devices, title, text and priority again
  within the window is answered ``suppressed`` and not sent;
- a rate ceiling per recipient (user or group key): beyond it, in any 60 seconds, messages
  of normal, low and lowest priority are refused; high and emergency ones never are;
- an emergency reserve: while the quota's ``remaining`` is under the reserve, only high
  and emergency messages go out, and a repair issue says why.
Each stop is counted (the guard sensor); the first stop of an episode (until that rule
lets the message or recipient through again) fires ``pushover_plus_guard`` and logs once.
"""

from collections import Counter, deque
import logging
import math
import time
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from .const import (
    CONF_DUPLICATE_WINDOW,
    CONF_QUOTA_RESERVE,
    CONF_RATE_LIMIT,
    DEFAULT_DUPLICATE_WINDOW,
    DEFAULT_QUOTA_RESERVE,
    DEFAULT_RATE_LIMIT,
    DOMAIN,
    EVENT_GUARD,
    GUARD_DUPLICATE,
    GUARD_RATE_LIMIT,
    GUARD_RESERVE,
    ISSUE_QUOTA_RESERVE,
    STATUS_SUPPRESSED,
)
from .coordinator import PushCoordinator, QuotaCoordinator
from .data import PushoverConfigEntry
from .issues import async_clear_issue, async_raise_issue
from .pushover import Message

_LOGGER = logging.getLogger(__name__)

RATE_WINDOW = 60.0  # seconds: the rate ceiling counts the messages of the last minute

type DuplicateKey = tuple[str, tuple[str, ...], str, str, int]


def duplicate_key(user_key: str, message: Message) -> DuplicateKey:
    """Return what makes two messages the same: recipient, devices, title, text, priority.

    The priority counts: the same text sent again at a higher priority is an escalation.
    """
    return (
        user_key,
        tuple(message.devices),
        message.title or "",
        message.message,
        message.priority or 0,
    )


class QuotaGuard:
    """Duplicate suppression, rate ceiling and emergency reserve of one sender entry."""

    def __init__(
        self, hass: HomeAssistant, entry: PushoverConfigEntry, quota: QuotaCoordinator
    ) -> None:
        """Initialize the guard with the entry's options (a change reloads the entry)."""
        self.hass = hass
        self.entry = entry
        self.quota = quota
        self.duplicate_window = float(
            entry.options.get(CONF_DUPLICATE_WINDOW, DEFAULT_DUPLICATE_WINDOW)
        )
        self.rate_limit = int(entry.options.get(CONF_RATE_LIMIT, DEFAULT_RATE_LIMIT))
        self.reserve_percent = float(entry.options.get(CONF_QUOTA_RESERVE, DEFAULT_QUOTA_RESERVE))
        self.stopped: Counter[str] = Counter()
        self._admitted: dict[DuplicateKey, float] = {}  # oldest first
        self._recent: dict[str, deque[float]] = {}  # user key -> times admitted
        self._engaged: set[tuple[str, Any]] = set()
        self.coordinator = PushCoordinator(hass, entry, "guard", self.stopped)

    @callback
    def async_setup(self) -> None:
        """Follow the quota for the reserve and its repair issue."""
        self.entry.async_on_unload(self.quota.async_add_listener(self._async_quota_changed))
        self._async_quota_changed()

    @property
    def reserve(self) -> int | None:
        """Return the messages kept for high and emergency ones (None: off or unknown)."""
        limits = self.quota.data
        if limits is None or self.reserve_percent <= 0:
            return None
        return math.ceil(limits.limit * self.reserve_percent / 100)

    def _reserve_engaged(self) -> bool:
        reserve = self.reserve
        return reserve is not None and self.quota.data.remaining < reserve

    @callback
    def async_admit(self, user_key: str, message: Message, recipient: str) -> dict[str, Any] | None:
        """Let a message through (None), answer it ``suppressed``, or raise a refusal."""
        now = time.monotonic()
        self._forget_before(now)
        key = duplicate_key(user_key, message)
        if key in self._admitted:
            self._stop(GUARD_DUPLICATE, key, recipient, message)
            return {"request": None, "receipt": None, "status": STATUS_SUPPRESSED}
        recent = self._recent.get(user_key, ())
        if (message.priority or 0) <= 0:
            if self._reserve_engaged():
                self._stop(GUARD_RESERVE, None, recipient, message)
                limits = self.quota.data
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="quota_reserve",
                    translation_placeholders={
                        "remaining": str(limits.remaining),
                        "reserve": str(self.reserve),
                    },
                )
            if 0 < self.rate_limit <= len(recent):
                self._stop(GUARD_RATE_LIMIT, user_key, recipient, message)
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="rate_limited",
                    translation_placeholders={
                        "recipient": recipient,
                        "limit": str(self.rate_limit),
                    },
                )
        if self.duplicate_window > 0:
            self._admitted[key] = now
        if self.rate_limit > 0:
            self._recent.setdefault(user_key, deque()).append(now)
        self._engaged.discard((GUARD_DUPLICATE, key))
        if len(recent) < self.rate_limit:
            self._engaged.discard((GUARD_RATE_LIMIT, user_key))
        return None

    @callback
    def async_release(self, user_key: str, message: Message) -> None:
        """Forget a message let through that then failed: the same one again goes out.

        It still counts toward the rate ceiling, as it was let through.
        """
        self._admitted.pop(duplicate_key(user_key, message), None)

    def _forget_before(self, now: float) -> None:
        """Drop what is older than the windows (both are kept in the order of admission)."""
        for key, admitted_at in list(self._admitted.items()):
            if now - admitted_at < self.duplicate_window:
                break
            del self._admitted[key]
        for user_key, recent in list(self._recent.items()):
            while recent and now - recent[0] >= RATE_WINDOW:
                recent.popleft()
            if not recent:
                del self._recent[user_key]

    def _stop(self, reason: str, episode: Any, recipient: str, message: Message) -> None:
        """Count a stopped message; the first of an episode fires the event and logs."""
        self.stopped[reason] += 1
        if (reason, episode) not in self._engaged:
            self._engaged.add((reason, episode))
            _LOGGER.warning(
                "Quota guard of %s engaged (%s) for a message to %s",
                self.entry.title,
                reason,
                recipient,
            )
            self.hass.bus.async_fire(
                EVENT_GUARD,
                {
                    "config_entry_id": self.entry.entry_id,
                    "reason": reason,
                    "recipient": recipient,
                    "title": message.title,
                    "message": message.message,
                    "priority": message.priority or 0,
                },
            )
        self.coordinator.async_set_updated_data(self.stopped)

    @callback
    def _async_quota_changed(self) -> None:
        """Raise the reserve's repair issue while it holds messages back; clear it after."""
        if not self._reserve_engaged():
            self._engaged.discard((GUARD_RESERVE, None))
            async_clear_issue(self.hass, self.entry, ISSUE_QUOTA_RESERVE)
            return
        async_raise_issue(
            self.hass,
            self.entry,
            ISSUE_QUOTA_RESERVE,
            reserve=str(self.reserve),
            percent=f"{self.reserve_percent:g}",
            reset=dt_util.as_local(self.quota.data.reset).strftime("%Y-%m-%d %H:%M"),
        )
