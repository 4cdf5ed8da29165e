"""Constants of Pushover Plus."""

from datetime import timedelta
from typing import Final

DOMAIN: Final = "pushover_plus"
CORE_DOMAIN: Final = "pushover"  # Home Assistant's own integration, whose entries we import
MANUFACTURER: Final = "Pushover"
CONFIGURATION_URL: Final = "https://pushover.net/apps"

# Entry data
CONF_ENTRY_TYPE: Final = "entry_type"
ENTRY_TYPE_SENDER: Final = "sender"
ENTRY_TYPE_RECEIVER: Final = "receiver"
CONF_API_TOKEN: Final = "api_token"
CONF_USER_KEY: Final = "user_key"
CONF_API_URL: Final = "api_url"
CONF_DEVICES: Final = "devices"
CONF_SECRET: Final = "secret"
CONF_DEVICE_ID: Final = "device_id"
CONF_DEVICE_NAME: Final = "device_name"
CONF_TWOFA: Final = "twofa"
CONF_WEBHOOK_ID: Final = "webhook_id"
CONF_CORE_ENTRY_ID: Final = "core_entry_id"  # the built-in pushover entry it was copied from
CONF_LEGACY_SERVICE: Final = "legacy_service"  # the notify service name of that entry

# Options
CONF_TEAM_TOKEN: Final = "team_token"
CONF_HOLD_WHEN_OFFLINE: Final = "hold_when_offline"
CONF_USE_WEBHOOK: Final = "use_webhook"
CONF_RECEIPT_POLL_INTERVAL: Final = "receipt_poll_interval"
CONF_MAX_HELD_AGE: Final = "max_held_age"
CONF_LEGACY_NOTIFY: Final = "legacy_notify"
CONF_DUPLICATE_WINDOW: Final = "duplicate_window"
CONF_RATE_LIMIT: Final = "rate_limit"
CONF_QUOTA_RESERVE: Final = "quota_reserve"

# Action fields (send_message's first, then the management actions', then the built-in's)
ATTR_MESSAGE: Final = "message"
ATTR_TITLE: Final = "title"
ATTR_DEVICES: Final = "devices"
ATTR_PRIORITY: Final = "priority"
ATTR_RETRY: Final = "retry"
ATTR_EXPIRE: Final = "expire"
ATTR_TAGS: Final = "tags"
ATTR_SOUND: Final = "sound"
ATTR_TIMESTAMP: Final = "timestamp"
ATTR_TTL: Final = "ttl"
ATTR_URL: Final = "url"
ATTR_URL_TITLE: Final = "url_title"
ATTR_HTML: Final = "html"
ATTR_MONOSPACE: Final = "monospace"
ATTR_ATTACHMENT: Final = "attachment"
ATTR_ATTACHMENT_PATH: Final = "attachment_path"
ATTR_ATTACHMENT_URL: Final = "attachment_url"
ATTR_HOLD_WHEN_OFFLINE: Final = "hold_when_offline"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_RECEIPT: Final = "receipt"
ATTR_TAG: Final = "tag"
ATTR_USER: Final = "user"
ATTR_DEVICE: Final = "device"
ATTR_TEXT: Final = "text"
ATTR_SUBTEXT: Final = "subtext"
ATTR_COUNT: Final = "count"
ATTR_PERCENT: Final = "percent"
ATTR_GROUP_KEY: Final = "group_key"
ATTR_NAME: Final = "name"
ATTR_MEMO: Final = "memo"
ATTR_EMAIL: Final = "email"
ATTR_PASSWORD: Final = "password"
ATTR_INSTANT: Final = "instant"
ATTR_ADMIN: Final = "admin"
ATTR_GROUP: Final = "group"
ATTR_OS: Final = "os"
ATTR_SUBSCRIPTION: Final = "subscription"
ATTR_DEVICE_NAME: Final = "device_name"
# Fields of the built-in integration's actions (pushover.cancel, notify.<name>'s data)
ATTR_ENTRY_ID: Final = "entry_id"
ATTR_CALLBACK_URL: Final = "callback_url"

DEFAULT_HOLD_WHEN_OFFLINE: Final = True
DEFAULT_RECEIPT_POLL_INTERVAL: Final = 30
MIN_RECEIPT_POLL_INTERVAL: Final = 5
DEFAULT_MAX_HELD_AGE_HOURS: Final = 24
DEFAULT_LEGACY_NOTIFY: Final = False  # on for entries copied from the built-in integration
DEFAULT_DUPLICATE_WINDOW: Final = 60  # seconds; 0 turns duplicate suppression off
DEFAULT_RATE_LIMIT: Final = 30  # messages a minute per recipient; 0 turns the ceiling off
DEFAULT_QUOTA_RESERVE: Final = 2  # percent of the monthly limit; 0 turns the reserve off

SUBENTRY_TYPE_RECIPIENT: Final = "recipient"

DEFAULT_DEVICE_NAME: Final = "homeassistant"

# Polling
QUOTA_UPDATE_INTERVAL: Final = timedelta(hours=6)
GROUPS_UPDATE_INTERVAL: Final = timedelta(hours=1)
GROUPS_IDLE_UPDATE_INTERVAL: Final = timedelta(hours=12)
LICENSE_UPDATE_INTERVAL: Final = timedelta(hours=12)

# Bus events
EVENT_RECEIPT: Final = "pushover_plus_receipt"
EVENT_MESSAGE: Final = "pushover_plus_message"
EVENT_GUARD: Final = "pushover_plus_guard"

# Receipt states (event types)
RECEIPT_ACKNOWLEDGED: Final = "acknowledged"
RECEIPT_EXPIRED: Final = "expired"
RECEIPT_CANCELED: Final = "canceled"

# Send statuses
STATUS_SENT: Final = "sent"
STATUS_HELD: Final = "held"
STATUS_SUPPRESSED: Final = "suppressed"

# Reasons the quota guard stops a message (the guard event's reason)
GUARD_DUPLICATE: Final = "duplicate"
GUARD_RATE_LIMIT: Final = "rate_limit"
GUARD_RESERVE: Final = "reserve"

# Repair issue ids
ISSUE_QUOTA_EXHAUSTED: Final = "quota_exhausted"
ISSUE_WEBHOOK_UNREACHABLE: Final = "webhook_unreachable"
ISSUE_RECEIVER_OTHER_SESSION: Final = "receiver_other_session"
ISSUE_HELD_DROPPED: Final = "held_messages_dropped"
ISSUE_HELD_REFUSED: Final = "held_message_refused"
ISSUE_UNEXPECTED_RESPONSE: Final = "unexpected_response"
ISSUE_QUOTA_RESERVE: Final = "quota_reserve"
ISSUE_LEGACY_SERVICE_CORE: Final = "legacy_service_core"
ISSUE_LEGACY_SERVICE_TAKEN: Final = "legacy_service_taken"

PRIORITIES: Final = {"lowest": -2, "low": -1, "normal": 0, "high": 1, "emergency": 2}

# Dispatcher signals (formatted with the entry id)
SIGNAL_RECEIPT: Final = "pushover_plus_receipt_{}"
SIGNAL_MESSAGE: Final = "pushover_plus_message_{}"
SIGNAL_RECIPIENTS: Final = "pushover_plus_recipients_{}"

# Event entity types
EVENT_TYPE_MESSAGE: Final = "message"
