"""Async client for the Pushover API.

Follows https://pushover.net/api: at most two requests in flight, explicit timeouts,
transient failures retried no sooner than 5 s apart, 4xx never retried, every limit
checked locally before a request is made. The requests themselves: transport.py.
"""

import asyncio
import base64
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
import time
from typing import Any

import aiohttp

from .exceptions import PushoverServerError
from .management import ManagementApi
from .models import (
    Download,
    Limits,
    Message,
    MessageResult,
    OpenClientSession,
    PushFrame,
    Receipt,
    UserValidation,
)
from .open_client import MAX_DOWNLOAD_BYTES, parse_download, push_frames
from .parsing import parse_int, parse_text, parse_timestamp, required_text
from .transport import DEFAULT_BASE_URL, Body, RequestSlots, Sleep, Transport
from .validation import (
    MIN_POLL_INTERVAL_SECONDS,
    ValidatedMessage,
    validate_device_name,
    validate_glance,
    validate_key,
    validate_message,
    validate_receipt,
    validate_tag,
)

__all__ = [
    "DEFAULT_WEBSOCKET_URL",
    "PushoverClient",
]

DEFAULT_WEBSOCKET_URL = "wss://client.pushover.net/push"


class PushoverClient(ManagementApi):
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
        self._websocket_url = websocket_url
        self._transport = Transport(
            session,
            token,
            base_url=base_url,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            retry_delay=retry_delay,
            slots=slots or RequestSlots(),
            sleep=sleep or asyncio.sleep,
            clock=clock or time.monotonic,
        )

    @property
    def limits(self) -> Limits | None:
        """Return the latest quota seen in any response (None before the first)."""
        return self._transport.limits

    # ------------------------------------------------------------ messages

    async def send_message(
        self,
        users: str | Sequence[str],
        message: Message,
        *,
        retries: int | None = None,
        abandon: asyncio.Future[None] | None = None,
    ) -> MessageResult:
        """Validate locally (validate_message), then send (see send)."""
        validated = validate_message(users, message)
        return await self.send(validated, retries=retries, abandon=abandon)

    async def send(
        self,
        validated: ValidatedMessage,
        *,
        retries: int | None = None,
        abandon: asyncio.Future[None] | None = None,
    ) -> MessageResult:
        """POST messages.json for a message that validate_message returned.

        Failures before the request was written, and 5xx, are retried (``retries``, by
        default ``max_retries``, >= 5 s apart). A failure after it was written raises
        PushoverConnectionError with ``request_sent``: Pushover has no idempotency key,
        so the message may have been delivered. ``abandon`` ends a wait for a free slot.
        """
        form = self._transport.with_token(_message_params(validated))
        data, limits = await self._transport.request(
            "POST",
            "messages.json",
            body=_message_body(form, validated.message),
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
        data = await self._transport.get(f"receipts/{receipt}.json")
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
        await self._transport.post(f"receipts/{receipt}/cancel.json")

    async def cancel_by_tag(self, tag: str) -> int:
        """POST receipts/cancel_by_tag/{tag}.json; returns how many were canceled."""
        validate_tag(tag)
        data = await self._transport.post(f"receipts/cancel_by_tag/{tag}.json")
        return parse_int(data.get("canceled"))

    # ------------------------------------------------------------ users, sounds, limits, glances

    async def validate_user(
        self, user: str, device: str | None = None, *, retries: int | None = None
    ) -> UserValidation:
        """POST users/validate.json (``retries`` None: the client's default)."""
        validate_key(user)
        if device:
            validate_device_name(device)
        data = await self._transport.post(
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
        data = await self._transport.get("sounds.json")
        sounds = data.get("sounds")
        if not isinstance(sounds, Mapping):
            return {}
        return {str(name): str(label) for name, label in sounds.items()}

    async def get_limits(self, *, retries: int | None = None) -> Limits:
        """GET apps/limits.json (``retries`` None: the client's default)."""
        data = await self._transport.get("apps/limits.json", retries=retries)
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
        self._transport.limits = limits
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
        await self._transport.post(
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

    # ------------------------------------------------------------ Open Client

    async def login(self, email: str, password: str, twofa: str | None = None) -> OpenClientSession:
        """POST users/login.json; raises PushoverTwoFactorRequiredError on 412."""
        data = await self._transport.post_secret(
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
        data = await self._transport.post_secret(
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
        data, _ = await self._transport.request(
            "GET",
            "messages.json",
            query={"secret": secret, "device_id": device_id},
            retries=0,
            read_limit=MAX_DOWNLOAD_BYTES,
        )
        return parse_download(data)

    async def delete_messages(self, secret: str, device_id: str, highest_id: str) -> None:
        """POST devices/{device_id}/update_highest_message.json."""
        await self._transport.post_secret(
            f"devices/{device_id}/update_highest_message.json",
            {"secret": secret, "message": highest_id},
        )

    async def acknowledge_receipt(self, secret: str, receipt: str) -> None:
        """POST receipts/{receipt}/acknowledge.json."""
        validate_receipt(receipt)
        await self._transport.post_secret(
            f"receipts/{receipt}/acknowledge.json", {"secret": secret}
        )

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


def _message_params(validated: ValidatedMessage) -> dict[str, Any]:
    """Return the parameters of messages.json for a message (the attachment aside)."""
    message = validated.message
    return {
        "user": validated.user,
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


def _message_body(form: dict[str, str], message: Message) -> Body:
    """Return the body of a send: a form, with the attachment as base64 or multipart."""
    attachment = message.attachment
    if attachment is None:
        return lambda: dict(form)
    if message.attachment_as_base64:
        encoded = {
            **form,
            "attachment_base64": base64.b64encode(attachment.data).decode(),
            "attachment_type": attachment.content_type,
        }
        return lambda: dict(encoded)

    def multipart() -> aiohttp.FormData:
        data = aiohttp.FormData()
        for key, value in form.items():
            data.add_field(key, value)
        data.add_field(
            "attachment",
            attachment.data,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
        return data

    return multipart
