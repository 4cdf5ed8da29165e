"""Actions against the simulator: their registration, glances, user validation, sounds and
limits (receipts: test_receipts.py, groups, teams, licenses and subscriptions:
test_account_services.py, send_message: test_notify.py)."""

from __future__ import annotations

import contextlib
from datetime import datetime
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
)

import custom_components.pushover_plus as integration
from custom_components.pushover_plus.const import CONF_TEAM_TOKEN, DOMAIN
from pushover_simulator import PushoverSimulator

from .conftest import UNKNOWN_KEY, Account, act, ask, last, paths

LICENSE_SENSOR = "sensor.home_license_credits"


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
