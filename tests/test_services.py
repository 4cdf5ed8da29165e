"""Management actions against the simulator: glances, validation, sounds, limits, groups,
teams, licensing and subscriptions (send_message: test_notify.py)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.core import Context, HomeAssistant, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)

import custom_components.pushover_plus as integration
from custom_components.pushover_plus.const import CONF_TEAM_TOKEN, DOMAIN
from custom_components.pushover_plus.data import sender_data
from pushover_simulator import PushoverSimulator

from .conftest import Account, act, ask, paths

LICENSE_SENSOR = "sensor.home_license_credits"
UNKNOWN_KEY = "u" * 30  # well formed, unknown to Pushover


async def run(hass: HomeAssistant, entry: MockConfigEntry, action: str, **data: Any) -> None:
    """Call an action, asking for the response only where the action gives one."""
    await hass.services.async_call(
        DOMAIN,
        action,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=hass.services.supports_response(DOMAIN, action) != "none",
    )


def last(simulator: PushoverSimulator, path: str) -> dict[str, str]:
    """Return the parameters of the last request to a path."""
    return next(r.params for r in reversed(simulator.requests) if r.path == path)


# ---------------------------------------------------------------- registration


async def test_the_registered_actions_are_those_of_services_yaml(hass: HomeAssistant) -> None:
    """Every action the integration registers is described, and every description is used."""
    assert await async_setup_component(hass, DOMAIN, {})
    described = await async_get_all_descriptions(hass)
    services_yaml = load_yaml_dict(str(Path(integration.__file__).parent / "services.yaml"))
    registered = set(hass.services.async_services_for_domain(DOMAIN))
    assert registered == set(services_yaml)
    assert set(described[DOMAIN]) == registered
    responses = {name: hass.services.supports_response(DOMAIN, name) for name in registered}
    assert responses["get_receipt"] == SupportsResponse.ONLY
    assert responses["send_message"] == SupportsResponse.OPTIONAL
    assert responses["acknowledge"] == SupportsResponse.NONE


# ---------------------------------------------------------------- glances


async def test_update_glance_defaults_to_the_entry_user(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    await act(
        hass,
        loaded_sender,
        "update_glance",
        title="Garage",
        text="Door open",
        subtext="since 18:02",
        count=-3,
        percent=100,
    )
    params = last(simulator, "/1/glances.json")
    assert params == {
        "token": account.token,
        "user": account.user,
        "title": "Garage",
        "text": "Door open",
        "subtext": "since 18:02",
        "count": "-3",
        "percent": "100",
    }


async def test_update_glance_one_device_and_clearing_a_field(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    await act(
        hass, loaded_sender, "update_glance", user=account.other_user, device="pixel", text=""
    )
    params = last(simulator, "/1/glances.json")
    assert params["user"] == account.other_user
    assert params["device"] == "pixel"
    assert params["text"] == ""  # an empty text clears the field
    assert "title" not in params
    assert "percent" not in params


async def test_update_glance_refusal_carries_pushovers_text(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, loaded_sender, "update_glance", user=UNKNOWN_KEY, count=1)
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "request_refused"
    assert err.value.translation_placeholders == {"error": "user key is invalid"}
    assert simulator.requests[-1].status == 400


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        ({}, "glance_empty", {"parameter": "title", "limit": ""}),
        ({"title": "x" * 101}, "glance_field_too_long", {"parameter": "title", "limit": "100"}),
        ({"text": "x" * 101}, "glance_field_too_long", {"parameter": "text", "limit": "100"}),
        (
            {"subtext": "x" * 101},
            "glance_field_too_long",
            {"parameter": "subtext", "limit": "100"},
        ),
        ({"percent": 101}, "glance_percent_invalid", {"parameter": "percent", "limit": "100"}),
        ({"percent": -1}, "glance_percent_invalid", {"parameter": "percent", "limit": "100"}),
        ({"count": 1, "user": "short"}, "user_key_invalid", {"parameter": "user", "limit": ""}),
        ({"count": 1, "device": "two words"}, "device_name_invalid", None),
        ({"count": True}, "integer_invalid", {"parameter": "count", "limit": "2147483647"}),
        ({"count": 2**31}, "integer_invalid", {"parameter": "count", "limit": "2147483647"}),
        ({"percent": 50.5}, "integer_invalid", {"parameter": "percent", "limit": "2147483647"}),
        ({"percent": "half"}, "integer_invalid", {"parameter": "percent", "limit": "2147483647"}),
    ],
)
async def test_update_glance_checks_before_sending(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str] | None,
) -> None:
    before = list(simulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, loaded_sender, "update_glance", **data)
    assert err.value.translation_key == key
    if placeholders is not None:
        assert err.value.translation_placeholders == placeholders
    assert simulator.requests == before


async def test_update_glance_accepts_the_limits(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    await act(hass, loaded_sender, "update_glance", title="x" * 100, percent=0)
    params = last(simulator, "/1/glances.json")
    assert params["title"] == "x" * 100
    assert params["percent"] == "0"
    await act(hass, loaded_sender, "update_glance", count="-2147483647", percent=100.0)
    params = last(simulator, "/1/glances.json")
    assert (params["count"], params["percent"]) == ("-2147483647", "100")


# ---------------------------------------------------------------- user validation


async def test_validate_user_answers(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    own = await ask(hass, loaded_sender, "validate_user")
    assert own == {
        "valid": True,
        "group": False,
        "devices": ["phone", "tablet"],
        "licenses": ["Android"],
        "errors": [],
    }
    assert last(simulator, "/1/users/validate.json")["user"] == account.user
    other = await ask(hass, loaded_sender, "validate_user", user=account.other_user, device="pixel")
    assert other["valid"] is True
    assert other["devices"] == ["pixel"]
    assert last(simulator, "/1/users/validate.json")["device"] == "pixel"
    group_key = simulator.add_group("Family", owner_token=account.token)
    group = await ask(hass, loaded_sender, "validate_user", user=group_key)
    assert group["valid"] is True
    assert group["group"] is True


async def test_validate_user_invalid_is_an_answer(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    unknown = await ask(hass, loaded_sender, "validate_user", user=UNKNOWN_KEY)
    assert unknown == {
        "valid": False,
        "group": False,
        "devices": [],
        "licenses": [],
        "errors": ["user key is invalid"],
    }
    device = await ask(hass, loaded_sender, "validate_user", user=account.user, device="pixel")
    assert device["valid"] is False
    assert device["errors"] == ["device name is not valid for this user"]
    no_devices = simulator.add_user(devices=())
    idle = await ask(hass, loaded_sender, "validate_user", user=no_devices)
    assert idle["errors"] == ["user is valid but has no active devices"]
    # an answer about the user is not a rejected entry: no reauthentication
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_validate_user_answers_for_a_deviceless_user_without_a_verdict(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    """A user without active devices is an answer even without "user": "invalid"."""
    simulator.no_devices_verdict = False
    idle = await ask(hass, loaded_sender, "validate_user", user=simulator.add_user(devices=()))
    assert (idle["valid"], idle["errors"]) == (False, ["user is valid but has no active devices"])


async def test_validate_user_local_checks_send_nothing(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    before = list(simulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await ask(hass, loaded_sender, "validate_user", user="not-a-key")
    assert err.value.translation_key == "user_key_invalid"
    with pytest.raises(ServiceValidationError) as err:
        await ask(hass, loaded_sender, "validate_user", device="bad device")
    assert err.value.translation_key == "device_name_invalid"
    assert simulator.requests == before


async def test_validate_user_with_a_rejected_token_starts_reauth(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    del simulator.apps[account.token]
    with pytest.raises(HomeAssistantError) as err:
        await ask(hass, loaded_sender, "validate_user")
    assert err.value.translation_key == "authentication_failed"
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"


@pytest.mark.usefixtures("instant_retries")
async def test_validate_user_when_pushover_is_down(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    simulator.inject_fault("503", count=3)
    with pytest.raises(HomeAssistantError) as err:
        await ask(hass, loaded_sender, "validate_user")
    assert err.value.translation_key == "server_error"
    assert [r.status for r in simulator.requests[-3:]] == [503, 503, 503]


# ---------------------------------------------------------------- sounds and limits


async def test_list_sounds_returns_custom_sounds_and_refreshes_the_cache(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    simulator.add_sound(account.token, "doorbell", "Doorbell (custom)")
    response = await ask(hass, loaded_sender, "list_sounds")
    assert response["sounds"]["doorbell"] == "Doorbell (custom)"
    assert response["sounds"]["pushover"] == "Pushover (default)"
    assert len(response["sounds"]) == 24
    # send_message now checks against this list, without fetching it again
    simulator.add_sound(account.token, "late", "Added later")
    send = {"entity_id": "notify.home", "message": "Ding"}
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "send_message", {**send, "sound": "late"}, blocking=True
        )
    assert err.value.translation_key == "sound_unknown"
    assert paths(simulator).count("/1/sounds.json") == 1
    await ask(hass, loaded_sender, "list_sounds")
    await hass.services.async_call(DOMAIN, "send_message", {**send, "sound": "late"}, blocking=True)
    assert simulator.deliveries[-1].params["sound"] == "late"
    assert paths(simulator).count("/1/sounds.json") == 2


async def test_get_limits_feeds_the_quota_sensors(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    loaded_sender: MockConfigEntry,
) -> None:
    simulator.set_quota(account.token, limit=7500, remaining=42)
    response = await ask(hass, loaded_sender, "get_limits")
    assert response["limit"] == 7500
    assert response["remaining"] == 42
    reset = datetime.fromisoformat(response["reset"])
    assert reset > dt_util.utcnow()
    assert hass.states.get("sensor.home_messages_remaining").state == "42"
    assert hass.states.get("sensor.home_monthly_limit").state == "7500"
    assert datetime.fromisoformat(hass.states.get("sensor.home_quota_reset").state) == reset


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


async def test_management_needs_a_loaded_sender(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    before = list(simulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "list_groups", {"config_entry_id": "nope"}, blocking=True, return_response=True
        )
    assert (err.value.translation_domain, err.value.translation_key) == (
        "homeassistant",
        "service_config_entry_not_found",
    )
    await hass.config_entries.async_unload(loaded_sender.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, loaded_sender, "update_glance", count=1)
    assert (err.value.translation_domain, err.value.translation_key) == (
        "homeassistant",
        "service_config_entry_not_loaded",
    )
    assert simulator.requests == before


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


# ---------------------------------------------------------------- administrators only

ADMIN_ONLY = {
    "create_group": {"name": "Family"},
    "rename_group": {"group_key": UNKNOWN_KEY, "name": "Family"},
    "group_add_user": {"group_key": UNKNOWN_KEY, "user": UNKNOWN_KEY},
    "group_remove_user": {"group_key": UNKNOWN_KEY, "user": UNKNOWN_KEY},
    "group_enable_user": {"group_key": UNKNOWN_KEY, "user": UNKNOWN_KEY},
    "group_disable_user": {"group_key": UNKNOWN_KEY, "user": UNKNOWN_KEY},
    "team_add_user": {"email": "new@example.com", "password": "chosen by a guest"},
    "team_remove_user": {"email": "member@example.com"},
    "assign_license": {"email": "new@example.com"},
    "migrate_subscription": {"subscription": "code", "user": UNKNOWN_KEY},
}


@pytest.mark.parametrize("action", sorted(ADMIN_ONLY))
async def test_account_changing_actions_refuse_users_who_are_not_administrators(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    hass_read_only_user: MockUser,
    hass_admin_user: MockUser,
    action: str,
) -> None:
    hass.config_entries.async_update_entry(
        loaded_sender, options={**loaded_sender.options, CONF_TEAM_TOKEN: simulator.add_team()}
    )
    await hass.async_block_till_done()
    data = {"config_entry_id": loaded_sender.entry_id, **ADMIN_ONLY[action]}
    before = list(simulator.requests)
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN, action, data, blocking=True, context=Context(user_id=hass_read_only_user.id)
        )
    assert simulator.requests == before

    # An administrator gets as far as Pushover (which may refuse the made-up keys).
    with contextlib.suppress(HomeAssistantError):
        await hass.services.async_call(
            DOMAIN,
            action,
            data,
            blocking=True,
            context=Context(user_id=hass_admin_user.id),
            return_response=hass.services.supports_response(DOMAIN, action) != "none",
        )
    assert len(simulator.requests) > len(before)


async def test_reading_actions_stay_open_to_every_user(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    loaded_sender: MockConfigEntry,
    hass_read_only_user: MockUser,
) -> None:
    response = await hass.services.async_call(
        DOMAIN,
        "get_limits",
        {"config_entry_id": loaded_sender.entry_id},
        blocking=True,
        return_response=True,
        context=Context(user_id=hass_read_only_user.id),
    )
    assert response is not None
    assert response["limit"] == 10000
