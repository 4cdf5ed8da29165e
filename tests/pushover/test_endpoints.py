"""Every endpoint of the client besides messages and the Open Client, on the simulator."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import aiohttp
import pytest

from custom_components.pushover_plus.pushover import (
    GroupInfo,
    GroupMember,
    GroupSummary,
    Limits,
    Message,
    MessageResult,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverRequestError,
    Receipt,
    UserValidation,
)
from pushover_simulator import PushoverSimulator
from tests.conftest import Account
from tests.pushover.conftest import (
    FIXED_NOW,
    FIXED_RESET,
    JSON,
    KEY,
    OK,
    FakeApi,
    as_json,
    fake_client,
    raises,
    recorded,
)


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


async def test_recorded_answers_are_read(session: aiohttp.ClientSession, fake_api: FakeApi) -> None:
    """Pushover's documented success bodies (tests/fixtures) parse into the models."""
    fake_api.responses["messages.json"] = recorded("messages_sent_emergency")
    fake_api.responses["users/validate.json"] = recorded("user_valid")
    fake_api.responses[f"receipts/{KEY}.json"] = recorded("receipt_acknowledged")
    fake_api.responses["apps/limits.json"] = recorded("limits")
    fake_api.responses["users/login.json"] = recorded("login")
    client = fake_client(session, fake_api)

    sent = await client.send_message(KEY, Message("x", priority=2, retry=30, expire=60))
    assert sent == MessageResult(
        "647d2300-702c-4b38-8b2f-d56326ae460b", "gggg7777GGGG7777hhhh8888HHHH88", None
    )
    assert await client.validate_user(KEY) == UserValidation(False, ["pixel2xl"], ["Android"])
    at = partial(datetime.fromtimestamp, tz=UTC)
    assert await client.get_receipt(KEY) == Receipt(
        acknowledged=True,
        acknowledged_at=at(1593975206),
        acknowledged_by="a" * 30,
        acknowledged_by_device="test-device-1",
        last_delivered_at=at(1593975186),
        expired=True,
        expires_at=at(1593975485),
        called_back=True,
        called_back_at=at(1593975206),
    )
    assert await client.get_limits() == Limits(7500, 6841, at(1535778000))
    session_ = await client.login("me@example.com", "pw")
    assert session_.user_key == "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
    assert len(session_.secret) == 60


async def test_a_recorded_send_without_a_receipt(
    session: aiohttp.ClientSession, fake_api: FakeApi
) -> None:
    fake_api.responses["messages.json"] = recorded("messages_sent")
    result = await fake_client(session, fake_api).send_message(KEY, Message("x"))
    assert result == MessageResult("647d2300-702c-4b38-8b2f-d56326ae460b", None, None)
