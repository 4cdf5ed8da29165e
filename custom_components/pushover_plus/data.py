"""The typed config entry of Pushover Plus, its runtime data and its unique id."""

import hashlib
from typing import TYPE_CHECKING, NamedTuple

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .coordinator import GroupsCoordinator, LicenseCreditsCoordinator, QuotaCoordinator
    from .pushover import PushoverClient
    from .receipts import ReceiptTracker
    from .receiver import OpenClientListener
    from .sender import MessageSender

type PushoverConfigEntry = ConfigEntry[SenderData | ReceiverData]


class SenderData(NamedTuple):
    """Runtime data of a sender (application) entry."""

    client: PushoverClient
    user_key: str
    quota: QuotaCoordinator
    sender: MessageSender
    receipts: ReceiptTracker
    groups: GroupsCoordinator
    license_credits: LicenseCreditsCoordinator


class ReceiverData(NamedTuple):
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


def recipient_unique_id(user_key: str) -> str:
    """Return the unique id of a recipient subentry: a digest of its key (no secret)."""
    return hashlib.sha256(user_key.encode()).hexdigest()[:32]


def sender_unique_id(api_token: str, user_key: str) -> str:
    """Return the unique id of a new sender: a digest of its token and key (no secret).

    Several applications (each with its own name and icon) may send to one user key, each
    as its own entry. The id is computed once, when the entry is made, and never changes:
    after a new token (reauthentication, reconfiguration) it is that of the first one.
    """
    return hashlib.sha256(f"{api_token}:{user_key}".encode()).hexdigest()[:32]
