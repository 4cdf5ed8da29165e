"""The Pushover simulator's own behaviour, driven with raw aiohttp requests on loopback.

The client tests rely on the simulator behaving like pushover-api.md says Pushover does:
encodings, routing, validation order, error bodies, quota headers and counting, receipts,
callbacks, groups, teams, licenses, subscriptions, the Open Client and its websocket,
fault injection, the automatic IP block and the concurrency counters.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import re
import signal
import subprocess
import sys
import time
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDictProxy
import pytest

from pushover_simulator import PushoverSimulator
from pushover_simulator.state import BUILTIN_SOUNDS
from tests.conftest import Account, wait_until

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
DAY = 86400


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    """Unix time of a UTC date and time."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


@dataclass
class Reply:
    """One answer of the simulator."""

    status: int
    body: dict[str, Any]
    headers: CIMultiDictProxy[str]


class Api:
    """Raw HTTP against the simulator."""

    def __init__(self, session: aiohttp.ClientSession, simulator: PushoverSimulator) -> None:
        self.session = session
        self.simulator = simulator

    async def __call__(self, method: str, path: str, **kwargs: Any) -> Reply:
        url = self.simulator.base_url + path
        async with self.session.request(method, url, **kwargs) as response:
            text = await response.text()
            try:
                body = json.loads(text)
            except ValueError:
                body = {"text": text}
            return Reply(response.status, body, response.headers)

    async def get(self, path: str, **params: str) -> Reply:
        return await self("GET", path, params=params)

    async def post(self, path: str, **data: str) -> Reply:
        return await self("POST", path, data=data)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    client_session = aiohttp.ClientSession()
    yield client_session
    await client_session.close()


@pytest.fixture
def api(session: aiohttp.ClientSession, simulator: PushoverSimulator) -> Api:
    return Api(session, simulator)


def ok(reply: Reply) -> dict[str, Any]:
    """Assert the success envelope and return the body."""
    assert reply.status == 200, reply.body
    assert reply.body["status"] == 1
    assert reply.body["request"] == reply.headers["X-Request-Id"]
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    return reply.body


def refused(reply: Reply, errors: Any, status: int = 400, **keys: str) -> None:
    """Assert the error envelope: status 0, errors, per-parameter keys and request id."""
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.body == {
        **keys,
        "errors": errors,
        "status": 0,
        "request": reply.headers["X-Request-Id"],
    }


# ---------------------------------------------------------------- encodings and routing


async def test_urlencoded_send(api: Api, simulator: PushoverSimulator, account: Account) -> None:
    reply = await api.post("messages.json", token=account.token, user=account.user, message="Hi")

    body = ok(reply)
    assert body == {"status": 1, "request": body["request"]}
    delivery = simulator.deliveries[-1]
    assert (delivery.user, delivery.devices, delivery.request) == (
        account.user,
        ["phone", "tablet"],
        body["request"],
    )
    assert delivery.params == {"user": account.user, "message": "Hi"}  # no token kept
    assert simulator.requests[-1].content_type == "application/x-www-form-urlencoded"


async def test_multipart_send_with_attachment(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    form = aiohttp.FormData()
    form.add_field("token", account.token)
    form.add_field("user", account.user)
    form.add_field("message", "Snapshot")
    form.add_field("attachment", PNG, filename="cam.png", content_type="image/png")

    ok(await api("POST", "messages.json", data=form))

    delivery = simulator.deliveries[-1]
    assert (delivery.attachment, delivery.attachment_type) == (PNG, "image/png")
    assert delivery.params["message"] == "Snapshot"
    assert simulator.requests[-1].content_type == "multipart/form-data"


async def test_multipart_ignores_nameless_and_nested_parts(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    fields = {"token": account.token, "user": account.user, "message": "x"}
    parts = [
        f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'
        for name, value in fields.items()
    ]
    parts.append("Content-Disposition: form-data\r\n\r\nno name")
    parts.append(
        "Content-Type: multipart/mixed; boundary=inner\r\n\r\n"
        "--inner\r\nContent-Type: text/plain\r\n\r\nnested\r\n--inner--"
    )
    body = "".join(f"--outer\r\n{part}\r\n" for part in parts) + "--outer--\r\n"

    reply = await api(
        "POST",
        "messages.json",
        data=body.encode(),
        headers={"Content-Type": "multipart/form-data; boundary=outer"},
    )

    ok(reply)
    assert simulator.deliveries[-1].params == {"user": account.user, "message": "x"}
    assert simulator.deliveries[-1].attachment is None


async def test_json_body_send(api: Api, simulator: PushoverSimulator, account: Account) -> None:
    body = {
        "token": account.token,
        "user": account.user,
        "message": "Json",
        "priority": 1,
        "html": True,
        "monospace": False,
        "title": None,
        "url": ["a", "b"],
    }

    ok(await api("POST", "messages.json", json=body))

    params = simulator.deliveries[-1].params
    assert (params["priority"], params["html"], params["monospace"]) == ("1", "1", "0")
    assert "title" not in params  # null is as good as absent
    assert params["url"] == '["a", "b"]'
    assert simulator.requests[-1].content_type == "application/json"


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]"], ids=["malformed", "list"])
async def test_a_json_body_that_is_not_an_object_is_a_400(api: Api, payload: str) -> None:
    reply = await api(
        "POST", "messages.json", data=payload, headers={"Content-Type": "application/json"}
    )
    refused(reply, ["application token is invalid"], token="invalid")


async def test_get_parameters_come_from_the_query(api: Api, account: Account) -> None:
    body = ok(await api.get("sounds.json", token=account.token))
    assert body["sounds"] == BUILTIN_SOUNDS


async def test_xml_is_refused(api: Api, account: Account) -> None:
    reply = await api.post("messages.xml", token=account.token)
    refused(reply, ["XML is not supported by this simulator"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "users/validate.json"),
        ("PUT", "messages.json"),
        ("DELETE", "groups.json"),
        ("POST", "sounds.json"),
        ("GET", "receipts/cancel_by_tag/x.json"),
    ],
)
async def test_wrong_method_is_405(api: Api, method: str, path: str) -> None:
    refused(await api(method, path), [f"{method} is not allowed here"], status=405)


@pytest.mark.parametrize(
    "path",
    [
        "nothing.json",
        "sounds",
        "receipts/abc/explode.json",
        "groups/a/b/c.json",
        "devices/a/b.json",
    ],
)
async def test_unknown_path_is_404(api: Api, path: str) -> None:
    refused(await api("POST", path), ["not found"], status=404)


# ---------------------------------------------------------------- message validation


async def test_validation_order_is_token_user_message_then_the_rest(
    api: Api, account: Account
) -> None:
    bad = {"token": "x", "user": "y", "message": "", "device": "no spaces allowed"}
    refused(
        await api.post("messages.json", **bad), ["application token is invalid"], token="invalid"
    )
    bad["token"] = account.token
    refused(
        await api.post("messages.json", **bad),
        ["user identifier is not a valid user, group, or subscribed user key"],
        user="invalid",
    )
    bad["user"] = account.user
    refused(
        await api.post("messages.json", **bad),
        ["message cannot be blank"],
        message="cannot be blank",
    )
    bad["message"] = "x"
    refused(await api.post("messages.json", **bad), ["device name is invalid"], device="invalid")


# The recorded verdicts and texts are in pushover_simulator/NOTES.md, with their sources.
PRIORITY_VERDICT = "is invalid, can only be -2, -1, 0, 1, or 2"
MESSAGE_REFUSALS: list[tuple[dict[str, str], str, str, list[str]]] = [
    (
        {"message": "x" * 1025},
        "message",
        "invalid",
        ["message is too long, maximum is 1024 characters"],
    ),
    ({"title": "t" * 251}, "title", "invalid", ["title is too long, maximum is 250 characters"]),
    ({"url": "u" * 513}, "url", "invalid", ["url is too long, maximum is 512 characters"]),
    (
        {"url_title": "u" * 101},
        "url_title",
        "invalid",
        ["url_title is too long, maximum is 100 characters"],
    ),
    ({"priority": "3"}, "priority", PRIORITY_VERDICT, ["priority is invalid"]),
    ({"priority": "-3"}, "priority", PRIORITY_VERDICT, ["priority is invalid"]),
    ({"priority": "high"}, "priority", "invalid", ["priority must be an integer"]),
    (
        {"priority": "2", "expire": "60"},
        "retry",
        "invalid",
        ["retry must be supplied with priority=2"],
    ),
    (
        {"priority": "2", "retry": "60"},
        "expire",
        "invalid",
        ["expire must be supplied with priority=2"],
    ),
    (
        {"priority": "2", "retry": "29", "expire": "60"},
        "retry",
        "is too small, must be at least 30 seconds",
        ["retry is invalid"],
    ),
    (
        {"priority": "2", "retry": "30", "expire": "10801"},
        "expire",
        "invalid",
        ["expire is too large, maximum is 10800"],
    ),
    (
        {"priority": "2", "retry": "30", "expire": "0"},
        "expire",
        "invalid",
        ["expire must be a positive integer"],
    ),
    ({"ttl": "0"}, "ttl", "invalid", ["ttl must be a positive integer"]),
    ({"ttl": "-5"}, "ttl", "invalid", ["ttl must be a positive integer"]),
    ({"timestamp": "yesterday"}, "timestamp", "invalid", ["timestamp must be an integer"]),
    (
        {"attachment_base64": "AAAA"},
        "attachment_type",
        "invalid",
        ["attachment_type must be supplied with attachment_base64"],
    ),
    (
        {"attachment_base64": "not base64!", "attachment_type": "image/png"},
        "attachment_base64",
        "invalid",
        ["attachment_base64 is not valid base64"],
    ),
    (
        {
            "attachment_base64": base64.b64encode(b"\0" * 5_242_881).decode(),
            "attachment_type": "image/png",
        },
        "attachment",
        "invalid",
        ["attachment is too large (5242881 bytes is more than 5242880 limit"],
    ),
    ({"device": "d" * 26}, "device", "invalid", ["device name is invalid"]),
    ({"user": ""}, "user", "invalid", ["user identifier is invalid"]),
    ({"user": ",".join(["u" * 30] * 51)}, "user", "invalid", ["too many users, maximum is 50"]),
]


@pytest.mark.parametrize(
    ("extra", "key", "verdict", "errors"),
    MESSAGE_REFUSALS,
    ids=[f"{case[1]}-{index}" for index, case in enumerate(MESSAGE_REFUSALS)],
)
async def test_message_refusals(
    api: Api,
    simulator: PushoverSimulator,
    account: Account,
    extra: dict[str, str],
    key: str,
    verdict: str,
    errors: list[str],
) -> None:
    params = {"token": account.token, "user": account.user, "message": "x", **extra}

    reply = await api.post("messages.json", **params)

    assert reply.headers["X-Limit-App-Remaining"] == "10000"  # quota headers on refusals too
    refused(reply, errors, **{key: verdict})
    assert simulator.deliveries == []
    assert simulator.apps[account.token].quota_remaining == 10000


async def test_html_with_monospace_names_both_fields(api: Api, account: Account) -> None:
    reply = await api.post(
        "messages.json", token=account.token, user=account.user, message="x", html=1, monospace=1
    )

    refused(
        reply,
        ["html and monospace are mutually exclusive"],
        html="cannot be set with monospace",
        monospace="cannot be set with html",
    )


async def test_a_lowered_attachment_limit_gives_the_recorded_refusal(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.attachment_limit = 2_621_440  # the limit of 2021, when the text was recorded
    image = base64.b64encode(b"\0" * 2_700_920).decode()

    reply = await api.post(
        "messages.json",
        token=account.token,
        user=account.user,
        message="x",
        attachment_base64=image,
        attachment_type="image/jpeg",
    )

    refused(
        reply,
        ["attachment is too large (2700920 bytes is more than 2621440 limit"],
        attachment="invalid",
    )
    assert simulator.deliveries == []


async def test_an_oversized_multipart_attachment_is_refused(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    form = aiohttp.FormData()
    for name, value in (("token", account.token), ("user", account.user), ("message", "x")):
        form.add_field(name, value)
    form.add_field("attachment", b"\0" * 5_242_881, filename="big.jpg", content_type="image/jpeg")

    reply = await api("POST", "messages.json", data=form)

    refused(
        reply,
        ["attachment is too large (5242881 bytes is more than 5242880 limit"],
        attachment="invalid",
    )


async def test_values_at_the_limits_are_accepted(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    users = [simulator.add_user() for _ in range(50)]
    params = {
        "token": account.token,
        "user": ",".join(users),
        "message": "\N{BELL}" * 1024,
        "title": "t" * 250,
        "url": "u" * 512,
        "url_title": "v" * 100,
        "priority": "2",
        "retry": "30",
        "expire": "10800",
        "ttl": "1",
        "device": "d" * 25,
        "attachment_base64": base64.b64encode(b"\0" * 5_242_880).decode(),
        "attachment_type": "image/png",
    }
    body = ok(await api.post("messages.json", **params))
    assert len(body["receipt"]) == 30
    assert len(simulator.deliveries) == 50
    assert "attachment_base64" not in simulator.deliveries[0].params
    assert simulator.deliveries[0].attachment == b"\0" * 5_242_880
    assert simulator.requests[-1].params == params  # the request is recorded as sent


async def test_unknown_or_deviceless_users_are_refused(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    deviceless = simulator.add_user(devices=())
    short = simulator.add_user(user_key="short")
    for user in (deviceless, short, "u" * 30):
        refused(
            await api.post("messages.json", token=account.token, user=user, message="x"),
            ["user identifier is not a valid user, group, or subscribed user key"],
            user="invalid",
        )


async def test_devices_choose_delivery_for_one_user_only(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    base = {"token": account.token, "message": "x"}
    ok(await api.post("messages.json", **base, user=account.user, device="tablet,ghost"))
    ok(await api.post("messages.json", **base, user=account.user, device="ghost"))
    ok(
        await api.post(
            "messages.json", **base, user=f"{account.user},{account.other_user}", device="tablet"
        )
    )
    assert [d.devices for d in simulator.deliveries] == [
        ["tablet"],
        ["phone", "tablet"],  # no match: every device, so nothing is lost
        ["phone", "tablet"],  # device is ignored for several users
        ["pixel"],
    ]


# ---------------------------------------------------------------- quota


async def test_quota_headers_and_decrement_per_recipient(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.clock = lambda: utc(2026, 3, 15, 12)
    reset = str(int(utc(2026, 4, 1, 5)))  # 00:00 CDT
    third = simulator.add_user()
    gone = simulator.add_user()
    group = simulator.add_group(
        "Family",
        owner_token=account.token,
        members=[
            (account.user, None, ""),
            (account.other_user, "pixel", ""),
            (third, None, ""),
            (gone, None, ""),
        ],
    )
    simulator.groups[group].members[2].disabled = True
    simulator.users.pop(gone)
    base = {"token": account.token, "message": "x"}

    first = await api.post("messages.json", **base, user=account.user)
    ok(first)
    assert (
        first.headers["X-Limit-App-Limit"],
        first.headers["X-Limit-App-Remaining"],
        first.headers["X-Limit-App-Reset"],
    ) == ("10000", "9999", reset)
    several = await api.post("messages.json", **base, user=f"{account.user},{third}")
    assert several.headers["X-Limit-App-Remaining"] == "9997"
    grouped = await api.post("messages.json", **base, user=group)
    assert grouped.headers["X-Limit-App-Remaining"] == "9995"  # two active members
    assert [d.devices for d in simulator.deliveries[-2:]] == [["phone", "tablet"], ["pixel"]]

    limits = ok(await api.get("apps/limits.json", token=account.token))
    assert (limits["limit"], limits["remaining"], limits["reset"]) == (10000, 9995, int(reset))
    assert "X-Limit-App-Limit" not in (await api.get("sounds.json", token=account.token)).headers


async def test_quota_exhausted_is_429_with_headers(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.set_quota(account.token, limit=7500)
    simulator.set_quota(account.token, remaining=1)
    users = f"{account.user},{account.other_user}"

    reply = await api.post("messages.json", token=account.token, user=users, message="x")

    refused(
        reply,
        ["application has exceeded current limit of 7500 messages"],
        status=429,
        token="invalid",
    )
    assert reply.headers["X-Limit-App-Limit"] == "7500"
    assert reply.headers["X-Limit-App-Remaining"] == "1"
    assert simulator.deliveries == []
    ok(await api.post("messages.json", token=account.token, user=account.user, message="x"))
    assert simulator.apps[account.token].quota_remaining == 0


async def test_a_refusal_without_a_valid_token_has_no_quota_headers(api: Api) -> None:
    reply = await api.post("messages.json", token="x", user="y", message="z")
    assert "X-Limit-App-Remaining" not in reply.headers


@pytest.mark.parametrize(
    ("now", "reset"),
    [
        (utc(2026, 3, 15, 12), utc(2026, 4, 1, 5)),  # CDT
        (utc(2026, 4, 1, 4, 59), utc(2026, 4, 1, 5)),  # 23:59 on 31 March in Chicago
        (utc(2026, 4, 1, 5), utc(2026, 5, 1, 5)),  # exactly at a reset: the next one
        (utc(2026, 10, 20), utc(2026, 11, 1, 5)),  # midnight before DST ends is still CDT
        (utc(2026, 11, 15), utc(2026, 12, 1, 6)),  # CST
        (utc(2026, 12, 31, 12), utc(2027, 1, 1, 6)),  # December rolls the year
    ],
)
async def test_quota_resets_on_the_first_at_midnight_chicago(
    api: Api, simulator: PushoverSimulator, account: Account, now: float, reset: float
) -> None:
    simulator.clock = lambda: now
    limits = ok(await api.get("apps/limits.json", token=account.token))
    assert limits["reset"] == int(reset)


async def test_the_quota_refills_at_the_monthly_reset(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    clock = Clock(utc(2026, 3, 31, 12))
    simulator.clock = clock
    simulator.set_quota(account.token, limit=3, remaining=1)
    base = {"token": account.token, "user": account.user, "message": "x"}
    ok(await api.post("messages.json", **base))
    assert (await api.post("messages.json", **base)).status == 429

    clock.now = utc(2026, 4, 1, 4, 59)  # 23:59 in Chicago: still March there
    refused_again = await api.post("messages.json", **base)
    assert refused_again.status == 429
    assert refused_again.headers["X-Limit-App-Reset"] == str(int(utc(2026, 4, 1, 5)))

    clock.now = utc(2026, 4, 1, 5)  # midnight in Chicago: a new month
    sent = await api.post("messages.json", **base)
    ok(sent)
    assert (sent.headers["X-Limit-App-Remaining"], sent.headers["X-Limit-App-Reset"]) == (
        "2",
        str(int(utc(2026, 5, 1, 5))),
    )
    clock.now = utc(2026, 4, 20)
    assert ok(await api.get("apps/limits.json", token=account.token))["remaining"] == 2
    clock.now = utc(2026, 3, 20)  # a clock set back refills nothing
    assert ok(await api.get("apps/limits.json", token=account.token))["remaining"] == 2


# ---------------------------------------------------------------- receipts


@dataclass
class Clock:
    """A settable clock."""

    now: float

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(simulator: PushoverSimulator) -> Clock:
    fake = Clock(utc(2026, 3, 15, 12))
    simulator.clock = fake
    return fake


async def send_emergency(
    api: Api, account: Account, retry: int = 30, expire: int = 10800, **extra: str
) -> str:
    body = ok(
        await api.post(
            "messages.json",
            token=account.token,
            user=account.user,
            message="Alarm",
            priority="2",
            retry=str(retry),
            expire=str(expire),
            **extra,
        )
    )
    return str(body["receipt"])


async def receipt_body(api: Api, account: Account, receipt: str) -> dict[str, Any]:
    body = ok(await api.get(f"receipts/{receipt}.json", token=account.token))
    del body["request"]
    return body


async def test_receipt_retries_are_capped_at_50(
    api: Api, simulator: PushoverSimulator, account: Account, clock: Clock
) -> None:
    start = clock.now
    receipt = await send_emergency(api, account, retry=30, expire=10800)
    state = simulator.receipts[receipt]
    assert (state.token, state.retry, state.created_at) == (account.token, 30, start)

    clock.now = start + 100
    assert await receipt_body(api, account, receipt) == {
        "status": 1,
        "acknowledged": 0,
        "acknowledged_at": 0,
        "acknowledged_by": "",
        "acknowledged_by_device": "",
        "last_delivered_at": int(start + 90),
        "expired": 0,
        "expires_at": int(start + 30 * 50),  # 50 retries come before 3 hours
        "called_back": 0,
        "called_back_at": 0,
    }
    assert (state.last_delivered_at, state.expired) == (start + 90, False)  # by the clock
    clock.now = start + 30 * 50
    body = await receipt_body(api, account, receipt)
    assert (body["expired"], body["last_delivered_at"]) == (1, int(start + 1500))
    assert (state.last_delivered_at, state.expired) == (start + 1500, True)
    clock.now = start + 5000
    body = await receipt_body(api, account, receipt)
    assert (body["expired"], body["last_delivered_at"]) == (1, int(start + 1500))


async def test_receipt_expires_when_expire_comes_first(
    api: Api, account: Account, clock: Clock
) -> None:
    start = clock.now
    receipt = await send_emergency(api, account, retry=60, expire=1800)
    clock.now = start + 1799
    body = await receipt_body(api, account, receipt)
    assert (body["expired"], body["expires_at"], body["last_delivered_at"]) == (
        0,
        int(start + 1800),
        int(start + 1740),
    )


async def test_acknowledgement_stops_the_retries(
    api: Api, simulator: PushoverSimulator, account: Account, clock: Clock
) -> None:
    start = clock.now
    receipt = await send_emergency(api, account, retry=60, expire=1800)
    clock.now = start + 130
    await simulator.acknowledge(receipt)  # as the first recipient, on its first device
    clock.now = start + 1000

    body = await receipt_body(api, account, receipt)

    assert body["acknowledged"] == 1
    assert body["acknowledged_at"] == int(start + 130)
    assert (body["acknowledged_by"], body["acknowledged_by_device"]) == (account.user, "phone")
    assert body["last_delivered_at"] == int(start + 120)
    assert body["called_back"] == 0  # no callback URL
    await simulator.acknowledge(receipt, user=account.other_user)  # the first one counts
    assert (await receipt_body(api, account, receipt))["acknowledged_by"] == account.user


async def test_acknowledging_as_an_unknown_user_names_no_device(
    simulator: PushoverSimulator, api: Api, account: Account
) -> None:
    receipt = await send_emergency(api, account)
    await simulator.acknowledge(receipt, user="u" * 30)
    assert simulator.receipts[receipt].acknowledged_by_device == ""


async def test_cancel_and_cancel_by_tag(
    api: Api, simulator: PushoverSimulator, account: Account, clock: Clock
) -> None:
    start = clock.now
    canceled = await send_emergency(api, account, retry=60, expire=1800, tags="door")
    clock.now = start + 70
    ok(await api.post(f"receipts/{canceled}/cancel.json", token=account.token))
    clock.now = start + 500
    ok(await api.post(f"receipts/{canceled}/cancel.json", token=account.token))  # idempotent
    body = await receipt_body(api, account, canceled)
    assert (body["expired"], body["last_delivered_at"]) == (1, int(start + 60))

    tagged = [await send_emergency(api, account, tags="door,window") for _ in range(2)]
    acknowledged = await send_emergency(api, account, tags="door")
    await simulator.acknowledge(acknowledged)
    expired = await send_emergency(api, account, retry=30, expire=30, tags="door")
    other_token = simulator.add_app("Other")
    foreign = ok(
        await api.post(
            "messages.json",
            token=other_token,
            user=account.user,
            message="x",
            priority="2",
            retry="30",
            expire="600",
            tags="door",
        )
    )["receipt"]
    clock.now += 31  # the expired one runs out

    body = ok(await api.post("receipts/cancel_by_tag/door.json", token=account.token))
    assert body["canceled"] == 2
    assert [simulator.receipts[r].canceled for r in tagged] == [True, True]
    assert not simulator.receipts[acknowledged].canceled
    assert not simulator.receipts[expired].canceled
    assert not simulator.receipts[foreign].canceled
    assert (
        ok(await api.post("receipts/cancel_by_tag/door.json", token=account.token))["canceled"] == 0
    )
    refused(
        await api.post("receipts/cancel_by_tag/door.json", token="x"),
        ["application token is invalid"],
        token="invalid",
    )


async def test_active_receipts_are_the_alerts_still_ringing(
    api: Api, simulator: PushoverSimulator, account: Account, clock: Clock
) -> None:
    ringing = await send_emergency(api, account, expire=600)
    acknowledged = await send_emergency(api, account)
    await simulator.acknowledge(acknowledged)
    canceled = await send_emergency(api, account)
    ok(await api.post(f"receipts/{canceled}/cancel.json", token=account.token))
    expiring = await send_emergency(api, account, expire=60)
    other_token = simulator.add_app("Other")
    foreign = ok(
        await api.post(
            "messages.json",
            token=other_token,
            user=account.user,
            message="x",
            priority="2",
            retry="30",
            expire="600",
        )
    )["receipt"]

    assert [s.receipt for s in simulator.active_receipts(account.token)] == [ringing, expiring]
    assert [s.receipt for s in simulator.active_receipts()] == [ringing, expiring, foreign]
    clock.now += 60  # the one-minute alert runs out
    assert [s.receipt for s in simulator.active_receipts(account.token)] == [ringing]
    assert simulator.receipts[ringing].active
    assert not simulator.receipts[expiring].active


async def test_receipts_live_seven_days(api: Api, account: Account, clock: Clock) -> None:
    start = clock.now
    receipt = await send_emergency(api, account)
    clock.now = start + 7 * DAY
    ok(await api.get(f"receipts/{receipt}.json", token=account.token))
    clock.now = start + 7 * DAY + 1
    refused(
        await api.get(f"receipts/{receipt}.json", token=account.token),
        ["receipt not found; may be invalid or expired"],
        receipt="not found",
    )


async def test_receipts_belong_to_their_application(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    receipt = await send_emergency(api, account)
    other = simulator.add_app("Other")
    not_found = ["receipt not found; may be invalid or expired"]
    refused(await api.get(f"receipts/{receipt}.json", token=other), not_found, receipt="not found")
    refused(
        await api.post(f"receipts/{receipt}/cancel.json", token=other),
        not_found,
        receipt="not found",
    )
    refused(
        await api.get(f"receipts/{'r' * 30}.json", token=account.token),
        not_found,
        receipt="not found",
    )
    refused(
        await api.get(f"receipts/{receipt}.json", token="bad"),
        ["application token is invalid"],
        token="invalid",
    )


@dataclass
class CallbackServer:
    """A tiny loopback server recording the form posts it receives."""

    url: str
    posts: list[dict[str, str]]


@pytest.fixture
async def callback_server(socket_enabled: None) -> AsyncIterator[CallbackServer]:
    posts: list[dict[str, str]] = []

    async def handler(request: web.Request) -> web.Response:
        posts.append({key: str(value) for key, value in (await request.post()).items()})
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield CallbackServer(f"http://127.0.0.1:{runner.addresses[0][1]}/hook", posts)
    await runner.cleanup()


async def open_client(
    api: Api, simulator: PushoverSimulator, name: str = "ha", email: str = "me@example.com"
) -> tuple[str, str, str]:
    """Log a new user in and register a device: (user key, secret, device id)."""
    user = simulator.add_user(devices=(), email=email, password="pw")
    secret = ok(await api.post("users/login.json", email=email, password="pw"))["secret"]
    device_id = ok(await api.post("devices.json", secret=secret, name=name, os="O"))["id"]
    return user, str(secret), str(device_id)


async def test_acknowledge_posts_the_five_fields_to_the_callback(
    api: Api,
    simulator: PushoverSimulator,
    account: Account,
    clock: Clock,
    callback_server: CallbackServer,
) -> None:
    user, secret, _ = await open_client(api, simulator)
    body = ok(
        await api.post(
            "messages.json",
            token=account.token,
            user=user,
            message="Alarm",
            priority="2",
            retry="30",
            expire="600",
            callback=callback_server.url,
        )
    )
    receipt = body["receipt"]
    clock.now += 45

    ok(await api.post(f"receipts/{receipt}/acknowledge.json", secret=secret))
    ok(await api.post(f"receipts/{receipt}/acknowledge.json", secret=secret))  # once only

    assert callback_server.posts == [
        {
            "receipt": receipt,
            "acknowledged": "1",
            "acknowledged_at": str(int(clock.now)),
            "acknowledged_by": user,
            "acknowledged_by_device": "ha",
        }
    ]
    assert simulator.callbacks == [(callback_server.url, callback_server.posts[0])]
    state = await receipt_body(api, account, receipt)
    assert (state["called_back"], state["called_back_at"]) == (1, int(clock.now))
    refused(
        await api.post(f"receipts/{receipt}/acknowledge.json", secret="stale"),
        ["secret is invalid; please re-login"],
        secret="invalid",
    )


async def test_an_open_client_acknowledges_as_its_own_device(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    user, first_secret, first = await open_client(api, simulator, name="ha")
    second_secret = ok(await api.post("users/login.json", email="me@example.com", password="pw"))[
        "secret"
    ]
    second = ok(await api.post("devices.json", secret=second_secret, name="laptop", os="O"))["id"]
    deviceless_secret = ok(
        await api.post("users/login.json", email="me@example.com", password="pw")
    )["secret"]
    acks = [
        ({"secret": second_secret}, "laptop"),  # the device registered with that login
        ({"secret": first_secret, "device_id": second}, "laptop"),  # named explicitly
        ({"secret": first_secret, "device_id": "elsewhere"}, "ha"),  # not its own: its login's
        ({"secret": deviceless_secret}, "ha"),  # a login without a device: the first one
    ]

    async def acked(device_id: str, receipt: str) -> list[int]:
        body = ok(await api.get("messages.json", secret=first_secret, device_id=device_id))
        return [item["acked"] for item in body["messages"] if item.get("receipt") == receipt]

    for params, expected in acks:
        receipt = await send_emergency(api, Account(account.token, user, ""))
        assert (await acked(first, receipt), await acked(second, receipt)) == ([0], [0])
        ok(await api.post(f"receipts/{receipt}/acknowledge.json", **params))
        state = simulator.receipts[receipt]
        assert (state.acknowledged_by, state.acknowledged_by_device) == (user, expected)
        # The copies still waiting on both devices now show the acknowledgement.
        assert (await acked(first, receipt), await acked(second, receipt)) == ([1], [1])


async def test_callbacks_use_the_given_session_and_survive_failures(
    session: aiohttp.ClientSession,
    account: Account,
    callback_server: CallbackServer,
    socket_enabled: None,
) -> None:
    async with PushoverSimulator(callback_session=session) as simulator:
        simulator.add_app(token=account.token)
        simulator.add_user(user_key=account.user)
        api = Api(session, simulator)
        good = await send_emergency(api, account, callback=callback_server.url)
        unreachable = await send_emergency(api, account, callback="http://127.0.0.1:9/hook")
        await simulator.acknowledge(good)
        await simulator.acknowledge(unreachable)
    assert [post["receipt"] for post in callback_server.posts] == [good]
    assert simulator.receipts[unreachable].called_back  # attempted; the failure is logged
    assert not session.closed  # a borrowed session is left open


async def test_the_simulators_own_callback_session_is_reused(
    api: Api, simulator: PushoverSimulator, account: Account, callback_server: CallbackServer
) -> None:
    for _ in range(2):
        receipt = await send_emergency(api, account, callback=callback_server.url)
        await simulator.acknowledge(receipt)
    assert len(callback_server.posts) == 2


async def test_a_callback_poster_replaces_the_http_post(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    posted: list[tuple[str, dict[str, str]]] = []

    async def poster(url: str, fields: dict[str, str]) -> None:
        posted.append((url, fields))

    simulator.callback_poster = poster
    receipt = await send_emergency(api, account, callback="https://example.com/x")
    await simulator.acknowledge(receipt, user=account.user, device="tablet")
    assert posted == simulator.callbacks
    assert posted[0][1]["acknowledged_by_device"] == "tablet"


# ---------------------------------------------------------------- validate, sounds, glances


async def test_validate(api: Api, simulator: PushoverSimulator, account: Account) -> None:
    body = ok(await api.post("users/validate.json", token=account.token, user=account.user))
    assert (body["group"], body["devices"], body["licenses"]) == (
        0,
        ["phone", "tablet"],
        ["Android"],
    )
    ok(
        await api.post(
            "users/validate.json", token=account.token, user=account.user, device="phone"
        )
    )
    group = simulator.add_group("G", owner_token=simulator.add_app("Other"))
    body = ok(await api.post("users/validate.json", token=account.token, user=group))
    assert (body["group"], body["devices"], body["licenses"]) == (1, [], [])

    deviceless = simulator.add_user(devices=())
    for user, device, errors, keys in [
        ("u" * 30, "", ["user key is invalid"], {"user": "invalid"}),
        (deviceless, "", ["user is valid but has no active devices"], {"user": "invalid"}),
        (
            account.user,
            "pixel",
            ["device name is not valid for this user"],
            {"device": "invalid for this user"},
        ),
    ]:
        reply = await api.post("users/validate.json", token=account.token, user=user, device=device)
        refused(reply, errors, **keys)
    refused(
        await api.post("users/validate.json", token="x", user=account.user),
        ["application token is invalid"],
        token="invalid",
    )


async def test_sounds_add_the_accounts_custom_sounds(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.add_sound(account.token, "doorbell", "Doorbell")
    other = simulator.add_app("Other")
    sounds = ok(await api.get("sounds.json", token=account.token))["sounds"]
    assert sounds == {**BUILTIN_SOUNDS, "doorbell": "Doorbell"}
    assert len(BUILTIN_SOUNDS) == 23
    assert ok(await api.get("sounds.json", token=other))["sounds"] == BUILTIN_SOUNDS


async def test_glances(api: Api, simulator: PushoverSimulator, account: Account) -> None:
    base = {"token": account.token, "user": account.user}
    ok(await api.post("glances.json", **base, title="Solar", text="4 kW", count="-4"))
    ok(await api.post("glances.json", **base, text="", percent="100"))  # "" clears a field
    ok(await api.post("glances.json", **base, device="phone", subtext="on the phone"))
    assert simulator.glances == {
        (account.user, None): {"title": "Solar", "count": "-4", "percent": "100"},
        (account.user, "phone"): {"subtext": "on the phone"},
    }
    for extra, errors, keys in [
        ({}, ["at least one of title, text, subtext, count or percent must be supplied"], {}),
        (
            {"subtext": "s" * 101},
            ["subtext is too long, maximum is 100 characters"],
            {"subtext": "invalid"},
        ),
        ({"count": "many"}, ["count must be an integer"], {"count": "invalid"}),
        ({"percent": "101"}, ["percent must be between 0 and 100"], {"percent": "invalid"}),
        ({"percent": "-1"}, ["percent must be between 0 and 100"], {"percent": "invalid"}),
        ({"title": "x", "device": "no spaces"}, ["device name is invalid"], {"device": "invalid"}),
    ]:
        refused(await api.post("glances.json", **base, **extra), errors, **keys)
    refused(
        await api.post("glances.json", token=account.token, user="u" * 30, title="x"),
        ["user key is invalid"],
        user="invalid",
    )


# ---------------------------------------------------------------- groups


async def test_groups(api: Api, simulator: PushoverSimulator, account: Account) -> None:
    token = account.token
    key = ok(await api.post("groups.json", token=token, name="Family"))["group"]
    assert len(key) == 30
    simulator.add_group("Theirs", owner_token=simulator.add_app("Other"))
    assert ok(await api.get("groups.json", token=token))["groups"] == [
        {"group": key, "name": "Family"}
    ]
    refused(await api.post("groups.json", token=token), ["name must be supplied"], name="invalid")

    path = f"groups/{key}"
    ok(await api.post(f"{path}/add_user.json", token=token, user=account.user, memo="Me"))
    ok(await api.post(f"{path}/add_user.json", token=token, user=account.user, device="phone"))
    ok(await api.post(f"{path}/add_user.json", token=token, user=account.other_user))
    ok(await api.post(f"{path}/disable_user.json", token=token, user=account.other_user))
    ok(await api.post(f"{path}/rename.json", token=token, name="Home"))
    assert ok(await api.get(f"{path}.json", token=token)) | {"request": ""} == {
        "name": "Home",
        "users": [
            {"user": account.user, "device": None, "memo": "Me", "disabled": False},
            {"user": account.user, "device": "phone", "memo": "", "disabled": False},
            {"user": account.other_user, "device": None, "memo": "", "disabled": True},
        ],
        "status": 1,
        "request": "",
    }
    ok(await api.post(f"{path}/enable_user.json", token=token, user=account.other_user))
    assert not simulator.groups[key].members[2].disabled
    ok(await api.post(f"{path}/remove_user.json", token=token, user=account.other_user))
    ok(await api.post(f"{path}/delete_user.json", token=token, user=account.user))  # all devices
    assert simulator.groups[key].members == []

    member_errors: list[tuple[str, dict[str, str], list[str], dict[str, str]]] = [
        ("add_user", {"user": "u" * 30}, ["user key is invalid"], {"user": "invalid"}),
        (
            "add_user",
            {"user": account.user, "memo": "m" * 201},
            ["memo is too long, maximum is 200 characters"],
            {"memo": "invalid"},
        ),
        ("rename", {}, ["name must be supplied"], {"name": "invalid"}),
        (
            "delete_user",
            {"user": account.user},
            ["user is not a member of this group"],
            {"user": "invalid"},
        ),
        (
            "enable_user",
            {"user": account.user},
            ["user is not a member of this group"],
            {"user": "invalid"},
        ),
        ("explode", {"user": account.user}, ["not found"], {}),
    ]
    for action, extra, errors, keys in member_errors:
        reply = await api.post(f"{path}/{action}.json", token=token, **extra)
        refused(reply, errors, status=404 if action == "explode" else 400, **keys)
    ok(await api.post(f"{path}/add_user.json", token=token, user=account.user))
    refused(
        await api.post(f"{path}/add_user.json", token=token, user=account.user),
        ["user is already a member of this group"],
        user="invalid",
    )
    refused(
        await api.post(f"{path}/disable_user.json", token=token, user=account.user, device="tv"),
        ["user is not a member of this group"],
        user="invalid",
    )

    not_found = ["group not found or you are not authorized to edit it"]
    other = simulator.add_app("Other")
    refused(await api.get(f"{path}.json", token=other), not_found, group="not found")
    refused(await api.get(f"groups/{'g' * 30}.json", token=token), not_found, group="not found")
    refused(
        await api.post(f"{path}/rename.json", token=other, name="x"), not_found, group="not found"
    )


# ---------------------------------------------------------------- teams, licenses, subscriptions


async def test_teams(api: Api, simulator: PushoverSimulator) -> None:
    team = simulator.add_team("Ops", members=("lead@example.com",))
    body = ok(await api.get("teams.json", token=team))
    assert (body["name"], body["users"]) == ("Ops", [{"email": "lead@example.com"}])

    ok(
        await api.post(
            "teams/add_user.json",
            token=team,
            email="new@example.com",
            name="New",
            password="pw",
            instant="true",
            admin="true",
            group="On call",
        )
    )
    assert simulator.teams[team].members["new@example.com"] == {
        "email": "new@example.com",
        "name": "New",
        "instant": "true",
        "admin": "true",
        "group": "On call",
    }
    ok(await api.post("teams/remove_user.json", token=team, email="lead@example.com"))
    assert list(simulator.teams[team].members) == ["new@example.com"]

    refused(
        await api.post("teams/add_user.json", token=team, email="nobody"),
        ["email is invalid"],
        email="invalid",
    )
    refused(
        await api.post("teams/remove_user.json", token=team, email="lead@example.com"),
        ["user is not a member of this team"],
        email="invalid",
    )
    refused(await api.get("teams.json", token="x"), ["team token is invalid"], token="invalid")


async def test_licenses(api: Api, simulator: PushoverSimulator, account: Account) -> None:
    token = account.token
    assert ok(await api.get("licenses.json", token=token))["credits"] == 0
    refused(
        await api.post("licenses/assign.json", token=token, user=account.user),
        ["application is out of available license credits"],
        token="is out of available license credits",
    )
    simulator.set_license_credits(token, 3)
    assert (
        ok(await api.post("licenses/assign.json", token=token, user=account.user))["credits"] == 2
    )
    assert simulator.users[account.user].licenses == ["Android"]  # blank os: first platform
    body = ok(await api.post("licenses/assign.json", token=token, user=account.user, os="Desktop"))
    assert body["credits"] == 1
    assert simulator.users[account.user].licenses == ["Android", "Desktop"]
    ok(await api.post("licenses/assign.json", token=token, email="new@example.com", os="iOS"))
    assert ok(await api.get("licenses.json", token=token))["credits"] == 0

    for extra, errors, keys in [
        ({}, ["user or email must be supplied"], {"user": "invalid"}),
        ({"user": "u" * 30}, ["user key is invalid"], {"user": "invalid"}),
        ({"email": "a@b.co", "os": "Windows"}, ["os is invalid"], {"os": "invalid"}),
    ]:
        refused(await api.post("licenses/assign.json", token=token, **extra), errors, **keys)
    refused(
        await api.get("licenses.json", token="x"), ["application token is invalid"], token="invalid"
    )


async def test_subscriptions(api: Api, simulator: PushoverSimulator, account: Account) -> None:
    simulator.add_subscription(account.token, "code")
    base = {"token": account.token, "subscription": "code"}

    key = ok(await api.post("subscriptions/migrate.json", **base, user=account.user))[
        "subscribed_user_key"
    ]
    one = ok(
        await api.post(
            "subscriptions/migrate.json", **base, user=account.user, device_name="tablet"
        )
    )["subscribed_user_key"]

    assert key != account.user
    assert simulator.users[key].devices == ["phone", "tablet"]
    assert simulator.users[one].devices == ["tablet"]
    refused(
        await api.post("subscriptions/migrate.json", **{**base, "subscription": "other"}, user=key),
        ["subscription code is invalid"],
        subscription="invalid",
    )
    refused(
        await api.post("subscriptions/migrate.json", **base, user="u" * 30),
        ["user key is not valid for any active user"],
        user="is not a valid user",
    )


# ---------------------------------------------------------------- Open Client


async def test_login(api: Api, simulator: PushoverSimulator) -> None:
    user = simulator.add_user(devices=(), email="me@example.com", password="pw")
    twofa_user = simulator.add_user(
        devices=(), email="2fa@example.com", password="pw", twofa="123456"
    )

    body = ok(await api.post("users/login.json", email="me@example.com", password="pw"))
    assert body["id"] == user
    assert len(body["secret"]) == 60
    assert simulator.sessions[body["secret"]] == user
    again = ok(await api.post("users/login.json", email="me@example.com", password="pw"))
    assert again["secret"] != body["secret"]  # a secret per login

    bad = ["invalid email and/or password"]
    refused(
        await api.post("users/login.json", email="me@example.com", password="x"),
        bad,
        email="invalid",
    )
    refused(
        await api.post("users/login.json", email="no@example.com", password="pw"),
        bad,
        email="invalid",
    )
    needs_code = ["two-factor authentication code required"]
    refused(
        await api.post("users/login.json", email="2fa@example.com", password="pw"),
        needs_code,
        status=412,
        twofa="invalid",
        totp="two factor auth required",
    )
    refused(
        await api.post("users/login.json", email="2fa@example.com", password="pw", twofa="000000"),
        needs_code,
        status=412,
        twofa="invalid",
        totp="two factor auth required",
    )
    body = ok(
        await api.post("users/login.json", email="2fa@example.com", password="pw", twofa="123456")
    )
    assert body["id"] == twofa_user


async def test_register_device(api: Api, simulator: PushoverSimulator) -> None:
    user, secret, device_id = await open_client(api, simulator, name="home")

    assert len(device_id) == 40
    assert simulator.users[user].devices == ["home"]
    assert simulator.users[user].licenses == ["Android", "Desktop"]
    assert simulator.open_client_devices[device_id].user == user
    for extra, errors in [
        ({"name": "home", "os": "O"}, {"name": ["has already been taken"]}),
        ({"name": "no spaces", "os": "O"}, {"name": ["is invalid"]}),
        ({"name": "other", "os": "A"}, {"os": ["is invalid"]}),
    ]:
        refused(await api.post("devices.json", secret=secret, **extra), errors)
    refused(
        await api.post("devices.json", secret="stale", name="x", os="O"),
        ["secret is invalid; please re-login"],
        secret="invalid",
    )
    _, other_secret, _ = await open_client(api, simulator, email="b@example.com")
    body = ok(await api.post("devices.json", secret=other_secret, name="second", os="O"))
    assert simulator.users[simulator.sessions[other_secret]].licenses == ["Android", "Desktop"]
    assert body["id"] in simulator.open_client_devices


def test_each_app_has_its_own_icon_id_made_from_its_token() -> None:
    first, again = PushoverSimulator(), PushoverSimulator()
    token = first.add_app("Doorbell")
    other = first.add_app("Backups")
    again.add_app("Doorbell", token=token)

    icon = first.apps[token].icon
    assert re.fullmatch(r"[a-z0-9]{15}", icon)
    assert first.apps[other].icon != icon
    assert again.apps[token].icon == icon


async def test_download_and_delete_messages(
    api: Api, simulator: PushoverSimulator, account: Account, clock: Clock
) -> None:
    user, secret, device_id = await open_client(api, simulator)
    base = {"token": account.token, "user": user}
    ok(await api.post("messages.json", **base, message="plain"))
    ok(
        await api.post(
            "messages.json",
            **base,
            message="full",
            title="T",
            url="https://e.x",
            url_title="L",
            sound="pushover",
            html="1",
            timestamp="1700000000",
        )
    )
    ok(await api.post("messages.json", **base, message="bike", sound="bike", priority="-1"))

    body = ok(await api.get("messages.json", secret=secret, device_id=device_id))
    plain, full, bike = body["messages"]
    now = int(clock.now)
    assert plain == {
        "id": plain["id"],
        "id_str": str(plain["id"]),
        "umid": plain["id"] + 7,
        "umid_str": str(plain["id"] + 7),
        "message": "plain",
        "app": "Home",
        "aid": 1,
        "aid_str": "1",
        "icon": simulator.apps[account.token].icon,
        "date": now,
        "queued_date": now,
        "dispatched_date": now,
        "priority": 0,
        "acked": 0,
    }
    assert plain["id"] > 2**32
    assert full["id"] == plain["id"] + 1
    assert (full["title"], full["url"], full["url_title"], full["sound"], full["html"]) == (
        "T",
        "https://e.x",
        "L",
        "po",
        1,
    )
    assert full["date"] == 1_700_000_000
    assert (bike["sound"], bike["priority"]) == ("bike", -1)
    assert body["user"] == {
        "quiet_hours": False,
        "is_android_licensed": True,
        "is_ios_licensed": False,
        "is_desktop_licensed": True,
        "email": "me@example.com",
        "quick_quiet_until": None,
        "show_team_ad": "1",
    }
    assert body["device"] == {
        "name": "ha",
        "encryption_enabled": False,
        "default_sound": "po",
        "always_use_default_sound": False,
        "default_high_priority_sound": "po",
        "always_use_default_high_priority_sound": False,
        "dismissal_sync_enabled": False,
    }

    ok(
        await api.post(
            f"devices/{device_id}/update_highest_message.json",
            secret=secret,
            message=full["id_str"],
        )
    )
    remaining = ok(await api.get("messages.json", secret=secret, device_id=device_id))["messages"]
    assert remaining == [bike]

    refused(
        await api.post(f"devices/{device_id}/update_highest_message.json", secret=secret),
        ["message must be supplied"],
        message="invalid",
    )
    _, _, other_device = await open_client(api, simulator, email="b@example.com")
    for device in ("nope", other_device):
        refused(
            await api.get("messages.json", secret=secret, device_id=device),
            ["device_id is invalid"],
            device_id="invalid",
        )
        refused(
            await api.post(
                f"devices/{device}/update_highest_message.json", secret=secret, message="1"
            ),
            ["device not found"],
            device="invalid",
        )
    refused(
        await api.get("messages.json", secret="stale", device_id=device_id),
        ["secret is invalid; please re-login"],
        secret="invalid",
    )


async def test_open_client_devices_get_only_messages_meant_for_them(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    user, secret, device_id = await open_client(api, simulator)
    simulator.users[user].devices.insert(0, "phone")
    base = {"token": account.token, "user": user}
    ok(await api.post("messages.json", **base, message="to the phone", device="phone"))
    ok(await api.post("messages.json", **base, message="to ha", device="ha"))
    ok(await api.post("messages.json", **base, message="to all"))
    group = simulator.add_group("G", owner_token=account.token, members=[(user, "phone", "")])
    ok(await api.post("messages.json", token=account.token, user=group, message="group"))

    messages = ok(await api.get("messages.json", secret=secret, device_id=device_id))["messages"]

    assert [message["message"] for message in messages] == ["to ha", "to all"]


# ---------------------------------------------------------------- websocket


async def connect(
    session: aiohttp.ClientSession, simulator: PushoverSimulator, login: str | bytes | None
) -> aiohttp.ClientWebSocketResponse:
    socket = await session.ws_connect(simulator.websocket_url)
    if isinstance(login, bytes):
        await socket.send_bytes(login)
    elif login is not None:
        await socket.send_str(login)
    return socket


async def after_keepalives(socket: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """The next frame that is not a keep-alive."""
    frame = await socket.receive(timeout=5)
    while frame.data == b"#":
        frame = await socket.receive(timeout=5)
    return frame


@pytest.mark.parametrize(
    "kind", ["wrong-secret", "unknown-device", "no-newline", "binary", "not-a-login"]
)
async def test_a_bad_websocket_login_gets_e_and_a_close(
    api: Api, session: aiohttp.ClientSession, simulator: PushoverSimulator, kind: str
) -> None:
    _, secret, device_id = await open_client(api, simulator)
    login: str | bytes = {
        "wrong-secret": f"login:{device_id}:nope\n",
        "unknown-device": f"login:nope:{secret}\n",
        "no-newline": f"login:{device_id}:{secret}",
        "binary": f"login:{device_id}:{secret}\n".encode(),
        "not-a-login": f"hello login:{device_id}:{secret}\n",
    }[kind]
    socket = await connect(session, simulator, login)

    frame = await socket.receive(timeout=5)
    assert (frame.type, frame.data) == (aiohttp.WSMsgType.BINARY, b"E")
    assert (await socket.receive(timeout=5)).type is aiohttp.WSMsgType.CLOSE
    await socket.close()
    assert simulator.websocket_logins == []


async def test_websocket_keepalives_frames_and_close(
    api: Api, session: aiohttp.ClientSession, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.keepalive_interval = 0.05
    user, secret, device_id = await open_client(api, simulator)
    _, other_secret, other_device = await open_client(api, simulator, email="b@example.com")
    socket = await connect(session, simulator, f"login:{device_id}:{secret}\n")
    other = await connect(session, simulator, f"login:{other_device}:{other_secret}\n")
    await wait_until(lambda: simulator.websocket_logins == [device_id, other_device])

    frames = [await socket.receive(timeout=5) for _ in range(3)]
    assert [(frame.type, frame.data) for frame in frames] == [
        (aiohttp.WSMsgType.BINARY, b"#")
    ] * 3  # periodic keep-alives
    await socket.send_str("the client may talk; the server ignores it")
    ok(await api.post("messages.json", token=account.token, user=user, message="x"))
    frame = await after_keepalives(socket)
    assert (frame.type, frame.data) == (aiohttp.WSMsgType.BINARY, b"!")
    await simulator.send_frame(device_id, "R", as_text=True)
    frame = await after_keepalives(socket)
    assert (frame.type, frame.data) == (aiohttp.WSMsgType.TEXT, "R")

    await simulator.close_websockets(device_id)  # abruptly: no close frame
    assert (await after_keepalives(socket)).type is aiohttp.WSMsgType.CLOSED
    assert socket.close_code != 1000
    assert not other.closed
    await simulator.send_frame(other_device, "A")
    assert (await after_keepalives(other)).data == b"A"
    await simulator.close_websockets(abrupt=False)
    closing = await after_keepalives(other)
    assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1000)
    await socket.close()
    await other.close()
    await wait_until(lambda: not any(simulator._sockets.values()))
    await wait_until(lambda: not simulator._tasks)  # the keep-alive loops end with their sockets


async def test_a_second_login_of_a_device_ends_the_first_session(
    api: Api, session: aiohttp.ClientSession, simulator: PushoverSimulator
) -> None:
    _, secret, device_id = await open_client(api, simulator)
    first = await connect(session, simulator, f"login:{device_id}:{secret}\n")
    await wait_until(lambda: simulator.websocket_logins == [device_id])
    second = await connect(session, simulator, f"login:{device_id}:{secret}\n")
    await wait_until(lambda: simulator.websocket_logins == [device_id, device_id])
    assert (await after_keepalives(first)).data == b"A"
    assert (await after_keepalives(first)).type is aiohttp.WSMsgType.CLOSE
    await first.close()
    assert not second.closed
    await simulator.send_frame(device_id, "!")
    assert (await after_keepalives(second)).data == b"!"  # the new session stays
    await second.close()


async def test_a_login_script_plays_a_hostile_server(
    api: Api, session: aiohttp.ClientSession, simulator: PushoverSimulator
) -> None:
    """After each accepted login the script runs, then the server hangs up."""
    _, secret, device_id = await open_client(api, simulator)

    async def reload_twice(socket: web.WebSocketResponse) -> None:
        await socket.send_bytes(b"R")
        await socket.send_str("R")

    simulator.login_script = reload_twice
    socket = await connect(session, simulator, f"login:{device_id}:{secret}\n")
    frames = [await socket.receive(timeout=5) for _ in range(3)]
    assert [(frame.type, frame.data) for frame in frames] == [
        (aiohttp.WSMsgType.BINARY, b"R"),
        (aiohttp.WSMsgType.TEXT, "R"),
        (aiohttp.WSMsgType.CLOSE, 1000),
    ]
    await socket.close()
    assert simulator.websocket_logins == [device_id]
    await wait_until(lambda: not any(simulator._sockets.values()))


async def test_a_websocket_without_login_is_closed(
    session: aiohttp.ClientSession, simulator: PushoverSimulator
) -> None:
    simulator.login_timeout = 0.05
    socket = await connect(session, simulator, None)
    assert (await socket.receive(timeout=5)).type is aiohttp.WSMsgType.CLOSE
    await socket.close()


async def test_a_websocket_is_not_a_request_in_flight(
    api: Api, session: aiohttp.ClientSession, simulator: PushoverSimulator, account: Account
) -> None:
    _, secret, device_id = await open_client(api, simulator)
    socket = await connect(session, simulator, f"login:{device_id}:{secret}\n")
    await wait_until(lambda: device_id in simulator.websocket_logins)
    simulator.reset_stats()
    ok(await api.get("sounds.json", token=account.token))
    assert simulator.max_concurrent_requests == 1
    await socket.close()


# ---------------------------------------------------------------- faults


@pytest.mark.parametrize("kind", ["500", "502", "503"])
async def test_server_error_faults(
    api: Api, simulator: PushoverSimulator, account: Account, kind: Any
) -> None:
    simulator.inject_fault(kind, count=2, path="messages")
    base = {"token": account.token, "user": account.user, "message": "x"}

    assert (await api.get("sounds.json", token=account.token)).status == 200  # other path
    for _ in range(2):
        reply = await api.post("messages.json", **base)
        assert reply.status == int(kind)
        assert reply.body == {"text": "<html>Server error</html>"}
    ok(await api.post("messages.json", **base))
    assert [request.status for request in simulator.requests] == [200, int(kind), int(kind), 200]
    assert len(simulator.deliveries) == 1


async def test_timeout_fault_delays_the_answer(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.inject_fault("timeout", delay=0.2)
    started = time.perf_counter()
    ok(await api.get("sounds.json", token=account.token))
    assert time.perf_counter() - started >= 0.2


async def test_stopping_ends_a_request_stuck_in_a_timeout_fault(
    session: aiohttp.ClientSession, account: Account, socket_enabled: None
) -> None:
    simulator = PushoverSimulator()
    await simulator.start()
    simulator.inject_fault("timeout")  # an hour
    stuck = asyncio.ensure_future(
        session.post(simulator.base_url + "glances.json", data={"token": "x"})
    )
    await wait_until(lambda: len(simulator.requests) == 1)
    started = time.perf_counter()
    await simulator.stop()
    assert time.perf_counter() - started < 0.5
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await stuck


async def test_drop_fault_hangs_up(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.inject_fault("drop")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.post("messages.json", token=account.token, user=account.user, message="x")
    assert simulator.deliveries == []
    ok(await api.post("messages.json", token=account.token, user=account.user, message="x"))


async def test_429_fault(api: Api, simulator: PushoverSimulator, account: Account) -> None:
    simulator.inject_fault("429", count=2)
    reply = await api.post("messages.json", token=account.token, user=account.user, message="x")
    refused(
        reply,
        ["application has exceeded current limit of 10000 messages"],
        status=429,
        token="invalid",
    )
    assert reply.headers["X-Limit-App-Remaining"] == "10000"
    reply = await api.post("messages.json", token="x", user=account.user, message="x")
    assert reply.status == 429
    assert "X-Limit-App-Remaining" not in reply.headers


async def test_block_fault_refuses_count_requests(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.inject_fault("block", count=2, path="messages")
    simulator.inject_fault("503", path="messages")  # served once the block is over
    body = {"token": account.token, "user": account.user, "message": "x"}
    ok(await api.get("sounds.json", token=account.token))  # another path is not blocked
    for _ in range(2):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.post("messages.json", **body)
    assert (await api.post("messages.json", **body)).status == 503
    ok(await api.post("messages.json", **body))
    # A refused request never reaches the API: only counted.
    assert [request.path for request in simulator.requests] == ["/1/sounds.json"] + [
        "/1/messages.json"
    ] * 2
    assert simulator.refused_requests == 2
    assert len(simulator.deliveries) == 1


async def test_a_burst_of_4xx_blocks_the_client(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    simulator.auto_block_after_4xx = 3
    simulator.block_seconds = 0.5
    simulator.set_quota(account.token, remaining=0)
    body = {"token": account.token, "user": account.user, "message": "x"}
    assert (await api.post("messages.json", **body)).status == 429  # quota is not abuse
    for _ in range(2):
        assert (await api.post("messages.json", token="bad")).status == 400
    assert (await api.get("sounds.json", token=account.token)).status == 200
    assert (await api.post("messages.json", token="bad")).status == 400  # third 4xx

    with pytest.raises(aiohttp.ClientError):  # a POST, which aiohttp does not resend
        await api.post("messages.json", **body)
    assert simulator.refused_requests == 1
    await asyncio.sleep(0.55)
    ok(await api.get("sounds.json", token=account.token))
    assert len(simulator.requests) == 6  # the refused one is not among them


async def test_without_auto_block_4xx_are_answered(api: Api) -> None:
    for _ in range(10):
        assert (await api.post("messages.json", token="bad")).status == 400


# ---------------------------------------------------------------- counters, lifecycle, demo


async def test_concurrency_counters_and_reset_stats(
    simulator: PushoverSimulator, account: Account, socket_enabled: None
) -> None:
    simulator.response_delay = 0.2  # long enough for all five to overlap on a busy machine
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=5)) as session:
        api = Api(session, simulator)
        replies = await asyncio.gather(
            *(
                api.post("messages.json", token=account.token, user=account.user, message=str(i))
                for i in range(5)
            )
        )
        assert [reply.status for reply in replies] == [200] * 5
        assert simulator.max_concurrent_requests == 5
        assert simulator.max_concurrent_connections == 5

        simulator.inject_fault("block")
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await api.post("glances.json", token=account.token)
        simulator.reset_stats()
        assert (simulator.requests, simulator.deliveries) == ([], [])
        assert simulator.refused_requests == 0
        assert simulator.max_concurrent_requests == 0
        assert simulator.max_concurrent_connections == 4  # open (keep-alive); one was refused
        await api.get("sounds.json", token=account.token)
        assert simulator.max_concurrent_requests == 1


async def test_context_manager_and_double_stop(socket_enabled: None) -> None:
    async with PushoverSimulator() as simulator:
        assert simulator.port > 0
        assert simulator.base_url == f"http://127.0.0.1:{simulator.port}/1/"
        assert simulator.websocket_url == f"ws://127.0.0.1:{simulator.port}/push"
    await simulator.stop()  # already stopped: nothing to do


async def test_demo_seeds_working_credentials(api: Api, simulator: PushoverSimulator) -> None:
    demo = simulator.demo()

    token, user, group = demo["api_token"], demo["user_key"], demo["group_key"]
    ok(await api.post("messages.json", token=token, user=group, message="x"))
    assert [d.user for d in simulator.deliveries] == [user, demo["partner_user_key"]]
    assert "doorbell" in ok(await api.get("sounds.json", token=token))["sounds"]
    assert ok(await api.get("licenses.json", token=token))["credits"] == 5
    assert ok(await api.get("teams.json", token=demo["team_token"]))["name"] == "Demo team"
    ok(
        await api.post(
            "subscriptions/migrate.json", token=token, subscription="demo-subscription", user=user
        )
    )
    ok(
        await api.post(
            "users/login.json",
            email=demo["open_client_email"],
            password=demo["open_client_password"],
        )
    )
    reply = await api.post(
        "users/login.json", email=demo["twofa_email"], password=demo["open_client_password"]
    )
    assert reply.status == 412
    ok(
        await api.post(
            "users/login.json",
            email=demo["twofa_email"],
            password=demo["open_client_password"],
            twofa=demo["twofa_code"],
        )
    )


async def _run_command_line(state: Path) -> tuple[list[str], dict[str, str], Any]:
    """Start `python -m pushover_simulator --seed-demo --state <state>`; read its banner."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "pushover_simulator", "--port", "0", "--seed-demo"),
        *("--state", str(state)),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"},
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(20):
            lines: list[str] = []
            while not lines or not lines[-1].startswith("    curl"):
                lines.append((await process.stdout.readline()).decode().rstrip("\n"))
    except BaseException:
        process.kill()
        await process.wait()
        raise
    demo = dict(line.split() for line in lines[1:] if len(line.split()) == 2)
    return lines, demo, process


async def _stop(process: Any, signum: int) -> None:
    process.send_signal(signum)
    async with asyncio.timeout(10):
        assert await process.wait() == 0  # Ctrl-C and SIGTERM are clean exits


async def test_command_line_keeps_the_demo_across_restarts(
    session: aiohttp.ClientSession, socket_enabled: None, tmp_path: Path
) -> None:
    """The same credentials on every start; Open Client logins and devices carried over."""
    state = tmp_path / "simulator-state.json"
    lines, demo, process = await _run_command_line(state)
    try:
        base = lines[0].split()[2]  # "Pushover simulator: <url>  websocket: …"
        data = {"token": demo["api_token"], "user": demo["group_key"], "message": "x"}
        async with session.post(base + "messages.json", data=data) as response:
            assert response.status == 200
        login = {"email": demo["open_client_email"], "password": demo["open_client_password"]}
        async with session.post(base + "users/login.json", data=login) as response:
            secret = (await response.json())["secret"]
        register = {"secret": secret, "name": "homeassistant", "os": "O"}
        async with session.post(base + "devices.json", data=register) as response:
            device_id = (await response.json())["id"]
        root = base.removesuffix("/1/")
        assert lines[-1] == f"    curl -X POST {root}/sim/receipts/latest/acknowledge"
        await _stop(process, signal.SIGTERM)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert set(demo) >= {"api_token", "user_key", "open_client_user_key", "twofa_code"}

    again_lines, again, process = await _run_command_line(state)
    try:
        assert again == demo
        assert "taken back" in "\n".join(again_lines)
        base = again_lines[0].split()[2]
        query = {"secret": secret, "device_id": device_id}
        async with session.get(base + "messages.json", params=query) as response:
            assert response.status == 200, await response.text()
        message = {"token": demo["api_token"], "user": demo["open_client_user_key"]}
        async with session.post(base + "messages.json", data={**message, "message": "hi"}) as r:
            assert r.status == 200  # the Open Client user has its device again
        await _stop(process, signal.SIGINT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_command_line_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pushover_simulator", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--port" in result.stdout
    assert "--seed-demo" in result.stdout
    assert "--state" in result.stdout


def test_demo_credentials_are_the_same_every_time() -> None:
    first, second = PushoverSimulator().demo(), PushoverSimulator().demo()
    assert first == second
    keys = [value for name, value in first.items() if name.endswith(("_key", "_token"))]
    assert len(set(keys)) == len(keys) == 6
    assert all(len(key) == 30 and key.isalnum() for key in keys)


async def test_force_takes_a_taken_device_name_over(
    api: Api, simulator: PushoverSimulator, account: Account, session: aiohttp.ClientSession
) -> None:
    user, secret, old_id = await open_client(api, simulator, name="home")
    async with session.ws_connect(simulator.websocket_url) as socket:
        await socket.send_str(f"login:{old_id}:{secret}\n")
        await wait_until(lambda: old_id in simulator.websocket_logins)
        refused(
            await api.post("devices.json", secret=secret, name="home", os="O"),
            {"name": ["has already been taken"]},
        )
        body = ok(await api.post("devices.json", secret=secret, name="home", os="O", force="1"))
        assert (await socket.receive()).type is aiohttp.WSMsgType.CLOSE  # the old one is gone
    assert list(simulator.open_client_devices) == [body["id"]] != [old_id]
    assert simulator.users[user].devices == ["home"]
    # A name of one of the user's other devices (an app) can be taken over too.
    simulator.users[user].devices.append("phone")
    ok(await api.post("devices.json", secret=secret, name="phone", os="O", force="1"))
    assert simulator.users[user].devices == ["home", "phone"]


async def test_no_devices_verdict_can_be_left_out(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    """Whether Pushover names the user in this refusal is unknown; the tests try both."""
    deviceless = simulator.add_user(devices=())
    simulator.no_devices_verdict = False
    refused(
        await api.post("users/validate.json", token=account.token, user=deviceless),
        ["user is valid but has no active devices"],
    )


async def test_acknowledge_from_outside(
    api: Api, simulator: PushoverSimulator, account: Account, session: aiohttp.ClientSession
) -> None:
    """/sim/receipts lists the alerts; /sim/receipts/<receipt|latest>/acknowledge acks one."""
    root = simulator.base_url.removesuffix("/1/")
    emergency = {"token": account.token, "priority": "2", "retry": "30", "expire": "300"}
    first = ok(await api.post("messages.json", **emergency, user=account.user, message="a"))
    second = ok(await api.post("messages.json", **emergency, user=account.user, message="b"))
    async with session.get(f"{root}/sim/receipts") as response:
        listed = await response.json()
    assert [item["receipt"] for item in listed] == [second["receipt"], first["receipt"]]
    assert listed[0] == {
        "receipt": second["receipt"],
        "users": [account.user],
        "tags": [],
        "acknowledged": False,
        "expired": False,
    }
    async with session.post(f"{root}/sim/receipts/latest/acknowledge") as response:
        assert (await response.json()) == {
            "receipt": second["receipt"],
            "acknowledged_by": account.user,
            "acknowledged_by_device": "phone",
        }
    receipt = ok(await api.get(f"receipts/{second['receipt']}.json", token=account.token))
    assert receipt["acknowledged"] == 1
    url = f"{root}/sim/receipts/{first['receipt']}/acknowledge"
    async with session.post(url, data={"user": account.other_user}) as response:
        assert response.status == 400  # not a recipient of this alert
    async with session.post(url, params={"device": "tablet"}) as response:
        assert (await response.json())["acknowledged_by_device"] == "tablet"
    async with session.post(f"{root}/sim/receipts/{'x' * 30}/acknowledge") as response:
        assert response.status == 404


async def test_open_client_state_is_carried_over(
    api: Api, simulator: PushoverSimulator, account: Account
) -> None:
    user, secret, device_id = await open_client(api, simulator, name="home")
    ok(await api.post("messages.json", token=account.token, user=user, message="waiting"))
    state = json.loads(json.dumps(simulator.open_client_state()))
    state["devices"].append({"id": "gone", "name": "x", "user": "u" * 30, "queue": []})
    state["sessions"]["stale"] = "u" * 30
    restarted = PushoverSimulator()
    restarted.users[user] = simulator.users[user]
    restarted.users[user].devices = []
    restarted.restore_open_client_state(state)
    assert restarted.sessions == {secret: user}
    assert list(restarted.open_client_devices) == [device_id]
    assert [m["message"] for m in restarted.open_client_devices[device_id].queue] == ["waiting"]
    assert restarted.users[user].devices == ["home"]


async def test_get_reads_a_form_body_too(
    session: aiohttp.ClientSession, simulator: PushoverSimulator, account: Account
) -> None:
    """pushover_complete sends a GET's token in a form body; Pushover reads it."""
    async with session.get(
        simulator.base_url + "sounds.json", data={"token": account.token}
    ) as response:
        assert response.status == 200
        assert "siren" in (await response.json())["sounds"]
    assert simulator.requests[-1].params == {"token": account.token}
