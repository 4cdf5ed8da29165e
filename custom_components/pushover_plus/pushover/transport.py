"""Requests to Pushover's REST API: slots, timeouts, retries, logs and refusals.

Follows https://pushover.net/api: at most two requests in flight, explicit timeouts,
transient failures retried no sooner than 5 s apart, 4xx never retried.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime
import json
import logging
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from .exceptions import (
    PushoverAuthenticationError,
    PushoverConnectionError,
    PushoverQuotaExceededError,
    PushoverRequestError,
    PushoverServerError,
    PushoverTimeoutError,
    PushoverTwoFactorRequiredError,
    PushoverUnexpectedResponseError,
    RefusalReason,
    refusal_reason,
)
from .models import Limits
from .parsing import error_texts, limits_from, parse_timestamp, quota_headers, verdicts
from .validation import MIN_POLL_INTERVAL_SECONDS, form_value

__all__ = [
    "DEFAULT_BASE_URL",
    "RequestSlots",
]

DEFAULT_BASE_URL = "https://api.pushover.net/1/"
MAX_REQUESTS_IN_FLIGHT = 2
_READ_CHUNK = 65_536

_LOGGER = logging.getLogger(__name__)

_PATH_WORDS = frozenset(
    {
        *("messages", "receipts", "cancel", "cancel_by_tag", "acknowledge", "users"),
        *("validate", "login", "sounds", "apps", "limits", "glances", "groups", "rename"),
        *("add_user", "delete_user", "remove_user", "enable_user", "disable_user", "teams"),
        *("licenses", "assign", "subscriptions", "migrate", "devices", "update_highest_message"),
    }
)

type Sleep = Callable[[float], Awaitable[None]]
type Body = Callable[[], Any]
type Answer = tuple[dict[str, Any], Limits | None]


def loggable(path: str) -> str:
    """Replace the keys, receipts, device ids and tags in a path by '*' for logs."""
    segments = []
    for segment in path.split("/"):
        stem, dot, suffix = segment.partition(".")
        segments.append(segment if stem in _PATH_WORDS else f"*{dot}{suffix}")
    return "/".join(segments)


def connection_error(err: Exception, path: str) -> PushoverConnectionError:
    """Classify a failed attempt by whether the request may have reached Pushover."""
    if isinstance(err, aiohttp.ConnectionTimeoutError):
        return PushoverTimeoutError(f"Could not connect to Pushover for {loggable(path)} in time")
    if isinstance(err, TimeoutError):
        return PushoverTimeoutError(
            f"Pushover did not answer {loggable(path)} in time", request_sent=True
        )
    if isinstance(err, aiohttp.ClientConnectorError | aiohttp.InvalidURL):
        return PushoverConnectionError(f"Could not reach Pushover: {type(err).__name__}")
    return PushoverConnectionError(
        f"Connection to Pushover lost: {type(err).__name__}", request_sent=True
    )


def refusal(
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


async def read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """Return the body, or None as soon as it is known to exceed ``limit`` bytes."""
    if response.content_length is not None and response.content_length > limit:
        return None
    body = bytearray()
    async for chunk in response.content.iter_chunked(_READ_CHUNK):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def _read_text(response: aiohttp.ClientResponse, limit: int | None) -> str | None:
    """Return the body as text; None when it is over ``limit`` bytes."""
    if limit is None:
        return await response.text(errors="replace")
    raw = await read_bounded(response, limit)
    return None if raw is None else raw.decode(errors="replace")


def _json_object(text: str) -> dict[str, Any] | None:
    """Return the answer's JSON object; None when it is not one."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


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


class Transport:
    """Send requests for one app token (None for Open Client); see PushoverClient.

    ``limits`` holds the latest quota seen in any response.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str | None,
        *,
        base_url: str,
        timeout: float,
        connect_timeout: float,
        max_retries: int,
        retry_delay: float,
        slots: RequestSlots,
        sleep: Sleep,
        clock: Callable[[], float],
    ) -> None:
        """Bind the transport to a session, a token and its request budget."""
        self._session = session
        self._token = token
        self._base_url = base_url if base_url.endswith("/") else f"{base_url}/"
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(connect_timeout, timeout))
        self._max_retries = max(0, max_retries)
        self._retry_delay = max(retry_delay, MIN_POLL_INTERVAL_SECONDS)
        self._slots = slots
        self._sleep = sleep
        self._clock = clock
        self.limits: Limits | None = None

    def with_token(self, params: dict[str, Any] | None, token: str | None = None) -> dict[str, str]:
        """Return the form of a request: the token, then every parameter that is set."""
        values = {"token": token or self._token or ""}
        for key, value in (params or {}).items():
            if value is not None:
                values[key] = form_value(key, value)
        return values

    async def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        retries: int | None = None,
    ) -> dict[str, Any]:
        """GET with the token in the query; return the answer."""
        query = self.with_token(params, token)
        data, _ = await self.request("GET", path, query=query, retries=retries)
        return data

    async def post(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        user_is_credential: bool = False,
        retries: int | None = None,
    ) -> dict[str, Any]:
        """POST a form with the token; return the answer."""
        form = self.with_token(params, token)
        data, _ = await self.request(
            "POST",
            path,
            body=lambda: dict(form),
            user_is_credential=user_is_credential,
            retries=retries,
        )
        return data

    async def post_secret(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """POST a form of the Open Client (a session secret, no token); return the answer."""
        form = {key: form_value(key, value) for key, value in params.items() if value is not None}
        data, _ = await self.request("POST", path, body=lambda: dict(form))
        return data

    async def request(
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
    ) -> Answer:
        """Send a request with retries; return the JSON body and the quota headers.

        ``resend`` False: a failure after the request was written is raised, not retried.
        ``abandon``: give up (not sent) if it is done while waiting for a free slot.
        ``read_limit``: read at most that many bytes and follow no redirect.
        """
        failure: PushoverConnectionError | PushoverServerError | None = None
        attempts = (self._max_retries if retries is None else max(0, retries)) + 1
        for attempt in range(attempts):
            if attempt:
                await self._sleep(self._retry_delay)
            try:
                status, text, headers = await self._send_once(
                    method, path, query, body, abandon, read_limit
                )
                return self._answer(status, text, headers, user_is_credential)
            except PushoverConnectionError as err:
                if err.request_sent and not resend:
                    raise
                failure = err
            except PushoverServerError as err:
                failure = err
        assert failure is not None
        raise failure

    def _answer(
        self, status: int, text: str, headers: CIMultiDictProxy[str], user_is_credential: bool
    ) -> Answer:
        """Read one answer; raise PushoverServerError (retried) or the refusal (not retried)."""
        quota = quota_headers(headers)
        limits = limits_from(quota, self.limits)
        if limits is not None:
            self.limits = limits
        request_id = headers.get("X-Request-Id")
        if not (200 <= status < 300 or 400 <= status < 500):
            raise PushoverServerError(
                f"Pushover answered HTTP {status}", status=status, request_id=request_id
            )
        data = _json_object(text)
        if data is None and status >= 400:
            raise PushoverUnexpectedResponseError(
                f"HTTP {status} without Pushover's answer (a proxy or captive portal?)",
                status=status,
                errors=[f"HTTP {status}"],
                request_id=request_id,
            )
        if data is None:
            raise PushoverServerError(
                f"Pushover answered HTTP {status} without JSON",
                status=status,
                request_id=request_id,
            )
        if status < 300 and data.get("status") == 1:
            return data, limits
        reset = parse_timestamp(quota.get("reset"))
        raise refusal(status, data, limits, reset, request_id, user_is_credential)

    async def _send_once(
        self,
        method: str,
        path: str,
        query: dict[str, str] | None,
        body: Body | None,
        abandon: asyncio.Future[None] | None,
        read_limit: int | None,
    ) -> tuple[int, str, CIMultiDictProxy[str]]:
        """One attempt, holding a slot (never while waiting to retry).

        With ``read_limit``, no redirect is followed and a larger answer raises
        PushoverServerError before any of it is parsed.
        """
        await self._slots.acquire(abandon)
        started = self._clock()
        where = f"{method} {loggable(path)}"
        try:
            async with self._session.request(
                method,
                self._base_url + path,
                params=query,
                data=body() if body is not None else None,
                timeout=self._timeout,
                allow_redirects=read_limit is None,
            ) as response:
                text = await _read_text(response, read_limit)
        except (aiohttp.ClientError, TimeoutError) as err:
            elapsed = self._clock() - started
            _LOGGER.debug("%s failed after %.2f s: %s", where, elapsed, type(err).__name__)
            raise connection_error(err, path) from err
        finally:
            self._slots.release()
        status, request_id = response.status, response.headers.get("X-Request-Id")
        elapsed = self._clock() - started
        _LOGGER.debug("%s -> %s in %.2f s (request %s)", where, status, elapsed, request_id)
        if text is None:
            raise PushoverServerError(
                f"Pushover's answer is over {read_limit} bytes",
                status=status,
                request_id=request_id,
            )
        return status, text, response.headers
