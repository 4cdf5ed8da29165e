"""Subentry flow of Pushover Plus: the recipients of a sender (a key and its devices)."""

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.config_entries import ConfigSubentry, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .compat import vol
from .const import CONF_DEVICES, CONF_USER_KEY
from .data import recipient_unique_id
from .flow_helpers import (
    PLAIN_TEXT,
    SECRET_TEXT,
    FormErrors,
    key_format_errors,
    on_form,
    sender_client,
    sender_errors,
)
from .pushover import PushoverClient, PushoverError, PushoverValidationError, validate_device_name


def _valid_devices(user_input: Mapping[str, Any]) -> list[str] | None:
    """Return the chosen device names, stripped; None when one breaks Pushover's rules."""
    devices = [device.strip() for device in user_input.get(CONF_DEVICES, [])]
    try:
        for device in devices:
            validate_device_name(device)
    except PushoverValidationError:
        return None
    return devices


def _recipient_schema() -> vol.Schema:
    return vol.Schema(
        {vol.Required(CONF_NAME): PLAIN_TEXT, vol.Required(CONF_USER_KEY): SECRET_TEXT}
    )


def _devices_schema(devices: list[str]) -> vol.Schema:
    """Return the devices form: those offered, and any other name typed in."""
    return vol.Schema(
        {
            vol.Optional(CONF_DEVICES): SelectSelector(
                SelectSelectorConfig(
                    options=devices,
                    multiple=True,
                    custom_value=True,
                    mode=SelectSelectorMode.DROPDOWN,
                )
            )
        }
    )


class RecipientSubentryFlow(ConfigSubentryFlow):
    """Add or change a recipient (user or group key, optional devices)."""

    def __init__(self) -> None:
        """Initialize the flow."""
        self._recipient: dict[str, Any] = {}
        self._devices: list[str] = []

    def _client(self) -> PushoverClient:
        return sender_client(self.hass, self._get_entry())

    async def _async_user_key_errors(self, user_key: str) -> FormErrors:
        """Check the key's form, then users/validate.json; keep the devices it lists."""
        if errors := key_format_errors(user_key=user_key):
            return errors, {}
        try:
            validation = await self._client().validate_user(user_key)
        except PushoverError as err:
            errors, placeholders = sender_errors(err)
            return on_form(errors, {CONF_USER_KEY}), placeholders
        self._devices = list(validation.devices)
        return {}, {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the name and user or group key, checked against users/validate.json."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            user_key = user_input[CONF_USER_KEY].strip()
            entry = self._get_entry()
            unique_id = recipient_unique_id(user_key)
            if user_key == entry.data[CONF_USER_KEY]:
                return self.async_abort(reason="entry_user_key")
            if any(sub.unique_id == unique_id for sub in entry.subentries.values()):
                return self.async_abort(reason="already_configured")
            errors, placeholders = await self._async_user_key_errors(user_key)
            if not errors:
                name = user_input[CONF_NAME].strip()
                self._recipient = {CONF_NAME: name, CONF_USER_KEY: user_key, "unique_id": unique_id}
                return await self.async_step_devices()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(_recipient_schema(), user_input),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_devices(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose devices (blank means all active devices)."""
        return self._devices_form(
            "devices", user_input, user_input, self._recipient[CONF_NAME], self._create_recipient
        )

    def _create_recipient(self, devices: list[str]) -> SubentryFlowResult:
        return self.async_create_entry(
            title=self._recipient[CONF_NAME],
            data={CONF_USER_KEY: self._recipient[CONF_USER_KEY], CONF_DEVICES: devices},
            unique_id=self._recipient["unique_id"],
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the devices of a recipient."""
        subentry = self._get_reconfigure_subentry()
        if not self._devices:
            self._devices = await self._async_known_devices(subentry)

        def update(devices: list[str]) -> SubentryFlowResult:
            return self.async_update_and_abort(
                self._get_entry(), subentry, data_updates={CONF_DEVICES: devices}
            )

        suggested = user_input or dict(subentry.data)
        return self._devices_form("reconfigure", user_input, suggested, subentry.title, update)

    async def _async_known_devices(self, subentry: ConfigSubentry) -> list[str]:
        """Return the recipient's devices and those users/validate.json lists now."""
        chosen = list(subentry.data.get(CONF_DEVICES, []))
        try:
            validation = await self._client().validate_user(subentry.data[CONF_USER_KEY])
        except PushoverError:
            return chosen
        return sorted({*validation.devices, *chosen})

    def _devices_form(
        self,
        step_id: str,
        user_input: Mapping[str, Any] | None,
        suggested: Mapping[str, Any] | None,
        name: str,
        finish: Callable[[list[str]], SubentryFlowResult],
    ) -> SubentryFlowResult:
        """Finish with the chosen devices when their names are valid, else show the form."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if (devices := _valid_devices(user_input)) is not None:
                return finish(devices)
            errors[CONF_DEVICES] = "invalid_device_name"
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _devices_schema(self._devices), suggested
            ),
            errors=errors,
            description_placeholders={"name": name},
        )
