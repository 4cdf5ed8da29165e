"""The account management endpoints (pushover/management.py), on the simulator."""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.pushover_plus.pushover import (
    GroupInfo,
    GroupMember,
    GroupSummary,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverRequestError,
)
from pushover_simulator import PushoverSimulator
from tests.conftest import Account
from tests.pushover.conftest import (
    JSON,
    KEY,
    OK,
    FakeApi,
    as_json,
    fake_client,
    raises,
)


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
