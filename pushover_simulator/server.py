"""An aiohttp server that behaves like the Pushover API (see NOTES.md beside it)."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping, Sequence
import contextlib
import json
import logging
import re
import time
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qsl
import uuid

import aiohttp
from aiohttp import web

from .state import (
    BUILTIN_SOUNDS,
    FIRST_MESSAGE_ID,
    SOUND_CODES,
    App,
    Delivery,
    Group,
    Member,
    OpenClientDevice,
    ReceiptState,
    RecordedRequest,
    Team,
    User,
    icon_id,
    new_key,
    next_reset,
    stable_key,
)

_LOGGER = logging.getLogger(__name__)

KEY_RE = re.compile(r"^[A-Za-z0-9]{30}$")
DEVICE_RE = re.compile(r"^[A-Za-z0-9_-]{1,25}$")
MAX_ATTACHMENT = 5_242_880
RECEIPT_LIFETIME = 7 * 86400
FaultKind = Literal["400", "403", "500", "502", "503", "timeout", "drop", "429", "block"]
CallbackPoster = Callable[[str, dict[str, str]], Awaitable[None]]
LoginScript = Callable[[web.WebSocketResponse], Awaitable[None]]


class PushoverError(Exception):
    """A 4xx answer: errors, per-parameter verdicts and the status code."""

    def __init__(
        self, errors: list[str] | dict[str, list[str]], *, status: int = 400, **keys: str
    ) -> None:
        """Keep the parts of the error body."""
        super().__init__(str(errors))
        self.errors = errors
        self.status = status
        self.keys = keys


def _invalid(name: str, errors: list[str]) -> PushoverError:
    """Return a 400 error naming the offending parameter."""
    error = PushoverError(errors)
    error.keys = {name: "invalid"}
    return error


def _form_value(value: Any) -> str:
    """Return a JSON body value as the form field it stands for (true is 1)."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


class Fault:
    """A fault waiting to be served."""

    def __init__(self, kind: FaultKind, count: int, path: str | None, delay: float) -> None:
        """Keep what to do and for how many requests."""
        self.kind = kind
        self.count = count
        self.path = path
        self.delay = delay


class PushoverSimulator:
    """A stateful Pushover API on loopback, with inspection and fault injection."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] | None = None,
        keepalive_interval: float = 30.0,
        callback_session: aiohttp.ClientSession | None = None,
    ) -> None:
        """Prepare the state; ``start`` serves it."""
        self.host = host
        self.port = port
        self.clock = clock or time.time
        self.keepalive_interval = keepalive_interval
        self.login_timeout = 30.0
        self.callback_session = callback_session
        self.callback_poster: CallbackPoster | None = None
        self.apps: dict[str, App] = {}
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.teams: dict[str, Team] = {}
        self.receipts: dict[str, ReceiptState] = {}
        self.open_client_devices: dict[str, OpenClientDevice] = {}
        self.sessions: dict[str, str] = {}
        self._session_devices: dict[str, str] = {}
        self.deliveries: list[Delivery] = []
        self.requests: list[RecordedRequest] = []
        self.callbacks: list[tuple[str, dict[str, str]]] = []
        self.glances: dict[tuple[str, str | None], dict[str, str]] = {}
        self.websocket_logins: list[str] = []
        # Whether "no active devices" carries "user": "invalid" (unknown on Pushover).
        self.no_devices_verdict = True
        # Pushover's documented limit; lower it to play a service stricter than its docs.
        self.attachment_limit = MAX_ATTACHMENT
        # A hostile or broken server: run on each accepted login, then the socket is closed.
        self.login_script: LoginScript | None = None
        self.response_delay = 0.0
        self.auto_block_after_4xx: int | None = None
        self.block_seconds = 60.0
        self.max_concurrent_connections = 0
        self.max_concurrent_requests = 0
        self._connections = 0
        self._in_flight: set[asyncio.Task[Any]] = set()
        self.refused_requests = 0
        self._faults: list[Fault] = []
        self._recent_4xx: list[float] = []
        self._blocked_until = 0.0
        self._next_message_id = FIRST_MESSAGE_ID
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}
        self._transports: dict[web.WebSocketResponse, asyncio.BaseTransport] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._own_session: aiohttp.ClientSession | None = None

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Serve on the host and port (port 0 picks a free one)."""
        app = web.Application(middlewares=[self._middleware], client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/push", self._handle_websocket)
        app.router.add_route("*", "/1/{path:.*}", self._dispatch)
        # Not Pushover's: the simulator's own controls, for development by hand.
        app.router.add_get("/sim/receipts", self._handle_list_receipts)
        app.router.add_post("/sim/receipts/{receipt}/acknowledge", self._handle_acknowledge)
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        server = self._runner.server
        assert server is not None
        made, lost = server.connection_made, server.connection_lost

        def connection_made(handler: Any, transport: Any) -> None:
            self._connections += 1
            self.max_concurrent_connections = max(
                self.max_concurrent_connections, self._connections
            )
            made(handler, transport)

        def connection_lost(handler: Any, exc: BaseException | None) -> None:
            self._connections -= 1
            lost(handler, exc)

        server.connection_made = connection_made  # type: ignore[method-assign]
        server.connection_lost = connection_lost  # type: ignore[method-assign,assignment]
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Close sockets, tasks and the server."""
        await self.close_websockets()
        for task in [*self._tasks, *self._in_flight]:  # e.g. a "timeout" fault's long sleep
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.sleep(0)  # let the canceled handlers finish
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._own_session is not None:
            await self._own_session.close()
            self._own_session = None

    async def __aenter__(self) -> Self:
        """Start on entering."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop on leaving."""
        await self.stop()

    @property
    def base_url(self) -> str:
        """Return the API base URL."""
        return f"http://{self.host}:{self.port}/1/"

    @property
    def websocket_url(self) -> str:
        """Return the Open Client websocket URL."""
        return f"ws://{self.host}:{self.port}/push"

    # ------------------------------------------------------------ seeding

    def add_app(
        self,
        name: str = "Home",
        *,
        token: str | None = None,
        quota_limit: int = 10000,
        quota_remaining: int | None = None,
    ) -> str:
        """Add an application and return its token."""
        token = token or new_key()
        remaining = quota_limit if quota_remaining is None else quota_remaining
        self.apps[token] = App(
            token,
            name,
            quota_limit,
            remaining,
            aid=len(self.apps) + 1,
            reset_at=next_reset(self.clock()),
            icon=icon_id(token),
        )
        return token

    def add_user(
        self,
        *,
        user_key: str | None = None,
        devices: Sequence[str] = ("phone",),
        licenses: Sequence[str] = ("Android",),
        email: str | None = None,
        password: str | None = None,
        twofa: str | None = None,
        owner_token: str | None = None,
    ) -> str:
        """Add a user and return its key."""
        key = user_key or new_key()
        self.users[key] = User(key, list(devices), list(licenses), email, password, twofa)
        return key

    def add_group(
        self,
        name: str,
        *,
        owner_token: str,
        members: Sequence[tuple[str, str | None, str]] = (),
        key: str | None = None,
    ) -> str:
        """Add a delivery group and return its key."""
        key = key or new_key()
        self.groups[key] = Group(
            key, name, owner_token, [Member(user, device, memo) for user, device, memo in members]
        )
        return key

    def add_team(
        self, name: str = "Team", *, members: Sequence[str] = (), token: str | None = None
    ) -> str:
        """Add a team and return its team token."""
        token = token or new_key()
        self.teams[token] = Team(token, name, {email: {"email": email} for email in members})
        return token

    def add_sound(self, token: str, name: str, label: str) -> None:
        """Add a custom sound to an application's account."""
        self.apps[token].sounds[name] = label

    def set_license_credits(self, token: str, credits: int) -> None:  # noqa: A002
        """Set the license credits of an application."""
        self.apps[token].license_credits = credits

    def add_subscription(self, token: str, code: str) -> None:
        """Add a subscription code to an application."""
        self.apps[token].subscriptions.add(code)

    def set_quota(
        self, token: str, *, limit: int | None = None, remaining: int | None = None
    ) -> None:
        """Change the quota of an application."""
        app = self.apps[token]
        if limit is not None:
            app.quota_limit = limit
        if remaining is not None:
            app.quota_remaining = remaining

    def demo(self) -> dict[str, str]:
        """Seed demonstration data and return its credentials (the same on every start)."""
        token = self.add_app("Home Assistant demo", token=stable_key("api_token"))
        user = self.add_user(
            user_key=stable_key("user_key"),
            devices=("phone", "tablet"),
            licenses=("Android", "iOS"),
        )
        partner = self.add_user(user_key=stable_key("partner_user_key"), devices=("pixel",))
        group = self.add_group(
            "Family",
            owner_token=token,
            members=[(user, None, "Me"), (partner, "pixel", "Partner")],
            key=stable_key("group_key"),
        )
        team = self.add_team(
            "Demo team", members=("admin@example.com",), token=stable_key("team_token")
        )
        self.add_sound(token, "doorbell", "Doorbell (custom)")
        self.set_license_credits(token, 5)
        self.add_subscription(token, "demo-subscription")
        open_client = self.add_user(
            user_key=stable_key("open_client_user_key"),
            devices=(),
            email="demo@example.com",
            password="demo-password",
        )
        self.add_user(
            user_key=stable_key("twofa_user_key"),
            devices=(),
            email="twofa@example.com",
            password="demo-password",
            twofa="123456",
        )
        return {
            "api_token": token,
            "user_key": user,
            "partner_user_key": partner,
            "group_key": group,
            "team_token": team,
            "open_client_email": "demo@example.com",
            "open_client_password": "demo-password",
            "open_client_user_key": open_client,
            "twofa_email": "twofa@example.com",
            "twofa_code": "123456",
        }

    def open_client_state(self) -> dict[str, Any]:
        """Return the Open Client logins and devices, to carry them over a restart."""
        return {
            "sessions": dict(self.sessions),
            "session_devices": dict(self._session_devices),
            "devices": [
                {"id": d.device_id, "name": d.name, "user": d.user, "queue": d.queue}
                for d in self.open_client_devices.values()
            ],
        }

    def restore_open_client_state(self, state: Mapping[str, Any]) -> None:
        """Take back what ``open_client_state`` returned (users that are gone are skipped)."""
        for device in state.get("devices", []):
            user = self.users.get(device["user"])
            if user is None:
                continue
            self.open_client_devices[device["id"]] = OpenClientDevice(
                device["id"], device["name"], user.key, list(device.get("queue", []))
            )
            if device["name"] not in user.devices:
                user.devices.append(device["name"])
        self.sessions.update(
            {secret: key for secret, key in state.get("sessions", {}).items() if key in self.users}
        )
        self._session_devices.update(state.get("session_devices", {}))

    # ------------------------------------------------------------ inspection and faults

    def reset_stats(self) -> None:
        """Forget recorded requests, deliveries and concurrency peaks."""
        self.requests.clear()
        self.deliveries.clear()
        self.max_concurrent_connections = self._connections
        self.max_concurrent_requests = len(self._in_flight)
        self.refused_requests = 0

    def active_receipts(self, token: str | None = None) -> list[ReceiptState]:
        """Return the emergency alerts still ringing (of one application's token)."""
        return [
            state
            for state in self.receipts.values()
            if state.active and (token is None or state.token == token)
        ]

    def inject_fault(
        self,
        kind: FaultKind,
        *,
        count: int = 1,
        path: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``count`` requests (whose path contains ``path``) fail."""
        self._faults.append(Fault(kind, count, path, delay))

    @property
    def requests_in_flight(self) -> int:
        """Return how many API requests are being answered right now."""
        return len(self._in_flight)

    def clear_faults(self) -> None:
        """Forget the faults not yet used up: the next requests are answered normally."""
        self._faults.clear()

    def _take_fault(self, path: str, *, block: bool) -> Fault | None:
        for fault in self._faults:
            if (fault.kind == "block") is block and (fault.path is None or fault.path in path):
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ------------------------------------------------------------ plumbing

    def _now(self) -> float:
        return self.clock()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        # An IP block refuses the connection before the API sees the request.
        if self._blocked_until > time.monotonic() or self._take_fault(request.path, block=True):
            self.refused_requests += 1
            self._drop(request)
            return web.Response(status=503)
        if request.path == "/push":  # a long-lived websocket is not a request in flight
            return await handler(request)
        task = asyncio.current_task()
        assert task is not None
        self._in_flight.add(task)
        self.max_concurrent_requests = max(self.max_concurrent_requests, len(self._in_flight))
        try:
            if self.response_delay:
                await asyncio.sleep(self.response_delay)
            return await handler(request)
        finally:
            self._in_flight.discard(task)

    def _drop(self, request: web.Request) -> None:
        if request.transport is not None:
            request.transport.close()

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, str], bytes | None, str | None]:
        params = dict(request.query)
        attachment: bytes | None = None
        attachment_type: str | None = None
        if request.method == "POST":
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = None
                if isinstance(body, dict):
                    params.update(
                        {
                            key: _form_value(value)
                            for key, value in body.items()
                            if value is not None
                        }
                    )
            elif request.content_type == "multipart/form-data":
                reader = await request.multipart()
                async for part in reader:
                    if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                        continue
                    if part.filename is not None:
                        attachment = await part.read(decode=False)
                        attachment_type = part.headers.get(aiohttp.hdrs.CONTENT_TYPE)
                    else:
                        params[part.name] = await part.text()
            else:
                form = await request.post()
                params.update({key: str(value) for key, value in form.items()})
        elif request.content_type == "application/x-www-form-urlencoded" and request.can_read_body:
            # Pushover (a Rails app) reads a GET's form body too; pushover_complete sends the
            # token of receipts, sounds and group info so (NOTES.md).
            params.update(parse_qsl(await request.text(), keep_blank_values=True))
        return params, attachment, attachment_type

    def _json(
        self, body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        request_id = str(body.pop("request", None) or uuid.uuid4())
        return web.json_response(
            {**body, "status": 1 if status == 200 else 0, "request": request_id},
            status=status,
            headers={"X-Request-Id": request_id, **(headers or {})},
            content_type="application/json",
        )

    def _limit_headers(self, app: App | None) -> dict[str, str]:
        if app is None:
            return {}
        return {
            "X-Limit-App-Limit": str(app.quota_limit),
            "X-Limit-App-Remaining": str(app.quota_remaining),
            "X-Limit-App-Reset": str(app.refresh(self.clock())),
        }

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = "/1/" + request.match_info["path"]
        params, attachment, attachment_type = await self._read_params(request)
        recorded = RecordedRequest(
            request.method, path, dict(params), 0, self.clock(), request.content_type
        )
        self.requests.append(recorded)
        fault = self._take_fault(path, block=False)
        response = await self._serve(request, path, params, attachment, attachment_type, fault)
        recorded.status = response.status
        if 400 <= response.status < 500 and response.status != 429:
            self._note_4xx()
        return response

    def _note_4xx(self) -> None:
        if self.auto_block_after_4xx is None:
            return
        now = time.monotonic()
        self._recent_4xx = [at for at in self._recent_4xx if at > now - 300] + [now]
        if len(self._recent_4xx) >= self.auto_block_after_4xx:
            self._blocked_until = now + self.block_seconds
            self._recent_4xx.clear()

    async def _serve(
        self,
        request: web.Request,
        path: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
        fault: Fault | None,
    ) -> web.Response:
        app = self.apps.get(params.get("token", ""))
        if fault is not None:
            if fault.kind == "drop":
                self._drop(request)
                return web.Response(status=503)
            if fault.kind == "timeout":
                await asyncio.sleep(fault.delay or 3600)
            elif fault.kind == "400":
                return self._json(
                    {"message": "invalid", "errors": ["message is invalid"], "status": 0}, 400
                )
            elif fault.kind == "429":
                return self._json(
                    {
                        "token": "invalid",
                        "errors": [
                            "application has exceeded current limit of "
                            f"{app.quota_limit if app else 10000} messages"
                        ],
                    },
                    429,
                    self._limit_headers(app),
                )
            else:
                return web.Response(
                    status=int(fault.kind),
                    text="<html>Server error</html>",
                    content_type="text/html",
                )
        if path.endswith(".xml"):
            return self._json({"errors": ["XML is not supported by this simulator"]}, 400)
        if not path.endswith(".json"):
            return self._json({"errors": ["not found"]}, 404)
        route = path.removeprefix("/1/").removesuffix(".json")
        is_messages = route == "messages"
        try:
            handler, method = self._route(route, request.method)
            if request.method != method:
                return self._json({"errors": [f"{request.method} is not allowed here"]}, 405)
            body = await handler(route, params, attachment, attachment_type)
        except PushoverError as err:
            body_err: dict[str, Any] = {**err.keys, "errors": err.errors}
            headers = self._limit_headers(app) if is_messages and request.method == "POST" else None
            return self._json(body_err, err.status, headers)
        headers = self._limit_headers(app) if is_messages and request.method == "POST" else None
        return self._json(body, 200, headers)

    def _route(
        self, route: str, method: str
    ) -> tuple[
        Callable[[str, dict[str, str], bytes | None, str | None], Awaitable[dict[str, Any]]], str
    ]:
        parts = route.split("/")
        table: dict[str, tuple[Any, str]] = {
            "messages": (
                self._messages_post if method == "POST" else self._messages_get,
                method if method in ("GET", "POST") else "POST",
            ),
            "users/validate": (self._validate, "POST"),
            "users/login": (self._login, "POST"),
            "sounds": (self._sounds, "GET"),
            "apps/limits": (self._limits, "GET"),
            "glances": (self._glances, "POST"),
            "groups": (
                self._groups_create if method == "POST" else self._groups_list,
                method if method in ("GET", "POST") else "GET",
            ),
            "teams": (self._team_info, "GET"),
            "teams/add_user": (self._team_add, "POST"),
            "teams/remove_user": (self._team_remove, "POST"),
            "licenses": (self._license_credits, "GET"),
            "licenses/assign": (self._license_assign, "POST"),
            "subscriptions/migrate": (self._migrate, "POST"),
            "devices": (self._register_device, "POST"),
        }
        if route in table:
            return table[route]
        if parts[0] == "receipts" and len(parts) == 2:
            return self._receipt_get, "GET"
        if parts[0] == "receipts" and len(parts) == 3 and parts[1] == "cancel_by_tag":
            return self._cancel_by_tag, "POST"
        if parts[0] == "receipts" and len(parts) == 3 and parts[2] == "cancel":
            return self._receipt_cancel, "POST"
        if parts[0] == "receipts" and len(parts) == 3 and parts[2] == "acknowledge":
            return self._receipt_ack, "POST"
        if parts[0] == "groups" and len(parts) == 2:
            return self._group_info, "GET"
        if parts[0] == "groups" and len(parts) == 3:
            return self._group_action, "POST"
        if parts[0] == "devices" and len(parts) == 3 and parts[2] == "update_highest_message":
            return self._delete_messages, "POST"
        raise PushoverError(["not found"], status=404)

    # ------------------------------------------------------------ checks

    def _app(self, params: dict[str, str]) -> App:
        app = self.apps.get(params.get("token", ""))
        if app is None:
            raise PushoverError(["application token is invalid"], token="invalid")
        app.refresh(self.clock())
        return app

    def _device_user(self, params: dict[str, str]) -> User:
        user_key = self.sessions.get(params.get("secret", ""))
        if user_key is None:
            raise PushoverError(["secret is invalid; please re-login"], secret="invalid")
        return self.users[user_key]

    @staticmethod
    def _length(params: dict[str, str], name: str, limit: int) -> None:
        if len(params.get(name, "")) > limit:
            raise _invalid(name, [f"{name} is too long, maximum is {limit} characters"])

    @staticmethod
    def _int(params: dict[str, str], name: str) -> int | None:
        if not params.get(name, ""):
            return None
        try:
            return int(params[name])
        except ValueError:
            raise _invalid(name, [f"{name} must be an integer"]) from None

    def _recipients(self, user_param: str, devices: list[str]) -> list[tuple[str, list[str]]]:
        keys = [key for key in user_param.split(",") if key]
        if not keys:
            raise PushoverError(["user identifier is invalid"], user="invalid")
        if len(keys) > 50:
            raise PushoverError(["too many users, maximum is 50"], user="invalid")
        recipients: list[tuple[str, list[str]]] = []
        for key in keys:
            if key in self.groups:
                for member in self.groups[key].members:
                    user = self.users.get(member.user)
                    if member.disabled or user is None or not user.devices:
                        continue
                    recipients.append(
                        (member.user, [member.device] if member.device else list(user.devices))
                    )
                continue
            user = self.users.get(key)
            if (
                user is None
                or not KEY_RE.match(key)
                or (not user.devices and not self._open_client_devices_of(key))
            ):
                raise PushoverError(
                    ["user identifier is not a valid user, group, or subscribed user key"],
                    user="invalid",
                )
            chosen = [name for name in devices if name in user.devices] if len(keys) == 1 else []
            recipients.append((key, chosen or list(user.devices)))
        return recipients

    def _open_client_devices_of(self, user_key: str) -> list[OpenClientDevice]:
        return [device for device in self.open_client_devices.values() if device.user == user_key]

    # ------------------------------------------------------------ messages

    async def _messages_post(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        app = self._app(params)
        devices = [name for name in params.get("device", "").split(",") if name]
        recipients = self._recipients(params.get("user", ""), devices)
        if not params.get("message", ""):
            raise PushoverError(["message cannot be blank"], message="cannot be blank")
        for name in devices:
            if not DEVICE_RE.match(name):
                raise PushoverError(["device name is invalid"], device="invalid")
        self._length(params, "message", 1024)
        self._length(params, "title", 250)
        self._length(params, "url", 512)
        self._length(params, "url_title", 100)
        priority = self._int(params, "priority") or 0
        if priority not in range(-2, 3):
            raise PushoverError(
                ["priority is invalid"], priority="is invalid, can only be -2, -1, 0, 1, or 2"
            )
        retry = self._int(params, "retry")
        expire = self._int(params, "expire")
        if priority == 2:
            if retry is None:
                raise PushoverError(["retry must be supplied with priority=2"], retry="invalid")
            if expire is None:
                raise PushoverError(["expire must be supplied with priority=2"], expire="invalid")
            if retry < 30:
                raise PushoverError(
                    ["retry is invalid"], retry="is too small, must be at least 30 seconds"
                )
            if expire < 1:
                raise PushoverError(["expire must be a positive integer"], expire="invalid")
            if expire > 10800:
                raise PushoverError(["expire is too large, maximum is 10800"], expire="invalid")
        ttl = self._int(params, "ttl")
        if ttl is not None and ttl <= 0:
            raise PushoverError(["ttl must be a positive integer"], ttl="invalid")
        if params.get("html") == "1" and params.get("monospace") == "1":
            raise PushoverError(
                ["html and monospace are mutually exclusive"],
                html="cannot be set with monospace",
                monospace="cannot be set with html",
            )
        self._int(params, "timestamp")
        if "attachment_base64" in params:
            if not params.get("attachment_type"):
                raise PushoverError(
                    ["attachment_type must be supplied with attachment_base64"],
                    attachment_type="invalid",
                )
            try:
                attachment = base64.b64decode(params.pop("attachment_base64"), validate=True)
            except binascii.Error:
                raise PushoverError(
                    ["attachment_base64 is not valid base64"], attachment_base64="invalid"
                ) from None
            attachment_type = params["attachment_type"]
        if attachment is not None and len(attachment) > self.attachment_limit:
            raise PushoverError(
                [
                    f"attachment is too large ({len(attachment)} bytes is more than "
                    f"{self.attachment_limit} limit"
                ],
                attachment="invalid",
            )
        if app.quota_remaining < len(recipients):
            raise PushoverError(
                [f"application has exceeded current limit of {app.quota_limit} messages"],
                status=429,
                token="invalid",
            )
        app.quota_remaining -= len(recipients)
        now = self.clock()
        receipt = None
        if priority == 2:
            assert retry is not None
            assert expire is not None
            receipt = new_key()
            self.receipts[receipt] = ReceiptState(
                receipt=receipt,
                token=app.token,
                users=[user for user, _ in recipients],
                retry=retry,
                created_at=now,
                expires_at=now + min(expire, retry * 50),
                tags=[tag for tag in params.get("tags", "").split(",") if tag],
                callback=params.get("callback") or None,
                clock=self._now,  # follows a clock replaced later
            )
        request_id = str(uuid.uuid4())
        visible = {key: value for key, value in params.items() if key not in ("token",)}
        for user, user_devices in recipients:
            self.deliveries.append(
                Delivery(
                    user,
                    user_devices,
                    visible,
                    attachment,
                    attachment_type,
                    receipt,
                    request_id,
                    now,
                )
            )
            await self._enqueue(app, user, user_devices, params, priority, receipt, now)
        return {"receipt": receipt, "request": request_id} if receipt else {"request": request_id}

    async def _enqueue(
        self,
        app: App,
        user: str,
        user_devices: list[str],
        params: dict[str, str],
        priority: int,
        receipt: str | None,
        now: float,
    ) -> None:
        for device in self._open_client_devices_of(user):
            if device.name not in user_devices:
                continue
            message_id = self._next_message_id
            self._next_message_id += 1
            sound = params.get("sound", "")
            item: dict[str, Any] = {
                "id": message_id,
                "id_str": str(message_id),
                "umid": message_id + 7,
                "umid_str": str(message_id + 7),
                "message": params.get("message", ""),
                "app": app.name,
                "aid": app.aid,
                "aid_str": str(app.aid),
                "icon": app.icon,
                "date": int(params.get("timestamp") or now),
                "queued_date": int(now),
                "dispatched_date": int(now),
                "priority": priority,
                "acked": 0,
            }
            optional = {
                "title": params.get("title"),
                "url": params.get("url"),
                "url_title": params.get("url_title"),
                "sound": SOUND_CODES.get(sound, sound) or None,
                "receipt": receipt,
                "html": 1 if params.get("html") == "1" else None,
            }
            item.update({key: value for key, value in optional.items() if value})
            device.queue.append(item)
            await self.send_frame(device.device_id, "!")

    async def _messages_get(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        user = self._device_user(params)
        device = self.open_client_devices.get(params.get("device_id", ""))
        if device is None or device.user != user.key:
            raise PushoverError(["device_id is invalid"], device_id="invalid")
        return {
            "messages": list(device.queue),
            "user": {
                "quiet_hours": False,
                "is_android_licensed": "Android" in user.licenses,
                "is_ios_licensed": "iOS" in user.licenses,
                "is_desktop_licensed": "Desktop" in user.licenses,
                "email": user.email or "",
                "quick_quiet_until": None,
                "show_team_ad": "1",
            },
            "device": {
                "name": device.name,
                "encryption_enabled": False,
                "default_sound": "po",
                "always_use_default_sound": False,
                "default_high_priority_sound": "po",
                "always_use_default_high_priority_sound": False,
                "dismissal_sync_enabled": False,
            },
        }

    async def _delete_messages(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        user = self._device_user(params)
        device = self.open_client_devices.get(route.split("/")[1])
        if device is None or device.user != user.key:
            raise PushoverError(["device not found"], device="invalid")
        highest = self._int(params, "message")
        if highest is None:
            raise PushoverError(["message must be supplied"], message="invalid")
        device.queue = [item for item in device.queue if item["id"] > highest]
        return {}

    # ------------------------------------------------------------ receipts

    def _receipt(
        self, receipt: str, params: dict[str, str], *, check_token: bool = True
    ) -> ReceiptState:
        state = self.receipts.get(receipt)
        if check_token:
            self._app(params)
        if (
            state is None
            or (check_token and state.token != params.get("token"))
            or self.clock() - state.created_at > RECEIPT_LIFETIME
        ):
            raise PushoverError(
                ["receipt not found; may be invalid or expired"], receipt="not found"
            )
        return state

    async def _receipt_get(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        return self._receipt(route.split("/")[1], params).body(self.clock())

    async def _receipt_cancel(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        self._receipt(route.split("/")[1], params).cancel(self.clock())
        return {}

    async def _cancel_by_tag(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        app = self._app(params)
        tag = route.split("/")[2]
        now = self.clock()
        canceled = 0
        for state in self.active_receipts(app.token):
            if tag in state.tags:
                state.cancel(now)
                canceled += 1
        return {"canceled": canceled}

    async def _receipt_ack(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        user = self._device_user(params)
        state = self._receipt(route.split("/")[1], params, check_token=False)
        own = {device.device_id: device for device in self._open_client_devices_of(user.key)}
        chosen = params.get("device_id") or self._session_devices.get(params["secret"], "")
        device = own.get(chosen) or next(iter(own.values()), None)
        await self.acknowledge(state.receipt, user=user.key, device=device.name if device else None)
        return {}

    async def _handle_list_receipts(self, request: web.Request) -> web.Response:
        """GET /sim/receipts: the emergency receipts, newest first (not a Pushover route)."""
        now = self.clock()
        return web.json_response(
            [
                {
                    "receipt": state.receipt,
                    "users": state.users,
                    "tags": state.tags,
                    "acknowledged": state.acknowledged,
                    "expired": now >= state.expires_at or state.canceled,
                }
                for state in reversed(self.receipts.values())
            ]
        )

    async def _handle_acknowledge(self, request: web.Request) -> web.Response:
        """POST /sim/receipts/{receipt|latest}/acknowledge[?user=&device=] (not Pushover's).

        Acknowledges as a person on a phone would; ``latest`` is the newest receipt.
        """
        receipt = request.match_info["receipt"]
        if receipt == "latest":
            receipt = next(reversed(self.receipts), "")
        state = self.receipts.get(receipt)
        if state is None:
            return web.json_response({"error": "no such receipt"}, status=404)
        fields = {**request.query, **await request.post()}
        user = str(fields.get("user") or "") or None
        if user is not None and user not in state.users:
            return web.json_response({"error": "the user did not get this alert"}, status=400)
        device = str(fields.get("device") or "") or None
        await self.acknowledge(receipt, user=user, device=device)
        return web.json_response(
            {
                "receipt": receipt,
                "acknowledged_by": state.acknowledged_by,
                "acknowledged_by_device": state.acknowledged_by_device,
            }
        )

    async def acknowledge(
        self, receipt: str, *, user: str | None = None, device: str | None = None
    ) -> None:
        """Acknowledge an emergency message as a user and call the callback URL back."""
        state = self.receipts[receipt]
        if state.acknowledged:
            return
        user = user or state.users[0]
        if device is None:
            devices = self.users[user].devices if user in self.users else []
            device = devices[0] if devices else ""
        state.acknowledged = True
        state.acknowledged_at = self.clock()
        state.acknowledged_by = user
        state.acknowledged_by_device = device
        for open_client in self.open_client_devices.values():  # waiting copies show the ack
            for item in open_client.queue:
                if item.get("receipt") == receipt:
                    item["acked"] = 1
        if state.callback:
            fields = {
                "receipt": receipt,
                "acknowledged": "1",
                "acknowledged_at": str(int(state.acknowledged_at)),
                "acknowledged_by": user,
                "acknowledged_by_device": device,
            }
            await self._post_callback(state.callback, fields)
            state.called_back = True
            state.called_back_at = self.clock()

    async def _post_callback(self, url: str, fields: dict[str, str]) -> None:
        self.callbacks.append((url, fields))
        if self.callback_poster is not None:
            await self.callback_poster(url, fields)
            return
        session = self.callback_session
        if session is None:
            if self._own_session is None:
                self._own_session = aiohttp.ClientSession()
            session = self._own_session
        try:
            async with session.post(
                url, data=fields, timeout=aiohttp.ClientTimeout(total=10)
            ) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            _LOGGER.debug("Callback failed: %s", err)

    # ------------------------------------------------------------ users, sounds, limits, glances

    async def _validate(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        self._app(params)
        key = params.get("user", "")
        if key in self.groups:
            return {"group": 1, "devices": [], "licenses": []}
        user = self.users.get(key)
        if user is None:
            raise PushoverError(["user key is invalid"], user="invalid")
        if not user.devices:
            error = PushoverError(["user is valid but has no active devices"])
            error.keys = {"user": "invalid"} if self.no_devices_verdict else {}
            raise error
        device = params.get("device")
        if device and device not in user.devices:
            raise PushoverError(
                ["device name is not valid for this user"], device="invalid for this user"
            )
        return {"group": 0, "devices": list(user.devices), "licenses": list(user.licenses)}

    async def _sounds(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        app = self._app(params)
        return {"sounds": {**BUILTIN_SOUNDS, **app.sounds}}

    async def _limits(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        app = self._app(params)
        return {
            "limit": app.quota_limit,
            "remaining": app.quota_remaining,
            "reset": app.refresh(self.clock()),
        }

    async def _glances(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        self._app(params)
        user = self.users.get(params.get("user", ""))
        if user is None:
            raise PushoverError(["user key is invalid"], user="invalid")
        fields = [
            name for name in ("title", "text", "subtext", "count", "percent") if name in params
        ]
        if not fields:
            raise PushoverError(
                ["at least one of title, text, subtext, count or percent must be supplied"]
            )
        for name in ("title", "text", "subtext"):
            self._length(params, name, 100)
        self._int(params, "count")
        percent = self._int(params, "percent")
        if percent is not None and not 0 <= percent <= 100:
            raise PushoverError(["percent must be between 0 and 100"], percent="invalid")
        device = params.get("device") or None
        if device is not None and not DEVICE_RE.match(device):
            raise PushoverError(["device name is invalid"], device="invalid")
        glance = self.glances.setdefault((user.key, device), {})
        for name in fields:  # an empty value clears the field, a missing one keeps it
            if params[name]:
                glance[name] = params[name]
            else:
                glance.pop(name, None)
        return {}

    # ------------------------------------------------------------ groups

    def _owned_group(self, key: str, params: dict[str, str]) -> Group:
        app = self._app(params)
        group = self.groups.get(key)
        if group is None or group.owner_token != app.token:
            raise PushoverError(
                ["group not found or you are not authorized to edit it"], group="not found"
            )
        return group

    async def _groups_create(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        app = self._app(params)
        if not params.get("name"):
            raise PushoverError(["name must be supplied"], name="invalid")
        return {"group": self.add_group(params["name"], owner_token=app.token)}

    async def _groups_list(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        app = self._app(params)
        return {
            "groups": [
                {"group": group.key, "name": group.name}
                for group in self.groups.values()
                if group.owner_token == app.token
            ]
        }

    async def _group_info(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        group = self._owned_group(route.split("/")[1], params)
        return {
            "name": group.name,
            "users": [
                {"user": m.user, "device": m.device, "memo": m.memo, "disabled": m.disabled}
                for m in group.members
            ],
        }

    async def _group_action(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        _, key, action = route.split("/")
        group = self._owned_group(key, params)
        if action == "rename":
            if not params.get("name"):
                raise PushoverError(["name must be supplied"], name="invalid")
            group.name = params["name"]
            return {}
        user = params.get("user", "")
        device = params.get("device") or None
        matches = [
            m for m in group.members if m.user == user and (device is None or m.device == device)
        ]
        if action == "add_user":
            if user not in self.users:
                raise PushoverError(["user key is invalid"], user="invalid")
            self._length(params, "memo", 200)
            if any(m.user == user and m.device == device for m in group.members):
                raise PushoverError(["user is already a member of this group"], user="invalid")
            group.members.append(Member(user, device, params.get("memo", "")))
            return {}
        if action not in ("delete_user", "remove_user", "enable_user", "disable_user"):
            raise PushoverError(["not found"], status=404)
        if not matches:
            raise PushoverError(["user is not a member of this group"], user="invalid")
        for member in matches:
            if action in ("delete_user", "remove_user"):
                group.members.remove(member)
            else:
                member.disabled = action == "disable_user"
        return {}

    # ------------------------------------------------------------ teams, licenses, subscriptions

    def _team(self, params: dict[str, str]) -> Team:
        team = self.teams.get(params.get("token", ""))
        if team is None:
            raise PushoverError(["team token is invalid"], token="invalid")
        return team

    async def _team_info(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        team = self._team(params)
        return {"name": team.name, "users": list(team.members.values())}

    async def _team_add(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        team = self._team(params)
        email = params.get("email", "")
        if "@" not in email:
            raise PushoverError(["email is invalid"], email="invalid")
        team.members[email] = {
            key: params[key]
            for key in ("email", "name", "instant", "admin", "group")
            if key in params
        }
        return {}

    async def _team_remove(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        team = self._team(params)
        if team.members.pop(params.get("email", ""), None) is None:
            raise PushoverError(["user is not a member of this team"], email="invalid")
        return {}

    async def _license_credits(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        return {"credits": self._app(params).license_credits}

    async def _license_assign(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        app = self._app(params)
        user, email = params.get("user"), params.get("email")
        if not user and not email:
            raise PushoverError(["user or email must be supplied"], user="invalid")
        if user and user not in self.users:
            raise PushoverError(["user key is invalid"], user="invalid")
        if params.get("os", "") not in ("", "Android", "iOS", "Desktop"):
            raise PushoverError(["os is invalid"], os="invalid")
        if app.license_credits < 1:
            raise PushoverError(
                ["application is out of available license credits"],
                token="is out of available license credits",
            )
        app.license_credits -= 1
        if user and params.get("os"):
            self.users[user].licenses.append(params["os"])
        return {"credits": app.license_credits}

    async def _migrate(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        app = self._app(params)
        if params.get("subscription") not in app.subscriptions:
            raise PushoverError(["subscription code is invalid"], subscription="invalid")
        user = self.users.get(params.get("user", ""))
        if user is None:
            raise PushoverError(
                ["user key is not valid for any active user"], user="is not a valid user"
            )
        key = self.add_user(
            devices=[params["device_name"]] if params.get("device_name") else user.devices
        )
        return {"subscribed_user_key": key}

    # ------------------------------------------------------------ Open Client

    async def _login(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        user = next(
            (u for u in self.users.values() if u.email and u.email == params.get("email")), None
        )
        if user is None or user.password != params.get("password"):
            raise PushoverError(["invalid email and/or password"], email="invalid")
        if user.twofa and params.get("twofa") != user.twofa:
            raise PushoverError(
                ["two-factor authentication code required"],
                status=412,
                twofa="invalid",
                totp="two factor auth required",  # what Open Clients test for (NOTES.md)
            )
        secret = new_key(60)
        self.sessions[secret] = user.key
        return {"id": user.key, "secret": secret}

    async def _register_device(
        self,
        route: str,
        params: dict[str, str],
        attachment: bytes | None,
        attachment_type: str | None,
    ) -> dict[str, Any]:
        user = self._device_user(params)
        name = params.get("name", "")
        if params.get("os") != "O":
            raise PushoverError({"os": ["is invalid"]})
        if not DEVICE_RE.match(name):
            raise PushoverError({"name": ["is invalid"]})
        if name in user.devices and params.get("force") != "1":
            raise PushoverError({"name": ["has already been taken"]})
        for taken in self._open_client_devices_of(user.key):  # force=1 takes the name over
            if taken.name == name:
                await self.close_websockets(taken.device_id, abrupt=False)
                del self.open_client_devices[taken.device_id]
        device_id = new_key(40)
        if name not in user.devices:
            user.devices.append(name)
        if "Desktop" not in user.licenses:
            user.licenses.append("Desktop")
        self.open_client_devices[device_id] = OpenClientDevice(device_id, name, user.key)
        self._session_devices[params["secret"]] = device_id
        return {"id": device_id}

    async def _handle_websocket(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        device_id = ""
        try:
            login = await socket.receive(timeout=self.login_timeout)
            text = str(login.data) if login.type is aiohttp.WSMsgType.TEXT else ""
            prefix, _, rest = text.partition(":")
            device_id, _, secret = rest.removesuffix("\n").partition(":")
            device = self.open_client_devices.get(device_id)
            if (
                prefix != "login"
                or device is None
                or self.sessions.get(secret) != device.user
                or not text.endswith("\n")
            ):
                with contextlib.suppress(ConnectionError):  # the client may be gone
                    await socket.send_bytes(b"E")
                await socket.close()
                return socket
            self.websocket_logins.append(device_id)
            # A new login of the device ends its other sessions, as on Pushover.
            for other in list(self._sockets.get(device_id, ())):
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await other.send_bytes(b"A")
                    await other.close()
            self._sockets.setdefault(device_id, set()).add(socket)
            assert request.transport is not None
            self._transports[socket] = request.transport
            if self.login_script is not None:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self.login_script(socket)
                await socket.close()
                return socket
            self._spawn(self._keepalive(socket))
            async for _message in socket:
                pass
        except TimeoutError:  # no login frame: hang up (a cancellation propagates)
            await socket.close()
        finally:
            self._sockets.get(device_id, set()).discard(socket)
            self._transports.pop(socket, None)
        return socket

    async def _keepalive(self, socket: web.WebSocketResponse) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            while not socket.closed:
                await asyncio.sleep(self.keepalive_interval)
                if not socket.closed:
                    await socket.send_bytes(b"#")

    async def send_frame(self, device_id: str, frame: str, *, as_text: bool = False) -> None:
        """Send a one-byte frame to the open websockets of a device."""
        for socket in list(self._sockets.get(device_id, ())):
            with contextlib.suppress(ConnectionError, RuntimeError):
                if as_text:
                    await socket.send_str(frame)
                else:
                    await socket.send_bytes(frame.encode())

    async def close_websockets(self, device_id: str | None = None, *, abrupt: bool = True) -> None:
        """Drop the websockets of one device, or of all (``abrupt=False``: a close frame)."""
        for key, sockets in list(self._sockets.items()):
            if device_id is None or key == device_id:
                for socket in list(sockets):
                    transport = self._transports.pop(socket)
                    if abrupt:
                        transport.close()
                    else:
                        await socket.close()
