"""The Pushover client (api.py) against the simulator and tiny servers on loopback.

Every endpoint, every error class, every local limit, the quota headers, attachments,
the Open Client login/registration/download/websocket, and the etiquette the docs ask
for: at most two requests in flight, 5xx retried no sooner than 5 s apart, 4xx never.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import logging
import socket
import tracemalloc
from typing import Any
import uuid

import aiohttp
from aiohttp import web
import pytest

from custom_components.pushover_plus.api import (
    MAX_ATTACHMENT_BYTES,
    MAX_DOWNLOAD_BYTES,
    MAX_MESSAGE_LENGTH,
    MAX_PUSH_FRAME_BYTES,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    MAX_URL_TITLE_LENGTH,
    Attachment,
    Download,
    GroupInfo,
    GroupMember,
    GroupSummary,
    Limits,
    Message,
    PushFrame,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverConnectionError,
    PushoverError,
    PushoverQuotaExceededError,
    PushoverRequestError,
    PushoverServerError,
    PushoverTimeoutError,
    PushoverTwoFactorRequiredError,
    PushoverUnexpectedResponseError,
    PushoverValidationError,
    ReceivedMessage,
    RequestSlots,
    UserValidation,
)
from pushover_simulator import PushoverSimulator
from tests.conftest import Account, wait_until

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
# 2026-03-15 12:00 UTC; the next quota reset is 2026-04-01 00:00 CDT = 05:00 UTC.
FIXED_NOW = datetime(2026, 3, 15, 12, tzinfo=UTC).timestamp()
FIXED_RESET = datetime(2026, 4, 1, 5, tzinfo=UTC)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, closed at the end."""
    client_session = aiohttp.ClientSession()
    yield client_session
    await client_session.close()


@dataclass
class Waits:
    """A fake sleep that records each wait and how many requests preceded it."""

    simulator: PushoverSimulator | None = None
    seconds: list[float] = field(default_factory=list)
    after_requests: list[int] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.after_requests.append(len(self.simulator.requests) if self.simulator else 0)
        await asyncio.sleep(0)


@pytest.fixture
def waits(simulator: PushoverSimulator) -> Waits:
    return Waits(simulator)


@pytest.fixture
def client(
    simulator: PushoverSimulator, account: Account, session: aiohttp.ClientSession, waits: Waits
) -> PushoverClient:
    """A client for the account's application, pointed at the simulator."""
    return PushoverClient(
        session,
        account.token,
        base_url=simulator.base_url,
        websocket_url=simulator.websocket_url,
        sleep=waits,
    )


@dataclass
class FakeApi:
    """A tiny loopback server answering canned responses (path below /1/ -> response)."""

    base_url: str
    responses: dict[str, tuple[int, str | bytes, dict[str, str]]]
    hits: list[str]


@pytest.fixture
async def fake_api(socket_enabled: None) -> AsyncIterator[FakeApi]:
    hits: list[str] = []
    responses: dict[str, tuple[int, str | bytes, dict[str, str]]] = {}

    async def handler(request: web.Request) -> web.Response:
        path = request.path.removeprefix("/1/")
        hits.append(path)
        status, body, headers = responses.get(path, (404, "<html>Not Found</html>", {}))
        if isinstance(body, bytes):
            return web.Response(status=status, body=body, headers=headers)
        return web.Response(status=status, text=body, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    yield FakeApi(f"http://127.0.0.1:{port}/1", responses, hits)
    await runner.cleanup()


def fake_client(
    session: aiohttp.ClientSession, fake_api: FakeApi, *, max_retries: int = 0
) -> PushoverClient:
    return PushoverClient(
        session, "a" * 30, base_url=fake_api.base_url, max_retries=max_retries, sleep=Waits()
    )


def as_json(body: Any) -> str:
    return json.dumps(body)


JSON = {"Content-Type": "application/json; charset=utf-8"}
OK = (200, as_json({"status": 1, "request": "fake-request"}), JSON)


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def raises[E: BaseException](kind: type[E], call: Awaitable[Any]) -> E:
    """Await ``call`` and return the exception of exactly ``kind`` it raised."""
    with pytest.raises(kind) as caught:
        await call
    assert type(caught.value) is kind
    return caught.value


# ---------------------------------------------------------------- messages


async def test_send_message_passes_every_parameter(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.clock = lambda: FIXED_NOW
    message = Message(
        "Front door opened",
        title="Door",
        devices=("tablet",),
        priority=1,
        sound="siren",
        timestamp=1_700_000_000,
        ttl=3600,
        url="https://example.com/cam",
        url_title="Camera",
        html=True,
    )
    result = await client.send_message(account.user, message)

    delivery = simulator.deliveries[-1]
    assert delivery.user == account.user
    assert delivery.devices == ["tablet"]
    assert delivery.params == {
        "user": account.user,
        "message": "Front door opened",
        "title": "Door",
        "device": "tablet",
        "priority": "1",
        "sound": "siren",
        "timestamp": "1700000000",
        "ttl": "3600",
        "url": "https://example.com/cam",
        "url_title": "Camera",
        "html": "1",
    }
    assert simulator.requests[-1].params["token"] == account.token
    assert simulator.requests[-1].content_type == "application/x-www-form-urlencoded"
    assert result.request == delivery.request
    assert result.receipt is None
    assert result.limits == Limits(10000, 9999, FIXED_RESET)
    assert client.limits == result.limits


async def test_send_monospace_emergency_returns_the_receipt(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    message = Message(
        "Water leak",
        priority=2,
        retry=30,
        expire=10_800,
        callback="https://example.com/hook",
        tags=("leak", "basement"),
        monospace=True,
    )
    result = await client.send_message(account.user, message)

    assert result.receipt is not None
    assert simulator.deliveries[-1].receipt == result.receipt
    params = simulator.deliveries[-1].params
    assert (params["retry"], params["expire"], params["monospace"]) == ("30", "10800", "1")
    assert params["tags"] == "leak,basement"
    state = simulator.receipts[result.receipt]
    assert state.tags == ["leak", "basement"]
    assert state.callback == "https://example.com/hook"


async def test_send_to_several_users_ignores_devices_and_counts_each(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    result = await client.send_message(
        [account.user, account.other_user], Message("Dinner", devices=("tablet",))
    )

    assert simulator.requests[-1].params["user"] == f"{account.user},{account.other_user}"
    assert [(d.user, d.devices) for d in simulator.deliveries] == [
        (account.user, ["phone", "tablet"]),
        (account.other_user, ["pixel"]),
    ]
    assert result.limits is not None
    assert result.limits.remaining == 9998


async def test_send_to_several_devices_of_one_user(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    await client.send_message(account.user, Message("Hi", devices=("tablet", "phone")))

    assert simulator.requests[-1].params["device"] == "tablet,phone"
    assert simulator.deliveries[-1].devices == ["tablet", "phone"]


async def test_send_to_a_group_reaches_every_enabled_member(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    third = simulator.add_user(devices=("ipad",))
    group = simulator.add_group(
        "Family",
        owner_token=account.token,
        members=[(account.user, "phone", "Me"), (account.other_user, None, ""), (third, None, "")],
    )
    simulator.groups[group].members[2].disabled = True

    result = await client.send_message(group, Message("Dinner"))

    assert [(d.user, d.devices) for d in simulator.deliveries] == [
        (account.user, ["phone"]),
        (account.other_user, ["pixel"]),
    ]
    assert result.limits is not None
    assert result.limits.remaining == 9998


async def test_multipart_attachment(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    attachment = Attachment(PNG, "image/png", "snapshot.png")
    await client.send_message(account.user, Message("Doorbell", attachment=attachment))

    assert simulator.requests[-1].content_type == "multipart/form-data"
    delivery = simulator.deliveries[-1]
    assert delivery.attachment == PNG
    assert delivery.attachment_type == "image/png"
    assert delivery.params["message"] == "Doorbell"


async def test_base64_attachment(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    attachment = Attachment(PNG, "image/jpeg")
    await client.send_message(
        account.user, Message("Doorbell", attachment=attachment, attachment_as_base64=True)
    )

    assert simulator.requests[-1].content_type == "application/x-www-form-urlencoded"
    delivery = simulator.deliveries[-1]
    assert delivery.attachment == PNG
    assert delivery.attachment_type == "image/jpeg"


async def test_values_at_the_limits_are_sent(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    users = [simulator.add_user() for _ in range(50)]
    emoji = "\N{BELL}" * MAX_MESSAGE_LENGTH  # counted in characters, not bytes
    message = Message(
        emoji,
        title="t" * 250,
        url="u" * 512,
        url_title="v" * 100,
        devices=("d" * 25,),
        priority=-2,
        attachment=Attachment(b"\0" * MAX_ATTACHMENT_BYTES, "image/gif"),
    )

    await client.send_message(users, message)

    assert len(simulator.deliveries) == 50
    assert simulator.deliveries[0].params["message"] == emoji
    assert simulator.deliveries[0].attachment is not None
    assert len(simulator.deliveries[0].attachment) == MAX_ATTACHMENT_BYTES


LOCAL_MESSAGE_LIMITS: list[tuple[str, Any, Message, str, int | None]] = [
    ("too_many_users", "many", Message("x"), "user", 50),
    ("user_key_invalid", "short", Message("x"), "user", None),
    ("user_key_invalid", "nobody", Message("x"), "user", None),
    ("message_empty", None, Message("  "), "message", None),
    ("message_too_long", None, Message("x" * 1025), "message", 1024),
    ("title_too_long", None, Message("x", title="t" * 251), "title", 250),
    ("url_too_long", None, Message("x", url="u" * 513), "url", 512),
    ("url_title_too_long", None, Message("x", url_title="u" * 101), "url_title", 100),
    ("device_name_invalid", None, Message("x", devices=("my phone",)), "device", 25),
    ("device_name_invalid", None, Message("x", devices=("d" * 26,)), "device", 25),
    ("priority_invalid", None, Message("x", priority=3), "priority", None),
    ("retry_required", None, Message("x", priority=2, expire=60), "retry", None),
    ("expire_required", None, Message("x", priority=2, retry=60), "expire", None),
    ("retry_too_short", None, Message("x", priority=2, retry=29, expire=60), "retry", 30),
    ("expire_too_long", None, Message("x", priority=2, retry=30, expire=10801), "expire", 10800),
    ("expire_invalid", None, Message("x", priority=2, retry=30, expire=0), "expire", None),
    ("ttl_invalid", None, Message("x", ttl=0), "ttl", None),
    ("html_and_monospace", None, Message("x", html=True, monospace=True), "monospace", None),
    ("tag_invalid", None, Message("x", tags=("a,b",)), "tags", None),
    (
        "attachment_too_large",
        None,
        Message("x", attachment=Attachment(b"\0" * (MAX_ATTACHMENT_BYTES + 1), "image/png")),
        "attachment",
        MAX_ATTACHMENT_BYTES,
    ),
    (
        "attachment_type_missing",
        None,
        Message("x", attachment=Attachment(PNG, "")),
        "attachment_type",
        None,
    ),
    (
        "attachment_type_invalid",
        None,
        Message("x", attachment=Attachment(PNG, "application/pdf")),
        "attachment_type",
        None,
    ),
]


@pytest.mark.parametrize(
    ("reason", "users", "message", "parameter", "limit"),
    LOCAL_MESSAGE_LIMITS,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(LOCAL_MESSAGE_LIMITS)],
)
async def test_message_limits_are_checked_before_any_request(
    client: PushoverClient,
    simulator: PushoverSimulator,
    account: Account,
    reason: str,
    users: str | None,
    message: Message,
    parameter: str,
    limit: int | None,
) -> None:
    recipients: str | list[str] = {
        "many": [account.user] * 51,
        "short": "abc",
        "nobody": [],
        None: account.user,
    }[users]
    before = len(simulator.requests)

    err = await raises(PushoverValidationError, client.send_message(recipients, message))

    assert (err.reason, err.parameter, err.limit, err.status) == (reason, parameter, limit, None)
    assert len(simulator.requests) == before


LocalCall = Callable[[PushoverClient, Account], Awaitable[Any]]
KEY = "b" * 30
LOCAL_CALL_LIMITS: list[tuple[str, LocalCall, str, str]] = [
    ("receipt", lambda c, a: c.get_receipt("nope"), "receipt_invalid", "receipt"),
    ("cancel", lambda c, a: c.cancel_receipt("x" * 31), "receipt_invalid", "receipt"),
    ("tag_comma", lambda c, a: c.cancel_by_tag("a,b"), "tag_invalid", "tag"),
    ("tag_slash", lambda c, a: c.cancel_by_tag("a/b"), "tag_invalid", "tag"),
    ("validate_user", lambda c, a: c.validate_user("x"), "user_key_invalid", "user"),
    (
        "validate_device",
        lambda c, a: c.validate_user(a.user, "bad device"),
        "device_name_invalid",
        "device",
    ),
    ("glance_user", lambda c, a: c.update_glance("x", title="t"), "user_key_invalid", "user"),
    (
        "glance_device",
        lambda c, a: c.update_glance(a.user, device="d!", title="t"),
        "device_name_invalid",
        "device",
    ),
    ("glance_empty", lambda c, a: c.update_glance(a.user), "glance_empty", "title"),
    (
        "glance_long",
        lambda c, a: c.update_glance(a.user, subtext="s" * 101),
        "glance_field_too_long",
        "subtext",
    ),
    (
        "glance_percent",
        lambda c, a: c.update_glance(a.user, percent=101),
        "glance_percent_invalid",
        "percent",
    ),
    (
        "glance_negative_percent",
        lambda c, a: c.update_glance(a.user, percent=-1),
        "glance_percent_invalid",
        "percent",
    ),
    ("create_group", lambda c, a: c.create_group(" "), "group_name_empty", "name"),
    ("get_group", lambda c, a: c.get_group("x"), "user_key_invalid", "group"),
    ("rename_key", lambda c, a: c.rename_group("x", "n"), "user_key_invalid", "group"),
    ("rename_name", lambda c, a: c.rename_group(KEY, ""), "group_name_empty", "name"),
    ("add_group", lambda c, a: c.group_add_user("x", a.user), "user_key_invalid", "group"),
    ("add_user", lambda c, a: c.group_add_user(KEY, "x"), "user_key_invalid", "user"),
    (
        "add_device",
        lambda c, a: c.group_add_user(KEY, a.user, "d d"),
        "device_name_invalid",
        "device",
    ),
    (
        "add_memo",
        lambda c, a: c.group_add_user(KEY, a.user, memo="m" * 201),
        "memo_too_long",
        "memo",
    ),
    ("remove", lambda c, a: c.group_remove_user(KEY, "x"), "user_key_invalid", "user"),
    ("enable", lambda c, a: c.group_enable_user("x", a.user), "user_key_invalid", "group"),
    ("disable", lambda c, a: c.group_disable_user(KEY, "x"), "user_key_invalid", "user"),
    ("team_token", lambda c, a: c.team_add_user("x", "a@b.co"), "user_key_invalid", "token"),
    ("team_email", lambda c, a: c.team_add_user(KEY, "nobody"), "email_invalid", "email"),
    ("team_remove", lambda c, a: c.team_remove_user(KEY, "a@b"), "email_invalid", "email"),
    ("team_info", lambda c, a: c.get_team("x"), "user_key_invalid", "token"),
    ("license_none", lambda c, a: c.assign_license(), "license_target", "user"),
    (
        "license_both",
        lambda c, a: c.assign_license(user=a.user, email="a@b.co"),
        "license_target",
        "user",
    ),
    ("license_user", lambda c, a: c.assign_license(user="x"), "user_key_invalid", "user"),
    ("license_email", lambda c, a: c.assign_license(email="x@"), "email_invalid", "email"),
    (
        "license_os",
        lambda c, a: c.assign_license(email="a@b.co", os="Windows"),
        "license_os_invalid",
        "os",
    ),
    (
        "migrate_code",
        lambda c, a: c.migrate_subscription(" ", a.user),
        "subscription_empty",
        "subscription",
    ),
    ("migrate_user", lambda c, a: c.migrate_subscription("c", "x"), "user_key_invalid", "user"),
    (
        "migrate_device",
        lambda c, a: c.migrate_subscription("c", a.user, device_name="d" * 26),
        "device_name_invalid",
        "device",
    ),
    ("register", lambda c, a: c.register_device("s", "no spaces"), "device_name_invalid", "device"),
    ("acknowledge", lambda c, a: c.acknowledge_receipt("s", "r"), "receipt_invalid", "receipt"),
]


@pytest.mark.parametrize(
    ("call", "reason", "parameter"),
    [case[1:] for case in LOCAL_CALL_LIMITS],
    ids=[case[0] for case in LOCAL_CALL_LIMITS],
)
async def test_endpoint_limits_are_checked_before_any_request(
    client: PushoverClient,
    simulator: PushoverSimulator,
    account: Account,
    call: LocalCall,
    reason: str,
    parameter: str,
) -> None:
    before = len(simulator.requests)

    err = await raises(PushoverValidationError, call(client, account))

    assert (err.reason, err.parameter, err.status) == (reason, parameter, None)
    assert len(simulator.requests) == before


# ---------------------------------------------------------------- refusals


async def test_bad_token_is_an_authentication_error(
    simulator: PushoverSimulator, account: Account, session: aiohttp.ClientSession, waits: Waits
) -> None:
    client = PushoverClient(session, KEY, base_url=simulator.base_url, sleep=waits)

    err = await raises(PushoverAuthenticationError, client.send_message(account.user, Message("x")))

    assert err.parameter == "token"
    assert err.status == 400
    assert err.errors == ["application token is invalid"]
    assert err.parameters == {"token": "invalid"}
    assert str(err) == "application token is invalid"
    assert err.request_id is not None
    assert uuid.UUID(err.request_id).version == 4
    assert len(simulator.requests) == 1
    assert waits.seconds == []


async def test_unknown_user_is_an_authentication_error(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    err = await raises(PushoverAuthenticationError, client.send_message(KEY, Message("x")))
    assert err.parameter == "user"
    assert err.errors == ["user identifier is not a valid user, group, or subscribed user key"]

    err = await raises(PushoverAuthenticationError, client.validate_user(KEY))
    assert (err.parameter, err.errors) == ("user", ["user key is invalid"])


async def test_bad_secret_is_an_authentication_error(client: PushoverClient) -> None:
    err = await raises(PushoverAuthenticationError, client.download_messages("stale", "device"))
    assert err.parameter == "secret"
    assert err.parameters == {"secret": "invalid"}

    err = await raises(PushoverAuthenticationError, client.register_device("stale", "ha"))
    assert err.parameter == "secret"


async def test_a_refusal_carries_pushovers_text_and_verdicts(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    group = simulator.add_group("G", owner_token=account.token, members=[(account.user, None, "")])

    err = await raises(PushoverRequestError, client.group_add_user(group, account.user))

    assert err.status == 400
    assert err.errors == ["user is already a member of this group"]
    assert err.parameters == {"user": "invalid"}
    assert err.parameter == "user"
    assert str(err) == "user is already a member of this group"
    assert len(simulator.requests) == 1


async def test_an_attachment_pushover_refuses_is_a_refusal_of_the_message(
    client: PushoverClient, simulator: PushoverSimulator, account: Account, waits: Waits
) -> None:
    """Pushover stricter than its documented 5 MB (it was 2.5 MB in 2021): the server decides."""
    simulator.attachment_limit = 2_621_440
    image = Attachment(b"\0" * 2_700_920, "image/jpeg", "big.jpg")

    err = await raises(
        PushoverRequestError, client.send_message(account.user, Message("x", attachment=image))
    )

    assert err.errors == ["attachment is too large (2700920 bytes is more than 2621440 limit"]
    assert (err.parameter, err.parameters, err.reason) == (
        "attachment",
        {"attachment": "invalid"},
        None,
    )
    assert len(simulator.requests) == 1
    assert waits.seconds == []
    assert simulator.deliveries == []


# Refusals recorded from the real service (sources in pushover_simulator/NOTES.md). The client
# refuses these messages itself, so they are served as recorded to check how it reads them.
RECORDED_MESSAGE_REFUSALS = [
    (
        {
            "html": "cannot be set with monospace",
            "monospace": "cannot be set with html",
            "errors": ["html and monospace are mutually exclusive"],
        },
        "html",
    ),
    (
        {
            "priority": "is invalid, can only be -2, -1, 0, 1, or 2",
            "errors": ["priority is invalid"],
        },
        "priority",
    ),
    (
        {"retry": "is too small, must be at least 30 seconds", "errors": ["retry is invalid"]},
        "retry",
    ),
]


@pytest.mark.parametrize(
    ("body", "parameter"),
    RECORDED_MESSAGE_REFUSALS,
    ids=[parameter for _, parameter in RECORDED_MESSAGE_REFUSALS],
)
async def test_recorded_refusals_name_a_message_parameter(
    session: aiohttp.ClientSession, fake_api: FakeApi, body: dict[str, Any], parameter: str
) -> None:
    recorded = {**body, "status": 0, "request": "0acffab5-5023-4d97-8492-f4f5d860c83a"}
    fake_api.responses["messages.json"] = (400, as_json(recorded), JSON)

    err = await raises(
        PushoverRequestError, fake_client(session, fake_api).send_message(KEY, Message("x"))
    )

    assert err.parameter == parameter
    assert err.parameters == {k: v for k, v in body.items() if k != "errors"}
    assert str(err) == body["errors"][0]
    assert (err.status, err.reason) == (400, None)
    assert fake_api.hits == ["messages.json"]


async def test_object_shaped_errors_are_flattened(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    simulator.add_user(devices=("ha",), email="me@example.com", password="pw")
    login = await client.login("me@example.com", "pw")

    err = await raises(PushoverRequestError, client.register_device(login.secret, "ha"))

    assert err.errors == ["name has already been taken"]
    assert err.parameters == {"name": "has already been taken"}
    assert err.parameter == "name"
    assert str(err) == "name has already been taken"


async def test_quota_exhausted_is_429_with_the_reset(
    client: PushoverClient, simulator: PushoverSimulator, account: Account, waits: Waits
) -> None:
    simulator.clock = lambda: FIXED_NOW
    simulator.set_quota(account.token, limit=7500, remaining=1)

    err = await raises(
        PushoverQuotaExceededError,
        client.send_message([account.user, account.other_user], Message("x")),
    )

    assert err.status == 429
    assert err.errors == ["application has exceeded current limit of 7500 messages"]
    assert err.limits == Limits(7500, 1, FIXED_RESET)
    assert err.reset == FIXED_RESET
    assert client.limits == err.limits
    assert len(simulator.requests) == 1
    assert waits.seconds == []
    assert simulator.deliveries == []


async def test_quota_refusal_without_headers_has_no_reset(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    fake_api.responses["messages.json"] = (
        429,
        as_json({"status": 0, "token": "invalid", "errors": ["over quota"]}),
        JSON,
    )
    err = await raises(
        PushoverQuotaExceededError,
        fake_client(session, fake_api).send_message(KEY, Message("x")),
    )
    assert (err.limits, err.reset) == (None, None)


async def test_login_needs_the_second_factor(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    key = simulator.add_user(devices=(), email="me@example.com", password="pw", twofa="123456")

    err = await raises(PushoverTwoFactorRequiredError, client.login("me@example.com", "pw"))
    assert err.status == 412

    login = await client.login("me@example.com", "pw", "123456")
    assert login.user_key == key
    assert simulator.sessions[login.secret] == key
    assert "twofa" not in simulator.requests[0].params
    assert simulator.requests[1].params["twofa"] == "123456"
    assert "token" not in simulator.requests[1].params


async def test_wrong_password_is_a_refusal(
    client: PushoverClient, simulator: PushoverSimulator
) -> None:
    simulator.add_user(devices=(), email="me@example.com", password="pw")
    err = await raises(PushoverRequestError, client.login("me@example.com", "wrong"))
    assert err.errors == ["invalid email and/or password"]


async def test_license_refusal_naming_the_token_is_not_an_auth_error(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    err = await raises(PushoverRequestError, client.assign_license(user=account.user))
    assert err.parameters == {"token": "is out of available license credits"}


# ---------------------------------------------------------------- transport failures


async def test_timeout(
    simulator: PushoverSimulator, account: Account, session: aiohttp.ClientSession, waits: Waits
) -> None:
    client = PushoverClient(
        session, account.token, base_url=simulator.base_url, timeout=0.3, max_retries=0
    )
    simulator.inject_fault("timeout", delay=1.0)

    err = await raises(PushoverTimeoutError, client.get_limits())

    assert isinstance(err, PushoverConnectionError)


async def test_timeout_then_success_is_retried(
    simulator: PushoverSimulator, account: Account, session: aiohttp.ClientSession, waits: Waits
) -> None:
    # The timeout has to leave room for the successful retry on a loaded machine.
    client = PushoverClient(
        session, account.token, base_url=simulator.base_url, timeout=0.5, sleep=waits
    )
    simulator.inject_fault("timeout", delay=1.5)

    limits = await client.get_limits()

    assert limits.limit == 10000
    assert waits.seconds == [5.0]


async def test_connection_drop(
    simulator: PushoverSimulator, account: Account, session: aiohttp.ClientSession
) -> None:
    client = PushoverClient(session, account.token, base_url=simulator.base_url, max_retries=0)
    simulator.inject_fault("drop")

    await raises(PushoverConnectionError, client.send_message(account.user, Message("x")))

    assert len(simulator.requests) == 1
    assert simulator.deliveries == []


async def test_connection_refused(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    client = PushoverClient(
        session, KEY, base_url=f"http://127.0.0.1:{free_port()}/1/", max_retries=0
    )
    await raises(PushoverConnectionError, client.get_sounds())


@pytest.mark.parametrize("kind", ["500", "502", "503"])
async def test_5xx_is_a_server_error(
    simulator: PushoverSimulator,
    account: Account,
    session: aiohttp.ClientSession,
    kind: Any,
) -> None:
    client = PushoverClient(session, account.token, base_url=simulator.base_url, max_retries=0)
    simulator.inject_fault(kind)

    err = await raises(PushoverServerError, client.send_message(account.user, Message("x")))

    assert err.status == int(kind)
    assert str(err) == f"Pushover answered HTTP {kind}"


@pytest.mark.parametrize("body", ["OK", "[1, 2]", ""], ids=["text", "json-list", "empty"])
async def test_a_200_without_a_json_object_is_a_server_error(
    session: aiohttp.ClientSession, fake_api: FakeApi, body: str
) -> None:
    fake_api.responses["sounds.json"] = (200, body, {"X-Request-Id": "req-1"})

    err = await raises(PushoverServerError, fake_client(session, fake_api).get_sounds())

    assert err.status == 200
    assert err.request_id == "req-1"
    assert "without JSON" in str(err)


async def test_a_200_with_status_0_is_a_refusal(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    fake_api.responses["sounds.json"] = (200, as_json({"status": 0, "errors": ["nope"]}), JSON)
    err = await raises(PushoverRequestError, fake_client(session, fake_api).get_sounds())
    assert (err.status, err.errors) == (200, ["nope"])


@pytest.mark.parametrize(
    ("body", "errors", "parameters", "parameter"),
    [
        (
            {"status": 0, "errors": ["first", "second"], "user": "invalid", "n": 5, "x": {}},
            ["first", "second"],
            {"user": "invalid", "n": "5"},
            "user",
        ),
        (
            {"status": 0, "errors": {"name": "taken", "os": ["a", "b"]}},
            ["name taken", "os a", "os b"],
            {"name": "taken", "os": "a; b"},
            "name",
        ),
        ({"status": 0, "errors": "a single text"}, ["a single text"], {}, None),
        ({"status": 0, "errors": [" "]}, ["HTTP 400"], {}, None),
        ({"status": 0, "errors": {}}, ["HTTP 400"], {}, None),
        ({"status": 0, "errors": []}, ["HTTP 400"], {}, None),
        ({"status": 0}, ["HTTP 400"], {}, None),
    ],
    ids=["list", "object", "string", "blank", "empty-object", "empty-list", "none"],
)
async def test_error_shapes(
    session: aiohttp.ClientSession,
    fake_api: FakeApi,
    body: dict[str, Any],
    errors: list[str],
    parameters: dict[str, str],
    parameter: str | None,
) -> None:
    fake_api.responses["groups.json"] = (400, as_json(body), JSON)

    err = await raises(PushoverRequestError, fake_client(session, fake_api).list_groups())

    assert err.errors == errors
    assert err.parameters == parameters
    assert err.parameter == parameter
    assert str(err) == "; ".join(errors)


@pytest.mark.parametrize(
    "body", ["<html>Bad Request</html>", b"\xff\xfe\x00 not utf-8"], ids=["html", "binary"]
)
async def test_a_4xx_without_json_is_a_refusal_never_retried(
    session: aiohttp.ClientSession, fake_api: FakeApi, body: str | bytes
) -> None:
    fake_api.responses["groups.json"] = (
        400,
        body,
        {"Content-Type": "text/plain; charset=utf-8"},
    )
    client = fake_client(session, fake_api, max_retries=3)

    err = await raises(PushoverUnexpectedResponseError, client.list_groups())

    assert (err.status, err.errors) == (400, ["HTTP 400"])
    assert fake_api.hits == ["groups.json"]


async def test_quota_headers_are_read_case_insensitively_and_bad_ones_ignored(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    client = fake_client(session, fake_api)
    fake_api.responses["messages.json"] = (
        200,
        as_json({"status": 1, "request": "r1"}),
        {
            **JSON,
            "x-limit-app-limit": "25000",
            "x-limit-app-remaining": "24000",
            "x-limit-app-reset": "1777611600",
        },
    )
    first = await client.send_message(KEY, Message("x"))
    expected = Limits(25000, 24000, datetime.fromtimestamp(1777611600, UTC))
    assert first.limits == expected
    assert client.limits == expected

    fake_api.responses["messages.json"] = (
        200,
        as_json({"status": 1, "request": "r2"}),
        {**JSON, "X-Limit-App-Limit": "many", "X-Limit-App-Remaining": "1"},
    )
    second = await client.send_message(KEY, Message("x"))
    # The readable figure updates the last good ones; the unreadable ones are kept.
    assert second.limits == Limits(25000, 1, expected.reset)
    assert client.limits == second.limits

    fake_api.responses["messages.json"] = (200, as_json({"status": 1, "request": "r3"}), JSON)
    third = await client.send_message(KEY, Message("x"))
    assert third.limits is None
    assert client.limits == second.limits  # a response without the headers changes nothing


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Limit-App-Remaining": "5"},
        {"X-Limit-App-Limit": "10000", "X-Limit-App-Remaining": "5"},
        {"X-Limit-App-Limit": "10000", "X-Limit-App-Remaining": "5", "X-Limit-App-Reset": "0"},
        {"X-Limit-App-Limit": "1", "X-Limit-App-Remaining": "1", "X-Limit-App-Reset": "9" * 30},
    ],
    ids=["remaining-only", "no-reset", "zero-reset", "absurd-reset"],
)
async def test_partial_quota_headers_without_earlier_figures_are_no_limits(
    session: aiohttp.ClientSession, fake_api: FakeApi, headers: dict[str, str]
) -> None:
    client = fake_client(session, fake_api)
    fake_api.responses["messages.json"] = (200, OK[1], {**JSON, **headers})

    result = await client.send_message(KEY, Message("x"))

    assert result.limits is None
    assert client.limits is None


async def test_quota_refusal_with_only_the_reset_header(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    fake_api.responses["messages.json"] = (
        429,
        as_json({"status": 0, "token": "invalid", "errors": ["over quota"]}),
        {**JSON, "X-Limit-App-Reset": "1777611600"},
    )
    client = fake_client(session, fake_api)

    err = await raises(PushoverQuotaExceededError, client.send_message(KEY, Message("x")))

    assert err.limits is None
    assert err.reset == datetime.fromtimestamp(1777611600, UTC)
    assert err.parameter == "token"
    assert str(err) == "over quota"


@pytest.mark.parametrize("status", [201, 202])
async def test_any_2xx_with_status_1_is_a_success(
    session: aiohttp.ClientSession, fake_api: FakeApi, status: int
) -> None:
    fake_api.responses["sounds.json"] = (
        status,
        as_json({"status": 1, "sounds": {"bike": "Bike"}}),
        JSON,
    )
    assert await fake_client(session, fake_api).get_sounds() == {"bike": "Bike"}


MALFORMED_ANSWERS: list[tuple[str, str, dict[str, Any]]] = [
    ("limits", "apps/limits.json", {"limit": "lots", "remaining": 1, "reset": 1}),
    ("limits-reset", "apps/limits.json", {"limit": 1, "remaining": 1}),
    ("create_group", "groups.json", {"group": ""}),
    ("list_groups", "groups.json", {"groups": [{"name": "no key"}]}),
    ("get_group", f"groups/{KEY}.json", {"users": [{"memo": "no user"}]}),
    ("migrate", "subscriptions/migrate.json", {"subscribed_user_key": None}),
    ("login", "users/login.json", {"id": {"nested": 1}, "secret": "s"}),
    ("register", "devices.json", {"id": ["d"]}),
]
MALFORMED_CALLS: dict[str, Callable[[PushoverClient], Awaitable[Any]]] = {
    "limits": lambda c: c.get_limits(),
    "limits-reset": lambda c: c.get_limits(),
    "create_group": lambda c: c.create_group("G"),
    "list_groups": lambda c: c.list_groups(),
    "get_group": lambda c: c.get_group(KEY),
    "migrate": lambda c: c.migrate_subscription("code", KEY),
    "login": lambda c: c.login("me@example.com", "pw"),
    "register": lambda c: c.register_device("s", "ha"),
}


@pytest.mark.parametrize(
    ("name", "path", "body"),
    MALFORMED_ANSWERS,
    ids=[case[0] for case in MALFORMED_ANSWERS],
)
async def test_a_success_lacking_a_needed_field_is_a_server_error(
    session: aiohttp.ClientSession,
    fake_api: FakeApi,
    name: str,
    path: str,
    body: dict[str, Any],
) -> None:
    fake_api.responses[path] = (200, as_json({"status": 1, "request": "req-9", **body}), JSON)

    err = await raises(PushoverServerError, MALFORMED_CALLS[name](fake_client(session, fake_api)))

    assert (err.status, err.request_id) == (200, "req-9")
    assert str(err).startswith("Pushover's answer has no ")
    assert fake_api.hits == [path]  # a malformed success is not resent


async def test_odd_list_and_number_fields_are_tolerated(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    client = fake_client(session, fake_api)
    fake_api.responses["sounds.json"] = (200, as_json({"status": 1, "sounds": ["bike"]}), JSON)
    fake_api.responses["groups.json"] = (
        200,
        as_json({"status": 1, "groups": ["junk", {"group": KEY}]}),
        JSON,
    )
    fake_api.responses["licenses.json"] = (200, as_json({"status": 1, "credits": "n/a"}), JSON)
    fake_api.responses[f"groups/{KEY}.json"] = (
        200,
        as_json({"status": 1, "users": {"not": "a list"}}),
        JSON,
    )

    assert await client.get_sounds() == {}
    assert await client.list_groups() == [GroupSummary(KEY, "")]
    assert await client.get_license_credits() == 0
    assert await client.get_group(KEY) == GroupInfo("", [])


# ---------------------------------------------------------------- etiquette


async def test_a_burst_uses_at_most_two_connections_and_delivers_once(
    simulator: PushoverSimulator, account: Account, socket_enabled: None
) -> None:
    simulator.response_delay = 0.005
    texts = [f"burst {index}" for index in range(200)]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=10)) as session:
        client = PushoverClient(session, account.token, base_url=simulator.base_url)
        results = await asyncio.gather(
            *(client.send_message(account.user, Message(text)) for text in texts)
        )

    assert simulator.max_concurrent_connections <= 2
    assert simulator.max_concurrent_requests <= 2
    assert Counter(delivery.params["message"] for delivery in simulator.deliveries) == Counter(
        texts
    )
    assert len(simulator.requests) == 200
    assert len({result.request for result in results}) == 200


async def test_the_concurrency_counters_see_an_unthrottled_burst(
    simulator: PushoverSimulator, account: Account, socket_enabled: None
) -> None:
    """Control: the same burst with ten request slots exceeds two (so the counters work)."""
    simulator.response_delay = 0.005
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=10)) as session:
        client = PushoverClient(
            session, account.token, base_url=simulator.base_url, slots=RequestSlots(10)
        )
        await asyncio.gather(
            *(client.send_message(account.user, Message(f"m{i}")) for i in range(50))
        )

    assert simulator.max_concurrent_connections > 2
    assert simulator.max_concurrent_requests > 2


@pytest.mark.parametrize("kind", ["500", "503", "drop", "timeout"])
async def test_transient_failures_are_retried_5_s_apart_then_raised(
    simulator: PushoverSimulator,
    account: Account,
    session: aiohttp.ClientSession,
    waits: Waits,
    kind: Any,
) -> None:
    client = PushoverClient(
        session,
        account.token,
        base_url=simulator.base_url,
        # Only the "timeout" fault should run into the client's timeout; the other
        # failures must be seen for what they are even on a loaded machine.
        timeout=0.25 if kind == "timeout" else 10,
        max_retries=3,
        retry_delay=1.0,  # raised to the documented 5 s floor
        sleep=waits,
    )
    simulator.inject_fault(kind, count=4, delay=1.0)

    with pytest.raises(PushoverError) as caught:
        await client.validate_user(account.user)

    expected = {
        "500": PushoverServerError,
        "503": PushoverServerError,
        "drop": PushoverConnectionError,
        "timeout": PushoverTimeoutError,
    }[kind]
    assert type(caught.value) is expected
    assert len(simulator.requests) == 4  # max_retries + 1 attempts
    assert all(seconds >= 5 for seconds in waits.seconds)
    assert waits.seconds == [5.0, 5.0, 5.0]
    assert waits.after_requests == [1, 2, 3]  # each wait follows a failed attempt


@pytest.mark.parametrize("kind", ["drop", "timeout"])
async def test_a_send_cut_off_after_it_was_written_is_not_sent_again(
    simulator: PushoverSimulator,
    account: Account,
    session: aiohttp.ClientSession,
    waits: Waits,
    kind: Any,
) -> None:
    """Pushover may have taken it: the caller decides (the outbox resends at most once)."""
    client = PushoverClient(
        session,
        account.token,
        base_url=simulator.base_url,
        timeout=0.25 if kind == "timeout" else 10,
        max_retries=3,
        sleep=waits,
    )
    simulator.inject_fault(kind, count=4, delay=1.0)

    err = await raises(
        PushoverTimeoutError if kind == "timeout" else PushoverConnectionError,
        client.send_message(account.user, Message("x")),
    )

    assert err.request_sent
    assert len(simulator.requests) == 1
    assert waits.seconds == []


async def test_a_refused_connection_is_known_not_sent(
    account: Account, session: aiohttp.ClientSession, waits: Waits
) -> None:
    client = PushoverClient(
        session, account.token, base_url=f"http://127.0.0.1:{free_port()}/1/", sleep=waits
    )

    err = await raises(PushoverConnectionError, client.send_message(account.user, Message("x")))

    assert not err.request_sent
    assert waits.seconds == [5.0, 5.0]  # not sent, so retried


async def test_a_success_after_one_503(
    client: PushoverClient, simulator: PushoverSimulator, account: Account, waits: Waits
) -> None:
    simulator.inject_fault("503", path="messages")

    result = await client.send_message(account.user, Message("x"))

    assert result.request == simulator.deliveries[-1].request
    assert len(simulator.deliveries) == 1
    assert [request.status for request in simulator.requests] == [503, 200]
    assert waits.seconds == [5.0]


async def test_a_client_without_retries_tries_once(
    simulator: PushoverSimulator, account: Account, session: aiohttp.ClientSession, waits: Waits
) -> None:
    client = PushoverClient(
        session, account.token, base_url=simulator.base_url, max_retries=-1, sleep=waits
    )
    simulator.inject_fault("500", count=5)
    await raises(PushoverServerError, client.get_limits())
    assert len(simulator.requests) == 1
    assert waits.seconds == []


@pytest.mark.parametrize(
    "case", ["bad_token", "unknown_user", "already_member", "quota_429", "fault_429"]
)
async def test_4xx_and_429_are_never_retried(
    client: PushoverClient,
    simulator: PushoverSimulator,
    account: Account,
    waits: Waits,
    case: str,
) -> None:
    users = account.user
    expected: type[PushoverError] = PushoverRequestError
    if case == "bad_token":
        simulator.apps.pop(account.token)
        expected = PushoverAuthenticationError
    elif case == "unknown_user":
        users = KEY
        expected = PushoverAuthenticationError
    elif case == "already_member":
        simulator.add_group("G", owner_token=account.token, members=[(account.user, None, "")])
    elif case == "quota_429":
        simulator.set_quota(account.token, remaining=0)
        expected = PushoverQuotaExceededError
    else:
        simulator.inject_fault("429", count=5)
        expected = PushoverQuotaExceededError

    call = (
        client.group_add_user(next(iter(simulator.groups)), account.user)
        if case == "already_member"
        else client.send_message(users, Message("x"))
    )
    await raises(expected, call)

    assert len(simulator.requests) == 1
    assert waits.seconds == []


# ---------------------------------------------------------------- receipts


async def test_receipt_lifecycle(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    callbacks: list[tuple[str, dict[str, str]]] = []

    async def post(url: str, fields: dict[str, str]) -> None:
        callbacks.append((url, fields))

    simulator.callback_poster = post
    now = [FIXED_NOW]
    simulator.clock = lambda: now[0]
    emergency = Message(
        "Smoke", priority=2, retry=60, expire=600, callback="https://example.com/cb", tags=("fire",)
    )
    sent = await client.send_message(account.user, emergency)
    assert sent.receipt is not None

    now[0] += 130
    pending = await client.get_receipt(sent.receipt)
    assert not pending.acknowledged
    assert pending.acknowledged_at is None
    assert pending.acknowledged_by is None
    assert pending.acknowledged_by_device is None
    assert pending.last_delivered_at == datetime.fromtimestamp(FIXED_NOW + 120, UTC)
    assert not pending.expired
    assert pending.expires_at == datetime.fromtimestamp(FIXED_NOW + 600, UTC)
    assert not pending.called_back
    assert pending.called_back_at is None

    await simulator.acknowledge(sent.receipt, user=account.user, device="tablet")
    done = await client.get_receipt(sent.receipt)
    assert done.acknowledged
    assert done.acknowledged_at == datetime.fromtimestamp(FIXED_NOW + 130, UTC)
    assert (done.acknowledged_by, done.acknowledged_by_device) == (account.user, "tablet")
    assert done.called_back
    assert done.called_back_at == done.acknowledged_at
    assert callbacks[0][0] == "https://example.com/cb"


async def test_cancel_receipt_and_cancel_by_tag(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    def emergency(*tags: str) -> Message:
        return Message("Alarm", priority=2, retry=30, expire=300, tags=tags)

    first = await client.send_message(account.user, emergency("alarm"))
    second = await client.send_message(account.user, emergency("alarm", "garage"))
    third = await client.send_message(account.user, emergency("garage"))
    assert first.receipt
    assert second.receipt
    assert third.receipt

    await client.cancel_receipt(first.receipt)
    assert simulator.receipts[first.receipt].canceled
    assert simulator.requests[-1].path == f"/1/receipts/{first.receipt}/cancel.json"

    assert await client.cancel_by_tag("alarm") == 1  # the first is already canceled
    assert simulator.receipts[second.receipt].canceled
    assert not simulator.receipts[third.receipt].canceled
    assert await client.cancel_by_tag("nothing") == 0

    err = await raises(PushoverRequestError, client.get_receipt(KEY))
    assert err.parameters == {"receipt": "not found"}
    assert err.errors == ["receipt not found; may be invalid or expired"]


# ---------------------------------------------------------------- users, sounds, limits, glances


async def test_validate_user_group_and_device(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    assert await client.validate_user(account.user) == UserValidation(
        False, ["phone", "tablet"], ["Android"]
    )
    assert await client.validate_user(account.user, "tablet") == UserValidation(
        False, ["phone", "tablet"], ["Android"]
    )
    assert simulator.requests[-1].params["device"] == "tablet"
    group = simulator.add_group("G", owner_token=account.token)
    assert await client.validate_user(group) == UserValidation(True, [], [])

    err = await raises(PushoverRequestError, client.validate_user(account.user, "pixel"))
    assert err.parameters == {"device": "invalid for this user"}


async def test_sounds_include_the_accounts_custom_sounds(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.add_sound(account.token, "doorbell", "Doorbell")
    sounds = await client.get_sounds()
    assert sounds["pushover"] == "Pushover (default)"
    assert sounds["doorbell"] == "Doorbell"
    assert len(sounds) == 24
    assert simulator.requests[-1].method == "GET"
    assert simulator.requests[-1].params == {"token": account.token}


async def test_get_limits(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.clock = lambda: FIXED_NOW
    simulator.set_quota(account.token, limit=25000, remaining=123)
    limits = await client.get_limits()
    assert limits == Limits(25000, 123, FIXED_RESET)
    assert client.limits == limits


async def test_update_glance_sends_only_the_given_fields(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    await client.update_glance(account.user, device="phone", title="Solar", count=-3, percent=0)
    assert simulator.requests[-1].params == {
        "token": account.token,
        "user": account.user,
        "device": "phone",
        "title": "Solar",
        "count": "-3",
        "percent": "0",
    }
    await client.update_glance(account.user, text="", subtext="kWh")
    assert simulator.requests[-1].params == {
        "token": account.token,
        "user": account.user,
        "text": "",
        "subtext": "kWh",
    }
    assert simulator.requests[-1].status == 200


# ---------------------------------------------------------------- groups


async def test_group_management(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    key = await client.create_group("Family")
    assert simulator.groups[key].owner_token == account.token
    assert await client.list_groups() == [GroupSummary(key, "Family")]

    await client.group_add_user(key, account.user, "phone", memo="Me")
    await client.group_add_user(key, account.other_user)
    await client.group_disable_user(key, account.other_user)
    assert await client.get_group(key) == GroupInfo(
        "Family",
        [
            GroupMember(account.user, "phone", "Me", False),
            GroupMember(account.other_user, None, "", True),
        ],
    )
    await client.group_enable_user(key, account.other_user)
    await client.rename_group(key, "Home")
    before = len(simulator.requests)
    await client.group_remove_user(key, account.user, "phone")

    assert len(simulator.requests) == before + 1
    assert simulator.requests[-1].path == f"/1/groups/{key}/delete_user.json"
    assert await client.get_group(key) == GroupInfo(
        "Home", [GroupMember(account.other_user, None, "", False)]
    )

    other_app = simulator.add_app("Other")
    foreign = simulator.add_group("Theirs", owner_token=other_app)
    err = await raises(PushoverRequestError, client.get_group(foreign))
    assert err.parameters == {"group": "not found"}


@pytest.mark.parametrize(
    "not_found",
    [
        (404, "<html>Not Found</html>", {"Content-Type": "text/html"}),
        (404, as_json({"status": 0, "errors": ["not found"]}), JSON),
    ],
    ids=["html", "json"],
)
async def test_group_remove_falls_back_to_remove_user_on_404(
    session: aiohttp.ClientSession,
    fake_api: FakeApi,
    not_found: tuple[int, str, dict[str, str]],
) -> None:
    fake_api.responses[f"groups/{KEY}/delete_user.json"] = not_found
    fake_api.responses[f"groups/{KEY}/remove_user.json"] = OK

    await fake_client(session, fake_api, max_retries=2).group_remove_user(KEY, KEY)

    assert fake_api.hits == [f"groups/{KEY}/delete_user.json", f"groups/{KEY}/remove_user.json"]


async def test_group_remove_does_not_fall_back_on_other_refusals(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    fake_api.responses[f"groups/{KEY}/delete_user.json"] = (
        400,
        as_json({"status": 0, "user": "invalid", "errors": ["user is not a member of this group"]}),
        JSON,
    )

    err = await raises(
        PushoverRequestError, fake_client(session, fake_api).group_remove_user(KEY, KEY)
    )

    assert err.errors == ["user is not a member of this group"]
    assert fake_api.hits == [f"groups/{KEY}/delete_user.json"]


# ---------------------------------------------------------------- teams, licenses, subscriptions


async def test_team_management(client: PushoverClient, simulator: PushoverSimulator) -> None:
    team = simulator.add_team("Ops", members=("lead@example.com",))

    await client.team_add_user(
        team,
        "new@example.com",
        name="New Person",
        password="s3cret",
        instant=True,
        admin=True,
        group="On call",
    )
    assert simulator.requests[-1].params["token"] == team
    assert simulator.requests[-1].params["password"] == "s3cret"
    assert simulator.teams[team].members["new@example.com"] == {
        "email": "new@example.com",
        "name": "New Person",
        "instant": "true",
        "admin": "true",
        "group": "On call",
    }
    await client.team_add_user(team, "plain@example.com")
    assert simulator.requests[-1].params == {"token": team, "email": "plain@example.com"}

    info = await client.get_team(team)
    assert info.name == "Ops"
    assert [user["email"] for user in info.users] == [
        "lead@example.com",
        "new@example.com",
        "plain@example.com",
    ]
    assert info.raw["status"] == 1

    await client.team_remove_user(team, "lead@example.com")
    assert "lead@example.com" not in simulator.teams[team].members
    err = await raises(PushoverRequestError, client.team_remove_user(team, "lead@example.com"))
    assert err.parameters == {"email": "invalid"}

    err = await raises(PushoverAuthenticationError, client.get_team(KEY))
    assert (err.parameter, err.errors) == ("token", ["team token is invalid"])


async def test_team_info_of_unconfirmed_shape_is_tolerated(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    fake_api.responses["teams.json"] = (200, as_json({"status": 1, "users": "n/a"}), JSON)
    info = await fake_client(session, fake_api).get_team(KEY)
    assert (info.name, info.users) == (None, [])


async def test_licenses(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.set_license_credits(account.token, 3)
    assert await client.get_license_credits() == 3
    assert await client.assign_license(user=account.user, os="iOS") == 2
    assert simulator.users[account.user].licenses == ["Android", "iOS"]
    assert await client.assign_license(email="friend@example.com") == 1
    assert simulator.requests[-1].params == {"token": account.token, "email": "friend@example.com"}
    assert await client.get_license_credits() == 1


async def test_migrate_subscription(
    client: PushoverClient, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.add_subscription(account.token, "sub-code")

    key = await client.migrate_subscription(
        "sub-code", account.user, device_name="tablet", sound="bike"
    )

    assert simulator.users[key].devices == ["tablet"]
    assert simulator.requests[-1].params["sound"] == "bike"
    err = await raises(PushoverRequestError, client.migrate_subscription("other", account.user))
    assert err.parameters == {"subscription": "invalid"}


# ---------------------------------------------------------------- Open Client


@dataclass
class Device:
    """A logged-in, registered Open Client device."""

    user: str
    secret: str
    device_id: str


@pytest.fixture
async def device(client: PushoverClient, simulator: PushoverSimulator) -> Device:
    simulator.add_user(devices=(), email="me@example.com", password="pw")
    login = await client.login("me@example.com", "pw")
    device_id = await client.register_device(login.secret, "home-assistant")
    return Device(login.user_key, login.secret, device_id)


async def test_register_device(device: Device, simulator: PushoverSimulator) -> None:
    registered = simulator.open_client_devices[device.device_id]
    assert (registered.name, registered.user) == ("home-assistant", device.user)
    assert simulator.requests[-1].params == {
        "secret": device.secret,
        "name": "home-assistant",
        "os": "O",
    }


async def test_download_delete_and_acknowledge(
    client: PushoverClient, simulator: PushoverSimulator, account: Account, device: Device
) -> None:
    await client.send_message(device.user, Message("plain"))
    await client.send_message(
        device.user,
        Message(
            "full",
            title="Title",
            url="https://example.com",
            url_title="Link",
            sound="pushover",
            html=True,
            timestamp=1_700_000_000,
        ),
    )
    emergency = await client.send_message(
        device.user, Message("Emergency", priority=2, retry=30, expire=60)
    )
    queue = simulator.open_client_devices[device.device_id].queue
    queue.reverse()  # the server's order is not trusted

    download = await client.download_messages(device.secret, device.device_id)

    assert download.skipped == 0
    messages = download.messages
    assert [m.message for m in messages] == ["plain", "full", "Emergency"]
    assert [m.id for m in messages] == sorted(int(m.raw["id_str"]) for m in messages)
    assert all(m.id_str == str(m.id) for m in messages)
    plain, full, urgent = messages
    assert isinstance(plain, ReceivedMessage)
    assert (plain.title, plain.url, plain.sound, plain.receipt, plain.html) == (
        None,
        None,
        None,
        None,
        False,
    )
    assert plain.app == "Home"
    assert plain.icon == simulator.apps[account.token].icon
    assert plain.umid == plain.raw["umid_str"]
    assert (full.title, full.url, full.url_title, full.sound, full.html) == (
        "Title",
        "https://example.com",
        "Link",
        "po",
        True,
    )
    assert full.date == datetime.fromtimestamp(1_700_000_000, UTC)
    assert (urgent.priority, urgent.receipt, urgent.acked) == (2, emergency.receipt, False)
    assert client.icon_url(plain.icon) == f"https://api.pushover.net/icons/{plain.icon}.png"

    await client.acknowledge_receipt(device.secret, urgent.receipt)
    state = simulator.receipts[urgent.receipt]
    assert (state.acknowledged_by, state.acknowledged_by_device) == (device.user, "home-assistant")

    await client.delete_messages(device.secret, device.device_id, full.id_str)
    remaining = await client.download_messages(device.secret, device.device_id)
    assert [m.message for m in remaining.messages] == ["Emergency"]
    await client.delete_messages(device.secret, device.device_id, urgent.id_str)
    assert await client.download_messages(device.secret, device.device_id) == Download([])


async def test_downloaded_messages_tolerate_missing_fields(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    fake_api.responses["messages.json"] = (
        200,
        as_json(
            {
                "status": 1,
                "messages": [
                    {"id": 9, "message": "late", "priority": None, "acked": 1},
                    {"id": 3, "id_str": "3", "umid": 77, "date": 1_700_000_000},
                ],
            }
        ),
        JSON,
    )

    download = await fake_client(session, fake_api).download_messages("s", "d")
    first, second = download.messages

    assert (first.id, first.id_str, first.message, first.umid, first.app) == (
        3,
        "3",
        "",
        "77",
        None,
    )
    assert first.date == datetime.fromtimestamp(1_700_000_000, UTC)
    assert (second.id_str, second.priority, second.acked, second.umid) == ("9", 0, True, None)
    assert second.date == datetime.fromtimestamp(0, UTC)


async def test_downloaded_items_without_a_readable_id_are_skipped(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    """A hostile or broken server: bad ids, bad numbers, text beyond Pushover's limits."""
    long = {
        "message": "m" * 5000,
        "title": "t" * 1000,
        "url": "u" * 1000,
        "url_title": "v" * 1000,
        "app": "a" * 1000,
        "umid_str": "9" * 1000,
    }
    items: list[Any] = [
        "not an object",
        {"id_str": "x1", "id": 4},
        {"id": True},
        {"id": -1},
        {"id_str": "0"},
        {"id_str": "٣"},  # a digit, but not an ASCII one
        {"id_str": "1" * 20},
        {"id": 2**63},
        {"id": 5, "priority": 99, "acked": float("inf"), **long},
        {"id_str": str(2**63 - 1), "priority": -7, "html": "yes", "date": 10**20},
    ]
    fake_api.responses["messages.json"] = (
        200,
        as_json({"status": 1, "messages": items}),
        JSON,
    )
    client = fake_client(session, fake_api)

    download = await client.download_messages("s", "d")

    assert download.skipped == 8
    capped, highest = download.messages
    assert (capped.id, capped.priority, capped.acked) == (5, 2, False)
    assert len(capped.message) == MAX_MESSAGE_LENGTH
    assert len(capped.title or "") == MAX_TITLE_LENGTH
    assert len(capped.url or "") == MAX_URL_LENGTH
    assert len(capped.url_title or "") == MAX_URL_TITLE_LENGTH
    assert len(capped.app or "") == len(capped.umid or "") == MAX_TITLE_LENGTH
    assert (highest.id, highest.id_str, highest.priority, highest.html) == (
        2**63 - 1,
        str(2**63 - 1),
        -2,
        False,
    )
    assert highest.date == datetime.fromtimestamp(0, UTC)

    fake_api.responses["messages.json"] = (200, as_json({"status": 1, "messages": {}}), JSON)
    assert await client.download_messages("s", "d") == Download([])


@pytest.mark.parametrize(
    ("status", "body", "kind", "text"),
    [
        (500, "<html>down</html>", PushoverServerError, "Pushover answered HTTP 500"),
        (302, "", PushoverServerError, "Pushover answered HTTP 302"),  # never followed
        (200, "not json", PushoverServerError, "Pushover answered HTTP 200 without JSON"),
        (200, as_json({"status": 0}), PushoverRequestError, "HTTP 200"),
        (
            403,
            "<html>no</html>",
            PushoverUnexpectedResponseError,
            "HTTP 403 without Pushover's answer (a proxy or captive portal?)",
        ),
        (400, as_json({"secret": "invalid", "errors": ["secret is invalid"]}), None, ""),
    ],
)
async def test_a_failed_download_is_not_retried(
    session: aiohttp.ClientSession,
    fake_api: FakeApi,
    status: int,
    body: str,
    kind: type[PushoverError] | None,
    text: str,
) -> None:
    """The receiver's backoff is the retry; a redirect could take the secret elsewhere."""
    headers = {**JSON, "Location": "/1/elsewhere.json", "X-Request-Id": "req-3"}
    fake_api.responses["messages.json"] = (status, body, headers)
    client = fake_client(session, fake_api, max_retries=2)

    if kind is None:
        err = await raises(PushoverAuthenticationError, client.download_messages("s", "d"))
        assert err.parameter == "secret"
    else:
        err = await raises(kind, client.download_messages("s", "d"))
        assert str(err) == text
        assert getattr(err, "request_id", None) == "req-3"
    assert fake_api.hits == ["messages.json"]


async def test_an_unreachable_or_slow_download_fails_at_once(
    session: aiohttp.ClientSession, simulator: PushoverSimulator
) -> None:
    gone = PushoverClient(session, base_url=f"http://127.0.0.1:{free_port()}/1/", max_retries=2)
    err = await raises(PushoverConnectionError, gone.download_messages("s", "d"))
    assert str(err) == "Could not reach Pushover: ClientConnectorError"

    simulator.inject_fault("timeout", delay=1.0)
    slow = PushoverClient(session, base_url=simulator.base_url, timeout=0.1, max_retries=2)
    err = await raises(PushoverTimeoutError, slow.download_messages("s", "d"))
    assert str(err) == "Pushover did not answer messages.json in time"
    assert len(simulator.requests) == 1


@dataclass
class Flood:
    """A server streaming an endless download; how much it wrote before the client left."""

    base_url: str
    written: int = 0


@pytest.fixture
async def flood(socket_enabled: None) -> AsyncIterator[Flood]:
    chunk = b"x" * 65536
    server = Flood("")

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers=JSON)
        if request.query["secret"] == "announce":  # the test's way to ask for a length
            response.content_length = 100 * 1024 * 1024
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            for _ in range(100 * 16):  # 100 MB
                await response.write(chunk)
                server.written += len(chunk)
        return response

    app = web.Application()
    app.router.add_get("/1/messages.json", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    server.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/1/"
    yield server
    await runner.cleanup()


@pytest.mark.parametrize("secret", ["chunked", "announce"])
async def test_a_giant_download_is_refused_with_bounded_memory(
    session: aiohttp.ClientSession, flood: Flood, secret: str
) -> None:
    """A 100 MB download took memory from 240 to 622 MB and reached the event bus."""
    client = PushoverClient(session, base_url=flood.base_url)
    tracemalloc.start()
    try:
        err = await raises(PushoverServerError, client.download_messages(secret, "d"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(
        f"100 MB download ({secret}): refused after "
        f"{flood.written / 2**20:.1f} MiB sent, peak {peak / 2**20:.1f} MiB allocated"
    )
    assert str(err) == f"Pushover's answer is over {MAX_DOWNLOAD_BYTES} bytes"
    assert peak < 4 * MAX_DOWNLOAD_BYTES


# ---------------------------------------------------------------- websocket


async def next_after_login(
    frames: AsyncIterator[PushFrame], simulator: PushoverSimulator, device_id: str
) -> asyncio.Task[PushFrame]:
    """Take CONNECTED, wait until the simulator accepted the login, start reading on."""
    assert await anext(frames) is PushFrame.CONNECTED  # yielded once the login is sent
    await wait_until(lambda: device_id in simulator.websocket_logins)
    return asyncio.ensure_future(anext(frames))


async def test_push_frames(
    client: PushoverClient, simulator: PushoverSimulator, device: Device
) -> None:
    frames = client.push_frames(device.device_id, device.secret, heartbeat_timeout=5)
    try:
        first = await next_after_login(frames, simulator, device.device_id)
        await simulator.send_frame(device.device_id, "!")
        assert await first is PushFrame.NEW_MESSAGE

        await simulator.send_frame(device.device_id, "#", as_text=True)
        assert await anext(frames) is PushFrame.KEEPALIVE
        await simulator.send_frame(device.device_id, "x")  # unknown: ignored
        await simulator.send_frame(device.device_id, "R")
        assert await anext(frames) is PushFrame.RELOAD
        await simulator.send_frame(device.device_id, "E", as_text=True)
        assert await anext(frames) is PushFrame.ERROR
        await simulator.send_frame(device.device_id, "A")
        assert await anext(frames) is PushFrame.OTHER_SESSION
        for ignored in ("#!\n", "!!", "", "R" * (MAX_PUSH_FRAME_BYTES - 1)):
            await simulator.send_frame(device.device_id, ignored, as_text=True)
        await simulator.send_frame(device.device_id, "é")  # two bytes
        await simulator.send_frame(device.device_id, "!")
        assert await anext(frames) is PushFrame.NEW_MESSAGE
    finally:
        await frames.aclose()
    await wait_until(lambda: not simulator._sockets[device.device_id])  # the client hung up


async def test_a_new_message_is_announced(
    client: PushoverClient, simulator: PushoverSimulator, device: Device
) -> None:
    frames = client.push_frames(device.device_id, device.secret, heartbeat_timeout=5)
    try:
        first = await next_after_login(frames, simulator, device.device_id)
        await client.send_message(device.user, Message("Hello"))
        assert await first is PushFrame.NEW_MESSAGE
    finally:
        await frames.aclose()


async def test_bad_websocket_login_gets_e(
    client: PushoverClient, simulator: PushoverSimulator, device: Device
) -> None:
    frames = client.push_frames(device.device_id, "wrong-secret", heartbeat_timeout=5)
    try:
        assert await anext(frames) is PushFrame.CONNECTED
        assert await anext(frames) is PushFrame.ERROR
        await raises(PushoverConnectionError, anext(frames))  # then the server hangs up
    finally:
        await frames.aclose()
    assert simulator.websocket_logins == []


async def test_a_silent_websocket_times_out(
    client: PushoverClient, simulator: PushoverSimulator, device: Device
) -> None:
    frames = client.push_frames(device.device_id, device.secret, heartbeat_timeout=0.1)
    try:
        assert await anext(frames) is PushFrame.CONNECTED
        err = await raises(PushoverTimeoutError, anext(frames))
    finally:
        await frames.aclose()
    assert str(err) == "The websocket stayed silent"


async def test_a_closed_websocket_is_a_connection_error(
    client: PushoverClient, simulator: PushoverSimulator, device: Device
) -> None:
    frames = client.push_frames(device.device_id, device.secret, heartbeat_timeout=5)
    try:
        first = await next_after_login(frames, simulator, device.device_id)
        await simulator.close_websockets()
        with pytest.raises(PushoverConnectionError) as caught:
            await first
        assert type(caught.value) is PushoverConnectionError
    finally:
        await frames.aclose()


async def test_a_websocket_closed_before_the_login_is_a_connection_error(
    client: PushoverClient, device: Device, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server hangs up between the handshake and the login (a race no server can stage)."""

    async def closing(self: aiohttp.ClientWebSocketResponse, data: str) -> None:
        raise aiohttp.ClientConnectionResetError("Cannot write to closing transport")

    monkeypatch.setattr(aiohttp.ClientWebSocketResponse, "send_str", closing)
    frames = client.push_frames(device.device_id, device.secret)
    try:
        err = await raises(PushoverConnectionError, anext(frames))
    finally:
        await frames.aclose()
    assert str(err) == "The websocket closed during the login"


async def test_an_oversized_frame_ends_the_websocket_unread(
    client: PushoverClient, simulator: PushoverSimulator, device: Device
) -> None:
    frames = client.push_frames(device.device_id, device.secret, heartbeat_timeout=5)
    try:
        first = await next_after_login(frames, simulator, device.device_id)
        await simulator.send_frame(device.device_id, "!" * MAX_PUSH_FRAME_BYTES)
        err = await raises(PushoverConnectionError, first)
    finally:
        await frames.aclose()
    assert str(err) == "The websocket ended (ERROR)"


@pytest.mark.parametrize("where", ["refused", "not-a-websocket"])
async def test_websocket_connect_failure(
    session: aiohttp.ClientSession, simulator: PushoverSimulator, where: str
) -> None:
    url = (
        f"ws://127.0.0.1:{free_port()}/push"
        if where == "refused"
        else simulator.base_url + "sounds.json"
    )
    client = PushoverClient(session, websocket_url=url)
    frames = client.push_frames("device", "secret")
    try:
        err = await raises(PushoverConnectionError, anext(frames))
    finally:
        await frames.aclose()
    assert str(err).startswith("Could not open the websocket")


# ---------------------------------------------------------------- logging


async def test_debug_logs_name_paths_statuses_and_request_ids_but_no_secrets(
    client: PushoverClient,
    simulator: PushoverSimulator,
    account: Account,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.pushover_plus.api")
    simulator.add_user(devices=(), email="me@example.com", password="pw-Secret-1")
    team = simulator.add_team("Ops")

    login = await client.login("me@example.com", "pw-Secret-1")
    device_id = await client.register_device(login.secret, "home-assistant")
    sent = await client.send_message(
        [account.user, login.user_key], Message("Fire", priority=2, retry=30, expire=60)
    )
    assert sent.receipt is not None
    await client.get_receipt(sent.receipt)
    group = await client.create_group("Family")
    await client.group_add_user(group, account.other_user, memo="other@example.com")
    await client.get_group(group)
    [received] = (await client.download_messages(login.secret, device_id)).messages
    await client.acknowledge_receipt(login.secret, sent.receipt)
    await client.delete_messages(login.secret, device_id, received.id_str)
    await client.team_add_user(team, "new@example.com", password="pw-Secret-2")
    await client.cancel_by_tag("tag-name")
    with pytest.raises(PushoverAuthenticationError):
        await client.validate_user(KEY)
    simulator.inject_fault("timeout", delay=1.0)
    slow = PushoverClient(
        session, account.token, base_url=simulator.base_url, timeout=0.2, max_retries=0
    )
    with pytest.raises(PushoverTimeoutError) as caught:
        await slow.get_receipt(sent.receipt)

    logged = caplog.text
    secrets = [
        account.token,
        account.user,
        account.other_user,
        login.user_key,
        login.secret,
        device_id,
        group,
        sent.receipt,
        team,
        KEY,
        "me@example.com",
        "other@example.com",
        "new@example.com",
        "pw-Secret-1",
        "pw-Secret-2",
    ]
    assert [secret for secret in secrets if secret in logged] == []
    assert str(caught.value) == "Pushover did not answer receipts/*.json in time"
    assert "POST messages.json -> 200" in logged
    assert f"(request {sent.request})" in logged
    for path in (
        "GET groups/*.json",
        "POST groups/*/add_user.json",
        "GET messages.json -> 200",
        "POST devices/*/update_highest_message.json",
        "POST receipts/*/acknowledge.json",
        "POST receipts/cancel_by_tag/*.json",
        "POST users/validate.json -> 400",
        "GET receipts/*.json failed after",
    ):
        assert path in logged
