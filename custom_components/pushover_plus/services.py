"""Actions of Pushover Plus, registered in async_setup.

Receipts, glances, users, sounds and limits are here; the account's groups, team,
licenses and subscriptions in account_services.py, the schemas in service_schemas.py.
"""

from collections.abc import Callable, Coroutine
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
from homeassistant.helpers import service

from .account_services import (
    async_assign_license,
    async_create_group,
    async_get_group,
    async_get_license_credits,
    async_group_add_user,
    async_group_member,
    async_list_groups,
    async_migrate_subscription,
    async_rename_group,
    async_team_add_user,
    async_team_remove_user,
)
from .compat import vol
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_COUNT,
    ATTR_DEVICE,
    ATTR_PERCENT,
    ATTR_RECEIPT,
    ATTR_SUBTEXT,
    ATTR_TAG,
    ATTR_TEXT,
    ATTR_TITLE,
    ATTR_USER,
    CONF_SECRET,
    DOMAIN,
    RECEIPT_CANCELED,
)
from .data import receiver_data
from .errors import call_api, home_assistant_error
from .messages import whole_number
from .pushover import PushoverError, PushoverRequestError, RefusalReason
from .service_helpers import loaded_entry, loaded_sender, optional_text
from .service_schemas import (
    ADD_MEMBER_SCHEMA,
    CREATE_GROUP_SCHEMA,
    ENTRY_SCHEMA,
    GLANCE_SCHEMA,
    GROUP_SCHEMA,
    LICENSE_SCHEMA,
    MEMBER_SCHEMA,
    MIGRATE_SCHEMA,
    RECEIPT_SCHEMA,
    RENAME_GROUP_SCHEMA,
    SEND_MESSAGE_SCHEMA,
    TAG_SCHEMA,
    TEAM_ADD_SCHEMA,
    TEAM_REMOVE_SCHEMA,
    VALIDATE_USER_SCHEMA,
)

# ---------------------------------------------------------------- receipts


def _receipt(call: ServiceCall) -> str:
    """Return the receipt of the call (the client checks it before any request)."""
    receipt: str = call.data[ATTR_RECEIPT]
    return receipt.strip()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def async_get_receipt(call: ServiceCall) -> ServiceResponse:
    """Return the state of an emergency receipt."""
    entry, data = loaded_sender(call)
    receipt = _receipt(call)
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
    entry, data = loaded_sender(call)
    receipt = _receipt(call)
    await call_api(call.hass, entry, data.client.cancel_receipt(receipt))
    data.receipts.async_finish(receipt, RECEIPT_CANCELED)


async def async_cancel_by_tag(call: ServiceCall) -> ServiceResponse:
    """Stop the retries of every emergency alert sent with a tag."""
    entry, data = loaded_sender(call)
    tag: str = call.data[ATTR_TAG].strip()
    canceled = await call_api(call.hass, entry, data.client.cancel_by_tag(tag))
    data.receipts.async_finish_tag(tag)
    return {"canceled": canceled}


async def async_acknowledge(call: ServiceCall) -> None:
    """Acknowledge an emergency message as the receiver's Open Client device."""
    entry = loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID], receiver=True)
    client = receiver_data(entry).client
    await call_api(
        call.hass, entry, client.acknowledge_receipt(entry.data[CONF_SECRET], _receipt(call))
    )


# ---------------------------------------------------------------- glances, users, sounds, limits


async def async_update_glance(call: ServiceCall) -> None:
    """Update the glance (watch complication and widgets) of a user."""
    entry, data = loaded_sender(call)
    request = data.client.update_glance(
        optional_text(call, ATTR_USER) or data.user_key,
        device=optional_text(call, ATTR_DEVICE),
        title=call.data.get(ATTR_TITLE),
        text=call.data.get(ATTR_TEXT),
        subtext=call.data.get(ATTR_SUBTEXT),
        count=whole_number(call.data.get(ATTR_COUNT), ATTR_COUNT),
        percent=whole_number(call.data.get(ATTR_PERCENT), ATTR_PERCENT),
    )
    await call_api(call.hass, entry, request)


USER_VERDICTS = frozenset(
    {RefusalReason.USER_INVALID, RefusalReason.DEVICE_INVALID, RefusalReason.NO_ACTIVE_DEVICES}
)


def _refuses_user(err: PushoverRequestError) -> bool:
    """Tell a verdict on the user or device (an answer) from a failed request."""
    return err.reason in USER_VERDICTS


async def async_validate_user(call: ServiceCall) -> ServiceResponse:
    """Check a user or group key (and device); an invalid key is an answer, not an error."""
    entry, data = loaded_sender(call)
    try:
        result = await data.client.validate_user(
            optional_text(call, ATTR_USER) or data.user_key, optional_text(call, ATTR_DEVICE)
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
    entry, data = loaded_sender(call)
    sounds = await call_api(call.hass, entry, data.client.get_sounds())
    data.sender.async_set_sounds(sounds)
    return {"sounds": dict(sounds)}


async def async_get_limits(call: ServiceCall) -> ServiceResponse:
    """Return the monthly quota and update the quota sensors."""
    entry, data = loaded_sender(call)
    limits = await call_api(call.hass, entry, data.client.get_limits())
    data.quota.async_set_limits(limits)
    return {
        "limit": limits.limit,
        "remaining": limits.remaining,
        "reset": limits.reset.isoformat(),
    }


# ---------------------------------------------------------------- registration


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
