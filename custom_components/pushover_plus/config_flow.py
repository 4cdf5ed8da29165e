"""Config flow of Pushover Plus: sender and receiver entries, and copies of core entries.

The options flow is in options_flow.py, the recipients' subentry flow in subentry_flow.py.
"""

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_EMAIL, CONF_NAME, CONF_PASSWORD
from homeassistant.core import callback
from homeassistant.util import slugify

from .compat import vol
from .const import (
    CONF_API_TOKEN,
    CONF_API_URL,
    CONF_CORE_ENTRY_ID,
    CONF_DEVICE_ID,
    CONF_DEVICE_NAME,
    CONF_ENTRY_TYPE,
    CONF_LEGACY_NOTIFY,
    CONF_LEGACY_SERVICE,
    CONF_SECRET,
    CONF_TWOFA,
    CONF_USER_KEY,
    CORE_DOMAIN,
    DEFAULT_DEVICE_NAME,
    DOMAIN,
    ENTRY_TYPE_RECEIVER,
    SUBENTRY_TYPE_RECIPIENT,
)
from .data import PushoverConfigEntry, sender_unique_id
from .flow_helpers import (
    PLAIN_TEXT,
    SECRET_TEXT,
    SECTION_ADVANCED,
    FormErrors,
    SenderForm,
    api_url_error,
    async_check_sender,
    core_entry_schema,
    entry_api_url,
    flow_client,
    login_errors,
    login_schema,
    on_form,
    read_api_url,
    read_sender_form,
    request_errors,
    sender_entry_data,
    sender_schema,
    sender_suggestions,
    with_api_url,
)
from .options_flow import PushoverPlusOptionsFlow, default_options
from .pushover import (
    DEFAULT_BASE_URL,
    PushoverClient,
    PushoverError,
    PushoverRequestError,
    PushoverTwoFactorRequiredError,
    PushoverValidationError,
    RefusalReason,
    validate_device_name,
)
from .subentry_flow import RecipientSubentryFlow

CORE_API_URL = DEFAULT_BASE_URL
CORE_API_KEY = "api_key"
DEFAULT_TITLE = "Pushover"


class PushoverPlusConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a sender (application) or a receiver (Open Client device)."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Initialize the flow."""
        self._import_data: dict[str, Any] = {}
        self._login: dict[str, Any] = {}
        self._secret: str | None = None
        self._device_name = DEFAULT_DEVICE_NAME

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: PushoverConfigEntry) -> OptionsFlow:
        """Return the options flow (senders only have options)."""
        return PushoverPlusOptionsFlow()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Only sender entries have options."""
        return config_entry.data.get(CONF_ENTRY_TYPE) != ENTRY_TYPE_RECEIVER

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Senders have recipients."""
        if config_entry.data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_RECEIVER:
            return {}
        return {SUBENTRY_TYPE_RECIPIENT: RecipientSubentryFlow}

    # ------------------------------------------------------------ menu

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose what to set up."""
        options = ["sender", "receiver"]
        if self._core_entries_to_import():
            options.append("import_core")
        return self.async_show_menu(step_id="user", menu_options=options)

    # ------------------------------------------------------------ sender

    async def _async_check_sender_form(self, form: SenderForm) -> FormErrors:
        """Check the API URL, then the credentials (once the keys have the right form)."""
        if form.url_errors:
            return form.url_errors, {}
        return await async_check_sender(self.hass, form.api_token, form.user_key, form.api_url)

    async def async_step_sender(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the application token and the user or group key."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            form = read_sender_form(user_input)
            if not (errors := form.key_errors):
                await self._async_abort_if_sender_configured(form.api_token, form.user_key)
                errors, placeholders = await self._async_check_sender_form(form)
            if not errors:
                return self.async_create_entry(
                    title=(user_input.get(CONF_NAME) or "").strip() or DEFAULT_TITLE,
                    data=sender_entry_data(form.api_token, form.user_key, form.api_url),
                    options=default_options(self.hass),
                )
        return self.async_show_form(
            step_id="sender",
            data_schema=self.add_suggested_values_to_schema(sender_schema(), user_input),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_abort_if_sender_configured(self, api_token: str, user_key: str) -> None:
        """Abort when an entry already sends with this token to this key.

        The entries' data are compared as well as the unique ids: an entry keeps the id of
        its first token through reauthentication and reconfiguration.
        """
        await self.async_set_unique_id(sender_unique_id(api_token, user_key))
        self._abort_if_unique_id_configured()
        self._async_abort_entries_match({CONF_API_TOKEN: api_token, CONF_USER_KEY: user_key})

    # ------------------------------------------------------------ import from core pushover

    def _core_entries_to_import(self) -> list[ConfigEntry]:
        """Return core pushover entries that have no Pushover Plus counterpart yet."""
        current = self._async_current_entries()
        existing = {entry.unique_id for entry in current}
        existing.update(
            sender_unique_id(entry.data[CONF_API_TOKEN], entry.data[CONF_USER_KEY])
            for entry in current
            if CONF_API_TOKEN in entry.data
        )
        return [
            entry
            for entry in self.hass.config_entries.async_entries(CORE_DOMAIN)
            if CORE_API_KEY in entry.data
            and CONF_USER_KEY in entry.data
            and sender_unique_id(entry.data[CORE_API_KEY], entry.data[CONF_USER_KEY])
            not in existing
        ]

    async def async_step_import_core(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick which core pushover entry to copy (menu option of the user step)."""
        candidates = {entry.entry_id: entry for entry in self._core_entries_to_import()}
        if not candidates:
            return self.async_abort(reason="nothing_to_import")
        if user_input is not None:
            core = candidates[user_input["core_entry"]]
            return await self.async_step_integration_discovery({"core_entry_id": core.entry_id})
        return self.async_show_form(
            step_id="import_core", data_schema=core_entry_schema(candidates)
        )

    async def async_step_integration_discovery(
        self, discovery_info: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Offer to copy a core pushover entry (started from async_setup or the menu)."""
        core = self.hass.config_entries.async_get_entry(discovery_info["core_entry_id"])
        if core is None or core.domain != CORE_DOMAIN:
            return self.async_abort(reason="nothing_to_import")
        self._import_data = {
            CONF_API_TOKEN: core.data[CORE_API_KEY],
            CONF_USER_KEY: core.data[CONF_USER_KEY],
            CONF_NAME: core.title,
            CONF_CORE_ENTRY_ID: core.entry_id,
            # The built-in integration names its notify service after the name it was
            # given when set up, which renaming the entry leaves unchanged.
            CONF_LEGACY_SERVICE: slugify(core.data.get(CONF_NAME) or core.title),
        }
        await self._async_abort_if_sender_configured(
            core.data[CORE_API_KEY], core.data[CONF_USER_KEY]
        )
        self.context["title_placeholders"] = {"name": core.title}
        return await self.async_step_import_confirm()

    async def async_step_import_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm copying the core entry; it is left unchanged."""
        errors: dict[str, str] = {}
        placeholders = {"name": self._import_data[CONF_NAME]}
        if user_input is not None:
            api_token = self._import_data[CONF_API_TOKEN]
            user_key = self._import_data[CONF_USER_KEY]
            errors, extra = await async_check_sender(self.hass, api_token, user_key, CORE_API_URL)
            placeholders.update(extra)
            if not errors:
                return self.async_create_entry(
                    title=self._import_data[CONF_NAME],
                    data={
                        **sender_entry_data(api_token, user_key, CORE_API_URL),
                        CONF_CORE_ENTRY_ID: self._import_data[CONF_CORE_ENTRY_ID],
                        CONF_LEGACY_SERVICE: self._import_data[CONF_LEGACY_SERVICE],
                    },
                    # Its automations call notify.<name>: keep them working unchanged.
                    options={**default_options(self.hass), CONF_LEGACY_NOTIFY: True},
                )
            errors = on_form(errors, set())
        return self.async_show_form(
            step_id="import_confirm", errors=errors, description_placeholders=placeholders
        )

    # ------------------------------------------------------------ reauth and reconfigure

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication after the token or the session secret was rejected."""
        if entry_data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_RECEIVER:
            return await self.async_step_receiver()
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new application token."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"name": entry.title}
        if user_input is not None:
            api_token = user_input[CONF_API_TOKEN].strip()
            # The user key is the entry's own, so it stays with its account; the unique id
            # (a digest of the first token) stays as it is. Another entry's token aborts.
            user_key = entry.data[CONF_USER_KEY]
            self._async_abort_entries_match({CONF_API_TOKEN: api_token, CONF_USER_KEY: user_key})
            errors, extra = await async_check_sender(
                self.hass, api_token, user_key, entry_api_url(entry)
            )
            placeholders.update(extra)
            # The user key is the entry's own: the new token cannot change what the entry is.
            errors = on_form(errors, {CONF_API_TOKEN})
            if not errors:
                return self.async_update_and_abort(entry, data_updates={CONF_API_TOKEN: api_token})
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_API_TOKEN): SECRET_TEXT}),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the token or the API URL of a sender (same key); log in again for a receiver."""
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_RECEIVER:
            return await self.async_step_receiver()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"name": entry.title}
        if user_input is not None:
            form = read_sender_form(user_input)
            if not (errors := form.key_errors):
                # Another user or group key is another entry, not a change of this one. The
                # unique id holds the first token too, so _abort_if_unique_id_mismatch would
                # refuse a new token: the keys are compared instead, and the id never changes.
                if form.user_key != entry.data[CONF_USER_KEY]:
                    return self.async_abort(reason="wrong_account")
                self._async_abort_entries_match(
                    {CONF_API_TOKEN: form.api_token, CONF_USER_KEY: form.user_key}
                )
                errors, extra = await self._async_check_sender_form(form)
                placeholders.update(extra)
            if not errors:
                data = {**entry.data, CONF_API_TOKEN: form.api_token}
                return self.async_update_and_abort(entry, data=with_api_url(data, form.api_url))
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                sender_schema(reconfigure=True), user_input or sender_suggestions(entry)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    # ------------------------------------------------------------ receiver

    def _receiver_client(self) -> PushoverClient:
        return flow_client(self.hass, None, self._login.get(CONF_API_URL, DEFAULT_BASE_URL))

    def _relogin(self) -> bool:
        return self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE)

    def _get_current_entry(self) -> ConfigEntry:
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        return self._get_reconfigure_entry()

    def _show_receiver(
        self,
        suggested: Mapping[str, Any] | None,
        errors: dict[str, str],
        placeholders: dict[str, str],
    ) -> ConfigFlowResult:
        """Show the login form again with what was typed, the API URL included."""
        values: dict[str, Any] = {}
        if suggested is not None:
            values[CONF_EMAIL] = suggested.get(CONF_EMAIL)
            if not self._relogin():
                values[SECTION_ADVANCED] = {CONF_API_URL: suggested.get(CONF_API_URL)}
        schema = login_schema(relogin=self._relogin())
        return self.async_show_form(
            step_id="receiver",
            data_schema=self.add_suggested_values_to_schema(schema, values),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_receiver(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Log in to the Pushover account (the password is not stored)."""
        if user_input is None:
            return self._show_receiver(None, {}, {})
        if self._relogin():
            api_url = entry_api_url(self._get_current_entry())
            errors = api_url_error(api_url)
        else:
            api_url, errors = read_api_url(user_input)
        self._login = {
            CONF_EMAIL: user_input[CONF_EMAIL].strip(),
            CONF_PASSWORD: user_input[CONF_PASSWORD],
            CONF_API_URL: api_url,
        }
        if errors:
            return self._show_receiver(self._login, errors, {})
        return await self._async_login(None, "receiver")

    async def _async_login(self, twofa: str | None, step_id: str) -> ConfigFlowResult:
        """Log in; ask for a 2FA code on HTTP 412; continue to the device step."""
        try:
            session = await self._receiver_client().login(
                self._login[CONF_EMAIL], self._login[CONF_PASSWORD], twofa
            )
        except PushoverError as err:
            if isinstance(err, PushoverTwoFactorRequiredError) and twofa is None:
                return await self.async_step_twofa()
            errors, placeholders = login_errors(err, twofa)
        else:
            self._secret = session.secret
            self._login.pop(CONF_PASSWORD, None)
            if self._relogin():
                return await self._async_finish_relogin(session.secret)
            return await self.async_step_device()
        if step_id == "twofa":
            return self._show_twofa(errors, placeholders)
        return self._show_receiver(self._login, errors, placeholders)

    async def _async_finish_relogin(self, secret: str) -> ConfigFlowResult:
        """Keep the new session only if the entry's device belongs to the account."""
        entry = self._get_current_entry()
        try:
            await self._receiver_client().download_messages(secret, entry.data[CONF_DEVICE_ID])
        except PushoverRequestError:
            return self.async_abort(reason="wrong_account")
        except PushoverError as err:
            errors, placeholders = request_errors(err)
            return self._show_receiver(self._login, errors, placeholders)
        return self.async_update_and_abort(entry, data_updates={CONF_SECRET: secret})

    def _show_twofa(self, errors: dict[str, str], placeholders: dict[str, str]) -> ConfigFlowResult:
        return self.async_show_form(
            step_id="twofa",
            data_schema=vol.Schema({vol.Required(CONF_TWOFA): PLAIN_TEXT}),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_twofa(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the two-factor code."""
        if user_input is not None:
            return await self._async_login(user_input[CONF_TWOFA].strip(), "twofa")
        return self._show_twofa({}, {})

    def _show_device(
        self, errors: dict[str, str], placeholders: dict[str, str]
    ) -> ConfigFlowResult:
        return self.async_show_form(
            step_id="device",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Required(CONF_DEVICE_NAME): PLAIN_TEXT}),
                {CONF_DEVICE_NAME: self._device_name},
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_device(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Register Home Assistant as an Open Client device."""
        if user_input is None:
            return self._show_device({}, {})
        self._device_name = user_input[CONF_DEVICE_NAME].strip()
        try:
            validate_device_name(self._device_name)
        except PushoverValidationError:
            errors = {CONF_DEVICE_NAME: "invalid_device_name"}
            return self._show_device(errors, {})
        return await self._async_register(force=False)

    async def async_step_device_taken(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer to take over the device of that name in the account, or another name."""
        return self.async_show_menu(
            step_id="device_taken",
            menu_options=["device_takeover", "device"],
            description_placeholders={"name": self._device_name},
        )

    async def async_step_device_takeover(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take over the existing device of that name (devices.json with force=1)."""
        return await self._async_register(force=True)

    async def _async_register(self, *, force: bool) -> ConfigFlowResult:
        """Register the device and create the entry; or show the device form's errors."""
        assert self._secret is not None
        name = self._device_name
        try:
            device_id = await self._receiver_client().register_device(
                self._secret, name, force=force
            )
        except PushoverRequestError as err:
            if err.reason is RefusalReason.NAME_TAKEN and not force:
                return await self.async_step_device_taken()
            errors = {CONF_DEVICE_NAME: "device_name_refused"}
            return self._show_device(errors, {"error": str(err)})
        except PushoverError as err:
            return self._show_device(*request_errors(err))
        await self.async_set_unique_id(device_id)
        self._abort_if_unique_id_configured()
        data = {
            CONF_ENTRY_TYPE: ENTRY_TYPE_RECEIVER,
            CONF_SECRET: self._secret,
            CONF_DEVICE_ID: device_id,
            CONF_DEVICE_NAME: name,
        }
        return self.async_create_entry(
            title=f"Pushover {name}", data=with_api_url(data, self._login[CONF_API_URL])
        )
