"""Refusals classified into the client's errors (pushover/exceptions.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import json
from typing import Any
import uuid

import aiohttp
import pytest

from custom_components.pushover_plus.pushover import (
    Limits,
    Message,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverQuotaExceededError,
    PushoverRequestError,
    PushoverTwoFactorRequiredError,
    RefusalReason,
)
from custom_components.pushover_plus.pushover.exceptions import refusal_reason
from pushover_simulator import PushoverSimulator
from tests.conftest import Account
from tests.pushover.conftest import (
    FIXED_NOW,
    FIXED_RESET,
    JSON,
    KEY,
    FakeApi,
    Waits,
    as_json,
    fake_client,
    raises,
    recorded,
)


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


Call = Callable[[PushoverClient], Awaitable[Any]]
RECORDED_REFUSALS: list[tuple[str, int, str, Call, type[PushoverRequestError], str | None]] = [
    # fixture, HTTP status, path, call, error class, the parameter it names
    ("user_invalid", 400, "messages.json", lambda c: c.send_message(KEY, Message("x")),
     PushoverAuthenticationError, "user"),
    ("token_invalid", 400, "messages.json", lambda c: c.send_message(KEY, Message("x")),
     PushoverAuthenticationError, "token"),
    ("quota_exceeded", 429, "messages.json", lambda c: c.send_message(KEY, Message("x")),
     PushoverQuotaExceededError, "token"),
    ("html_and_monospace", 400, "messages.json", lambda c: c.send_message(KEY, Message("x")),
     PushoverRequestError, "html"),
    ("no_active_devices", 400, "users/validate.json", lambda c: c.validate_user(KEY),
     PushoverRequestError, None),
    ("no_active_devices_with_verdict", 400, "users/validate.json",
     lambda c: c.validate_user(KEY), PushoverAuthenticationError, "user"),
    ("device_invalid", 400, "users/validate.json", lambda c: c.validate_user(KEY, "pixel"),
     PushoverRequestError, "device"),
    ("device_name_taken", 400, "devices.json", lambda c: c.register_device("s", "ha"),
     PushoverRequestError, "name"),
    ("two_factor_required", 412, "users/login.json", lambda c: c.login("me@example.com", "pw"),
     PushoverTwoFactorRequiredError, "totp"),
    ("receipt_not_found", 400, f"receipts/{KEY}.json", lambda c: c.get_receipt(KEY),
     PushoverRequestError, "receipt"),
    ("license_out_of_credits", 400, "licenses/assign.json",
     lambda c: c.assign_license(user=KEY), PushoverRequestError, "token"),
    ("group_not_a_member", 400, f"groups/{KEY}/disable_user.json",
     lambda c: c.group_disable_user(KEY, KEY), PushoverRequestError, "user"),
]  # fmt: skip
REASONS = {
    "user_invalid": RefusalReason.USER_INVALID,
    "token_invalid": RefusalReason.TOKEN_REJECTED,
    "quota_exceeded": RefusalReason.QUOTA_EXCEEDED,
    "html_and_monospace": RefusalReason.OTHER,
    "no_active_devices": RefusalReason.NO_ACTIVE_DEVICES,
    "no_active_devices_with_verdict": RefusalReason.NO_ACTIVE_DEVICES,
    "device_invalid": RefusalReason.DEVICE_INVALID,
    "device_name_taken": RefusalReason.NAME_TAKEN,
    "two_factor_required": RefusalReason.TWO_FACTOR_REQUIRED,
    "receipt_not_found": RefusalReason.OTHER,
    "license_out_of_credits": RefusalReason.OTHER,
    "group_not_a_member": RefusalReason.USER_INVALID,
}


@pytest.mark.parametrize(
    ("name", "status", "path", "call", "kind", "parameter"),
    RECORDED_REFUSALS,
    ids=[case[0] for case in RECORDED_REFUSALS],
)
async def test_recorded_refusals_are_classified(
    session: aiohttp.ClientSession,
    fake_api: FakeApi,
    name: str,
    status: int,
    path: str,
    call: Call,
    kind: type[PushoverRequestError],
    parameter: str | None,
) -> None:
    """Pushover's answers as documented (tests/fixtures), each with the reason callers use."""
    fake_api.responses[path] = recorded(name, status)
    body = json.loads(fake_api.responses[path][1])

    err = await raises(kind, call(fake_client(session, fake_api, max_retries=2)))

    assert (err.status, err.reason, err.parameter) == (status, REASONS[name], parameter)
    assert err.request_id is None  # the id travels in a header, not in the body
    texts = body.get("errors", [])
    if isinstance(texts, list):
        assert err.errors == (texts or [f"HTTP {status}"])
    assert fake_api.hits == [path]  # a refusal is never retried


def test_every_reason_is_recorded_or_reasoned_about() -> None:
    """Every reason has a recorded answer, except the secret's (no wording is known)."""
    assert set(REASONS) == {case[0] for case in RECORDED_REFUSALS}
    assert set(RefusalReason) - set(REASONS.values()) == {RefusalReason.SECRET_REJECTED}


@pytest.mark.parametrize(
    ("errors", "parameters", "reason"),
    [
        (["secret is invalid"], {}, RefusalReason.SECRET_REJECTED),
        ([], {"secret": "invalid"}, RefusalReason.SECRET_REJECTED),
        (["Session Secret expired"], {"user": "invalid"}, RefusalReason.SECRET_REJECTED),
        (["application token is invalid"], {"token": "invalid"}, RefusalReason.TOKEN_REJECTED),
        (["device_id is invalid"], {}, RefusalReason.OTHER),
        (["user has NO ACTIVE DEVICES"], {}, RefusalReason.NO_ACTIVE_DEVICES),
        ([], {"name": "Has already been TAKEN"}, RefusalReason.NAME_TAKEN),
        ([], {"user": "invalid", "device": "invalid"}, RefusalReason.USER_INVALID),
    ],
)
def test_refusal_reason_order(
    errors: list[str], parameters: dict[str, str], reason: RefusalReason
) -> None:
    assert refusal_reason(400, errors, parameters) is reason
    assert refusal_reason(429, errors, parameters) is RefusalReason.QUOTA_EXCEEDED
    assert refusal_reason(412, errors, parameters) is RefusalReason.TWO_FACTOR_REQUIRED
