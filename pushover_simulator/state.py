"""State of the simulated Pushover service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
import secrets
import string
import time
from typing import Any
from zoneinfo import ZoneInfo

ALPHABET = string.ascii_letters + string.digits
ICON_ALPHABET = string.ascii_lowercase + string.digits
CHICAGO = ZoneInfo("America/Chicago")
FIRST_MESSAGE_ID = 2**40

BUILTIN_SOUNDS: dict[str, str] = {
    "pushover": "Pushover (default)",
    "bike": "Bike",
    "bugle": "Bugle",
    "cashregister": "Cash Register",
    "classical": "Classical",
    "cosmic": "Cosmic",
    "falling": "Falling",
    "gamelan": "Gamelan",
    "incoming": "Incoming",
    "intermission": "Intermission",
    "magic": "Magic",
    "mechanical": "Mechanical",
    "pianobar": "Piano Bar",
    "siren": "Siren",
    "spacealarm": "Space Alarm",
    "tugboat": "Tug Boat",
    "alien": "Alien Alarm (long)",
    "climb": "Climb (long)",
    "persistent": "Persistent (long)",
    "echo": "Pushover Echo (long)",
    "updown": "Up Down (long)",
    "vibrate": "Vibrate Only",
    "none": "None (silent)",
}
SOUND_CODES = {"pushover": "po"}


def new_key(length: int = 30) -> str:
    """Return a random identifier of letters and digits."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def stable_key(label: str, length: int = 30) -> str:
    """Return an identifier of letters and digits that is the same for a label every time."""
    digest = hashlib.sha256(f"pushover-simulator demo {label}".encode()).digest()
    return "".join(ALPHABET[byte % len(ALPHABET)] for byte in digest[:length])


def icon_id(token: str) -> str:
    """Return an application's icon id, made from its token: 15 lowercase letters and digits.

    Pushover gives each application its own id (a captured one: "mnsw2ykc6qa5sbn").
    """
    digest = hashlib.sha256(f"pushover-simulator icon {token}".encode()).digest()
    return "".join(ICON_ALPHABET[byte % len(ICON_ALPHABET)] for byte in digest[:15])


def next_reset(now: float) -> int:
    """Return the next 1st of the month at 00:00 America/Chicago, as Unix time."""
    local = datetime.fromtimestamp(now, UTC).astimezone(CHICAGO)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return int(datetime(year, month, 1, tzinfo=CHICAGO).timestamp())


@dataclass
class App:
    """An application (API token) with its account's quota and its icon id."""

    token: str
    name: str
    quota_limit: int
    quota_remaining: int
    sounds: dict[str, str] = field(default_factory=dict)
    license_credits: int = 0
    subscriptions: set[str] = field(default_factory=set)
    aid: int = 0
    reset_at: int | None = None
    icon: str = ""

    def refresh(self, now: float) -> int:
        """Refill the quota once a monthly reset has passed; return the next reset."""
        reset_at = next_reset(now)
        if self.reset_at is not None and reset_at > self.reset_at:
            self.quota_remaining = self.quota_limit
        self.reset_at = reset_at
        return reset_at


@dataclass
class User:
    """A Pushover user and its devices."""

    key: str
    devices: list[str]
    licenses: list[str]
    email: str | None = None
    password: str | None = None
    twofa: str | None = None


@dataclass
class Member:
    """A membership of a delivery group."""

    user: str
    device: str | None
    memo: str
    disabled: bool = False


@dataclass
class Group:
    """A delivery group owned by an application's account."""

    key: str
    name: str
    owner_token: str
    members: list[Member] = field(default_factory=list)


@dataclass
class Team:
    """A Pushover for Teams organization."""

    token: str
    name: str
    members: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class ReceiptState:
    """An emergency message's receipt."""

    receipt: str
    token: str
    users: list[str]
    retry: int
    created_at: float
    expires_at: float
    tags: list[str] = field(default_factory=list)
    callback: str | None = None
    acknowledged: bool = False
    acknowledged_at: float = 0
    acknowledged_by: str = ""
    acknowledged_by_device: str = ""
    called_back: bool = False
    called_back_at: float = 0
    canceled: bool = False
    canceled_at: float = 0
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    def cancel(self, now: float) -> None:
        """Stop the retries (a second cancel keeps the first time)."""
        if not self.canceled:
            self.canceled = True
            self.canceled_at = now

    def last_delivered(self, now: float) -> float:
        """Return when the latest retry went out, as seen at ``now``."""
        end = min(now, self.expires_at)  # retries stop at expiry, acknowledgement or cancel
        if self.acknowledged:
            end = min(end, self.acknowledged_at)
        if self.canceled:
            end = min(end, self.canceled_at)
        return self.created_at + int((end - self.created_at) // self.retry) * self.retry

    @property
    def last_delivered_at(self) -> float:
        """Return when the latest retry went out, by the simulator's clock."""
        return self.last_delivered(self.clock())

    @property
    def expired(self) -> bool:
        """Return whether the retries have stopped by expiry or cancellation."""
        return self.clock() >= self.expires_at or self.canceled

    @property
    def active(self) -> bool:
        """Return whether the alert still rings: not acknowledged, canceled or expired."""
        return not self.acknowledged and not self.expired

    def body(self, now: float) -> dict[str, Any]:
        """Return the receipts/{r}.json fields."""
        return {
            "acknowledged": int(self.acknowledged),
            "acknowledged_at": int(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_by_device": self.acknowledged_by_device,
            "last_delivered_at": int(self.last_delivered(now)),
            "expired": int(now >= self.expires_at or self.canceled),
            "expires_at": int(self.expires_at),
            "called_back": int(self.called_back),
            "called_back_at": int(self.called_back_at),
        }


@dataclass
class OpenClientDevice:
    """A registered Open Client device and its message queue."""

    device_id: str
    name: str
    user: str
    queue: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Delivery:
    """One accepted message for one recipient user."""

    user: str
    devices: list[str]
    params: dict[str, str]
    attachment: bytes | None
    attachment_type: str | None
    receipt: str | None
    request: str
    received_at: float


@dataclass
class RecordedRequest:
    """One HTTP request seen by the simulator."""

    method: str
    path: str
    params: dict[str, str]
    status: int
    at: float
    content_type: str
