"""Refusals classified into the client's errors (pushover/exceptions.py)."""

from __future__ import annotations

import uuid

import aiohttp

from custom_components.pushover_plus.pushover import (
    Limits,
    Message,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverQuotaExceededError,
    PushoverRequestError,
    PushoverTwoFactorRequiredError,
)
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
