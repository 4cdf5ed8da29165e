"""Options flow of Pushover Plus: how a sender holds, polls, guards and reaches its team."""

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    Selector,
)

from .compat import vol
from .const import (
    CONF_DUPLICATE_WINDOW,
    CONF_HOLD_WHEN_OFFLINE,
    CONF_LEGACY_NOTIFY,
    CONF_MAX_HELD_AGE,
    CONF_QUOTA_RESERVE,
    CONF_RATE_LIMIT,
    CONF_RECEIPT_POLL_INTERVAL,
    CONF_TEAM_TOKEN,
    CONF_USE_WEBHOOK,
    DEFAULT_DUPLICATE_WINDOW,
    DEFAULT_HOLD_WHEN_OFFLINE,
    DEFAULT_LEGACY_NOTIFY,
    DEFAULT_MAX_HELD_AGE_HOURS,
    DEFAULT_QUOTA_RESERVE,
    DEFAULT_RATE_LIMIT,
    DEFAULT_RECEIPT_POLL_INTERVAL,
    MIN_RECEIPT_POLL_INTERVAL,
)
from .flow_helpers import (
    SECRET_TEXT,
    FormErrors,
    key_format_errors,
    request_errors,
    sender_client,
)
from .pushover import PushoverError, PushoverRequestError

MAX_RECEIPT_POLL_INTERVAL = 3600  # an hour
MAX_HELD_AGE_HOURS = 720  # 30 days
MAX_DUPLICATE_WINDOW = 86400  # a day
MAX_RATE_LIMIT = 1000
MAX_QUOTA_RESERVE = 50


def webhook_available(hass: HomeAssistant) -> bool:
    """Return whether Home Assistant has an external URL Pushover could call back."""
    try:
        get_url(hass, allow_internal=False, allow_ip=False)
    except NoURLAvailableError:
        return False
    return True


def default_options(hass: HomeAssistant) -> dict[str, Any]:
    """Return the options of a new sender entry."""
    return {
        CONF_HOLD_WHEN_OFFLINE: DEFAULT_HOLD_WHEN_OFFLINE,
        CONF_USE_WEBHOOK: webhook_available(hass),
        CONF_RECEIPT_POLL_INTERVAL: DEFAULT_RECEIPT_POLL_INTERVAL,
        CONF_MAX_HELD_AGE: DEFAULT_MAX_HELD_AGE_HOURS,
        CONF_LEGACY_NOTIFY: DEFAULT_LEGACY_NOTIFY,
        CONF_DUPLICATE_WINDOW: DEFAULT_DUPLICATE_WINDOW,
        CONF_RATE_LIMIT: DEFAULT_RATE_LIMIT,
        CONF_QUOTA_RESERVE: DEFAULT_QUOTA_RESERVE,
    }


def _box(minimum: float, maximum: float, unit: str, *, step: float = 1) -> NumberSelector:
    """Return a number box from ``minimum`` to ``maximum`` (0 turns a guard rule off)."""
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=step,
            unit_of_measurement=unit,
            mode=NumberSelectorMode.BOX,
        )
    )


def _option_selectors() -> dict[str, Selector[Any]]:
    """Return the selector of each option, in the order the form shows them."""
    return {
        CONF_HOLD_WHEN_OFFLINE: BooleanSelector(),
        CONF_USE_WEBHOOK: BooleanSelector(),
        CONF_RECEIPT_POLL_INTERVAL: _box(MIN_RECEIPT_POLL_INTERVAL, MAX_RECEIPT_POLL_INTERVAL, "s"),
        CONF_MAX_HELD_AGE: _box(1, MAX_HELD_AGE_HOURS, "h"),
        CONF_LEGACY_NOTIFY: BooleanSelector(),
        CONF_DUPLICATE_WINDOW: _box(0, MAX_DUPLICATE_WINDOW, "s"),
        CONF_RATE_LIMIT: _box(0, MAX_RATE_LIMIT, "messages/min"),
        CONF_QUOTA_RESERVE: _box(0, MAX_QUOTA_RESERVE, "%", step=0.1),
    }


def options_schema(hass: HomeAssistant) -> vol.Schema:
    """Return the options form: the team token, then each option with its default."""
    defaults = default_options(hass)
    fields: dict[Any, Any] = {vol.Optional(CONF_TEAM_TOKEN): SECRET_TEXT}
    for option, selector in _option_selectors().items():
        fields[vol.Required(option, default=defaults[option])] = selector
    return vol.Schema(fields)


def _options(user_input: dict[str, Any], team_token: str) -> dict[str, Any]:
    """Return the options a filled-in form stores (whole numbers where the guard counts)."""
    options = {
        CONF_HOLD_WHEN_OFFLINE: user_input[CONF_HOLD_WHEN_OFFLINE],
        CONF_USE_WEBHOOK: user_input[CONF_USE_WEBHOOK],
        CONF_RECEIPT_POLL_INTERVAL: int(user_input[CONF_RECEIPT_POLL_INTERVAL]),
        CONF_MAX_HELD_AGE: int(user_input[CONF_MAX_HELD_AGE]),
        CONF_LEGACY_NOTIFY: user_input[CONF_LEGACY_NOTIFY],
        CONF_DUPLICATE_WINDOW: int(user_input[CONF_DUPLICATE_WINDOW]),
        CONF_RATE_LIMIT: int(user_input[CONF_RATE_LIMIT]),
        CONF_QUOTA_RESERVE: float(user_input[CONF_QUOTA_RESERVE]),
    }
    if team_token:
        options[CONF_TEAM_TOKEN] = team_token
    return options


class PushoverPlusOptionsFlow(OptionsFlow):
    """Options of a sender entry."""

    async def _async_team_token_errors(self, team_token: str) -> FormErrors:
        """Check the team token's form, then ask teams.json whether it is one."""
        if errors := key_format_errors(team_token=team_token):
            return errors, {}
        try:
            await sender_client(self.hass, self.config_entry).get_team(team_token)
        except PushoverRequestError:
            return {CONF_TEAM_TOKEN: "invalid_team_token"}, {}
        except PushoverError as err:
            return request_errors(err)
        return {}, {}

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Edit the options; a team token is checked against teams.json."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            team_token = (user_input.get(CONF_TEAM_TOKEN) or "").strip()
            if team_token:
                errors, placeholders = await self._async_team_token_errors(team_token)
            if not errors:
                return self.async_create_entry(data=_options(user_input, team_token))
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                options_schema(self.hass), user_input or dict(self.config_entry.options)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )
