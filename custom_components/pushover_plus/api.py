"""Async client for the Pushover API (no Home Assistant imports).

INTERFACE DRAFT: the public names below are the contract other modules code against.
The bodies are filled in by the client work (issue 3).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import aiohttp

DEFAULT_BASE_URL = "https://api.pushover.net/1/"
DEFAULT_WEBSOCKET_URL = "wss://client.pushover.net/push"
ICON_URL = "https://api.pushover.net/icons/{icon}.png"

MAX_MESSAGE_LENGTH = 1024
MAX_TITLE_LENGTH = 250
MAX_URL_LENGTH = 512
MAX_URL_TITLE_LENGTH = 100
MAX_GLANCE_FIELD_LENGTH = 100
MAX_MEMO_LENGTH = 200
MAX_USERS_PER_MESSAGE = 50
MAX_ATTACHMENT_BYTES = 5_242_880
MIN_RETRY_SECONDS = 30
MAX_EXPIRE_SECONDS = 10_800
MIN_POLL_INTERVAL_SECONDS = 5.0


# ---------------------------------------------------------------- errors


class PushoverError(Exception):
    """Base class of every error raised by this client."""


class PushoverConnectionError(PushoverError):
    """Pushover could not be reached (connection refused, reset, DNS, TLS)."""


class PushoverTimeoutError(PushoverConnectionError):
    """Pushover did not answer within the timeout."""


class PushoverServerError(PushoverError):
    """Pushover answered 5xx (or an unexpected code) after the allowed retries."""

    def __init__(self, message: str, *, status: int, request_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id


class PushoverRequestError(PushoverError):
    """Pushover refused the request (HTTP 4xx, status 0).

    ``errors`` holds Pushover's own texts; ``parameters`` the per-parameter verdicts
    (e.g. ``{"user": "invalid"}``); ``str(err)`` is the errors joined with "; ".
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        errors: Sequence[str] = (),
        parameters: dict[str, str] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.errors = list(errors)
        self.parameters = dict(parameters or {})
        self.request_id = request_id


class PushoverAuthenticationError(PushoverRequestError):
    """The app token, team token, user key or Open Client secret was rejected.

    ``parameter`` names which one: "token", "user" or "secret".
    """

    parameter: str


class PushoverValidationError(PushoverError):
    """A parameter breaks a documented limit.

    Raised locally before any request (``status`` is None) or from a 4xx naming a
    parameter. ``reason`` is machine readable (e.g. "message_too_long"),
    ``parameter`` the offending parameter, ``limit`` the limit when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        parameter: str | None = None,
        limit: int | None = None,
        status: int | None = None,
        errors: Sequence[str] = (),
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.parameter = parameter
        self.limit = limit
        self.status = status
        self.errors = list(errors)
        self.request_id = request_id


class PushoverQuotaExceededError(PushoverRequestError):
    """HTTP 429: the monthly message quota is used up until ``reset``."""

    reset: datetime | None
    limits: Limits | None


class PushoverTwoFactorRequiredError(PushoverRequestError):
    """HTTP 412 on login: call login again with the ``twofa`` code."""


# ---------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Limits:
    """Monthly message quota (from apps/limits.json or X-Limit-App-* headers)."""

    limit: int
    remaining: int
    reset: datetime  # timezone-aware UTC


@dataclass(frozen=True, slots=True)
class Attachment:
    """An image to attach; sent as multipart, or as base64 when ``as_base64``."""

    data: bytes
    content_type: str
    filename: str = "attachment"


@dataclass(frozen=True, slots=True)
class Message:
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


@dataclass(frozen=True, slots=True)
class MessageResult:
    """Answer to a send."""

    request: str
    receipt: str | None
    limits: Limits | None


@dataclass(frozen=True, slots=True)
class Receipt:
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


@dataclass(frozen=True, slots=True)
class UserValidation:
    """Answer of users/validate.json."""

    group: bool
    devices: list[str]
    licenses: list[str]


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """One entry of groups.json."""

    key: str
    name: str


@dataclass(frozen=True, slots=True)
class GroupMember:
    """One membership of a delivery group."""

    user: str
    device: str | None
    memo: str
    disabled: bool


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """Answer of groups/{key}.json."""

    name: str
    users: list[GroupMember]


@dataclass(frozen=True, slots=True)
class TeamInfo:
    """Answer of teams.json (shape unconfirmed: raw keeps the whole body)."""

    name: str | None
    users: list[dict[str, Any]]
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OpenClientSession:
    """Result of users/login.json: the user key and the per-login secret."""

    user_key: str
    secret: str


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
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
    """Single-byte frames of the Open Client websocket."""

    KEEPALIVE = "#"
    NEW_MESSAGE = "!"
    RELOAD = "R"
    ERROR = "E"
    OTHER_SESSION = "A"


# ---------------------------------------------------------------- client

Sleep = Callable[[float], Awaitable[None]]


class PushoverClient:
    """Pushover API client bound to one app token (token may be None for Open Client).

    At most ``max_concurrent`` requests in flight; each request has ``timeout`` seconds;
    5xx/connection errors are retried up to ``max_retries`` times no sooner than
    ``retry_delay`` (>= 5 s) apart; 4xx/429 are never retried. ``sleep`` and ``clock``
    are injectable for tests. ``limits`` holds the latest quota seen in any response.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        websocket_url: str = DEFAULT_WEBSOCKET_URL,
        timeout: float = 15.0,
        max_retries: int = 2,
        retry_delay: float = MIN_POLL_INTERVAL_SECONDS,
        max_concurrent: int = 2,
        sleep: Sleep | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        raise NotImplementedError

    limits: Limits | None

    # messages
    async def send_message(self, users: str | Sequence[str], message: Message) -> MessageResult:
        """Validate locally, then POST messages.json."""
        raise NotImplementedError

    # receipts
    async def get_receipt(self, receipt: str) -> Receipt:
        """GET receipts/{receipt}.json."""
        raise NotImplementedError

    async def cancel_receipt(self, receipt: str) -> None:
        """POST receipts/{receipt}/cancel.json."""
        raise NotImplementedError

    async def cancel_by_tag(self, tag: str) -> int:
        """POST receipts/cancel_by_tag/{tag}.json; returns how many were canceled."""
        raise NotImplementedError

    # users, sounds, limits, glances
    async def validate_user(self, user: str, device: str | None = None) -> UserValidation:
        """POST users/validate.json."""
        raise NotImplementedError

    async def get_sounds(self) -> dict[str, str]:
        """GET sounds.json: name -> label, custom sounds included."""
        raise NotImplementedError

    async def get_limits(self) -> Limits:
        """GET apps/limits.json."""
        raise NotImplementedError

    async def update_glance(
        self,
        user: str,
        *,
        device: str | None = None,
        title: str | None = None,
        text: str | None = None,
        subtext: str | None = None,
        count: int | None = None,
        percent: int | None = None,
    ) -> None:
        """POST glances.json (at least one data field)."""
        raise NotImplementedError

    # delivery groups
    async def create_group(self, name: str) -> str:
        """POST groups.json; returns the new group key."""
        raise NotImplementedError

    async def list_groups(self) -> list[GroupSummary]:
        """GET groups.json."""
        raise NotImplementedError

    async def get_group(self, group_key: str) -> GroupInfo:
        """GET groups/{key}.json."""
        raise NotImplementedError

    async def rename_group(self, group_key: str, name: str) -> None:
        """POST groups/{key}/rename.json."""
        raise NotImplementedError

    async def group_add_user(
        self, group_key: str, user: str, device: str | None = None, memo: str | None = None
    ) -> None:
        """POST groups/{key}/add_user.json."""
        raise NotImplementedError

    async def group_remove_user(self, group_key: str, user: str, device: str | None = None) -> None:
        """POST groups/{key}/delete_user.json, falling back to remove_user.json on 404."""
        raise NotImplementedError

    async def group_enable_user(self, group_key: str, user: str, device: str | None = None) -> None:
        """POST groups/{key}/enable_user.json."""
        raise NotImplementedError

    async def group_disable_user(
        self, group_key: str, user: str, device: str | None = None
    ) -> None:
        """POST groups/{key}/disable_user.json."""
        raise NotImplementedError

    # teams (team token, not the app token)
    async def team_add_user(
        self,
        team_token: str,
        email: str,
        *,
        name: str | None = None,
        password: str | None = None,
        instant: bool = False,
        admin: bool = False,
        group: str | None = None,
    ) -> None:
        """POST teams/add_user.json."""
        raise NotImplementedError

    async def team_remove_user(self, team_token: str, email: str) -> None:
        """POST teams/remove_user.json."""
        raise NotImplementedError

    async def get_team(self, team_token: str) -> TeamInfo:
        """GET teams.json."""
        raise NotImplementedError

    # licensing and subscriptions
    async def assign_license(
        self, *, user: str | None = None, email: str | None = None, os: str | None = None
    ) -> int:
        """POST licenses/assign.json; returns the remaining credits."""
        raise NotImplementedError

    async def get_license_credits(self) -> int:
        """GET licenses.json."""
        raise NotImplementedError

    async def migrate_subscription(
        self,
        subscription: str,
        user: str,
        *,
        device_name: str | None = None,
        sound: str | None = None,
    ) -> str:
        """POST subscriptions/migrate.json; returns the subscribed user key."""
        raise NotImplementedError

    # Open Client
    async def login(self, email: str, password: str, twofa: str | None = None) -> OpenClientSession:
        """POST users/login.json; raises PushoverTwoFactorRequiredError on 412."""
        raise NotImplementedError

    async def register_device(self, secret: str, name: str) -> str:
        """POST devices.json (os=O); returns the device id."""
        raise NotImplementedError

    async def download_messages(self, secret: str, device_id: str) -> list[ReceivedMessage]:
        """GET messages.json?secret=&device_id=, sorted by id."""
        raise NotImplementedError

    async def delete_messages(self, secret: str, device_id: str, highest_id: str) -> None:
        """POST devices/{device_id}/update_highest_message.json."""
        raise NotImplementedError

    async def acknowledge_receipt(self, secret: str, receipt: str) -> None:
        """POST receipts/{receipt}/acknowledge.json."""
        raise NotImplementedError

    @staticmethod
    def icon_url(icon: str) -> str:
        """URL of an application icon."""
        return ICON_URL.format(icon=icon)

    def push_frames(
        self, device_id: str, secret: str, *, heartbeat_timeout: float = 90.0
    ) -> AsyncIterator[PushFrame]:
        """Connect to the websocket, send the login frame and yield frames.

        Raises PushoverConnectionError when the socket drops or stays silent longer than
        ``heartbeat_timeout``; the caller reconnects.
        """
        raise NotImplementedError


def validate_message(users: str | Sequence[str], message: Message) -> None:
    """Raise PushoverValidationError when the message breaks a documented limit."""
    raise NotImplementedError


def validate_device_name(name: str) -> None:
    """Raise PushoverValidationError unless 1-25 characters of A-Z a-z 0-9 _ -."""
    raise NotImplementedError
