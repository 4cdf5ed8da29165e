"""Actions on the account's delivery groups, team, licenses and subscriptions."""

from collections.abc import Awaitable, Callable

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import (
    ATTR_ADMIN,
    ATTR_DEVICE,
    ATTR_DEVICE_NAME,
    ATTR_EMAIL,
    ATTR_GROUP,
    ATTR_GROUP_KEY,
    ATTR_INSTANT,
    ATTR_MEMO,
    ATTR_NAME,
    ATTR_OS,
    ATTR_PASSWORD,
    ATTR_SOUND,
    ATTR_SUBSCRIPTION,
    ATTR_USER,
    CONF_TEAM_TOKEN,
    DOMAIN,
)
from .data import PushoverConfigEntry, sender_data
from .errors import call_api, home_assistant_error
from .messages import check_sound
from .pushover import PushoverAuthenticationError, PushoverClient, PushoverError
from .service_helpers import loaded_sender, optional_text, required_text

# ---------------------------------------------------------------- delivery groups

type MemberChange = Callable[[PushoverClient, str, str, str | None], Awaitable[None]]

MEMBER_CHANGES: dict[str, MemberChange] = {
    "group_remove_user": PushoverClient.group_remove_user,
    "group_enable_user": PushoverClient.group_enable_user,
    "group_disable_user": PushoverClient.group_disable_user,
}


async def _change_groups[T](
    call: ServiceCall, change: Callable[[PushoverClient], Awaitable[T]]
) -> T:
    """Make a change to the delivery groups of the account, then refresh them."""
    entry, data = loaded_sender(call)
    result = await call_api(call.hass, entry, change(data.client))
    await data.groups.async_request_refresh()
    return result


async def async_create_group(call: ServiceCall) -> ServiceResponse:
    """Create a delivery group and return its key."""
    name = required_text(call, ATTR_NAME)
    return {"group": await _change_groups(call, lambda client: client.create_group(name))}


async def async_list_groups(call: ServiceCall) -> ServiceResponse:
    """Return the delivery groups of the account."""
    entry, data = loaded_sender(call)
    groups = await call_api(call.hass, entry, data.client.list_groups())
    return {"groups": [{"group": group.key, "name": group.name} for group in groups]}


async def async_get_group(call: ServiceCall) -> ServiceResponse:
    """Return the name and the members of a delivery group."""
    entry, data = loaded_sender(call)
    group_key = required_text(call, ATTR_GROUP_KEY)
    info = await call_api(call.hass, entry, data.client.get_group(group_key))
    return {
        "group": {
            "name": info.name,
            "users": [
                {
                    "user": member.user,
                    "device": member.device,
                    "memo": member.memo,
                    "disabled": member.disabled,
                }
                for member in info.users
            ],
        }
    }


async def async_rename_group(call: ServiceCall) -> None:
    """Rename a delivery group."""
    group_key, name = required_text(call, ATTR_GROUP_KEY), required_text(call, ATTR_NAME)
    await _change_groups(call, lambda client: client.rename_group(group_key, name))


async def async_group_add_user(call: ServiceCall) -> None:
    """Add a user (or one device of a user) to a delivery group."""
    group_key, user = required_text(call, ATTR_GROUP_KEY), required_text(call, ATTR_USER)
    device, memo = optional_text(call, ATTR_DEVICE), optional_text(call, ATTR_MEMO)
    await _change_groups(call, lambda client: client.group_add_user(group_key, user, device, memo))


async def async_group_member(call: ServiceCall) -> None:
    """Remove, enable or disable a member of a delivery group."""
    change = MEMBER_CHANGES[call.service]
    group_key, user = required_text(call, ATTR_GROUP_KEY), required_text(call, ATTR_USER)
    device = optional_text(call, ATTR_DEVICE)
    await _change_groups(call, lambda client: change(client, group_key, user, device))


# ---------------------------------------------------------------- Pushover for Teams


async def _change_team(
    call: ServiceCall, change: Callable[[PushoverClient, str], Awaitable[None]]
) -> None:
    """Make a change with the team token of the entry's options.

    A rejected team token is no reason to reauthenticate the application.
    """
    entry, data = loaded_sender(call)
    token: str | None = entry.options.get(CONF_TEAM_TOKEN)
    if not token:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="team_token_missing",
            translation_placeholders={"name": entry.title},
        )
    try:
        await change(data.client, token)
    except PushoverAuthenticationError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="team_token_rejected",
            translation_placeholders={"name": entry.title, "error": str(err)},
        ) from err
    except PushoverError as err:
        raise home_assistant_error(call.hass, entry, err) from err


async def async_team_add_user(call: ServiceCall) -> None:
    """Add a user to the Pushover for Teams organization of the entry's team token."""
    await _change_team(
        call,
        lambda client, token: client.team_add_user(
            token,
            required_text(call, ATTR_EMAIL),
            name=optional_text(call, ATTR_NAME),
            password=call.data.get(ATTR_PASSWORD) or None,
            instant=call.data.get(ATTR_INSTANT, False),
            admin=call.data.get(ATTR_ADMIN, False),
            group=optional_text(call, ATTR_GROUP),
        ),
    )


async def async_team_remove_user(call: ServiceCall) -> None:
    """Remove a user from the Pushover for Teams organization."""
    email = required_text(call, ATTR_EMAIL)
    await _change_team(call, lambda client, token: client.team_remove_user(token, email))


# ---------------------------------------------------------------- licenses and subscriptions


def _license_credits(call: ServiceCall, entry: PushoverConfigEntry, left: int) -> ServiceResponse:
    """Pass fresh license credits to the sensor and return them."""
    sender_data(entry).license_credits.async_set_updated_data(left)
    return {"credits": left}


async def async_assign_license(call: ServiceCall) -> ServiceResponse:
    """Spend a license credit on a user key or an email address."""
    entry, data = loaded_sender(call)
    request = data.client.assign_license(
        user=optional_text(call, ATTR_USER),
        email=optional_text(call, ATTR_EMAIL),
        os=optional_text(call, ATTR_OS),
    )
    return _license_credits(call, entry, await call_api(call.hass, entry, request))


async def async_get_license_credits(call: ServiceCall) -> ServiceResponse:
    """Return the license credits left on the application."""
    entry, data = loaded_sender(call)
    left = await call_api(call.hass, entry, data.client.get_license_credits())
    return _license_credits(call, entry, left)


async def async_migrate_subscription(call: ServiceCall) -> ServiceResponse:
    """Turn a user key into a subscribed user key of one of the app's subscriptions."""
    entry, data = loaded_sender(call)
    sound = optional_text(call, ATTR_SOUND)
    if sound is not None:
        check_sound(sound, await data.sender.async_sounds())
    request = data.client.migrate_subscription(
        required_text(call, ATTR_SUBSCRIPTION),
        required_text(call, ATTR_USER),
        device_name=optional_text(call, ATTR_DEVICE_NAME),
        sound=sound,
    )
    return {"subscribed_user_key": await call_api(call.hass, entry, request)}
