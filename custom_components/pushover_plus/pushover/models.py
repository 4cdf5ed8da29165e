"""Data the Pushover client sends and returns.

Immutable records: a typing.NamedTuple costs a fifth of a frozen dataclass to define,
and this module is imported with the integration. Change a copy with ``_replace``.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

__all__ = [
    "Attachment",
    "Download",
    "GroupInfo",
    "GroupMember",
    "GroupSummary",
    "Limits",
    "Message",
    "MessageResult",
    "OpenClientSession",
    "PushFrame",
    "Receipt",
    "ReceivedMessage",
    "TeamInfo",
    "UserValidation",
]


class Limits(NamedTuple):
    """Monthly message quota (from apps/limits.json or X-Limit-App-* headers)."""

    limit: int
    remaining: int
    reset: datetime  # timezone-aware UTC


class Attachment(NamedTuple):
    """An image to attach; sent as multipart, or as base64 when ``as_base64``."""

    data: bytes
    content_type: str
    filename: str = "attachment"


class Message(NamedTuple):
    """Every parameter of messages.json except token and user."""

    message: str
    title: str | None = None
    devices: Sequence[str] = ()
    priority: int | None = None
    retry: int | None = None
    expire: int | None = None
    callback: str | None = None
    tags: Sequence[str] = ()
    sound: str | None = None
    timestamp: int | None = None
    ttl: int | None = None
    url: str | None = None
    url_title: str | None = None
    html: bool = False
    monospace: bool = False
    attachment: Attachment | None = None
    attachment_as_base64: bool = False


class MessageResult(NamedTuple):
    """Answer to a send."""

    request: str
    receipt: str | None
    limits: Limits | None


class Receipt(NamedTuple):
    """State of an emergency receipt."""

    acknowledged: bool
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_by_device: str | None
    last_delivered_at: datetime | None
    expired: bool
    expires_at: datetime | None
    called_back: bool
    called_back_at: datetime | None


class UserValidation(NamedTuple):
    """Answer of users/validate.json."""

    group: bool
    devices: list[str]
    licenses: list[str]


class GroupSummary(NamedTuple):
    """One entry of groups.json."""

    key: str
    name: str


class GroupMember(NamedTuple):
    """One membership of a delivery group."""

    user: str
    device: str | None
    memo: str
    disabled: bool


class GroupInfo(NamedTuple):
    """Answer of groups/{key}.json."""

    name: str
    users: list[GroupMember]


class TeamInfo(NamedTuple):
    """Answer of teams.json (shape unconfirmed: raw keeps the whole body)."""

    name: str | None
    users: list[dict[str, Any]]
    raw: Mapping[str, Any] = MappingProxyType({})


class OpenClientSession(NamedTuple):
    """Result of users/login.json: the user key and the per-login secret."""

    user_key: str
    secret: str


class ReceivedMessage(NamedTuple):
    """A message downloaded by an Open Client device (absent fields are None)."""

    id: int
    id_str: str
    message: str
    app: str | None
    title: str | None
    priority: int
    date: datetime
    url: str | None
    url_title: str | None
    icon: str | None
    sound: str | None
    receipt: str | None
    acked: bool
    html: bool
    umid: str | None
    raw: dict[str, Any]


class PushFrame(StrEnum):
    """Single-byte frames of the Open Client websocket, and CONNECTED.

    CONNECTED is not on the wire: push_frames yields it once the login frame is sent, so
    that the caller downloads what arrived while it was away without missing a message
    that arrives during the login.
    """

    CONNECTED = "connected"
    KEEPALIVE = "#"
    NEW_MESSAGE = "!"
    RELOAD = "R"
    ERROR = "E"
    OTHER_SESSION = "A"


class Download(NamedTuple):
    """An Open Client download: its readable messages by id, and how many items were not."""

    messages: list[ReceivedMessage]
    skipped: int = 0
