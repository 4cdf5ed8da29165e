"""The typed config entry of Pushover Plus, its runtime data and its unique id."""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .coordinator import GroupsCoordinator, QuotaCoordinator
    from .pushover import PushoverClient
    from .receipts import ReceiptTracker
    from .receiver import OpenClientListener
    from .sender import MessageSender

type PushoverConfigEntry = ConfigEntry[SenderData | ReceiverData]


@dataclass(slots=True)
class SenderData:
    """Runtime data of a sender (application) entry."""

    client: PushoverClient
    user_key: str
    quota: QuotaCoordinator
    sender: MessageSender
    receipts: ReceiptTracker
    groups: GroupsCoordinator


@dataclass(slots=True)
class ReceiverData:
    """Runtime data of a receiver (Open Client device) entry."""

    client: PushoverClient
    listener: OpenClientListener


def sender_data(entry: PushoverConfigEntry) -> SenderData:
    """Return the runtime data of a loaded sender entry."""
    data = entry.runtime_data
    assert isinstance(data, SenderData), f"{entry.entry_id} is not a loaded sender"
    return data


def receiver_data(entry: PushoverConfigEntry) -> ReceiverData:
    """Return the runtime data of a loaded receiver entry."""
    data = entry.runtime_data
    assert isinstance(data, ReceiverData), f"{entry.entry_id} is not a loaded receiver"
    return data


def sender_unique_id(user_key: str) -> str:
    """Return the unique id of a sender: a digest of its user or group key (no secret).

    The key is what the entry belongs to and what a new token leaves unchanged, so the id
    stays the same through reauthentication and reconfiguration.
    """
    return hashlib.sha256(user_key.encode()).hexdigest()[:32]
