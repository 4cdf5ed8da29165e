"""What the flows share: form fields, the API URL, credential checks and their errors."""

from collections.abc import Mapping
import ipaddress
import logging
from typing import Any, NamedTuple

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_EMAIL, CONF_NAME, CONF_PASSWORD
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from yarl import URL

from .compat import vol
from .connection import request_slots
from .const import (
    CONF_API_TOKEN,
    CONF_API_URL,
    CONF_ENTRY_TYPE,
    CONF_TWOFA,
    CONF_USER_KEY,
    ENTRY_TYPE_SENDER,
)
from .pushover import (
    DEFAULT_BASE_URL,
    PushoverAuthenticationError,
    PushoverClient,
    PushoverConnectionError,
    PushoverError,
    PushoverRequestError,
    PushoverServerError,
    PushoverValidationError,
    RefusalReason,
    validate_key,
)

_LOGGER = logging.getLogger(__name__)

LOOPBACK_HOSTS = {"localhost"}

SECRET_TEXT = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
PLAIN_TEXT = TextSelector()
URL_TEXT = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
SECTION_ADVANCED = "advanced"
ADVANCED_SECTION = section(
    vol.Schema({vol.Optional(CONF_API_URL, default=DEFAULT_BASE_URL): URL_TEXT}),
    {"collapsed": True},
)

# A form's errors and the placeholders of their texts.
type FormErrors = tuple[dict[str, str], dict[str, str]]


# ------------------------------------------------------------ API URL


def advanced_api_url(user_input: Mapping[str, Any]) -> str:
    """Return the API URL of the collapsed advanced section (the default when absent)."""
    advanced: Mapping[str, Any] = user_input.get(SECTION_ADVANCED) or {}
    return str(advanced.get(CONF_API_URL) or DEFAULT_BASE_URL)


def entry_api_url(entry: ConfigEntry) -> str:
    """Return the API URL an entry talks to."""
    return str(entry.data.get(CONF_API_URL, DEFAULT_BASE_URL))


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


def read_api_url(user_input: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """Return the form's API URL (normalized when usable, else as typed) and its error."""
    typed = advanced_api_url(user_input)
    api_url = normalize_api_url(typed)
    return api_url or typed, api_url_error(api_url)


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ------------------------------------------------------------ sender credentials


class SenderForm(NamedTuple):
    """What a sender form was given, stripped, and what its form check found."""

    api_token: str
    user_key: str
    api_url: str
    key_errors: dict[str, str]
    url_errors: dict[str, str]


def read_sender_form(user_input: Mapping[str, Any]) -> SenderForm:
    """Read the token, the user key and the API URL of a sender form."""
    api_token = user_input[CONF_API_TOKEN].strip()
    user_key = user_input[CONF_USER_KEY].strip()
    api_url, url_errors = read_api_url(user_input)
    key_errors = key_format_errors(api_token=api_token, user_key=user_key)
    return SenderForm(api_token, user_key, api_url, key_errors, url_errors)


def sender_entry_data(api_token: str, user_key: str, api_url: str) -> dict[str, str]:
    """Return the data of a sender entry (the API URL only when not the default)."""
    return with_api_url(
        {CONF_ENTRY_TYPE: ENTRY_TYPE_SENDER, CONF_API_TOKEN: api_token, CONF_USER_KEY: user_key},
        api_url,
    )


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


def sender_client(hass: HomeAssistant, entry: ConfigEntry) -> PushoverClient:
    """Return a fail-fast client with a sender entry's token and API URL."""
    return flow_client(hass, entry.data[CONF_API_TOKEN], entry_api_url(entry))


async def async_check_sender(
    hass: HomeAssistant, api_token: str, user_key: str, api_url: str
) -> FormErrors:
    """Check the credentials against users/validate.json and apps/limits.json."""
    if errors := key_format_errors(api_token=api_token, user_key=user_key):
        return errors, {}
    client = flow_client(hass, api_token, api_url)
    try:
        await client.validate_user(user_key)
        await client.get_limits()
    except PushoverError as err:
        return sender_errors(err)
    return {}, {}


# ------------------------------------------------------------ forms


def sender_schema(*, reconfigure: bool = False) -> vol.Schema:
    """Return the sender form (a name only when setting up, not when reconfiguring)."""
    fields: dict[Any, Any] = {
        vol.Required(CONF_API_TOKEN): SECRET_TEXT,
        vol.Required(CONF_USER_KEY): SECRET_TEXT,
    }
    if not reconfigure:
        fields[vol.Optional(CONF_NAME)] = PLAIN_TEXT
    fields[vol.Required(SECTION_ADVANCED)] = ADVANCED_SECTION
    return vol.Schema(fields)


def sender_suggestions(entry: ConfigEntry) -> dict[str, Any]:
    """Return what the reconfigure form shows first: the entry's keys and API URL."""
    return {
        CONF_API_TOKEN: entry.data[CONF_API_TOKEN],
        CONF_USER_KEY: entry.data[CONF_USER_KEY],
        SECTION_ADVANCED: {CONF_API_URL: entry_api_url(entry)},
    }


def login_schema(*, relogin: bool) -> vol.Schema:
    """Return the login form (the API URL only when setting up, not when logging in again)."""
    fields: dict[Any, Any] = {
        vol.Required(CONF_EMAIL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.EMAIL, autocomplete="username")
        ),
        vol.Required(CONF_PASSWORD): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
        ),
    }
    if not relogin:
        fields[vol.Required(SECTION_ADVANCED)] = ADVANCED_SECTION
    return vol.Schema(fields)


def core_entry_schema(candidates: Mapping[str, ConfigEntry]) -> vol.Schema:
    """Return the form that picks one of the core entries by its title."""
    options = [
        SelectOptionDict(value=entry_id, label=entry.title)
        for entry_id, entry in candidates.items()
    ]
    return vol.Schema(
        {
            vol.Required("core_entry"): SelectSelector(
                SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
            )
        }
    )


# ------------------------------------------------------------ form errors


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


def sender_errors(err: PushoverError) -> FormErrors:
    """Return form errors and placeholders for a failed credential check."""
    if isinstance(err, PushoverRequestError) and err.reason is RefusalReason.NO_ACTIVE_DEVICES:
        return {CONF_USER_KEY: "no_active_devices"}, {}
    if isinstance(err, PushoverAuthenticationError):
        # Only the token and the user key are checked.
        if err.reason is RefusalReason.TOKEN_REJECTED:
            return {CONF_API_TOKEN: "invalid_api_token"}, {}
        return {CONF_USER_KEY: "invalid_user_key"}, {}
    return request_errors(err)


def request_errors(err: PushoverError) -> FormErrors:
    """Return the base error and placeholders of a request that failed for another reason.

    Only an unexpected refusal carries Pushover's own text: that is the information.
    """
    if isinstance(err, PushoverConnectionError):
        return {"base": "cannot_connect"}, {}
    if isinstance(err, PushoverServerError):
        return {"base": "server_error"}, {"status": str(err.status)}
    _LOGGER.debug("Request failed: %s", type(err).__name__)
    return {"base": "unknown_error"}, {"error": str(err)}


def login_errors(err: PushoverError, twofa: str | None) -> FormErrors:
    """Return form errors and placeholders of a failed login (with a 2FA code or not)."""
    if not isinstance(err, PushoverRequestError):
        return request_errors(err)
    # Pushover's own text ("invalid email and/or password") says no more than this.
    if twofa is not None:
        return {CONF_TWOFA: "invalid_twofa"}, {}
    return {"base": "invalid_auth"}, {}


def on_form(errors: dict[str, str], fields: set[str]) -> dict[str, str]:
    """Show an error about a field that the form does not have as the form's own error."""
    return {key if key in fields else "base": error for key, error in errors.items()}
