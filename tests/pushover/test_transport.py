"""The transport (pushover/transport.py): sends, failures, retries, slots, logs.

The etiquette the docs ask for: at most two requests in flight, 5xx retried no sooner
than 5 s apart, 4xx never.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import logging
from typing import Any

import aiohttp
import pytest

from custom_components.pushover_plus.pushover import (
    Message,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverConnectionError,
    PushoverError,
    PushoverQuotaExceededError,
    PushoverRequestError,
    PushoverServerError,
    PushoverTimeoutError,
    PushoverUnexpectedResponseError,
    RequestSlots,
)
from pushover_simulator import PushoverSimulator
from tests.conftest import Account
from tests.pushover.conftest import (
    JSON,
    KEY,
    FakeApi,
    Waits,
    as_json,
    fake_client,
    free_port,
    raises,
)


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


async def test_debug_logs_name_paths_statuses_and_request_ids_but_no_secrets(
    client: PushoverClient,
    simulator: PushoverSimulator,
    account: Account,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.pushover_plus.pushover")
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
