"""Async client for the Pushover API (no Home Assistant imports).

Follows https://pushover.net/api: at most two requests in flight, explicit timeouts,
transient failures retried no sooner than 5 s apart, 4xx never retried, every limit
checked locally before a request is made.
"""

from __future__ import annotations

import asyncio
import base64
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
import json
import logging
import re
import time
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

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
MAX_DEVICE_NAME_LENGTH = 25
MAX_REQUESTS_IN_FLIGHT = 2
LICENSE_OS = ("Android", "iOS", "Desktop")

KEY_PATTERN = re.compile(r"^[A-Za-z0-9]{30}$")
DEVICE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,25}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PATH_SEGMENT_PATTERN = re.compile(r"^[^/?#%\\]+$")

_LOGGER = logging.getLogger(__name__)


# ---------------------------------------------------------------- errors


class PushoverError(Exception):
    """Base class of every error raised by this client."""


class PushoverConnectionError(PushoverError):
    """Pushover could not be reached or did not answer (refused, reset, DNS, TLS, timeout).

    ``request_sent`` is True when the request may have reached Pushover (the connection
    was lost, or the time ran out, after it was written): a send may then have been
    delivered although no answer came.
    """

    def __init__(self, message: str, *, request_sent: bool = False) -> None:
        """Keep whether the request may have reached Pushover."""
        super().__init__(message)
        self.request_sent = request_sent


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
    (e.g. ``{"user": "invalid"}``); ``parameter`` the first parameter the refusal names
    (None when it names none); ``reason`` what the texts say when a caller needs to know
    (``no_active_devices``, ``name_taken``; None otherwise); ``str(err)`` is the errors
    joined with "; ".
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        errors: Sequence[str] = (),
        parameters: dict[str, str] | None = None,
        parameter: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.errors = list(errors)
        self.parameters = dict(parameters or {})
        self.parameter = parameter if parameter is not None else next(iter(self.parameters), None)
        self.request_id = request_id
        self.reason = _refusal_reason(self.errors, self.parameters)


def _refusal_reason(errors: Sequence[str], parameters: Mapping[str, str]) -> str | None:
    """Read a refusal's texts: Pushover's wording is the only sign of these two cases.

    "user is valid but has no active devices" may come without a ``user`` verdict, and
    devices.json says "has already been taken" under ``name``.
    """
    texts = [*errors, *parameters.values()]
    if any("no active devices" in text.lower() for text in texts):
        return "no_active_devices"
    if "taken" in parameters.get("name", "").lower():
        return "name_taken"
    return None


class PushoverAuthenticationError(PushoverRequestError):
    """The app token, team token, user key or Open Client secret was rejected.

    ``parameter`` names which one: "token", "user" or "secret".
    """

    def __init__(self, message: str, *, parameter: str, **kwargs: Any) -> None:
        """Keep which credential was rejected."""
        super().__init__(message, parameter=parameter, **kwargs)
        self.parameter: str = parameter


class PushoverUnexpectedResponseError(PushoverRequestError):
    """A 4xx answer that is not Pushover's JSON (an HTML page of a proxy or captive portal).

    Not a verdict on the request: something between Home Assistant and Pushover answered.
    """


class PushoverValidationError(PushoverError):
    """A parameter breaks a documented limit.

    Raised locally before any request is made (``status`` is None); a refusal by
    Pushover is a PushoverRequestError instead. ``reason`` is machine readable (e.g.
    "message_too_long"), ``parameter`` the offending parameter, ``limit`` the limit
    when there is one.
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
    """HTTP 429: the monthly message quota is used up until ``reset`` (UTC, when known)."""

    def __init__(
        self,
        message: str,
        *,
        limits: Limits | None,
        reset: datetime | None = None,
        **kwargs: Any,
    ) -> None:
        """Keep the quota and the reset time seen in the refusal."""
        super().__init__(message, **kwargs)
        self.limits = limits
        self.reset: datetime | None = reset or (limits.reset if limits else None)


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


# ---------------------------------------------------------------- validation


def _fail(reason: str, parameter: str, message: str, limit: int | None = None) -> None:
    raise PushoverValidationError(message, reason=reason, parameter=parameter, limit=limit)


def _check_length(value: str | None, parameter: str, limit: int) -> None:
    if value is not None and len(value) > limit:
        _fail(f"{parameter}_too_long", parameter, f"{parameter} is over {limit} characters", limit)


def _encodable(value: str) -> bool:
    """Return whether the text can be sent: UTF-8 cannot carry a lone surrogate."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _form_value(parameter: str, value: Any) -> str:
    """Return a parameter as form text; raise PushoverValidationError if it cannot be sent."""
    text = ("1" if value else "0") if isinstance(value, bool) else str(value)
    if not _encodable(text):
        _fail("text_invalid", parameter, f"{parameter} holds characters that cannot be sent")
    return text


def validate_key(value: str, parameter: str = "user") -> None:
    """Raise PushoverValidationError unless 30 characters of A-Z a-z 0-9."""
    if not KEY_PATTERN.match(value):
        _fail("user_key_invalid", parameter, f"{parameter} is not a 30-character key")


def validate_device_name(name: str) -> None:
    """Raise PushoverValidationError unless 1-25 characters of A-Z a-z 0-9 _ -."""
    if not DEVICE_NAME_PATTERN.match(name):
        _fail(
            "device_name_invalid",
            "device",
            "device names have 1-25 letters, digits, _ or -",
            MAX_DEVICE_NAME_LENGTH,
        )


def _users(users: str | Sequence[str]) -> list[str]:
    return [users] if isinstance(users, str) else list(users)


def validate_message(users: str | Sequence[str], message: Message) -> None:
    """Raise PushoverValidationError when the message breaks a documented limit."""
    keys = _users(users)
    if not keys:
        _fail("user_key_invalid", "user", "at least one user key is needed")
    if len(keys) > MAX_USERS_PER_MESSAGE:
        _fail("too_many_users", "user", "too many users", MAX_USERS_PER_MESSAGE)
    for key in keys:
        validate_key(key)
    if not message.message.strip():
        _fail("message_empty", "message", "message cannot be blank")
    _check_length(message.message, "message", MAX_MESSAGE_LENGTH)
    _check_length(message.title, "title", MAX_TITLE_LENGTH)
    _check_length(message.url, "url", MAX_URL_LENGTH)
    _check_length(message.url_title, "url_title", MAX_URL_TITLE_LENGTH)
    for device in message.devices:
        validate_device_name(device)
    priority = 0 if message.priority is None else message.priority
    if priority not in range(-2, 3):
        _fail("priority_invalid", "priority", "priority must be -2 to 2")
    if priority == 2:
        if message.retry is None:
            _fail("retry_required", "retry", "retry must be supplied with priority=2")
        if message.expire is None:
            _fail("expire_required", "expire", "expire must be supplied with priority=2")
    if message.retry is not None and message.retry < MIN_RETRY_SECONDS:
        _fail("retry_too_short", "retry", "retry is under 30 seconds", MIN_RETRY_SECONDS)
    if message.expire is not None and message.expire > MAX_EXPIRE_SECONDS:
        _fail("expire_too_long", "expire", "expire is over 10800 seconds", MAX_EXPIRE_SECONDS)
    if message.expire is not None and message.expire < 1:
        _fail("expire_invalid", "expire", "expire must be positive")
    if message.ttl is not None and message.ttl < 1:
        _fail("ttl_invalid", "ttl", "ttl must be positive")
    if message.html and message.monospace:
        _fail("html_and_monospace", "monospace", "html and monospace cannot be combined")
    for tag in message.tags:
        if "," in tag:
            _fail("tag_invalid", "tags", "tags cannot contain commas")
    if message.attachment is not None:
        if len(message.attachment.data) > MAX_ATTACHMENT_BYTES:
            _fail(
                "attachment_too_large",
                "attachment",
                "attachment is over 5242880 bytes",
                MAX_ATTACHMENT_BYTES,
            )
        if not message.attachment.content_type:
            _fail("attachment_type_missing", "attachment_type", "attachment type is missing")
        if not message.attachment.content_type.startswith("image/"):
            _fail("attachment_type_invalid", "attachment_type", "attachment must be an image")


def validate_glance(
    title: str | None, text: str | None, subtext: str | None, count: int | None, percent: int | None
) -> None:
    """Raise PushoverValidationError unless the glance update is allowed."""
    if title is None and text is None and subtext is None and count is None and percent is None:
        _fail("glance_empty", "title", "a glance needs at least one field")
    for name, value in (("title", title), ("text", text), ("subtext", subtext)):
        if value is not None and len(value) > MAX_GLANCE_FIELD_LENGTH:
            _fail("glance_field_too_long", name, f"{name} is over 100 characters", 100)
    if percent is not None and not 0 <= percent <= 100:
        _fail("glance_percent_invalid", "percent", "percent must be 0 to 100", 100)


def _timestamp(value: Any) -> datetime | None:
    """Unix time -> aware UTC datetime; None when absent, 0 or not a time."""
    try:
        seconds = int(value)
        return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None
    except TypeError, ValueError, OverflowError, OSError:
        return None


def _int(value: Any, default: int = 0) -> int:
    """Read an integer leniently ("1", 1, True); ``default`` when absent or unreadable."""
    try:
        return int(value)
    except TypeError, ValueError:
        return default


def _text(value: Any) -> str | None:
    """Read an optional text field: absent, null and empty become None."""
    return str(value) if value is not None and value != "" else None


def _items(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """Return the objects of a list field (anything else in it is skipped)."""
    values = data.get(key)
    if not isinstance(values, list):
        return []
    return [item for item in values if isinstance(item, Mapping)]


def _required(data: Mapping[str, Any], key: str, request_id: Any = None) -> str:
    """Return a field a successful answer must carry; PushoverServerError if absent.

    ``request_id`` is the answer's request id when ``data`` is an object inside it.
    """
    value = _text(data.get(key))
    if value is None or isinstance(data.get(key), Mapping | list):
        raise PushoverServerError(
            f"Pushover's answer has no {key}",
            status=200,
            request_id=_text(request_id or data.get("request")),
        )
    return value


_QUOTA_HEADERS = {
    "limit": "X-Limit-App-Limit",
    "remaining": "X-Limit-App-Remaining",
    "reset": "X-Limit-App-Reset",
}


def _quota_headers(headers: Mapping[str, str]) -> dict[str, int]:
    """Read the X-Limit-App-* values present (any of them may be missing)."""
    values: dict[str, int] = {}
    for name, header in _QUOTA_HEADERS.items():
        try:
            values[name] = int(headers[header])
        except KeyError, ValueError:
            continue
    return values


def _limits_from(values: Mapping[str, int], previous: Limits | None) -> Limits | None:
    """Limits from the quota headers; a partial set updates the previous limits."""
    if not values:
        return None
    reset = _timestamp(values.get("reset"))
    if previous is None:
        if reset is None or "limit" not in values or "remaining" not in values:
            return None
        return Limits(values["limit"], values["remaining"], reset)
    return Limits(
        values.get("limit", previous.limit),
        values.get("remaining", previous.remaining),
        reset or previous.reset,
    )


_PATH_WORDS = frozenset(
    {
        *("messages", "receipts", "cancel", "cancel_by_tag", "acknowledge", "users"),
        *("validate", "login", "sounds", "apps", "limits", "glances", "groups", "rename"),
        *("add_user", "delete_user", "remove_user", "enable_user", "disable_user", "teams"),
        *("licenses", "assign", "subscriptions", "migrate", "devices", "update_highest_message"),
    }
)


def _loggable(path: str) -> str:
    """Replace the keys, receipts, device ids and tags in a path by '*' for logs."""
    segments = []
    for segment in path.split("/"):
        stem, dot, suffix = segment.partition(".")
        segments.append(segment if stem in _PATH_WORDS else f"*{dot}{suffix}")
    return "/".join(segments)


def _verdicts(body: Mapping[str, Any]) -> dict[str, str]:
    """Collect the per-parameter verdicts of a refusal.

    Top-level keys such as ``"user": "invalid"``, and the keys of an object-shaped
    ``errors`` (``{"name": ["has already been taken"]}``).
    """
    verdicts = {
        key: str(value)
        for key, value in body.items()
        if key not in ("errors", "status", "request") and isinstance(value, str | int)
    }
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        for name, values in errors.items():
            texts = values if isinstance(values, list) else [values]
            verdicts.setdefault(str(name), "; ".join(str(text) for text in texts))
    return verdicts


def _error_texts(body: Mapping[str, Any], status: int) -> list[str]:
    """Pushover's texts from a list, a string or an object of lists ("name has ...")."""
    errors = body.get("errors")
    texts: list[str] = []
    if isinstance(errors, Mapping):
        for name, values in errors.items():
            for value in values if isinstance(values, list) else [values]:
                texts.append(f"{name} {value}")
    elif isinstance(errors, list):
        texts = [str(error) for error in errors]
    elif isinstance(errors, str):
        texts = [errors]
    return [text for text in texts if text.strip()] or [f"HTTP {status}"]


def _connection_error(err: Exception, path: str) -> PushoverConnectionError:
    """Classify a failed attempt by whether the request may have reached Pushover."""
    if isinstance(err, aiohttp.ConnectionTimeoutError):
        return PushoverTimeoutError(f"Could not connect to Pushover for {_loggable(path)} in time")
    if isinstance(err, TimeoutError):
        return PushoverTimeoutError(
            f"Pushover did not answer {_loggable(path)} in time", request_sent=True
        )
    if isinstance(err, aiohttp.ClientConnectorError | aiohttp.InvalidURL):
        return PushoverConnectionError(f"Could not reach Pushover: {type(err).__name__}")
    return PushoverConnectionError(
        f"Connection to Pushover lost: {type(err).__name__}", request_sent=True
    )


class RequestSlots:
    """At most ``size`` requests in flight; waiters are served first come, first served.

    ``acquire(abandon)`` gives up (PushoverConnectionError, not sent) when ``abandon``
    is done before a slot is free: a send waiting behind a hanging one is then held.
    """

    def __init__(self, size: int = MAX_REQUESTS_IN_FLIGHT) -> None:
        """Start with ``size`` free slots."""
        self._free = size
        self._waiters: deque[tuple[asyncio.Future[None], asyncio.Future[None] | None]] = deque()
        self._watched: set[asyncio.Future[None]] = set()

    async def acquire(self, abandon: asyncio.Future[None] | None = None) -> None:
        """Take a slot, waiting for one if none is free."""
        if self._free and not self._waiters:
            self._free -= 1
            return
        if abandon is not None and abandon.done():
            raise PushoverConnectionError("Gave up waiting for a free request slot")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((waiter, abandon))
        if abandon is not None and abandon not in self._watched:
            self._watched.add(abandon)
            abandon.add_done_callback(self._abandon)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release()  # the slot came with the cancellation: pass it on
            raise
        if abandon is not None and abandon.done():  # given up in the same step
            self.release()
            raise PushoverConnectionError("Gave up waiting for a free request slot")

    def release(self) -> None:
        """Give a slot back, to the first waiter still waiting."""
        while self._waiters:
            waiter, _ = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    def _abandon(self, abandon: asyncio.Future[None]) -> None:
        self._watched.discard(abandon)
        for waiter, reason in self._waiters:
            if reason is abandon and not waiter.done():
                waiter.set_exception(
                    PushoverConnectionError("Gave up waiting for a free request slot")
                )


# ---------------------------------------------------------------- client

Sleep = Callable[[float], Awaitable[None]]
Body = Callable[[], Any]


class PushoverClient:
    """Pushover API client bound to one app token (token may be None for Open Client).

    At most two requests in flight (``slots``: pass the same RequestSlots to every client
    of one host to share that budget); each request has ``timeout`` seconds (``connect``
    of them to connect); 5xx and failures before the request was written are retried up
    to ``max_retries`` times no sooner than ``retry_delay`` (>= 5 s) apart; 4xx/429 are
    never retried. ``sleep`` and ``clock`` are injectable for tests. ``limits`` holds the
    latest quota seen in any response.

    A send whose connection was lost, or whose time ran out, after it was written is
    never retried here (Pushover has no idempotency key: it may have been delivered); it
    raises PushoverConnectionError with ``request_sent`` set, and the caller decides.
    aiohttp itself resends an idempotent GET once, at once, when a kept-alive connection
    closes before an answer (RFC 9112); sends are POSTs and never resent that way.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        websocket_url: str = DEFAULT_WEBSOCKET_URL,
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        max_retries: int = 2,
        retry_delay: float = MIN_POLL_INTERVAL_SECONDS,
        slots: RequestSlots | None = None,
        sleep: Sleep | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Bind the client to a session and an application token."""
        self._session = session
        self._token = token
        self._base_url = base_url if base_url.endswith("/") else f"{base_url}/"
        self._websocket_url = websocket_url
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(connect_timeout, timeout))
        self._max_retries = max(0, max_retries)
        self._retry_delay = max(retry_delay, MIN_POLL_INTERVAL_SECONDS)
        self._slots = slots or RequestSlots()
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock = clock or time.monotonic
        self.limits: Limits | None = None

    # ------------------------------------------------------------ transport

    def _with_token(
        self, params: dict[str, Any] | None, token: str | None = None
    ) -> dict[str, str]:
        values = {"token": token or self._token or ""}
        for key, value in (params or {}).items():
            if value is None:
                continue
            values[key] = _form_value(key, value)
        return values

    async def _request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Body | None = None,
        user_is_credential: bool = False,
        retries: int | None = None,
        resend: bool = True,
        abandon: asyncio.Future[None] | None = None,
    ) -> tuple[dict[str, Any], Limits | None]:
        """Send a request with retries; return the JSON body and the quota headers.

        ``resend`` False: a failure after the request was written is raised, not retried.
        ``abandon``: give up (not sent) if it is done while waiting for a free slot.
        """
        failure: PushoverError | None = None
        attempts = (self._max_retries if retries is None else max(0, retries)) + 1
        for attempt in range(attempts):
            if attempt:
                await self._sleep(self._retry_delay)
            try:
                status, text, headers = await self._send_once(method, path, query, body, abandon)
            except PushoverConnectionError as err:
                if err.request_sent and not resend:
                    raise
                failure = err
                continue
            quota = _quota_headers(headers)
            limits = _limits_from(quota, self.limits)
            if limits is not None:
                self.limits = limits
            request_id = headers.get("X-Request-Id")
            if status >= 500 or status < 200 or 300 <= status < 400:
                failure = PushoverServerError(
                    f"Pushover answered HTTP {status}", status=status, request_id=request_id
                )
                continue
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            if not isinstance(data, dict) and 400 <= status < 500:
                raise PushoverUnexpectedResponseError(
                    f"HTTP {status} without Pushover's answer (a proxy or captive portal?)",
                    status=status,
                    errors=[f"HTTP {status}"],
                    request_id=request_id,
                )
            if not isinstance(data, dict):
                failure = PushoverServerError(
                    f"Pushover answered HTTP {status} without JSON",
                    status=status,
                    request_id=request_id,
                )
                continue
            if status < 300 and data.get("status") == 1:
                return data, limits
            reset = _timestamp(quota.get("reset"))
            raise self._refusal(status, data, limits, reset, request_id, user_is_credential)
        assert failure is not None
        raise failure

    async def _send_once(
        self,
        method: str,
        path: str,
        query: dict[str, str] | None,
        body: Body | None,
        abandon: asyncio.Future[None] | None = None,
    ) -> tuple[int, str, CIMultiDictProxy[str]]:
        """One attempt, holding a slot (never while waiting to retry)."""
        await self._slots.acquire(abandon)
        started = self._clock()
        try:
            async with self._session.request(
                method,
                self._base_url + path,
                params=query,
                data=body() if body is not None else None,
                timeout=self._timeout,
            ) as response:
                text = await response.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError) as err:
            _LOGGER.debug(
                "%s %s failed after %.2f s: %s",
                method,
                _loggable(path),
                self._clock() - started,
                type(err).__name__,
            )
            raise _connection_error(err, path) from err
        finally:
            self._slots.release()
        _LOGGER.debug(
            "%s %s -> %s in %.2f s (request %s)",
            method,
            _loggable(path),
            response.status,
            self._clock() - started,
            response.headers.get("X-Request-Id"),
        )
        return response.status, text, response.headers

    @staticmethod
    def _refusal(
        status: int,
        data: dict[str, Any],
        limits: Limits | None,
        reset: datetime | None,
        request_id: str | None,
        user_is_credential: bool,
    ) -> PushoverRequestError:
        """Classify a refusal: the verdict's key decides which credential was rejected."""
        errors = _error_texts(data, status)
        parameters = _verdicts(data)
        common: dict[str, Any] = {
            "status": status,
            "errors": errors,
            "parameters": parameters,
            "request_id": request_id,
        }
        message = "; ".join(errors)
        if status == 429:
            return PushoverQuotaExceededError(message, limits=limits, reset=reset, **common)
        if status == 412:
            return PushoverTwoFactorRequiredError(message, **common)
        if parameters.get("token") == "invalid":
            return PushoverAuthenticationError(message, parameter="token", **common)
        if "secret" in parameters:
            return PushoverAuthenticationError(message, parameter="secret", **common)
        if user_is_credential and "user" in parameters:
            return PushoverAuthenticationError(message, parameter="user", **common)
        return PushoverRequestError(message, **common)

    async def _get(
        self, path: str, params: dict[str, Any] | None = None, *, retries: int | None = None
    ) -> dict[str, Any]:
        data, _ = await self._request("GET", path, query=self._with_token(params), retries=retries)
        return data

    async def _post(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        user_is_credential: bool = False,
        retries: int | None = None,
    ) -> dict[str, Any]:
        form = self._with_token(params, token)
        data, _ = await self._request(
            "POST",
            path,
            body=lambda: dict(form),
            user_is_credential=user_is_credential,
            retries=retries,
        )
        return data

    async def _post_secret(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        form = {key: _form_value(key, value) for key, value in params.items() if value is not None}
        data, _ = await self._request("POST", path, body=lambda: dict(form))
        return data

    # ------------------------------------------------------------ messages

    async def send_message(
        self,
        users: str | Sequence[str],
        message: Message,
        *,
        retries: int | None = None,
        abandon: asyncio.Future[None] | None = None,
    ) -> MessageResult:
        """Validate locally, then POST messages.json.

        Failures before the request was written, and 5xx, are retried (``retries``, by
        default ``max_retries``, >= 5 s apart). A failure after it was written raises
        PushoverConnectionError with ``request_sent``: Pushover has no idempotency key,
        so the message may have been delivered. ``abandon`` ends a wait for a free slot.
        """
        validate_message(users, message)
        params = self._with_token(
            {
                "user": ",".join(_users(users)),
                "message": message.message,
                "title": message.title,
                "device": ",".join(message.devices) or None,
                "priority": message.priority,
                "retry": message.retry,
                "expire": message.expire,
                "callback": message.callback,
                "tags": ",".join(message.tags) or None,
                "sound": message.sound,
                "timestamp": message.timestamp,
                "ttl": message.ttl,
                "url": message.url,
                "url_title": message.url_title,
                "html": 1 if message.html else None,
                "monospace": 1 if message.monospace else None,
            }
        )
        attachment = message.attachment
        body: Body
        if attachment is not None and message.attachment_as_base64:
            params["attachment_base64"] = base64.b64encode(attachment.data).decode()
            params["attachment_type"] = attachment.content_type
            body = lambda: dict(params)  # noqa: E731
        elif attachment is not None:

            def body() -> aiohttp.FormData:
                form = aiohttp.FormData()
                for key, value in params.items():
                    form.add_field(key, value)
                form.add_field(
                    "attachment",
                    attachment.data,
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                )
                return form

        else:
            body = lambda: dict(params)  # noqa: E731
        data, limits = await self._request(
            "POST",
            "messages.json",
            body=body,
            user_is_credential=True,
            retries=retries,
            resend=False,
            abandon=abandon,
        )
        receipt = data.get("receipt")
        return MessageResult(
            request=str(data.get("request", "")),
            receipt=str(receipt) if receipt else None,
            limits=limits,
        )

    # ------------------------------------------------------------ receipts

    @staticmethod
    def _check_receipt(receipt: str) -> None:
        if not KEY_PATTERN.match(receipt):
            _fail("receipt_invalid", "receipt", "a receipt is 30 letters and digits")

    async def get_receipt(self, receipt: str) -> Receipt:
        """GET receipts/{receipt}.json."""
        self._check_receipt(receipt)
        data = await self._get(f"receipts/{receipt}.json")
        return Receipt(
            acknowledged=bool(_int(data.get("acknowledged"))),
            acknowledged_at=_timestamp(data.get("acknowledged_at")),
            acknowledged_by=_text(data.get("acknowledged_by")),
            acknowledged_by_device=_text(data.get("acknowledged_by_device")),
            last_delivered_at=_timestamp(data.get("last_delivered_at")),
            expired=bool(_int(data.get("expired"))),
            expires_at=_timestamp(data.get("expires_at")),
            called_back=bool(_int(data.get("called_back"))),
            called_back_at=_timestamp(data.get("called_back_at")),
        )

    async def cancel_receipt(self, receipt: str) -> None:
        """POST receipts/{receipt}/cancel.json."""
        self._check_receipt(receipt)
        await self._post(f"receipts/{receipt}/cancel.json")

    async def cancel_by_tag(self, tag: str) -> int:
        """POST receipts/cancel_by_tag/{tag}.json; returns how many were canceled."""
        if not PATH_SEGMENT_PATTERN.match(tag) or "," in tag or not _encodable(tag):
            _fail("tag_invalid", "tag", "a tag has no commas, slashes, ? # % or backslashes")
        data = await self._post(f"receipts/cancel_by_tag/{tag}.json")
        return _int(data.get("canceled"))

    # ------------------------------------------------------------ users, sounds, limits, glances

    async def validate_user(
        self, user: str, device: str | None = None, *, retries: int | None = None
    ) -> UserValidation:
        """POST users/validate.json (``retries`` None: the client's default)."""
        validate_key(user)
        if device:
            validate_device_name(device)
        data = await self._post(
            "users/validate.json",
            {"user": user, "device": device},
            user_is_credential=True,
            retries=retries,
        )
        return UserValidation(
            group=bool(_int(data.get("group"))),
            devices=[str(name) for name in data.get("devices") or []],
            licenses=[str(name) for name in data.get("licenses") or []],
        )

    async def get_sounds(self) -> dict[str, str]:
        """GET sounds.json: name -> label, custom sounds included."""
        data = await self._get("sounds.json")
        sounds = data.get("sounds")
        if not isinstance(sounds, Mapping):
            return {}
        return {str(name): str(label) for name, label in sounds.items()}

    async def get_limits(self, *, retries: int | None = None) -> Limits:
        """GET apps/limits.json (``retries`` None: the client's default)."""
        data = await self._get("apps/limits.json", retries=retries)
        limit = _int(data.get("limit"), -1)
        remaining = _int(data.get("remaining"), -1)
        reset = _timestamp(data.get("reset"))
        if limit < 0 or remaining < 0 or reset is None:
            raise PushoverServerError(
                "Pushover's answer has no limit, remaining and reset",
                status=200,
                request_id=_text(data.get("request")),
            )
        limits = Limits(limit, remaining, reset)
        self.limits = limits
        return limits

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
        validate_key(user)
        if device:
            validate_device_name(device)
        validate_glance(title, text, subtext, count, percent)
        await self._post(
            "glances.json",
            {
                "user": user,
                "device": device,
                "title": title,
                "text": text,
                "subtext": subtext,
                "count": count,
                "percent": percent,
            },
        )

    # ------------------------------------------------------------ delivery groups

    async def create_group(self, name: str) -> str:
        """POST groups.json; returns the new group key."""
        if not name.strip():
            _fail("group_name_empty", "name", "a group needs a name")
        data = await self._post("groups.json", {"name": name})
        return _required(data, "group")

    async def list_groups(self) -> list[GroupSummary]:
        """GET groups.json."""
        data = await self._get("groups.json")
        return [
            GroupSummary(_required(item, "group", data.get("request")), str(item.get("name") or ""))
            for item in _items(data, "groups")
        ]

    async def get_group(self, group_key: str) -> GroupInfo:
        """GET groups/{key}.json."""
        validate_key(group_key, "group")
        data = await self._get(f"groups/{group_key}.json")
        return GroupInfo(
            name=str(data.get("name") or ""),
            users=[
                GroupMember(
                    user=_required(item, "user", data.get("request")),
                    device=_text(item.get("device")),
                    memo=str(item.get("memo") or ""),
                    disabled=bool(_int(item.get("disabled"))),
                )
                for item in _items(data, "users")
            ],
        )

    async def rename_group(self, group_key: str, name: str) -> None:
        """POST groups/{key}/rename.json."""
        validate_key(group_key, "group")
        if not name.strip():
            _fail("group_name_empty", "name", "a group needs a name")
        await self._post(f"groups/{group_key}/rename.json", {"name": name})

    def _check_membership(self, group_key: str, user: str, device: str | None) -> None:
        validate_key(group_key, "group")
        validate_key(user)
        if device:
            validate_device_name(device)

    async def group_add_user(
        self, group_key: str, user: str, device: str | None = None, memo: str | None = None
    ) -> None:
        """POST groups/{key}/add_user.json."""
        self._check_membership(group_key, user, device)
        if memo is not None and len(memo) > MAX_MEMO_LENGTH:
            _fail("memo_too_long", "memo", "memo is over 200 characters", MAX_MEMO_LENGTH)
        await self._post(
            f"groups/{group_key}/add_user.json", {"user": user, "device": device, "memo": memo}
        )

    async def group_remove_user(self, group_key: str, user: str, device: str | None = None) -> None:
        """POST groups/{key}/delete_user.json, falling back to remove_user.json on 404."""
        self._check_membership(group_key, user, device)
        params = {"user": user, "device": device}
        try:
            await self._post(f"groups/{group_key}/delete_user.json", params)
        except PushoverRequestError as err:
            if err.status != 404:
                raise
            await self._post(f"groups/{group_key}/remove_user.json", params)

    async def group_enable_user(self, group_key: str, user: str, device: str | None = None) -> None:
        """POST groups/{key}/enable_user.json."""
        self._check_membership(group_key, user, device)
        await self._post(f"groups/{group_key}/enable_user.json", {"user": user, "device": device})

    async def group_disable_user(
        self, group_key: str, user: str, device: str | None = None
    ) -> None:
        """POST groups/{key}/disable_user.json."""
        self._check_membership(group_key, user, device)
        await self._post(f"groups/{group_key}/disable_user.json", {"user": user, "device": device})

    # ------------------------------------------------------------ teams

    @staticmethod
    def _check_email(email: str) -> None:
        if not EMAIL_PATTERN.match(email):
            _fail("email_invalid", "email", "not an email address")

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
        validate_key(team_token, "token")
        self._check_email(email)
        await self._post(
            "teams/add_user.json",
            {
                "email": email,
                "name": name,
                "password": password,
                "instant": "true" if instant else None,
                "admin": "true" if admin else None,
                "group": group,
            },
            token=team_token,
        )

    async def team_remove_user(self, team_token: str, email: str) -> None:
        """POST teams/remove_user.json."""
        validate_key(team_token, "token")
        self._check_email(email)
        await self._post("teams/remove_user.json", {"email": email}, token=team_token)

    async def get_team(self, team_token: str) -> TeamInfo:
        """GET teams.json."""
        validate_key(team_token, "token")
        data, _ = await self._request("GET", "teams.json", query=self._with_token(None, team_token))
        users = data.get("users")
        return TeamInfo(
            name=data.get("name"),
            users=[dict(user) for user in users] if isinstance(users, list) else [],
            raw=dict(data),
        )

    # ------------------------------------------------------------ licensing and subscriptions

    async def assign_license(
        self, *, user: str | None = None, email: str | None = None, os: str | None = None
    ) -> int:
        """POST licenses/assign.json; returns the remaining credits."""
        if bool(user) == bool(email):
            _fail("license_target", "user", "give either a user key or an email")
        if user:
            validate_key(user)
        if email:
            self._check_email(email)
        if os and os not in LICENSE_OS:
            _fail("license_os_invalid", "os", "os must be Android, iOS or Desktop")
        data = await self._post("licenses/assign.json", {"user": user, "email": email, "os": os})
        return _int(data.get("credits"))

    async def get_license_credits(self) -> int:
        """GET licenses.json."""
        data = await self._get("licenses.json")
        return _int(data.get("credits"))

    async def migrate_subscription(
        self,
        subscription: str,
        user: str,
        *,
        device_name: str | None = None,
        sound: str | None = None,
    ) -> str:
        """POST subscriptions/migrate.json; returns the subscribed user key."""
        if not subscription.strip():
            _fail("subscription_empty", "subscription", "a subscription code is needed")
        validate_key(user)
        if device_name:
            validate_device_name(device_name)
        data = await self._post(
            "subscriptions/migrate.json",
            {
                "subscription": subscription,
                "user": user,
                "device_name": device_name,
                "sound": sound,
            },
        )
        return _required(data, "subscribed_user_key")

    # ------------------------------------------------------------ Open Client

    async def login(self, email: str, password: str, twofa: str | None = None) -> OpenClientSession:
        """POST users/login.json; raises PushoverTwoFactorRequiredError on 412."""
        data = await self._post_secret(
            "users/login.json", {"email": email, "password": password, "twofa": twofa}
        )
        return OpenClientSession(user_key=_required(data, "id"), secret=_required(data, "secret"))

    async def register_device(self, secret: str, name: str, *, force: bool = False) -> str:
        """POST devices.json (os=O); returns the device id.

        ``force`` takes over a name already used in the account (``force=1``).
        """
        validate_device_name(name)
        data = await self._post_secret(
            "devices.json",
            {"secret": secret, "name": name, "os": "O", "force": 1 if force else None},
        )
        return _required(data, "id")

    async def download_messages(self, secret: str, device_id: str) -> Download:
        """GET messages.json?secret=&device_id=: the readable messages, sorted by id.

        One attempt (the receiver's backoff is the retry), no redirect followed (the query
        holds the secret), at most MAX_DOWNLOAD_BYTES read: a larger answer raises
        PushoverServerError before anything is parsed. Items without a readable id are
        skipped and counted; text beyond Pushover's own limits is cut to them.
        """
        data = await self._get_bounded(
            "messages.json", {"secret": secret, "device_id": device_id}, MAX_DOWNLOAD_BYTES
        )
        items = data.get("messages")
        if not isinstance(items, list):
            return Download([])
        messages = [message for item in items if (message := _received(item)) is not None]
        messages.sort(key=lambda message: message.id)
        return Download(messages, skipped=len(items) - len(messages))

    async def _get_bounded(self, path: str, query: dict[str, str], limit: int) -> dict[str, Any]:
        """GET once, reading at most ``limit`` bytes; return the JSON body of a success."""
        await self._slots.acquire()
        started = self._clock()
        try:
            async with self._session.get(
                self._base_url + path,
                params=query,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                status, headers = response.status, response.headers
                body = await _read_bounded(response, limit)
        except (aiohttp.ClientError, TimeoutError) as err:
            _LOGGER.debug(
                "GET %s failed after %.2f s: %s",
                _loggable(path),
                self._clock() - started,
                type(err).__name__,
            )
            raise _connection_error(err, path) from err
        finally:
            self._slots.release()
        request_id = headers.get("X-Request-Id")
        _LOGGER.debug(
            "GET %s -> %s in %.2f s (request %s)",
            _loggable(path),
            status,
            self._clock() - started,
            request_id,
        )
        if body is None:
            raise PushoverServerError(
                f"Pushover's answer is over {limit} bytes", status=status, request_id=request_id
            )
        if not 200 <= status < 300 and not 400 <= status < 500:
            raise PushoverServerError(
                f"Pushover answered HTTP {status}", status=status, request_id=request_id
            )
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict) and status >= 400:
            raise PushoverUnexpectedResponseError(
                f"HTTP {status} without Pushover's answer (a proxy or captive portal?)",
                status=status,
                errors=[f"HTTP {status}"],
                request_id=request_id,
            )
        if not isinstance(data, dict):
            raise PushoverServerError(
                f"Pushover answered HTTP {status} without JSON",
                status=status,
                request_id=request_id,
            )
        if status < 300 and data.get("status") == 1:
            return data
        raise self._refusal(status, data, None, None, request_id, False)

    async def delete_messages(self, secret: str, device_id: str, highest_id: str) -> None:
        """POST devices/{device_id}/update_highest_message.json."""
        await self._post_secret(
            f"devices/{device_id}/update_highest_message.json",
            {"secret": secret, "message": highest_id},
        )

    async def acknowledge_receipt(self, secret: str, receipt: str) -> None:
        """POST receipts/{receipt}/acknowledge.json."""
        self._check_receipt(receipt)
        await self._post_secret(f"receipts/{receipt}/acknowledge.json", {"secret": secret})

    @staticmethod
    def icon_url(icon: str) -> str:
        """URL of an application icon."""
        return ICON_URL.format(icon=icon)

    async def push_frames(
        self, device_id: str, secret: str, *, heartbeat_timeout: float = 90.0
    ) -> AsyncGenerator[PushFrame]:
        """Connect to the websocket, send the login frame and yield frames.

        Only a frame of exactly one known byte counts; any other is ignored without
        looking at its characters, and one of MAX_PUSH_FRAME_BYTES or more ends the
        connection before it is read. Raises PushoverConnectionError when the socket
        drops, fails or stays silent longer than ``heartbeat_timeout``; the caller
        reconnects.
        """
        try:
            socket = await self._session.ws_connect(
                self._websocket_url, heartbeat=None, max_msg_size=MAX_PUSH_FRAME_BYTES, compress=0
            )
        except (aiohttp.ClientError, TimeoutError) as err:
            raise PushoverConnectionError(
                f"Could not open the websocket: {type(err).__name__}"
            ) from err
        ignored = 0
        try:
            try:
                await socket.send_str(f"login:{device_id}:{secret}\n")
            except (aiohttp.ClientError, ConnectionError) as err:
                raise PushoverConnectionError("The websocket closed during the login") from err
            yield PushFrame.CONNECTED
            while True:
                try:
                    async with asyncio.timeout(heartbeat_timeout):
                        frame = await socket.receive()
                except TimeoutError as err:
                    raise PushoverTimeoutError("The websocket stayed silent") from err
                if frame.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                    raise PushoverConnectionError(f"The websocket ended ({frame.type.name})")
                push_frame = _push_frame(frame.data)
                if push_frame is None:
                    ignored += 1
                    if ignored == 1:
                        _LOGGER.debug(
                            "Ignored a websocket frame of %d bytes (not one known byte)",
                            len(frame.data),
                        )
                    continue
                yield push_frame
        finally:
            await socket.close()


# ---------------------------------------------------------------- Open Client parsing

MAX_PUSH_FRAME_BYTES = 1024
# Pushover caps a message at 1024 characters, its title at 250, its URL at 512 and the
# URL title at 100: one message is at most about 25 kB of JSON (4-byte characters, escaped).
# 4 MiB holds a backlog of some 170 such messages, or thousands of usual ones.
MAX_DOWNLOAD_BYTES = 4 * 1024 * 1024
MAX_RECEIVED_FIELD_LENGTH = MAX_TITLE_LENGTH  # app, icon, sound, receipt, umid
MAX_MESSAGE_ID = 2**63 - 1
MESSAGE_ID_PATTERN = re.compile(r"^[1-9][0-9]{0,18}$")
_READ_CHUNK = 65_536
_FRAMES = {frame.value: frame for frame in PushFrame if len(frame.value) == 1}


@dataclass(frozen=True, slots=True)
class Download:
    """An Open Client download: its readable messages by id, and how many items were not."""

    messages: list[ReceivedMessage]
    skipped: int = 0


async def _read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """Return the body, or None as soon as it is known to exceed ``limit`` bytes."""
    if response.content_length is not None and response.content_length > limit:
        return None
    body = bytearray()
    async for chunk in response.content.iter_chunked(_READ_CHUNK):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _push_frame(data: Any) -> PushFrame | None:
    """Return the frame of a one-byte payload (bytes or text); None for anything else."""
    if not isinstance(data, bytes | str) or len(data) != 1:
        return None
    return _FRAMES.get(data if isinstance(data, str) else chr(data[0]))


def _message_id(item: Mapping[str, Any]) -> str | None:
    """Return a downloaded message's id as digits (id_str, else id); None if unreadable."""
    value = item.get("id_str")
    if value is None or value == "":
        value = item.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not MESSAGE_ID_PATTERN.match(value):
        return None
    return value if int(value) <= MAX_MESSAGE_ID else None


def _received_int(value: Any) -> int:
    """Read a number field of a download leniently; 0 when absent or unreadable."""
    try:
        return int(value)
    except TypeError, ValueError, OverflowError:
        return 0


def _capped(value: Any, limit: int) -> str | None:
    """Read an optional text field (see _text), cut to ``limit`` characters."""
    text = _text(value)
    return None if text is None else text[:limit]


def _received(item: Any) -> ReceivedMessage | None:
    """Parse one downloaded message; None when it is not an object with a readable id."""
    if not isinstance(item, Mapping):
        return None
    id_str = _message_id(item)
    if id_str is None:
        return None
    return ReceivedMessage(
        id=int(id_str),
        id_str=id_str,
        message=_capped(item.get("message"), MAX_MESSAGE_LENGTH) or "",
        app=_capped(item.get("app"), MAX_RECEIVED_FIELD_LENGTH),
        title=_capped(item.get("title"), MAX_TITLE_LENGTH),
        priority=min(2, max(-2, _received_int(item.get("priority")))),
        date=_timestamp(item.get("date")) or datetime.fromtimestamp(0, UTC),
        url=_capped(item.get("url"), MAX_URL_LENGTH),
        url_title=_capped(item.get("url_title"), MAX_URL_TITLE_LENGTH),
        icon=_capped(item.get("icon"), MAX_RECEIVED_FIELD_LENGTH),
        sound=_capped(item.get("sound"), MAX_RECEIVED_FIELD_LENGTH),
        receipt=_capped(item.get("receipt"), MAX_RECEIVED_FIELD_LENGTH),
        acked=bool(_received_int(item.get("acked"))),
        html=bool(_received_int(item.get("html"))),
        umid=_capped(item.get("umid_str"), MAX_RECEIVED_FIELD_LENGTH)
        or _capped(item.get("umid"), MAX_RECEIVED_FIELD_LENGTH),
        raw=dict(item),
    )
