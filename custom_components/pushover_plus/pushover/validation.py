"""Pushover's documented limits, checked locally before any request is made."""

from collections.abc import Sequence
import re
from typing import Any, NamedTuple

from .exceptions import PushoverValidationError
from .models import Attachment, Message

__all__ = [
    "DEVICE_NAME_PATTERN",
    "KEY_PATTERN",
    "MAX_ATTACHMENT_BYTES",
    "MAX_EXPIRE_SECONDS",
    "MAX_GLANCE_FIELD_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "MAX_TITLE_LENGTH",
    "MAX_URL_LENGTH",
    "MAX_URL_TITLE_LENGTH",
    "MIN_POLL_INTERVAL_SECONDS",
    "MIN_RETRY_SECONDS",
    "TAG_PATTERN",
    "ValidatedMessage",
    "validate_attachment",
    "validate_device_name",
    "validate_key",
    "validate_message",
    "validate_receipt",
    "validate_tag",
]

MAX_MESSAGE_LENGTH = 1024
MAX_TITLE_LENGTH = 250
MAX_URL_LENGTH = 512
MAX_URL_TITLE_LENGTH = 100
MAX_GLANCE_FIELD_LENGTH = 100
MAX_MEMO_LENGTH = 200
MAX_USERS_PER_MESSAGE = 50
MAX_ATTACHMENT_BYTES = 5_242_880
MIN_RETRY_SECONDS = 30
MAX_EXPIRE_SECONDS = 10_800
MIN_POLL_INTERVAL_SECONDS = 5.0
MAX_DEVICE_NAME_LENGTH = 25
LICENSE_OS = ("Android", "iOS", "Desktop")

# Patterns are matched whole (re.fullmatch: a "$" would let a trailing newline through)
# and compiled at first use, not at import.
KEY_PATTERN = r"[A-Za-z0-9]{30}"
DEVICE_NAME_PATTERN = r"[A-Za-z0-9_-]{1,25}"
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"
# A tag is kept with the receipt and named in the URL path of cancel_by_tag; Pushover
# documents no length, 100 characters is this client's bound.
TAG_PATTERN = r"[^,/?#%\\]{1,100}"


def _fail(reason: str, parameter: str, message: str, limit: int | None = None) -> None:
    raise PushoverValidationError(message, reason=reason, parameter=parameter, limit=limit)


def _check_length(value: str | None, parameter: str, limit: int) -> None:
    if value is not None and len(value) > limit:
        _fail(f"{parameter}_too_long", parameter, f"{parameter} is over {limit} characters", limit)


def _encodable(value: str) -> bool:
    """Return whether the text can be sent: UTF-8 cannot carry a lone surrogate."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def form_value(parameter: str, value: Any) -> str:
    """Return a parameter as form text; raise PushoverValidationError if it cannot be sent."""
    text = ("1" if value else "0") if isinstance(value, bool) else str(value)
    if not _encodable(text):
        _fail("text_invalid", parameter, f"{parameter} holds characters that cannot be sent")
    return text


def validate_key(value: str, parameter: str = "user") -> None:
    """Raise PushoverValidationError unless 30 characters of A-Z a-z 0-9."""
    if not re.fullmatch(KEY_PATTERN, value):
        _fail("user_key_invalid", parameter, f"{parameter} is not a 30-character key")


def validate_device_name(name: str) -> None:
    """Raise PushoverValidationError unless 1-25 characters of A-Z a-z 0-9 _ -."""
    if not re.fullmatch(DEVICE_NAME_PATTERN, name):
        _fail(
            "device_name_invalid",
            "device",
            "device names have 1-25 letters, digits, _ or -",
            MAX_DEVICE_NAME_LENGTH,
        )


def user_list(users: str | Sequence[str]) -> list[str]:
    """Return one user key or several as a list."""
    return [users] if isinstance(users, str) else list(users)


class ValidatedMessage(NamedTuple):
    """A message validate_message passed, and whom it goes to: what PushoverClient.send sends.

    ``user`` is Pushover's user parameter: one key, or several joined by commas.
    """

    user: str
    message: Message

    def with_attachment(self, attachment: Attachment) -> ValidatedMessage:
        """Return the message with ``attachment``, which must be within the limits."""
        validate_attachment(attachment)
        return self._replace(message=self.message._replace(attachment=attachment))


def validate_message(users: str | Sequence[str], message: Message) -> ValidatedMessage:
    """Return the message for sending; raise PushoverValidationError at a broken limit."""
    keys = user_list(users)
    if not keys:
        _fail("user_key_invalid", "user", "at least one user key is needed")
    if len(keys) > MAX_USERS_PER_MESSAGE:
        _fail("too_many_users", "user", "too many users", MAX_USERS_PER_MESSAGE)
    for key in keys:
        validate_key(key)
    _check_text(message)
    for device in message.devices:
        validate_device_name(device)
    _check_priority(message)
    if message.ttl is not None and message.ttl < 1:
        _fail("ttl_invalid", "ttl", "ttl must be positive")
    if message.html and message.monospace:
        _fail("html_and_monospace", "monospace", "html and monospace cannot be combined")
    for tag in message.tags:
        if not _is_tag(tag):
            _fail("tag_invalid", "tags", "a tag has 1-100 characters, no , / ? # % or \\")
    if message.attachment is not None:
        validate_attachment(message.attachment)
    return ValidatedMessage(",".join(keys), message)


def _check_text(message: Message) -> None:
    if not message.message.strip():
        _fail("message_empty", "message", "message cannot be blank")
    _check_length(message.message, "message", MAX_MESSAGE_LENGTH)
    _check_length(message.title, "title", MAX_TITLE_LENGTH)
    _check_length(message.url, "url", MAX_URL_LENGTH)
    _check_length(message.url_title, "url_title", MAX_URL_TITLE_LENGTH)


def _check_priority(message: Message) -> None:
    """Check the priority, and the retry and expire that an emergency needs."""
    priority = 0 if message.priority is None else message.priority
    if priority not in range(-2, 3):
        _fail("priority_invalid", "priority", "priority must be -2 to 2")
    if priority == 2:
        if message.retry is None:
            _fail("retry_required", "retry", "retry must be supplied with priority=2")
        if message.expire is None:
            _fail("expire_required", "expire", "expire must be supplied with priority=2")
    if message.retry is not None and message.retry < MIN_RETRY_SECONDS:
        _fail("retry_too_short", "retry", "retry is under 30 seconds", MIN_RETRY_SECONDS)
    if message.expire is not None and message.expire > MAX_EXPIRE_SECONDS:
        _fail("expire_too_long", "expire", "expire is over 10800 seconds", MAX_EXPIRE_SECONDS)
    if message.expire is not None and message.expire < 1:
        _fail("expire_invalid", "expire", "expire must be positive")


def validate_attachment(attachment: Attachment) -> None:
    """Raise PushoverValidationError unless an image of at most 5242880 bytes."""
    if len(attachment.data) > MAX_ATTACHMENT_BYTES:
        _fail(
            "attachment_too_large",
            "attachment",
            "attachment is over 5242880 bytes",
            MAX_ATTACHMENT_BYTES,
        )
    if not attachment.content_type:
        _fail("attachment_type_missing", "attachment_type", "attachment type is missing")
    if not attachment.content_type.startswith("image/"):
        _fail("attachment_type_invalid", "attachment_type", "attachment must be an image")


def validate_glance(
    title: str | None, text: str | None, subtext: str | None, count: int | None, percent: int | None
) -> None:
    """Raise PushoverValidationError unless the glance update is allowed."""
    if title is None and text is None and subtext is None and count is None and percent is None:
        _fail("glance_empty", "title", "a glance needs at least one field")
    for name, value in (("title", title), ("text", text), ("subtext", subtext)):
        if value is not None and len(value) > MAX_GLANCE_FIELD_LENGTH:
            _fail("glance_field_too_long", name, f"{name} is over 100 characters", 100)
    if percent is not None and not 0 <= percent <= 100:
        _fail("glance_percent_invalid", "percent", "percent must be 0 to 100", 100)


def validate_email(email: str) -> None:
    """Raise PushoverValidationError unless it looks like an email address."""
    if not re.fullmatch(EMAIL_PATTERN, email):
        _fail("email_invalid", "email", "not an email address")


def validate_receipt(receipt: str) -> None:
    """Raise PushoverValidationError unless 30 letters and digits."""
    if not re.fullmatch(KEY_PATTERN, receipt):
        _fail("receipt_invalid", "receipt", "a receipt is 30 letters and digits")


def _is_tag(tag: str) -> bool:
    return re.fullmatch(TAG_PATTERN, tag) is not None and _encodable(tag)


def validate_tag(tag: str) -> None:
    """Raise PushoverValidationError unless the tag can be sent and canceled by."""
    if not _is_tag(tag):
        _fail("tag_invalid", "tag", "a tag has 1-100 characters, no , / ? # % or \\")


def validate_group_name(name: str) -> None:
    """Raise PushoverValidationError when the group name is blank."""
    if not name.strip():
        _fail("group_name_empty", "name", "a group needs a name")


def validate_memo(memo: str | None) -> None:
    """Raise PushoverValidationError when a membership memo is over 200 characters."""
    if memo is not None and len(memo) > MAX_MEMO_LENGTH:
        _fail("memo_too_long", "memo", "memo is over 200 characters", MAX_MEMO_LENGTH)


def validate_license_target(user: str | None, email: str | None, os: str | None) -> None:
    """Raise PushoverValidationError unless exactly one of user and email, and a known os."""
    if bool(user) == bool(email):
        _fail("license_target", "user", "give either a user key or an email")
    if user:
        validate_key(user)
    if email:
        validate_email(email)
    if os and os not in LICENSE_OS:
        _fail("license_os_invalid", "os", "os must be Android, iOS or Desktop")


def validate_subscription(subscription: str) -> None:
    """Raise PushoverValidationError when the subscription code is blank."""
    if not subscription.strip():
        _fail("subscription_empty", "subscription", "a subscription code is needed")
