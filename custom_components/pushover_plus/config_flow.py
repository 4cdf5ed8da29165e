"""Config flow of Pushover Plus: sender and receiver entries, options, recipients."""

from __future__ import annotations

from collections.abc import Mapping
import ipaddress
import logging
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_EMAIL, CONF_NAME, CONF_PASSWORD
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import slugify
from yarl import URL

from .compat import vol
from .connection import request_slots
from .const import (
    CONF_API_TOKEN,
    CONF_API_URL,
    CONF_CORE_ENTRY_ID,
    CONF_DEVICE_ID,
    CONF_DEVICE_NAME,
    CONF_DEVICES,
    CONF_DUPLICATE_WINDOW,
    CONF_ENTRY_TYPE,
    CONF_HOLD_WHEN_OFFLINE,
    CONF_LEGACY_NOTIFY,
    CONF_LEGACY_SERVICE,
    CONF_MAX_HELD_AGE,
    CONF_QUOTA_RESERVE,
    CONF_RATE_LIMIT,
    CONF_RECEIPT_POLL_INTERVAL,
    CONF_SECRET,
    CONF_TEAM_TOKEN,
    CONF_TWOFA,
    CONF_USE_WEBHOOK,
    CONF_USER_KEY,
    CORE_DOMAIN,
    DEFAULT_DEVICE_NAME,
    DEFAULT_DUPLICATE_WINDOW,
    DEFAULT_HOLD_WHEN_OFFLINE,
    DEFAULT_LEGACY_NOTIFY,
    DEFAULT_MAX_HELD_AGE_HOURS,
    DEFAULT_QUOTA_RESERVE,
    DEFAULT_RATE_LIMIT,
    DEFAULT_RECEIPT_POLL_INTERVAL,
    DOMAIN,
    ENTRY_TYPE_RECEIVER,
    ENTRY_TYPE_SENDER,
    MIN_RECEIPT_POLL_INTERVAL,
    SUBENTRY_TYPE_RECIPIENT,
)
from .data import PushoverConfigEntry, recipient_unique_id, sender_unique_id
from .pushover import (
    DEFAULT_BASE_URL,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverConnectionError,
    PushoverError,
    PushoverRequestError,
    PushoverServerError,
    PushoverTwoFactorRequiredError,
    PushoverValidationError,
    RefusalReason,
    UserValidation,
    validate_device_name,
    validate_key,
)

_LOGGER = logging.getLogger(__name__)

CORE_API_URL = DEFAULT_BASE_URL
CORE_API_KEY = "api_key"
DEFAULT_TITLE = "Pushover"
LOOPBACK_HOSTS = {"localhost"}

SECRET_TEXT = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
PLAIN_TEXT = TextSelector()
URL_TEXT = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
SECTION_ADVANCED = "advanced"
ADVANCED_SECTION = section(
    vol.Schema({vol.Optional(CONF_API_URL, default=DEFAULT_BASE_URL): URL_TEXT}),
    {"collapsed": True},
)


def _api_url(user_input: Mapping[str, Any]) -> str:
    """Return the API URL of the collapsed advanced section (the default when absent)."""
    advanced: Mapping[str, Any] = user_input.get(SECTION_ADVANCED) or {}
    return str(advanced.get(CONF_API_URL) or DEFAULT_BASE_URL)


def flow_client(hass: HomeAssistant, token: str | None, api_url: str) -> PushoverClient:
    """Return a client that fails fast: a form answers at once instead of retrying."""
    return PushoverClient(
        async_get_clientsession(hass),
        token,
        base_url=api_url,
        max_retries=0,
        timeout=10,
        slots=request_slots(hass, api_url),
    )


def sender_data(api_token: str, user_key: str, api_url: str) -> dict[str, str]:
    """Return the data of a sender entry (the API URL only when not the default)."""
    return with_api_url(
        {CONF_ENTRY_TYPE: ENTRY_TYPE_SENDER, CONF_API_TOKEN: api_token, CONF_USER_KEY: user_key},
        api_url,
    )


def with_api_url[DataT: dict[str, Any]](data: DataT, api_url: str) -> DataT:
    """Store the API URL in entry data only when it is not Pushover's own."""
    data.pop(CONF_API_URL, None)
    if api_url != DEFAULT_BASE_URL:
        data[CONF_API_URL] = api_url
    return data


def normalize_api_url(value: str) -> str | None:
    """Return the API URL ending in a slash, or None unless https (or http on loopback).

    A bare host (``http://127.0.0.1:8765``) gets Pushover's version path ``/1/``.
    """
    try:
        url = URL(value.strip())
    except ValueError:
        return None
    if not url.host or url.scheme not in ("http", "https"):
        return None
    if url.scheme == "http" and not _is_loopback(url.host):
        return None
    if url.path in ("", "/"):
        url = url.with_path("/1/")
    text = str(url)
    return text if text.endswith("/") else f"{text}/"


def api_url_error(api_url: str | None) -> dict[str, str]:
    """Return the form error of an API URL (none when it is usable).

    The error goes on the Advanced section: the frontend shows a section's errors, not
    those of a field inside it.
    """
    if api_url is None:
        return {SECTION_ADVANCED: "invalid_api_url"}
    if not URL(api_url).path.endswith("/1/"):
        return {SECTION_ADVANCED: "api_url_version"}
    return {}


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _webhook_available(hass: HomeAssistant) -> bool:
    """Return whether Home Assistant has an external URL Pushover could call back."""
    try:
        get_url(hass, allow_internal=False, allow_ip=False)
    except NoURLAvailableError:
        return False
    return True


def _valid_devices(user_input: Mapping[str, Any]) -> list[str] | None:
    """Return the chosen device names, stripped; None when one breaks Pushover's rules."""
    devices = [device.strip() for device in user_input.get(CONF_DEVICES, [])]
    try:
        for device in devices:
            validate_device_name(device)
    except PushoverValidationError:
        return None
    return devices


def key_format_errors(**keys: str) -> dict[str, str]:
    """Return a "30 characters" error for each field whose key has the wrong form.

    Checked before anything is sent: Pushover's keys are 30 letters and digits.
    """
    errors: dict[str, str] = {}
    for field, value in keys.items():
        try:
            validate_key(value, field)
        except PushoverValidationError:
            errors[field] = "key_format"
    return errors


def _sender_errors(err: PushoverError) -> tuple[dict[str, str], dict[str, str]]:
    """Return form errors and placeholders for a failed credential check."""
    if isinstance(err, PushoverRequestError) and err.reason is RefusalReason.NO_ACTIVE_DEVICES:
        return {CONF_USER_KEY: "no_active_devices"}, {}
    if isinstance(err, PushoverAuthenticationError):
        # Only the token and the user key are checked.
        if err.reason is RefusalReason.TOKEN_REJECTED:
            return {CONF_API_TOKEN: "invalid_api_token"}, {}
        return {CONF_USER_KEY: "invalid_user_key"}, {}
    return _request_errors(err)


def _request_errors(err: PushoverError) -> tuple[dict[str, str], dict[str, str]]:
    """Return the base error and placeholders of a request that failed for another reason.

    Only an unexpected refusal carries Pushover's own text: that is the information.
    """
    if isinstance(err, PushoverConnectionError):
        return {"base": "cannot_connect"}, {}
    if isinstance(err, PushoverServerError):
        return {"base": "server_error"}, {"status": str(err.status)}
    _LOGGER.debug("Request failed: %s", type(err).__name__)
    return {"base": "unknown_error"}, {"error": str(err)}


def on_form(errors: dict[str, str], fields: set[str]) -> dict[str, str]:
    """Show an error about a field that the form does not have as the form's own error."""
    return {key if key in fields else "base": error for key, error in errors.items()}


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

    async def _async_check_sender(
        self, api_token: str, user_key: str, api_url: str
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Check the credentials against users/validate.json and apps/limits.json."""
        if errors := key_format_errors(api_token=api_token, user_key=user_key):
            return errors, {}
        client = flow_client(self.hass, api_token, api_url)
        try:
            await client.validate_user(user_key)
            await client.get_limits()
        except PushoverError as err:
            return _sender_errors(err)
        return {}, {}

    def _sender_schema(self, *, reconfigure: bool = False) -> vol.Schema:
        fields: dict[Any, Any] = {
            vol.Required(CONF_API_TOKEN): SECRET_TEXT,
            vol.Required(CONF_USER_KEY): SECRET_TEXT,
        }
        if not reconfigure:
            fields[vol.Optional(CONF_NAME)] = PLAIN_TEXT
        fields[vol.Required(SECTION_ADVANCED)] = ADVANCED_SECTION
        return vol.Schema(fields)

    async def async_step_sender(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the application token and the user or group key."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            api_token = user_input[CONF_API_TOKEN].strip()
            user_key = user_input[CONF_USER_KEY].strip()
            api_url = normalize_api_url(_api_url(user_input))
            errors = key_format_errors(api_token=api_token, user_key=user_key)
            if not errors:
                await self._async_abort_if_sender_configured(api_token, user_key)
                errors = api_url_error(api_url)
            if not errors:
                assert api_url is not None
                errors, placeholders = await self._async_check_sender(api_token, user_key, api_url)
            if not errors:
                assert api_url is not None
                return self.async_create_entry(
                    title=(user_input.get(CONF_NAME) or "").strip() or DEFAULT_TITLE,
                    data=sender_data(api_token, user_key, api_url),
                    options=self._default_options(),
                )
        return self.async_show_form(
            step_id="sender",
            data_schema=self.add_suggested_values_to_schema(self._sender_schema(), user_input),
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

    def _default_options(self) -> dict[str, Any]:
        return {
            CONF_HOLD_WHEN_OFFLINE: DEFAULT_HOLD_WHEN_OFFLINE,
            CONF_USE_WEBHOOK: _webhook_available(self.hass),
            CONF_RECEIPT_POLL_INTERVAL: DEFAULT_RECEIPT_POLL_INTERVAL,
            CONF_MAX_HELD_AGE: DEFAULT_MAX_HELD_AGE_HOURS,
            CONF_LEGACY_NOTIFY: DEFAULT_LEGACY_NOTIFY,
            CONF_DUPLICATE_WINDOW: DEFAULT_DUPLICATE_WINDOW,
            CONF_RATE_LIMIT: DEFAULT_RATE_LIMIT,
            CONF_QUOTA_RESERVE: DEFAULT_QUOTA_RESERVE,
        }

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
            step_id="import_core",
            data_schema=vol.Schema(
                {
                    vol.Required("core_entry"): SelectSelector(
                        SelectSelectorConfig(
                            options=[
                                SelectOptionDict(value=entry_id, label=entry.title)
                                for entry_id, entry in candidates.items()
                            ],
                            mode=SelectSelectorMode.LIST,
                        )
                    )
                }
            ),
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
            errors, extra = await self._async_check_sender(
                self._import_data[CONF_API_TOKEN],
                self._import_data[CONF_USER_KEY],
                CORE_API_URL,
            )
            placeholders.update(extra)
            if not errors:
                data = sender_data(
                    self._import_data[CONF_API_TOKEN],
                    self._import_data[CONF_USER_KEY],
                    CORE_API_URL,
                )
                return self.async_create_entry(
                    title=self._import_data[CONF_NAME],
                    data={
                        **data,
                        CONF_CORE_ENTRY_ID: self._import_data[CONF_CORE_ENTRY_ID],
                        CONF_LEGACY_SERVICE: self._import_data[CONF_LEGACY_SERVICE],
                    },
                    # Its automations call notify.<name>: keep them working unchanged.
                    options={**self._default_options(), CONF_LEGACY_NOTIFY: True},
                )
            errors = on_form(errors, set())
        return self.async_show_form(
            step_id="import_confirm",
            errors=errors,
            description_placeholders=placeholders,
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
            errors, extra = await self._async_check_sender(
                api_token, user_key, entry.data.get(CONF_API_URL, DEFAULT_BASE_URL)
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
        """Change the token, user key or API URL of a sender; log in again for a receiver."""
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_ENTRY_TYPE) == ENTRY_TYPE_RECEIVER:
            return await self.async_step_receiver()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"name": entry.title}
        if user_input is not None:
            api_token = user_input[CONF_API_TOKEN].strip()
            user_key = user_input[CONF_USER_KEY].strip()
            api_url = normalize_api_url(_api_url(user_input))
            errors = key_format_errors(api_token=api_token, user_key=user_key)
            if not errors:
                # Another user or group key is another entry, not a change of this one. The
                # unique id holds the first token too, so _abort_if_unique_id_mismatch would
                # refuse a new token: the keys are compared instead, and the id never changes.
                if user_key != entry.data[CONF_USER_KEY]:
                    return self.async_abort(reason="wrong_account")
                self._async_abort_entries_match(
                    {CONF_API_TOKEN: api_token, CONF_USER_KEY: user_key}
                )
                errors = api_url_error(api_url)
            if not errors:
                assert api_url is not None
                errors, extra = await self._async_check_sender(api_token, user_key, api_url)
                placeholders.update(extra)
            if not errors:
                assert api_url is not None
                data = {**entry.data, CONF_API_TOKEN: api_token}
                return self.async_update_and_abort(entry, data=with_api_url(data, api_url))
        suggested = user_input or {
            CONF_API_TOKEN: entry.data[CONF_API_TOKEN],
            CONF_USER_KEY: entry.data[CONF_USER_KEY],
            SECTION_ADVANCED: {CONF_API_URL: entry.data.get(CONF_API_URL, DEFAULT_BASE_URL)},
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                self._sender_schema(reconfigure=True), suggested
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    # ------------------------------------------------------------ receiver

    def _receiver_client(self) -> PushoverClient:
        return flow_client(self.hass, None, self._login.get(CONF_API_URL, DEFAULT_BASE_URL))

    def _relogin(self) -> bool:
        return self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE)

    def _receiver_schema(self) -> vol.Schema:
        fields: dict[Any, Any] = {
            vol.Required(CONF_EMAIL): TextSelector(
                TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username")
            ),
            vol.Required(CONF_PASSWORD): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
            ),
        }
        if not self._relogin():
            fields[vol.Required(SECTION_ADVANCED)] = ADVANCED_SECTION
        return vol.Schema(fields)

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
        return self.async_show_form(
            step_id="receiver",
            data_schema=self.add_suggested_values_to_schema(self._receiver_schema(), values),
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
            api_url: str | None = self._get_current_entry().data.get(CONF_API_URL, DEFAULT_BASE_URL)
        else:
            api_url = normalize_api_url(_api_url(user_input))
        self._login = {
            CONF_EMAIL: user_input[CONF_EMAIL].strip(),
            CONF_PASSWORD: user_input[CONF_PASSWORD],
            CONF_API_URL: api_url or _api_url(user_input),
        }
        if errors := api_url_error(api_url):
            return self._show_receiver(self._login, errors, {})
        return await self._async_login(None, "receiver")

    def _get_current_entry(self) -> ConfigEntry:
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        return self._get_reconfigure_entry()

    async def _async_login(self, twofa: str | None, step_id: str) -> ConfigFlowResult:
        """Log in; ask for a 2FA code on HTTP 412; continue to the device step."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        try:
            session = await self._receiver_client().login(
                self._login[CONF_EMAIL], self._login[CONF_PASSWORD], twofa
            )
        except PushoverTwoFactorRequiredError:
            if twofa is None:
                return await self.async_step_twofa()
            errors[CONF_TWOFA] = "invalid_twofa"
        except PushoverRequestError:
            # Pushover's own text ("invalid email and/or password") says no more than this.
            if twofa is not None:
                errors[CONF_TWOFA] = "invalid_twofa"
            else:
                errors["base"] = "invalid_auth"
        except PushoverError as err:
            errors, placeholders = _request_errors(err)
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
            errors, placeholders = _request_errors(err)
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
        outcome = await self._async_register(force=False)
        if isinstance(outcome, tuple):
            return self._show_device(*outcome)
        return outcome

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
        outcome = await self._async_register(force=True)
        if isinstance(outcome, tuple):
            return self._show_device(*outcome)
        return outcome

    async def _async_register(
        self, *, force: bool
    ) -> ConfigFlowResult | tuple[dict[str, str], dict[str, str]]:
        """Register the device and create the entry; or return the form's errors."""
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
            return errors, {"error": str(err)}
        except PushoverError as err:
            return _request_errors(err)
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


MAX_DUPLICATE_WINDOW = 86400  # a day
MAX_RATE_LIMIT = 1000
MAX_QUOTA_RESERVE = 50


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


class PushoverPlusOptionsFlow(OptionsFlow):
    """Options of a sender entry."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Edit the options; a team token is checked against teams.json."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            team_token = (user_input.get(CONF_TEAM_TOKEN) or "").strip()
            if team_token:
                errors = key_format_errors(team_token=team_token)
            if team_token and not errors:
                client = flow_client(
                    self.hass,
                    entry.data[CONF_API_TOKEN],
                    entry.data.get(CONF_API_URL, DEFAULT_BASE_URL),
                )
                try:
                    await client.get_team(team_token)
                except PushoverRequestError:
                    errors[CONF_TEAM_TOKEN] = "invalid_team_token"
                except PushoverError as err:
                    errors, placeholders = _request_errors(err)
            if not errors:
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
                return self.async_create_entry(data=options)
        schema = vol.Schema(
            {
                vol.Optional(CONF_TEAM_TOKEN): SECRET_TEXT,
                vol.Required(
                    CONF_HOLD_WHEN_OFFLINE, default=DEFAULT_HOLD_WHEN_OFFLINE
                ): BooleanSelector(),
                vol.Required(
                    CONF_USE_WEBHOOK, default=_webhook_available(self.hass)
                ): BooleanSelector(),
                vol.Required(
                    CONF_RECEIPT_POLL_INTERVAL, default=DEFAULT_RECEIPT_POLL_INTERVAL
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_RECEIPT_POLL_INTERVAL,
                        max=3600,
                        step=1,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(CONF_MAX_HELD_AGE, default=DEFAULT_MAX_HELD_AGE_HOURS): NumberSelector(
                    NumberSelectorConfig(
                        min=1,
                        max=720,
                        step=1,
                        unit_of_measurement="h",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(CONF_LEGACY_NOTIFY, default=DEFAULT_LEGACY_NOTIFY): BooleanSelector(),
                vol.Required(CONF_DUPLICATE_WINDOW, default=DEFAULT_DUPLICATE_WINDOW): _box(
                    0, MAX_DUPLICATE_WINDOW, "s"
                ),
                vol.Required(CONF_RATE_LIMIT, default=DEFAULT_RATE_LIMIT): _box(
                    0, MAX_RATE_LIMIT, "messages/min"
                ),
                vol.Required(CONF_QUOTA_RESERVE, default=DEFAULT_QUOTA_RESERVE): _box(
                    0, MAX_QUOTA_RESERVE, "%", step=0.1
                ),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or dict(entry.options)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


class RecipientSubentryFlow(ConfigSubentryFlow):
    """Add or change a recipient (user or group key, optional devices)."""

    def __init__(self) -> None:
        """Initialize the flow."""
        self._recipient: dict[str, Any] = {}
        self._devices: list[str] = []

    def _client(self) -> PushoverClient:
        entry = self._get_entry()
        return flow_client(
            self.hass, entry.data[CONF_API_TOKEN], entry.data.get(CONF_API_URL, DEFAULT_BASE_URL)
        )

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
            errors = key_format_errors(user_key=user_key)
            validation: UserValidation | None = None
            try:
                if not errors:
                    validation = await self._client().validate_user(user_key)
            except PushoverError as err:
                errors, placeholders = _sender_errors(err)
                errors = on_form(errors, {CONF_USER_KEY})
            if validation is not None:
                self._recipient = {
                    CONF_NAME: user_input[CONF_NAME].strip(),
                    CONF_USER_KEY: user_key,
                    "unique_id": unique_id,
                }
                self._devices = list(validation.devices)
                return await self.async_step_devices()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_NAME): PLAIN_TEXT,
                        vol.Required(CONF_USER_KEY): SECRET_TEXT,
                    }
                ),
                user_input,
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _devices_schema(self) -> vol.Schema:
        return vol.Schema(
            {
                vol.Optional(CONF_DEVICES): SelectSelector(
                    SelectSelectorConfig(
                        options=self._devices,
                        multiple=True,
                        custom_value=True,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                )
            }
        )

    async def async_step_devices(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose devices (blank means all active devices)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if (devices := _valid_devices(user_input)) is None:
                errors[CONF_DEVICES] = "invalid_device_name"
            else:
                return self.async_create_entry(
                    title=self._recipient[CONF_NAME],
                    data={
                        CONF_USER_KEY: self._recipient[CONF_USER_KEY],
                        CONF_DEVICES: devices,
                    },
                    unique_id=self._recipient["unique_id"],
                )
        return self.async_show_form(
            step_id="devices",
            data_schema=self.add_suggested_values_to_schema(self._devices_schema(), user_input),
            errors=errors,
            description_placeholders={"name": self._recipient[CONF_NAME]},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the devices of a recipient."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if not self._devices:
            try:
                validation = await self._client().validate_user(subentry.data[CONF_USER_KEY])
            except PushoverError:
                self._devices = list(subentry.data.get(CONF_DEVICES, []))
            else:
                self._devices = sorted({*validation.devices, *subentry.data.get(CONF_DEVICES, [])})
        if user_input is not None:
            if (devices := _valid_devices(user_input)) is None:
                errors[CONF_DEVICES] = "invalid_device_name"
            else:
                return self.async_update_and_abort(
                    self._get_entry(), subentry, data_updates={CONF_DEVICES: devices}
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                self._devices_schema(), user_input or dict(subentry.data)
            ),
            errors=errors,
            description_placeholders={"name": subentry.title},
        )
