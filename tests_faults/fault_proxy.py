"""An HTTP fault proxy on loopback: between Home Assistant and the Pushover simulator.

It reads each HTTP/1.1 request whole, then, by the rules in force when the request
arrived, forwards it (a fresh upstream connection per request) or fails it on purpose:

- ``refuse()``: the listening socket is closed (connections are refused) and open
  connections are closed once idle; ``accept()`` listens again on the same port.
- ``hang``: read the request, never forward it, never answer.
- ``late``: forward it, hold the answer ``delay`` seconds.
- ``drop``: forward it (the simulator accepts it), then close without answering.
- ``html403``: answer an HTML 403 page (a captive portal or corporate proxy).
- ``token400``: answer Pushover's refusal of the application token.
- ``quota429``: answer 429 with a quota reset time that is already past.

A rule matches by path (a substring) and application token, optionally for ``count``
requests only. Websocket upgrades are piped through untouched and are not requests in
flight. Every request is recorded (``requests``) with its outcome; ``max_in_flight``
and ``max_open_connections`` are the peaks since ``reset_stats``. ``before_answer`` is
awaited after the simulator answered a forwarded request and before the answer goes
back: a test kills Home Assistant there to have a request in flight at the kill.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
import json
import logging
import time
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

_LOGGER = logging.getLogger(__name__)

FaultKind = Literal["hang", "late", "drop", "html403", "token400", "quota429"]
HEAD_END = b"\r\n\r\n"
MAX_HEAD = 65536
GONE_POLL = 0.05  # seconds between checks whether a client waiting for an answer left
CLOSE_GRACE = 0.1  # seconds for clients to notice that their idle connection was closed

HTML_403 = (
    b"<!DOCTYPE html><html><head><title>403 Forbidden</title></head>"
    b"<body><h1>Forbidden</h1><p>Access to this site is blocked by your network.</p>"
    b"</body></html>"
)
TOKEN_INVALID = json.dumps(
    {"token": "invalid", "errors": ["application token is invalid"], "status": 0}
).encode()
QUOTA_EXCEEDED = json.dumps(
    {
        "token": "invalid",
        "errors": ["application has exceeded current limit of 10000 messages"],
        "status": 0,
    }
).encode()


class ProtocolError(Exception):
    """A peer sent something that is not HTTP/1.1 as this proxy understands it."""


@dataclass
class Rule:
    """A fault for the requests it matches (all of them while ``count`` is None)."""

    kind: FaultKind
    path: str | None
    token: str | None
    count: int | None
    delay: float

    def matches(self, request: ProxiedRequest) -> bool:
        """Return whether the rule applies to the request."""
        if self.path is not None and self.path not in request.path:
            return False
        return self.token is None or request.params.get("token") == self.token


@dataclass(eq=False)
class ProxiedRequest:
    """A request seen by the proxy and what became of it."""

    method: str
    path: str
    params: dict[str, str]
    received_at: float
    outcome: str = "pass"
    status: int | None = None  # the status the client got; None: no answer reached it
    upstream_status: int | None = None  # the simulator's answer; None: not forwarded
    done: bool = False

    @property
    def token(self) -> str | None:
        """Return the application token of the request, if any."""
        return self.params.get("token")

    @property
    def message(self) -> str | None:
        """Return the message text of a send, if any."""
        return self.params.get("message")

    @property
    def is_send(self) -> bool:
        """Return whether the request posts a message."""
        return self.method == "POST" and self.path.endswith("/messages.json")


@dataclass
class HttpMessage:
    """A request or response as read from the wire."""

    head: bytes
    start_line: str
    headers: list[tuple[str, str]]
    body: bytes  # decoded (de-chunked)
    raw_body: bytes  # as on the wire

    def header(self, name: str) -> str | None:
        """Return the first header of that name (case-insensitive)."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def wire(self) -> bytes:
        """Return the message as it was sent."""
        return self.head + self.raw_body

    @property
    def wants_close(self) -> bool:
        """Return whether the sender asked to close the connection after this message."""
        return (self.header("connection") or "").lower() == "close"


@dataclass(eq=False)
class Connection:
    """A client connection and whether a request on it is being served."""

    writer: asyncio.StreamWriter
    busy: bool = False
    websocket: bool = False
    close_when_idle: bool = False
    task: asyncio.Task[None] | None = None


def _parse_head(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError(f"bad header line {line!r}")
        headers.append((name.strip().lower(), value.strip()))
    return lines[0], headers


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    """Return a message head, or None when the peer closed between messages."""
    try:
        return await reader.readuntil(HEAD_END)
    except asyncio.IncompleteReadError as err:
        if err.partial.strip():
            raise ProtocolError("connection closed inside a message head") from err
        return None
    except asyncio.LimitOverrunError as err:
        raise ProtocolError("message head too long") from err


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    raw = bytearray()
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        raw += size_line
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            while True:  # trailers, up to the empty line
                trailer = await reader.readuntil(b"\r\n")
                raw += trailer
                if trailer == b"\r\n":
                    return bytes(body), bytes(raw)
        chunk = await reader.readexactly(size + 2)
        raw += chunk
        body += chunk[:-2]


async def read_message(
    reader: asyncio.StreamReader, *, response_to: str | None = None
) -> HttpMessage | None:
    """Read one request (or, with ``response_to`` the request method, one response)."""
    head = await _read_head(reader)
    if head is None:
        return None
    start_line, headers = _parse_head(head)
    message = HttpMessage(head, start_line, headers, b"", b"")
    if "chunked" in (message.header("transfer-encoding") or "").lower():
        message.body, message.raw_body = await _read_chunked(reader)
    elif (length := message.header("content-length")) is not None:
        message.body = message.raw_body = await reader.readexactly(int(length))
    elif response_to is not None:
        status = int(start_line.split()[1])
        if not (response_to == "HEAD" or status in (204, 304) or 100 <= status < 200):
            message.body = message.raw_body = await reader.read()  # until the server closes
    return message


def canned_response(
    status: int, reason: str, content_type: str, body: bytes, **extra: str
) -> bytes:
    """Return a complete HTTP/1.1 response."""
    headers = {
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        "Connection": "keep-alive",
        **{name.replace("_", "-"): value for name, value in extra.items()},
    }
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    return head.encode("latin-1") + b"\r\n" + body


def _canned(kind: FaultKind) -> tuple[int, bytes]:
    """Return the status and the bytes of a canned refusal."""
    if kind == "html403":
        return 403, canned_response(403, "Forbidden", "text/html; charset=utf-8", HTML_403)
    if kind == "token400":
        return 400, canned_response(
            400, "Bad Request", "application/json; charset=utf-8", TOKEN_INVALID
        )
    past_reset = str(int(time.time()) - 3600)
    return 429, canned_response(
        429,
        "Too Many Requests",
        "application/json; charset=utf-8",
        QUOTA_EXCEEDED,
        X_Limit_App_Limit="10000",
        X_Limit_App_Remaining="0",
        X_Limit_App_Reset=past_reset,
    )


def _request_params(message: HttpMessage) -> tuple[str, str, dict[str, str]]:
    method, target, *_ = message.start_line.split(" ")
    url = urlsplit(target)
    params = dict(parse_qsl(url.query))
    content_type = (message.header("content-type") or "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        params.update(parse_qsl(message.body.decode("utf-8", "replace")))
    return method, url.path, params


class FaultProxy:
    """Forward HTTP from a loopback port to the simulator, failing requests on demand."""

    def __init__(self, upstream_port: int, *, upstream_host: str = "127.0.0.1") -> None:
        """Prepare; ``start`` listens on a free loopback port."""
        self.upstream = (upstream_host, upstream_port)
        self.host = "127.0.0.1"
        self.port = 0
        self.rules: list[Rule] = []
        self.requests: list[ProxiedRequest] = []
        self.before_answer: Callable[[ProxiedRequest], Awaitable[None]] | None = None
        self.connections = 0
        self.max_open_connections = 0
        self.max_in_flight = 0
        self._open: set[Connection] = set()
        self._active: set[ProxiedRequest] = set()
        self._server: asyncio.Server | None = None
        self._answered = asyncio.Condition()

    # ------------------------------------------------------------ control

    @property
    def base_url(self) -> str:
        """Return the Pushover API URL that goes through the proxy."""
        return f"http://{self.host}:{self.port}/1/"

    @property
    def refusing(self) -> bool:
        """Return whether connections are refused."""
        return self._server is None

    async def start(self) -> None:
        """Listen on a free loopback port (kept for ``accept`` after ``refuse``)."""
        await self.accept()

    async def accept(self) -> None:
        """Listen (again) on the proxy's port."""
        if self._server is None:
            self._server = await asyncio.start_server(
                self._serve, self.host, self.port, limit=MAX_HEAD, reuse_address=True
            )
            self.port = int(self._server.sockets[0].getsockname()[1])

    async def refuse(self) -> None:
        """Refuse new connections; close open ones once their request is answered."""
        if self._server is not None:
            self._server.close()  # closes the listening socket now (not the connections)
            self._server = None
        closed = False
        for connection in list(self._open):
            if connection.busy and not connection.websocket:
                connection.close_when_idle = True
            else:
                connection.writer.close()
                closed = True
        if closed:  # let clients see the close before they reuse a pooled connection
            await asyncio.sleep(CLOSE_GRACE)

    def fault(
        self,
        kind: FaultKind,
        *,
        path: str | None = "/messages.json",
        token: str | None = None,
        count: int | None = None,
        delay: float = 0.0,
    ) -> Rule:
        """Fail the requests that match from now on (the oldest matching rule wins)."""
        rule = Rule(kind, path, token, count, delay)
        self.rules.append(rule)
        return rule

    async def passing(self) -> None:
        """Forward everything again: no rules, connections accepted."""
        self.rules.clear()
        await self.accept()

    def reset_stats(self) -> None:
        """Forget the recorded requests and the peaks."""
        self.requests.clear()
        self.max_in_flight = len(self._active)
        self.max_open_connections = len(self._open)
        self.connections = 0

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
            self._server = None
        tasks = [c.task for c in self._open if c.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------ inspection

    def in_flight(self, *, token: str | None = None, sends_only: bool = True) -> int:
        """Return how many requests wait for their answer now."""
        return sum(
            1
            for request in self._active
            if (not sends_only or request.is_send) and (token is None or request.token == token)
        )

    def sends(self, token: str) -> list[ProxiedRequest]:
        """Return the message posts of an application, in arrival order."""
        return [r for r in self.requests if r.is_send and r.token == token]

    async def wait_idle(self, *, token: str | None = None, within: float) -> bool:
        """Wait until no request (of that token) waits for an answer; False after ``within`` s."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within), self._answered:
                await self._answered.wait_for(
                    lambda: self.in_flight(token=token, sends_only=False) == 0
                )
                return True
        return False

    # ------------------------------------------------------------ serving

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = Connection(writer, task=asyncio.current_task())
        self._open.add(connection)
        self.connections += 1
        self.max_open_connections = max(self.max_open_connections, len(self._open))
        try:
            while not connection.close_when_idle:
                message = await read_message(reader)
                if message is None:
                    break
                connection.busy = True
                keep = await self._handle(connection, reader, message)
                connection.busy = False
                if not keep or message.wants_close:
                    break
        except (ProtocolError, ConnectionError, asyncio.IncompleteReadError) as err:
            _LOGGER.debug("client connection ended: %s", err)
        finally:
            self._open.discard(connection)
            writer.close()

    async def _handle(
        self, connection: Connection, reader: asyncio.StreamReader, message: HttpMessage
    ) -> bool:
        """Serve one request; return whether the connection stays open."""
        if (message.header("upgrade") or "").lower() == "websocket":
            connection.websocket = True
            await self._pipe_websocket(reader, connection.writer, message)
            return False
        method, path, params = _request_params(message)
        request = ProxiedRequest(method, path, params, time.monotonic())
        self.requests.append(request)
        rule = next((rule for rule in self.rules if rule.matches(request)), None)
        if rule is not None:
            request.outcome = rule.kind
            if rule.count is not None:
                rule.count -= 1
                if rule.count <= 0:
                    self.rules.remove(rule)
        self._active.add(request)
        self.max_in_flight = max(self.max_in_flight, self.in_flight(sends_only=False))
        try:
            return await self._answer(connection, reader, message, request, rule)
        finally:
            request.done = True
            self._active.discard(request)
            async with self._answered:
                self._answered.notify_all()

    async def _answer(
        self,
        connection: Connection,
        reader: asyncio.StreamReader,
        message: HttpMessage,
        request: ProxiedRequest,
        rule: Rule | None,
    ) -> bool:
        writer = connection.writer
        if rule is not None and rule.kind == "hang":
            await self._until_gone(reader, writer, None)
            return False
        if rule is not None and rule.kind in ("html403", "token400", "quota429"):
            request.status, response = _canned(rule.kind)
            writer.write(response)
            await writer.drain()
            return True
        answer = await self._forward(message, request)
        if self.before_answer is not None:
            await self.before_answer(request)
        if rule is not None and rule.kind == "drop":
            return False
        if (
            rule is not None
            and rule.kind == "late"
            and await self._until_gone(reader, writer, rule.delay)
        ):
            return False
        if writer.is_closing():
            return False
        request.status = request.upstream_status
        writer.write(answer.wire)
        await writer.drain()
        return not answer.wants_close

    async def _forward(self, message: HttpMessage, request: ProxiedRequest) -> HttpMessage:
        """Send the request to the simulator on a fresh connection; return its answer."""
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        try:
            upstream_writer.write(message.wire)
            await upstream_writer.drain()
            answer = await read_message(upstream_reader, response_to=request.method)
        finally:
            upstream_writer.close()
        if answer is None:
            raise ProtocolError("the simulator closed without answering")
        request.upstream_status = int(answer.start_line.split()[1])
        return answer

    @staticmethod
    async def _until_gone(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seconds: float | None
    ) -> bool:
        """Wait ``seconds`` (None: for ever); return True as soon as the client left."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while deadline is None or time.monotonic() < deadline:
            if reader.at_eof() or reader.exception() is not None or writer.is_closing():
                return True
            await asyncio.sleep(GONE_POLL)
        return False

    async def _pipe_websocket(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, message: HttpMessage
    ) -> None:
        """Pass a websocket upgrade and then its bytes both ways until one side closes."""
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)

        async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()

        try:
            upstream_writer.write(message.wire)
            await upstream_writer.drain()
            pumps = [
                asyncio.create_task(copy(reader, upstream_writer)),
                asyncio.create_task(copy(upstream_reader, writer)),
            ]
            try:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
        finally:
            upstream_writer.close()
