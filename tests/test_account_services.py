"""Actions on the account against the simulator: delivery groups, teams, licensing and
subscriptions (account_services.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.pushover_plus.const import CONF_TEAM_TOKEN, DOMAIN
from custom_components.pushover_plus.data import sender_data
from pushover_simulator import PushoverSimulator

from .conftest import UNKNOWN_KEY, Account, act, ask, last, paths


async def run(hass: HomeAssistant, entry: MockConfigEntry, action: str, **data: Any) -> None:
    """Call an action, asking for the response only where the action gives one."""
    await hass.services.async_call(
        DOMAIN,
        action,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=hass.services.supports_response(DOMAIN, action) != "none",
    )


# ---------------------------------------------------------------- delivery groups


async def test_group_lifecycle(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    created = await ask(hass, loaded_sender, "create_group", name="Family")
    group_key = created["group"]
    assert simulator.groups[group_key].owner_token == account.token
    assert simulator.groups[group_key].name == "Family"
    listed = await ask(hass, loaded_sender, "list_groups")
    assert listed == {"groups": [{"group": group_key, "name": "Family"}]}

    await act(hass, loaded_sender, "rename_group", group_key=group_key, name="Household")
    await act(
        hass, loaded_sender, "group_add_user", group_key=group_key, user=account.user, memo="Me"
    )
    await act(
        hass,
        loaded_sender,
        "group_add_user",
        group_key=group_key,
        user=account.other_user,
        device="pixel",
    )
    assert last(simulator, f"/1/groups/{group_key}/add_user.json") == {
        "token": account.token,
        "user": account.other_user,
        "device": "pixel",
    }
    await act(
        hass,
        loaded_sender,
        "group_disable_user",
        group_key=group_key,
        user=account.other_user,
        device="pixel",
    )
    info = await ask(hass, loaded_sender, "get_group", group_key=group_key)
    assert info == {
        "group": {
            "name": "Household",
            "users": [
                {"user": account.user, "device": None, "memo": "Me", "disabled": False},
                {"user": account.other_user, "device": "pixel", "memo": "", "disabled": True},
            ],
        }
    }
    await act(
        hass, loaded_sender, "group_enable_user", group_key=group_key, user=account.other_user
    )
    assert last(simulator, f"/1/groups/{group_key}/enable_user.json") == {
        "token": account.token,
        "user": account.other_user,
    }
    assert not simulator.groups[group_key].members[1].disabled
    await act(hass, loaded_sender, "group_remove_user", group_key=group_key, user=account.user)
    assert [m.user for m in simulator.groups[group_key].members] == [account.other_user]
    assert f"/1/groups/{group_key}/delete_user.json" in paths(simulator)


async def test_group_changes_refresh_the_groups(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    groups = sender_data(loaded_sender).groups
    assert groups.data == {}
    assert groups.update_interval == timedelta(hours=12)  # no groups: twice a day
    group_key = (await ask(hass, loaded_sender, "create_group", name="Family"))["group"]
    assert set(groups.data) == {group_key}
    assert groups.update_interval == timedelta(hours=1)
    # a second change within the cooldown is picked up when the cooldown ends
    await act(hass, loaded_sender, "group_add_user", group_key=group_key, user=account.user)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    await hass.async_block_till_done()
    assert [m.user for m in groups.data[group_key].users] == [account.user]


async def test_group_refusals_carry_pushovers_text(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    group_key = simulator.add_group(
        "Family", owner_token=account.token, members=[(account.user, None, "")]
    )
    foreign = simulator.add_group("Other", owner_token=simulator.add_app("Other"))
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("get_group", {"group_key": foreign}, "group not found or you are not authorized"),
        ("rename_group", {"group_key": foreign, "name": "Mine"}, "group not found"),
        ("group_add_user", {"group_key": group_key, "user": account.user}, "already a member"),
        ("group_add_user", {"group_key": group_key, "user": UNKNOWN_KEY}, "user key is invalid"),
        (
            "group_disable_user",
            {"group_key": group_key, "user": account.other_user},
            "user is not a member of this group",
        ),
    ]
    for action, data, text in cases:
        with pytest.raises(HomeAssistantError) as err:
            await run(hass, loaded_sender, action, **data)
        assert not isinstance(err.value, ServiceValidationError), action
        assert err.value.translation_key == "request_refused", action
        assert text in err.value.translation_placeholders["error"], action
    assert simulator.groups[foreign].name == "Other"


@pytest.mark.parametrize(
    ("action", "data", "key"),
    [
        ("create_group", {"name": "  "}, "group_name_empty"),
        ("rename_group", {"group_key": "G" * 30, "name": ""}, "group_name_empty"),
        ("get_group", {"group_key": "short"}, "user_key_invalid"),
        (
            "group_add_user",
            {"group_key": "G" * 30, "user": "U" * 30, "memo": "m" * 201},
            "memo_too_long",
        ),
        ("group_add_user", {"group_key": "G" * 30, "user": "nope"}, "user_key_invalid"),
        ("group_remove_user", {"group_key": "G/" * 15, "user": "U" * 30}, "user_key_invalid"),
        (
            "group_enable_user",
            {"group_key": "G" * 30, "user": "U" * 30, "device": "a,b"},
            "device_name_invalid",
        ),
        ("group_disable_user", {"group_key": "G" * 30, "user": ""}, "user_key_invalid"),
    ],
)
async def test_group_actions_check_before_sending(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    action: str,
    data: dict[str, Any],
    key: str,
) -> None:
    before = list(simulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await run(hass, loaded_sender, action, **data)
    assert err.value.translation_key == key
    assert simulator.requests == before


async def test_memo_of_200_characters_is_accepted(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    group_key = simulator.add_group("Family", owner_token=account.token)
    await act(
        hass,
        loaded_sender,
        "group_add_user",
        group_key=group_key,
        user=account.user,
        memo="m" * 200,
    )
    assert simulator.groups[group_key].members[0].memo == "m" * 200


# ---------------------------------------------------------------- teams


@pytest.fixture
async def team(
    hass: HomeAssistant, simulator: PushoverSimulator, sender_entry: MockConfigEntry
) -> str:
    """A team whose token is in the sender's options; the sender is set up."""
    token = simulator.add_team("Ops", members=("bob@example.com",))
    hass.config_entries.async_update_entry(
        sender_entry, options={**sender_entry.options, CONF_TEAM_TOKEN: token}
    )
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    return token


async def test_team_add_and_remove_user(
    hass: HomeAssistant, simulator: PushoverSimulator, sender_entry: MockConfigEntry, team: str
) -> None:
    await act(
        hass,
        sender_entry,
        "team_add_user",
        email="alice@example.com",
        name="Alice Example",
        password="initial-secret",
        instant=True,
        admin=True,
        group="Operations",
    )
    assert simulator.teams[team].members["alice@example.com"] == {
        "email": "alice@example.com",
        "name": "Alice Example",
        "instant": "true",
        "admin": "true",
        "group": "Operations",
    }
    sent = last(simulator, "/1/teams/add_user.json")
    assert sent["token"] == team  # the team token, not the application token
    assert sent["password"] == "initial-secret"
    await act(hass, sender_entry, "team_add_user", email="carol@example.com")
    assert last(simulator, "/1/teams/add_user.json") == {
        "token": team,
        "email": "carol@example.com",
    }
    await act(hass, sender_entry, "team_remove_user", email="bob@example.com")
    assert set(simulator.teams[team].members) == {"alice@example.com", "carol@example.com"}


async def test_team_refusals(
    hass: HomeAssistant, simulator: PushoverSimulator, sender_entry: MockConfigEntry, team: str
) -> None:
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, sender_entry, "team_remove_user", email="nobody@example.com")
    assert err.value.translation_key == "request_refused"
    assert err.value.translation_placeholders == {"error": "user is not a member of this team"}
    del simulator.teams[team]
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, sender_entry, "team_add_user", email="alice@example.com")
    assert err.value.translation_key == "team_token_rejected"
    assert err.value.translation_placeholders == {"name": "Home", "error": "team token is invalid"}
    # the application token is fine: no reauthentication of the entry
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_team_checks_before_sending(
    hass: HomeAssistant, simulator: PushoverSimulator, sender_entry: MockConfigEntry, team: str
) -> None:
    before = list(simulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, sender_entry, "team_add_user", email="not an email")
    assert err.value.translation_key == "email_invalid"
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, sender_entry, "team_remove_user", email="@")
    assert err.value.translation_key == "email_invalid"
    assert simulator.requests == before


async def test_team_actions_need_the_team_token(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    before = list(simulator.requests)
    for action in ("team_add_user", "team_remove_user"):
        with pytest.raises(ServiceValidationError) as err:
            await act(hass, loaded_sender, action, email="alice@example.com")
        assert err.value.translation_key == "team_token_missing"
        assert err.value.translation_placeholders == {"name": "Home"}
    assert simulator.requests == before


# ---------------------------------------------------------------- licensing


async def test_licenses(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    simulator.set_license_credits(account.token, 2)
    assert await ask(hass, loaded_sender, "get_license_credits") == {"credits": 2}
    assigned = await ask(hass, loaded_sender, "assign_license", user=account.other_user, os="iOS")
    assert assigned == {"credits": 1}
    assert simulator.users[account.other_user].licenses == ["Android", "iOS"]
    assert last(simulator, "/1/licenses/assign.json") == {
        "token": account.token,
        "user": account.other_user,
        "os": "iOS",
    }
    assert await ask(hass, loaded_sender, "assign_license", email="new@example.com") == {
        "credits": 0
    }
    assert last(simulator, "/1/licenses/assign.json") == {
        "token": account.token,
        "email": "new@example.com",
    }
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, loaded_sender, "assign_license", user=account.user)
    assert err.value.translation_placeholders == {
        "error": "application is out of available license credits"
    }
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "license_target"),
        ({"user": "U" * 30, "email": "a@example.com"}, "license_target"),
        ({"user": "U" * 30, "os": "Windows"}, "license_os_invalid"),
        ({"email": "nobody"}, "email_invalid"),
        ({"user": "U" * 29}, "user_key_invalid"),
    ],
)
async def test_assign_license_checks_before_sending(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    data: dict[str, Any],
    key: str,
) -> None:
    before = list(simulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, loaded_sender, "assign_license", **data)
    assert err.value.translation_key == key
    assert simulator.requests == before


# ---------------------------------------------------------------- subscriptions


async def test_migrate_subscription(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    simulator.add_subscription(account.token, "alerts-2026")
    response = await ask(
        hass,
        loaded_sender,
        "migrate_subscription",
        subscription="alerts-2026",
        user=account.user,
        device_name="phone",
        sound="siren",
    )
    subscribed = response["subscribed_user_key"]
    assert subscribed != account.user
    assert simulator.users[subscribed].devices == ["phone"]
    assert last(simulator, "/1/subscriptions/migrate.json") == {
        "token": account.token,
        "subscription": "alerts-2026",
        "user": account.user,
        "device_name": "phone",
        "sound": "siren",
    }


async def test_migrate_subscription_refusals_and_checks(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    with pytest.raises(HomeAssistantError) as err:
        await act(
            hass, loaded_sender, "migrate_subscription", subscription="nope", user=account.user
        )
    assert err.value.translation_placeholders == {"error": "subscription code is invalid"}
    simulator.add_subscription(account.token, "alerts")
    migrations = paths(simulator).count("/1/subscriptions/migrate.json")
    for data, key in (
        ({"subscription": " ", "user": account.user}, "subscription_empty"),
        ({"subscription": "alerts", "user": "short"}, "user_key_invalid"),
        (
            {"subscription": "alerts", "user": account.user, "device_name": "a b"},
            "device_name_invalid",
        ),
        ({"subscription": "alerts", "user": account.user, "sound": "kazoo"}, "sound_unknown"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await act(hass, loaded_sender, "migrate_subscription", **data)
        assert err.value.translation_key == key
    assert paths(simulator).count("/1/subscriptions/migrate.json") == migrations
