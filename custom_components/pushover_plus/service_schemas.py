"""Schemas of the actions of Pushover Plus (their fields are in const.py)."""

from datetime import datetime
from typing import Any

from homeassistant.helpers import config_validation as cv

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
)

_STRING_LIST = vol.Any(cv.string, [cv.string])
# Numbers are checked by the action (whole_number) to give a translated error.
_NUMBER = vol.Any(int, float, str)


def ascii_datetime(value: Any) -> datetime:
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
        vol.Optional(ATTR_TIMESTAMP): ascii_datetime,
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


def entry_schema(fields: dict[Any, Any] | None = None) -> vol.Schema:
    """Return the schema of an action on one entry (config_entry_id) with ``fields``."""
    return vol.Schema({vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string, **(fields or {})})


ENTRY_SCHEMA = entry_schema()
RECEIPT_SCHEMA = entry_schema({vol.Required(ATTR_RECEIPT): cv.string})
TAG_SCHEMA = entry_schema({vol.Required(ATTR_TAG): cv.string})
GLANCE_SCHEMA = entry_schema(
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
VALIDATE_USER_SCHEMA = entry_schema(
    {vol.Optional(ATTR_USER): cv.string, vol.Optional(ATTR_DEVICE): cv.string}
)
CREATE_GROUP_SCHEMA = entry_schema({vol.Required(ATTR_NAME): cv.string})
GROUP_SCHEMA = entry_schema({vol.Required(ATTR_GROUP_KEY): cv.string})
RENAME_GROUP_SCHEMA = entry_schema(
    {vol.Required(ATTR_GROUP_KEY): cv.string, vol.Required(ATTR_NAME): cv.string}
)
_MEMBER_FIELDS: dict[Any, Any] = {
    vol.Required(ATTR_GROUP_KEY): cv.string,
    vol.Required(ATTR_USER): cv.string,
    vol.Optional(ATTR_DEVICE): cv.string,
}
MEMBER_SCHEMA = entry_schema(_MEMBER_FIELDS)
ADD_MEMBER_SCHEMA = entry_schema({**_MEMBER_FIELDS, vol.Optional(ATTR_MEMO): cv.string})
TEAM_ADD_SCHEMA = entry_schema(
    {
        vol.Required(ATTR_EMAIL): cv.string,
        vol.Optional(ATTR_NAME): cv.string,
        vol.Optional(ATTR_PASSWORD): cv.string,
        vol.Optional(ATTR_INSTANT): cv.boolean,
        vol.Optional(ATTR_ADMIN): cv.boolean,
        vol.Optional(ATTR_GROUP): cv.string,
    }
)
TEAM_REMOVE_SCHEMA = entry_schema({vol.Required(ATTR_EMAIL): cv.string})
LICENSE_SCHEMA = entry_schema(
    {
        vol.Optional(ATTR_USER): cv.string,
        vol.Optional(ATTR_EMAIL): cv.string,
        vol.Optional(ATTR_OS): cv.string,
    }
)
MIGRATE_SCHEMA = entry_schema(
    {
        vol.Required(ATTR_SUBSCRIPTION): cv.string,
        vol.Required(ATTR_USER): cv.string,
        vol.Optional(ATTR_DEVICE_NAME): cv.string,
        vol.Optional(ATTR_SOUND): cv.string,
    }
)
