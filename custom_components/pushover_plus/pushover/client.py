"""Async client for the Pushover API.

Follows https://pushover.net/api: at most two requests in flight, explicit timeouts,
transient failures retried no sooner than 5 s apart, 4xx never retried, every limit
checked locally before a request is made.
"""

from __future__ import annotations

import asyncio
import base64
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
import json
import logging
import time
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from .exceptions import (
    PushoverAuthenticationError,
    PushoverConnectionError,
    PushoverError,
    PushoverQuotaExceededError,
    PushoverRequestError,
    PushoverServerError,
    PushoverTimeoutError,
    PushoverTwoFactorRequiredError,
    PushoverUnexpectedResponseError,
    RefusalReason,
    refusal_reason,
)
from .models import (
    Download,
    GroupInfo,
    GroupMember,
    GroupSummary,
    Limits,
    Message,
    MessageResult,
    OpenClientSession,
    PushFrame,
    Receipt,
    TeamInfo,
    UserValidation,
)
from .open_client import MAX_DOWNLOAD_BYTES, parse_download, push_frames, read_bounded
from .parsing import (
    error_texts,
    limits_from,
    parse_int,
    parse_objects,
    parse_text,
    parse_timestamp,
    quota_headers,
    required_text,
    verdicts,
)
from .validation import (
    MIN_POLL_INTERVAL_SECONDS,
    form_value,
    user_list,
    validate_device_name,
    validate_email,
    validate_glance,
    validate_group_name,
    validate_key,
    validate_license_target,
    validate_memo,
    validate_message,
    validate_receipt,
    validate_subscription,
    validate_tag,
)

DEFAULT_BASE_URL = "https://api.pushover.net/1/"
DEFAULT_WEBSOCKET_URL = "wss://client.pushover.net/push"
MAX_REQUESTS_IN_FLIGHT = 2

_LOGGER = logging.getLogger(__name__)

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
        self._size = size
        self._free = size
        self._waiters: deque[tuple[asyncio.Future[None], asyncio.Future[None] | None]] = deque()
        self._watched: set[asyncio.Future[None]] = set()

    @property
    def in_use(self) -> int:
        """Return how many requests are in flight now."""
        return self._size - self._free

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
            values[key] = form_value(key, value)
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
        read_limit: int | None = None,
    ) -> tuple[dict[str, Any], Limits | None]:
        """Send a request with retries; return the JSON body and the quota headers.

        ``resend`` False: a failure after the request was written is raised, not retried.
        ``abandon``: give up (not sent) if it is done while waiting for a free slot.
        ``read_limit``: read at most that many bytes and follow no redirect.
        """
        failure: PushoverError | None = None
        attempts = (self._max_retries if retries is None else max(0, retries)) + 1
        for attempt in range(attempts):
            if attempt:
                await self._sleep(self._retry_delay)
            try:
                status, text, headers = await self._send_once(
                    method, path, query, body, abandon, read_limit
                )
            except PushoverConnectionError as err:
                if err.request_sent and not resend:
                    raise
                failure = err
                continue
            quota = quota_headers(headers)
            limits = limits_from(quota, self.limits)
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
            reset = parse_timestamp(quota.get("reset"))
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
        read_limit: int | None = None,
    ) -> tuple[int, str, CIMultiDictProxy[str]]:
        """One attempt, holding a slot (never while waiting to retry).

        With ``read_limit``, no redirect is followed and a larger answer raises
        PushoverServerError before any of it is parsed.
        """
        await self._slots.acquire(abandon)
        started = self._clock()
        try:
            async with self._session.request(
                method,
                self._base_url + path,
                params=query,
                data=body() if body is not None else None,
                timeout=self._timeout,
                allow_redirects=read_limit is None,
            ) as response:
                if read_limit is None:
                    text: str | None = await response.text(errors="replace")
                else:
                    raw = await read_bounded(response, read_limit)
                    text = None if raw is None else raw.decode(errors="replace")
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
        if text is None:
            raise PushoverServerError(
                f"Pushover's answer is over {read_limit} bytes",
                status=response.status,
                request_id=response.headers.get("X-Request-Id"),
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
        errors = error_texts(data, status)
        parameters = verdicts(data)
        common: dict[str, Any] = {
            "status": status,
            "errors": errors,
            "parameters": parameters,
            "request_id": request_id,
        }
        message = "; ".join(errors)
        reason = refusal_reason(status, errors, parameters)
        if reason is RefusalReason.QUOTA_EXCEEDED:
            return PushoverQuotaExceededError(message, limits=limits, reset=reset, **common)
        if reason is RefusalReason.TWO_FACTOR_REQUIRED:
            return PushoverTwoFactorRequiredError(message, **common)
        if reason is RefusalReason.TOKEN_REJECTED:
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
        form = {key: form_value(key, value) for key, value in params.items() if value is not None}
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
                "user": ",".join(user_list(users)),
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

    async def get_receipt(self, receipt: str) -> Receipt:
        """GET receipts/{receipt}.json."""
        validate_receipt(receipt)
        data = await self._get(f"receipts/{receipt}.json")
        return Receipt(
            acknowledged=bool(parse_int(data.get("acknowledged"))),
            acknowledged_at=parse_timestamp(data.get("acknowledged_at")),
            acknowledged_by=parse_text(data.get("acknowledged_by")),
            acknowledged_by_device=parse_text(data.get("acknowledged_by_device")),
            last_delivered_at=parse_timestamp(data.get("last_delivered_at")),
            expired=bool(parse_int(data.get("expired"))),
            expires_at=parse_timestamp(data.get("expires_at")),
            called_back=bool(parse_int(data.get("called_back"))),
            called_back_at=parse_timestamp(data.get("called_back_at")),
        )

    async def cancel_receipt(self, receipt: str) -> None:
        """POST receipts/{receipt}/cancel.json."""
        validate_receipt(receipt)
        await self._post(f"receipts/{receipt}/cancel.json")

    async def cancel_by_tag(self, tag: str) -> int:
        """POST receipts/cancel_by_tag/{tag}.json; returns how many were canceled."""
        validate_tag(tag)
        data = await self._post(f"receipts/cancel_by_tag/{tag}.json")
        return parse_int(data.get("canceled"))

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
            group=bool(parse_int(data.get("group"))),
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
        limit = parse_int(data.get("limit"), -1)
        remaining = parse_int(data.get("remaining"), -1)
        reset = parse_timestamp(data.get("reset"))
        if limit < 0 or remaining < 0 or reset is None:
            raise PushoverServerError(
                "Pushover's answer has no limit, remaining and reset",
                status=200,
                request_id=parse_text(data.get("request")),
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
        validate_group_name(name)
        data = await self._post("groups.json", {"name": name})
        return required_text(data, "group")

    async def list_groups(self) -> list[GroupSummary]:
        """GET groups.json."""
        data = await self._get("groups.json")
        return [
            GroupSummary(
                required_text(item, "group", data.get("request")), str(item.get("name") or "")
            )
            for item in parse_objects(data, "groups")
        ]

    async def get_group(self, group_key: str) -> GroupInfo:
        """GET groups/{key}.json."""
        validate_key(group_key, "group")
        data = await self._get(f"groups/{group_key}.json")
        return GroupInfo(
            name=str(data.get("name") or ""),
            users=[
                GroupMember(
                    user=required_text(item, "user", data.get("request")),
                    device=parse_text(item.get("device")),
                    memo=str(item.get("memo") or ""),
                    disabled=bool(parse_int(item.get("disabled"))),
                )
                for item in parse_objects(data, "users")
            ],
        )

    async def rename_group(self, group_key: str, name: str) -> None:
        """POST groups/{key}/rename.json."""
        validate_key(group_key, "group")
        validate_group_name(name)
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
        validate_memo(memo)
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
        validate_email(email)
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
        validate_email(email)
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
        validate_license_target(user, email, os)
        data = await self._post("licenses/assign.json", {"user": user, "email": email, "os": os})
        return parse_int(data.get("credits"))

    async def get_license_credits(self) -> int:
        """GET licenses.json."""
        data = await self._get("licenses.json")
        return parse_int(data.get("credits"))

    async def migrate_subscription(
        self,
        subscription: str,
        user: str,
        *,
        device_name: str | None = None,
        sound: str | None = None,
    ) -> str:
        """POST subscriptions/migrate.json; returns the subscribed user key."""
        validate_subscription(subscription)
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
        return required_text(data, "subscribed_user_key")

    # ------------------------------------------------------------ Open Client

    async def login(self, email: str, password: str, twofa: str | None = None) -> OpenClientSession:
        """POST users/login.json; raises PushoverTwoFactorRequiredError on 412."""
        data = await self._post_secret(
            "users/login.json", {"email": email, "password": password, "twofa": twofa}
        )
        return OpenClientSession(
            user_key=required_text(data, "id"), secret=required_text(data, "secret")
        )

    async def register_device(self, secret: str, name: str, *, force: bool = False) -> str:
        """POST devices.json (os=O); returns the device id.

        ``force`` takes over a name already used in the account (``force=1``).
        """
        validate_device_name(name)
        data = await self._post_secret(
            "devices.json",
            {"secret": secret, "name": name, "os": "O", "force": 1 if force else None},
        )
        return required_text(data, "id")

    async def download_messages(self, secret: str, device_id: str) -> Download:
        """GET messages.json?secret=&device_id=: the readable messages, sorted by id.

        One attempt (the receiver's backoff is the retry), no redirect followed (the query
        holds the secret), at most MAX_DOWNLOAD_BYTES read: a larger answer raises
        PushoverServerError before anything is parsed. Items without a readable id are
        skipped and counted; text beyond Pushover's own limits is cut to them.
        """
        data, _ = await self._request(
            "GET",
            "messages.json",
            query={"secret": secret, "device_id": device_id},
            retries=0,
            read_limit=MAX_DOWNLOAD_BYTES,
        )
        return parse_download(data)

    async def delete_messages(self, secret: str, device_id: str, highest_id: str) -> None:
        """POST devices/{device_id}/update_highest_message.json."""
        await self._post_secret(
            f"devices/{device_id}/update_highest_message.json",
            {"secret": secret, "message": highest_id},
        )

    async def acknowledge_receipt(self, secret: str, receipt: str) -> None:
        """POST receipts/{receipt}/acknowledge.json."""
        validate_receipt(receipt)
        await self._post_secret(f"receipts/{receipt}/acknowledge.json", {"secret": secret})

    def push_frames(
        self, device_id: str, secret: str, *, heartbeat_timeout: float = 90.0
    ) -> AsyncGenerator[PushFrame]:
        """Connect to the websocket, send the login frame and yield frames.

        Only a frame of exactly one known byte counts; any other is ignored without
        looking at its characters, and one of MAX_PUSH_FRAME_BYTES or more ends the
        connection before it is read. Raises PushoverConnectionError when the socket
        drops, fails or stays silent longer than ``heartbeat_timeout``; the caller
        reconnects.
        """
        return push_frames(
            self._session,
            self._websocket_url,
            device_id,
            secret,
            heartbeat_timeout=heartbeat_timeout,
        )
