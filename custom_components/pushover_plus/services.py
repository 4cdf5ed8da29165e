"""Actions of Pushover Plus (registered in async_setup)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any, NamedTuple

from homeassistant.components.notify.const import DOMAIN as NOTIFY_DOMAIN
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .compat import vol
from .const import (
    ATTR_ADMIN,
    ATTR_ATTACHMENT,
    ATTR_ATTACHMENT_PATH,
    ATTR_ATTACHMENT_URL,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_COUNT,
    ATTR_DEVICE,
    ATTR_DEVICE_NAME,
    ATTR_DEVICES,
    ATTR_EMAIL,
    ATTR_EXPIRE,
    ATTR_GROUP,
    ATTR_GROUP_KEY,
    ATTR_HOLD_WHEN_OFFLINE,
    ATTR_HTML,
    ATTR_INSTANT,
    ATTR_MEMO,
    ATTR_MESSAGE,
    ATTR_MONOSPACE,
    ATTR_NAME,
    ATTR_OS,
    ATTR_PASSWORD,
    ATTR_PERCENT,
    ATTR_PRIORITY,
    ATTR_RECEIPT,
    ATTR_RETRY,
    ATTR_SOUND,
    ATTR_SUBSCRIPTION,
    ATTR_SUBTEXT,
    ATTR_TAG,
    ATTR_TAGS,
    ATTR_TEXT,
    ATTR_TIMESTAMP,
    ATTR_TITLE,
    ATTR_TTL,
    ATTR_URL,
    ATTR_URL_TITLE,
    ATTR_USER,
    CONF_ENTRY_TYPE,
    CONF_SECRET,
    CONF_TEAM_TOKEN,
    DOMAIN,
    ENTRY_TYPE_RECEIVER,
    RECEIPT_CANCELED,
    SIGNAL_LICENSE_CREDITS,
)
from .data import PushoverConfigEntry, SenderData, receiver_data, sender_data
from .errors import call_api, home_assistant_error, validation_error
from .messages import (
    whole_number,
)
from .pushover import (
    PushoverAuthenticationError,
    PushoverError,
    PushoverRequestError,
    PushoverValidationError,
    RefusalReason,
    validate_receipt,
    validate_tag,
)

_STRING_LIST = vol.Any(cv.string, [cv.string])
# Numbers are checked by the action (whole_number) to give a translated error.
_NUMBER = vol.Any(int, float, str)


def _datetime(value: Any) -> datetime:
    """Validate a date and time like cv.datetime, refusing text that is not ASCII first.

    ISO 8601 is ASCII; the parser behind cv.datetime (ciso8601) crashes the whole
    process on a lone surrogate (U+D800 to U+DFFF), which YAML and templates can produce.
    """
    if isinstance(value, str) and not value.isascii():
        raise vol.Invalid("invalid datetime")
    return cv.datetime(value)


SEND_MESSAGE_SCHEMA = cv.make_entity_service_schema(
    {
        vol.Required(ATTR_MESSAGE): cv.string,
        vol.Optional(ATTR_TITLE): cv.string,
        vol.Optional(ATTR_DEVICES): _STRING_LIST,
        vol.Optional(ATTR_PRIORITY): _NUMBER,
        vol.Optional(ATTR_RETRY): _NUMBER,
        vol.Optional(ATTR_EXPIRE): _NUMBER,
        vol.Optional(ATTR_TAGS): _STRING_LIST,
        vol.Optional(ATTR_SOUND): cv.string,
        vol.Optional(ATTR_TIMESTAMP): _datetime,
        vol.Optional(ATTR_TTL): _NUMBER,
        vol.Optional(ATTR_URL): cv.string,
        vol.Optional(ATTR_URL_TITLE): cv.string,
        vol.Optional(ATTR_HTML): cv.boolean,
        vol.Optional(ATTR_MONOSPACE): cv.boolean,
        vol.Optional(ATTR_ATTACHMENT): dict,
        vol.Optional(ATTR_ATTACHMENT_PATH): cv.string,
        vol.Optional(ATTR_ATTACHMENT_URL): cv.string,
        vol.Optional(ATTR_HOLD_WHEN_OFFLINE): cv.boolean,
    }
)


def loaded_entry(
    hass: HomeAssistant, call: ServiceCall, *, receiver: bool = False
) -> PushoverConfigEntry:
    """Return the loaded entry named by config_entry_id, of the expected type.

    Home Assistant's helper says when the id is unknown, of another integration, or of
    an entry that is not loaded.
    """
    entry: PushoverConfigEntry = service.async_get_config_entry(
        hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    if (entry.data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_RECEIVER) != receiver:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_wrong_type",
            translation_placeholders={"name": entry.title},
        )
    return entry


def loaded_sender(hass: HomeAssistant, call: ServiceCall) -> tuple[PushoverConfigEntry, SenderData]:
    """Return a loaded sender entry and its runtime data."""
    entry = loaded_entry(hass, call)
    return entry, sender_data(entry)


RECEIPT_SCHEMA = vol.Schema(
    {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string, vol.Required(ATTR_RECEIPT): cv.string}
)
TAG_SCHEMA = vol.Schema(
    {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string, vol.Required(ATTR_TAG): cv.string}
)


def checked(validate: Callable[[str], None], value: str) -> str:
    """Return ``value`` once the client's own check passes, or its translated error.

    The client checks again when called: the rule lives in one place, and a bad entry id
    and a bad value are reported in the same order for every action.
    """
    try:
        validate(value)
    except PushoverValidationError as err:
        raise validation_error(err) from None
    return value


def checked_receipt(call: ServiceCall) -> str:
    """Return the receipt of the call or raise a translated error before any request."""
    return checked(validate_receipt, call.data[ATTR_RECEIPT].strip())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def async_get_receipt(call: ServiceCall) -> ServiceResponse:
    """Return the state of an emergency receipt."""
    receipt = checked_receipt(call)
    entry, data = loaded_sender(call.hass, call)
    state = await call_api(call.hass, entry, data.client.get_receipt(receipt))
    data.receipts.update_from(receipt, state)
    return {
        "receipt": receipt,
        "acknowledged": state.acknowledged,
        "acknowledged_at": _iso(state.acknowledged_at),
        "acknowledged_by": data.receipts.describe_user(state.acknowledged_by),
        "acknowledged_by_device": state.acknowledged_by_device or None,
        "last_delivered_at": _iso(state.last_delivered_at),
        "expired": state.expired,
        "expires_at": _iso(state.expires_at),
        "called_back": state.called_back,
        "called_back_at": _iso(state.called_back_at),
    }


async def async_cancel_receipt(call: ServiceCall) -> None:
    """Stop the retries of an emergency alert."""
    receipt = checked_receipt(call)
    entry, data = loaded_sender(call.hass, call)
    await call_api(call.hass, entry, data.client.cancel_receipt(receipt))
    data.receipts.async_finish(receipt, RECEIPT_CANCELED)


async def async_cancel_by_tag(call: ServiceCall) -> ServiceResponse:
    """Stop the retries of every emergency alert sent with a tag."""
    tag = checked(validate_tag, call.data[ATTR_TAG].strip())
    entry, data = loaded_sender(call.hass, call)
    canceled = await call_api(call.hass, entry, data.client.cancel_by_tag(tag))
    data.receipts.async_finish_tag(tag)
    return {"canceled": canceled}


async def async_acknowledge(call: ServiceCall) -> None:
    """Acknowledge an emergency message as the receiver's Open Client device."""
    receipt = checked_receipt(call)
    entry = loaded_entry(call.hass, call, receiver=True)
    client = receiver_data(entry).client
    await call_api(call.hass, entry, client.acknowledge_receipt(entry.data[CONF_SECRET], receipt))


# ---------------------------------------------------------------- management actions


def _entry_schema(fields: dict[Any, Any] | None = None) -> vol.Schema:
    return vol.Schema({vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string, **(fields or {})})


ENTRY_SCHEMA = _entry_schema()
GLANCE_SCHEMA = _entry_schema(
    {
        vol.Optional(ATTR_USER): cv.string,
        vol.Optional(ATTR_DEVICE): cv.string,
        vol.Optional(ATTR_TITLE): cv.string,
        vol.Optional(ATTR_TEXT): cv.string,
        vol.Optional(ATTR_SUBTEXT): cv.string,
        vol.Optional(ATTR_COUNT): _NUMBER,
        vol.Optional(ATTR_PERCENT): _NUMBER,
    }
)
VALIDATE_USER_SCHEMA = _entry_schema(
    {vol.Optional(ATTR_USER): cv.string, vol.Optional(ATTR_DEVICE): cv.string}
)
CREATE_GROUP_SCHEMA = _entry_schema({vol.Required(ATTR_NAME): cv.string})
GROUP_SCHEMA = _entry_schema({vol.Required(ATTR_GROUP_KEY): cv.string})
RENAME_GROUP_SCHEMA = _entry_schema(
    {vol.Required(ATTR_GROUP_KEY): cv.string, vol.Required(ATTR_NAME): cv.string}
)
_MEMBER_FIELDS: dict[Any, Any] = {
    vol.Required(ATTR_GROUP_KEY): cv.string,
    vol.Required(ATTR_USER): cv.string,
    vol.Optional(ATTR_DEVICE): cv.string,
}
MEMBER_SCHEMA = _entry_schema(_MEMBER_FIELDS)
ADD_MEMBER_SCHEMA = _entry_schema({**_MEMBER_FIELDS, vol.Optional(ATTR_MEMO): cv.string})
TEAM_ADD_SCHEMA = _entry_schema(
    {
        vol.Required(ATTR_EMAIL): cv.string,
        vol.Optional(ATTR_NAME): cv.string,
        vol.Optional(ATTR_PASSWORD): cv.string,
        vol.Optional(ATTR_INSTANT): cv.boolean,
        vol.Optional(ATTR_ADMIN): cv.boolean,
        vol.Optional(ATTR_GROUP): cv.string,
    }
)
TEAM_REMOVE_SCHEMA = _entry_schema({vol.Required(ATTR_EMAIL): cv.string})
LICENSE_SCHEMA = _entry_schema(
    {
        vol.Optional(ATTR_USER): cv.string,
        vol.Optional(ATTR_EMAIL): cv.string,
        vol.Optional(ATTR_OS): cv.string,
    }
)
MIGRATE_SCHEMA = _entry_schema(
    {
        vol.Required(ATTR_SUBSCRIPTION): cv.string,
        vol.Required(ATTR_USER): cv.string,
        vol.Optional(ATTR_DEVICE_NAME): cv.string,
        vol.Optional(ATTR_SOUND): cv.string,
    }
)


def _text(call: ServiceCall, key: str) -> str | None:
    """Return a text field stripped, or None when it is absent or blank."""
    value: str | None = call.data.get(key)
    return value.strip() or None if value is not None else None


def _required(call: ServiceCall, key: str) -> str:
    """Return a required text field stripped (the client refuses it when blank)."""
    value: str = call.data[key]
    return value.strip()


async def async_update_glance(call: ServiceCall) -> None:
    """Update the glance (watch complication and widgets) of a user."""
    entry, data = loaded_sender(call.hass, call)
    await call_api(
        call.hass,
        entry,
        data.client.update_glance(
            _text(call, ATTR_USER) or data.user_key,
            device=_text(call, ATTR_DEVICE),
            title=call.data.get(ATTR_TITLE),
            text=call.data.get(ATTR_TEXT),
            subtext=call.data.get(ATTR_SUBTEXT),
            count=whole_number(call.data.get(ATTR_COUNT), ATTR_COUNT),
            percent=whole_number(call.data.get(ATTR_PERCENT), ATTR_PERCENT),
        ),
    )


USER_VERDICTS = frozenset(
    {RefusalReason.USER_INVALID, RefusalReason.DEVICE_INVALID, RefusalReason.NO_ACTIVE_DEVICES}
)


def _refuses_user(err: PushoverRequestError) -> bool:
    """Tell a verdict on the user or device (an answer) from a failed request."""
    return err.reason in USER_VERDICTS


async def async_validate_user(call: ServiceCall) -> ServiceResponse:
    """Check a user or group key (and device); an invalid key is an answer, not an error."""
    entry, data = loaded_sender(call.hass, call)
    try:
        result = await data.client.validate_user(
            _text(call, ATTR_USER) or data.user_key, _text(call, ATTR_DEVICE)
        )
    except PushoverRequestError as err:
        if not _refuses_user(err):
            raise home_assistant_error(call.hass, entry, err) from err
        return _validation(valid=False, errors=err.errors)
    except PushoverError as err:
        raise home_assistant_error(call.hass, entry, err) from err
    return _validation(
        valid=True, group=result.group, devices=result.devices, licenses=result.licenses
    )


def _validation(
    *,
    valid: bool,
    group: bool = False,
    devices: list[str] | None = None,
    licenses: list[str] | None = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    """Return the response of validate_user."""
    return {
        "valid": valid,
        "group": group,
        "devices": devices or [],
        "licenses": licenses or [],
        "errors": errors or [],
    }


async def async_list_sounds(call: ServiceCall) -> ServiceResponse:
    """Return the sounds of the account (custom ones included) and refresh the cache."""
    entry, data = loaded_sender(call.hass, call)
    sounds = await call_api(call.hass, entry, data.client.get_sounds())
    data.sender.async_set_sounds(sounds)
    return {"sounds": dict(sounds)}


async def async_get_limits(call: ServiceCall) -> ServiceResponse:
    """Return the monthly quota and update the quota sensors."""
    entry, data = loaded_sender(call.hass, call)
    limits = await call_api(call.hass, entry, data.client.get_limits())
    data.quota.async_set_limits(limits)
    return {
        "limit": limits.limit,
        "remaining": limits.remaining,
        "reset": limits.reset.isoformat(),
    }


async def async_create_group(call: ServiceCall) -> ServiceResponse:
    """Create a delivery group and return its key."""
    entry, data = loaded_sender(call.hass, call)
    group_key = await call_api(
        call.hass, entry, data.client.create_group(_required(call, ATTR_NAME))
    )
    await data.groups.async_request_refresh()
    return {"group": group_key}


async def async_list_groups(call: ServiceCall) -> ServiceResponse:
    """Return the delivery groups of the account."""
    entry, data = loaded_sender(call.hass, call)
    groups = await call_api(call.hass, entry, data.client.list_groups())
    return {"groups": [{"group": group.key, "name": group.name} for group in groups]}


async def async_get_group(call: ServiceCall) -> ServiceResponse:
    """Return the name and the members of a delivery group."""
    entry, data = loaded_sender(call.hass, call)
    info = await call_api(call.hass, entry, data.client.get_group(_required(call, ATTR_GROUP_KEY)))
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
    entry, data = loaded_sender(call.hass, call)
    await call_api(
        call.hass,
        entry,
        data.client.rename_group(_required(call, ATTR_GROUP_KEY), _required(call, ATTR_NAME)),
    )
    await data.groups.async_request_refresh()


async def async_group_add_user(call: ServiceCall) -> None:
    """Add a user (or one device of a user) to a delivery group."""
    entry, data = loaded_sender(call.hass, call)
    await call_api(
        call.hass,
        entry,
        data.client.group_add_user(
            _required(call, ATTR_GROUP_KEY),
            _required(call, ATTR_USER),
            _text(call, ATTR_DEVICE),
            _text(call, ATTR_MEMO),
        ),
    )
    await data.groups.async_request_refresh()


async def async_group_member(call: ServiceCall) -> None:
    """Remove, enable or disable a member of a delivery group."""
    entry, data = loaded_sender(call.hass, call)
    actions: dict[str, Callable[[str, str, str | None], Awaitable[None]]] = {
        "group_remove_user": data.client.group_remove_user,
        "group_enable_user": data.client.group_enable_user,
        "group_disable_user": data.client.group_disable_user,
    }
    await call_api(
        call.hass,
        entry,
        actions[call.service](
            _required(call, ATTR_GROUP_KEY), _required(call, ATTR_USER), _text(call, ATTR_DEVICE)
        ),
    )
    await data.groups.async_request_refresh()


def _team_token(entry: PushoverConfigEntry) -> str:
    """Return the team token of the entry's options, or say where to set it."""
    token: str | None = entry.options.get(CONF_TEAM_TOKEN)
    if not token:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="team_token_missing",
            translation_placeholders={"name": entry.title},
        )
    return token


async def _call_team(
    call: ServiceCall, entry: PushoverConfigEntry, request: Awaitable[None]
) -> None:
    """Await a team call; a rejected team token is no reason to reauthenticate the app."""
    try:
        await request
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
    entry, data = loaded_sender(call.hass, call)
    await _call_team(
        call,
        entry,
        data.client.team_add_user(
            _team_token(entry),
            _required(call, ATTR_EMAIL),
            name=_text(call, ATTR_NAME),
            password=call.data.get(ATTR_PASSWORD) or None,
            instant=call.data.get(ATTR_INSTANT, False),
            admin=call.data.get(ATTR_ADMIN, False),
            group=_text(call, ATTR_GROUP),
        ),
    )


async def async_team_remove_user(call: ServiceCall) -> None:
    """Remove a user from the Pushover for Teams organization."""
    entry, data = loaded_sender(call.hass, call)
    await _call_team(
        call, entry, data.client.team_remove_user(_team_token(entry), _required(call, ATTR_EMAIL))
    )


def _license_credits(call: ServiceCall, entry: PushoverConfigEntry, left: int) -> ServiceResponse:
    """Pass fresh license credits to the sensor and return them."""
    async_dispatcher_send(call.hass, SIGNAL_LICENSE_CREDITS.format(entry.entry_id), left)
    return {"credits": left}


async def async_assign_license(call: ServiceCall) -> ServiceResponse:
    """Spend a license credit on a user key or an email address."""
    entry, data = loaded_sender(call.hass, call)
    left = await call_api(
        call.hass,
        entry,
        data.client.assign_license(
            user=_text(call, ATTR_USER), email=_text(call, ATTR_EMAIL), os=_text(call, ATTR_OS)
        ),
    )
    return _license_credits(call, entry, left)


async def async_get_license_credits(call: ServiceCall) -> ServiceResponse:
    """Return the license credits left on the application."""
    entry, data = loaded_sender(call.hass, call)
    left = await call_api(call.hass, entry, data.client.get_license_credits())
    return _license_credits(call, entry, left)


async def async_migrate_subscription(call: ServiceCall) -> ServiceResponse:
    """Turn a user key into a subscribed user key of one of the app's subscriptions."""
    entry, data = loaded_sender(call.hass, call)
    sound = _text(call, ATTR_SOUND)
    if sound is not None:
        sounds = await data.sender.async_sounds()
        if sounds is not None and sound not in sounds:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="sound_unknown",
                translation_placeholders={"sound": sound},
            )
    subscribed = await call_api(
        call.hass,
        entry,
        data.client.migrate_subscription(
            _required(call, ATTR_SUBSCRIPTION),
            _required(call, ATTR_USER),
            device_name=_text(call, ATTR_DEVICE_NAME),
            sound=sound,
        ),
    )
    return {"subscribed_user_key": subscribed}


type ActionHandler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]


class Action(NamedTuple):
    """How an action is registered; ``admin`` for those that change the Pushover account.

    Anyone but an administrator gets Home Assistant's Unauthorized error before an
    ``admin`` action runs.
    """

    handler: ActionHandler
    schema: vol.Schema
    response: SupportsResponse = SupportsResponse.NONE
    admin: bool = False


ONLY = SupportsResponse.ONLY
OPTIONAL = SupportsResponse.OPTIONAL
ACTIONS: dict[str, Action] = {
    "get_receipt": Action(async_get_receipt, RECEIPT_SCHEMA, ONLY),
    "cancel_receipt": Action(async_cancel_receipt, RECEIPT_SCHEMA),
    "acknowledge": Action(async_acknowledge, RECEIPT_SCHEMA),
    "cancel_by_tag": Action(async_cancel_by_tag, TAG_SCHEMA, OPTIONAL),
    "update_glance": Action(async_update_glance, GLANCE_SCHEMA),
    "validate_user": Action(async_validate_user, VALIDATE_USER_SCHEMA, ONLY),
    "list_sounds": Action(async_list_sounds, ENTRY_SCHEMA, ONLY),
    "get_limits": Action(async_get_limits, ENTRY_SCHEMA, ONLY),
    "list_groups": Action(async_list_groups, ENTRY_SCHEMA, ONLY),
    "get_group": Action(async_get_group, GROUP_SCHEMA, ONLY),
    "get_license_credits": Action(async_get_license_credits, ENTRY_SCHEMA, ONLY),
    "create_group": Action(async_create_group, CREATE_GROUP_SCHEMA, OPTIONAL, admin=True),
    "rename_group": Action(async_rename_group, RENAME_GROUP_SCHEMA, admin=True),
    "group_add_user": Action(async_group_add_user, ADD_MEMBER_SCHEMA, admin=True),
    "group_remove_user": Action(async_group_member, MEMBER_SCHEMA, admin=True),
    "group_enable_user": Action(async_group_member, MEMBER_SCHEMA, admin=True),
    "group_disable_user": Action(async_group_member, MEMBER_SCHEMA, admin=True),
    "team_add_user": Action(async_team_add_user, TEAM_ADD_SCHEMA, admin=True),
    "team_remove_user": Action(async_team_remove_user, TEAM_REMOVE_SCHEMA, admin=True),
    "assign_license": Action(async_assign_license, LICENSE_SCHEMA, OPTIONAL, admin=True),
    "migrate_subscription": Action(
        async_migrate_subscription, MIGRATE_SCHEMA, OPTIONAL, admin=True
    ),
}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action of the integration."""
    for name, action in ACTIONS.items():
        if action.admin:
            service.async_register_admin_service(
                hass,
                DOMAIN,
                name,
                action.handler,
                schema=action.schema,
                supports_response=action.response,
            )
        else:
            hass.services.async_register(
                DOMAIN,
                name,
                action.handler,
                schema=action.schema,
                supports_response=action.response,
            )
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        "send_message",
        entity_domain=NOTIFY_DOMAIN,
        schema=SEND_MESSAGE_SCHEMA,
        func="async_send_pushover",
        supports_response=SupportsResponse.OPTIONAL,
    )
