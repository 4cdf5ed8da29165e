"""Turn send_message action data into a validated Pushover message."""

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
import errno
import logging
import mimetypes
import os
from pathlib import Path
import re
import stat
from typing import Any

import aiohttp
from homeassistant.components.media_source import async_resolve_media
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
from yarl import URL

from .const import (
    ATTR_ATTACHMENT,
    ATTR_ATTACHMENT_PATH,
    ATTR_ATTACHMENT_URL,
    ATTR_DEVICES,
    ATTR_EXPIRE,
    ATTR_HTML,
    ATTR_MESSAGE,
    ATTR_MONOSPACE,
    ATTR_PRIORITY,
    ATTR_RETRY,
    ATTR_SOUND,
    ATTR_TAGS,
    ATTR_TIMESTAMP,
    ATTR_TITLE,
    ATTR_TTL,
    ATTR_URL,
    ATTR_URL_TITLE,
    DOMAIN,
    PRIORITIES,
)
from .errors import validation_error
from .pushover import (
    MAX_ATTACHMENT_BYTES,
    Attachment,
    Message,
    PushoverValidationError,
    ValidatedMessage,
    validate_message,
)

_LOGGER = logging.getLogger(__name__)


ATTACHMENT_SOURCES = (ATTR_ATTACHMENT, ATTR_ATTACHMENT_PATH, ATTR_ATTACHMENT_URL)
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=15)
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MEDIA_PREFIX = "media-source://"
CAMERA_PREFIX = "media-source://camera/"
IMAGE_PREFIX = "media-source://image/"
# Pushover documents no upper bounds for its integers; 32-bit ones it surely takes.
MAX_WHOLE_NUMBER = 2**31 - 1
WHOLE_NUMBER_PATTERN = r"[+-]?[0-9]{1,10}"  # matched whole
MIN_TIMESTAMP = 1
MAX_TIMESTAMP = 2**31 - 1  # 2038-01-19 03:14:07 UTC


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def split_list(value: str | list[str] | None) -> list[str]:
    """Return the items of a list or of a comma separated string."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]


def whole_number(value: Any, parameter: str) -> int | None:
    """Return an integer field: an int, a whole float or digits; None when absent.

    Raise a translated error for booleans, fractions, other text and values beyond
    MAX_WHOLE_NUMBER either way (``priority: true`` was sent as 1).
    """
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(WHOLE_NUMBER_PATTERN, value.strip()):
        number = int(value.strip())
    if number is None or abs(number) > MAX_WHOLE_NUMBER:
        raise _invalid("integer_invalid", parameter=parameter, limit=str(MAX_WHOLE_NUMBER))
    return number


def parse_priority(value: Any) -> int | None:
    """Return the numeric priority of a whole number or a priority name."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lower() in PRIORITIES:
        return PRIORITIES[value.strip().lower()]
    try:
        return whole_number(value, ATTR_PRIORITY)
    except ServiceValidationError:
        raise _invalid("priority_invalid", parameter=ATTR_PRIORITY, limit="") from None


def parse_timestamp(value: datetime | None) -> int | None:
    """Return Unix time (a naive time is Home Assistant's local time) in Pushover's range."""
    if value is None:
        return None
    try:
        seconds = int(dt_util.as_utc(value).timestamp())
    except OverflowError, ValueError, OSError:
        seconds = 0
    if not MIN_TIMESTAMP <= seconds <= MAX_TIMESTAMP:
        raise _invalid("timestamp_invalid")
    return seconds


def check_sound(sound: str | None, sounds: Mapping[str, str] | None) -> str | None:
    """Return the sound once it is one of ``sounds`` (None: not known, not checked)."""
    if sound is not None and sounds is not None and sound not in sounds:
        raise _invalid("sound_unknown", sound=sound)
    return sound


def _message(
    data: Mapping[str, Any], sounds: Mapping[str, str] | None, callback_url: str | None
) -> Message:
    """Return the message of the action data, its fields parsed (no attachment yet)."""
    priority = parse_priority(data.get(ATTR_PRIORITY))
    ttl = whole_number(data.get(ATTR_TTL), ATTR_TTL)
    if ttl is not None and priority == 2:
        _LOGGER.warning("ttl is ignored by Pushover for emergency messages; not sending it")
        ttl = None
    sound = check_sound(data.get(ATTR_SOUND) or None, sounds)
    return Message(
        message=data.get(ATTR_MESSAGE, ""),
        title=data.get(ATTR_TITLE) or None,
        devices=split_list(data.get(ATTR_DEVICES)),
        priority=priority,
        retry=whole_number(data.get(ATTR_RETRY), ATTR_RETRY),
        expire=whole_number(data.get(ATTR_EXPIRE), ATTR_EXPIRE),
        callback=callback_url if priority == 2 else None,
        tags=split_list(data.get(ATTR_TAGS)),
        sound=sound,
        timestamp=parse_timestamp(data.get(ATTR_TIMESTAMP)),
        ttl=ttl,
        url=data.get(ATTR_URL) or None,
        url_title=data.get(ATTR_URL_TITLE) or None,
        html=bool(data.get(ATTR_HTML)),
        monospace=bool(data.get(ATTR_MONOSPACE)),
    )


def _validated(users: Sequence[str], message: Message) -> ValidatedMessage:
    """Return the message once the client's checks pass, or their translated error."""
    try:
        return validate_message(users, message)
    except PushoverValidationError as err:
        raise validation_error(err) from err


async def build_message(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    *,
    users: Sequence[str],
    sounds: Mapping[str, str] | None,
    callback_url: str | None = None,
) -> ValidatedMessage:
    """Validate the action data and return the message; raise ServiceValidationError.

    The fields are checked before an attachment is loaded, the attachment alone after.
    """
    sources = [key for key in ATTACHMENT_SOURCES if data.get(key)]
    if len(sources) > 1:
        raise _invalid("attachment_sources")
    validated = _validated(users, _message(data, sounds, callback_url))
    if not sources:
        return validated
    attachment = await _load_attachment(hass, sources[0], data[sources[0]])
    try:
        return validated.with_attachment(attachment)
    except PushoverValidationError as err:
        raise validation_error(err) from err


async def _load_attachment(hass: HomeAssistant, source: str, value: Any) -> Attachment:
    """Load an attachment from a media selection, an allowed path or an allowed URL."""
    if source == ATTR_ATTACHMENT_PATH:
        return await _load_path(hass, str(value))
    if source == ATTR_ATTACHMENT_URL:
        return await _download(hass, str(value))
    return await _load_media(hass, value)


async def _load_media(hass: HomeAssistant, value: Any) -> Attachment:
    """Load a media selector value: a camera or image snapshot, or a local media file."""
    # camera and image pull in image libraries that are installed only with those
    # integrations; import them when a snapshot is asked for, not when this loads.
    from homeassistant.components import camera, image  # noqa: PLC0415

    content_id = value.get("media_content_id") if isinstance(value, Mapping) else None
    if not isinstance(content_id, str) or not content_id.startswith(MEDIA_PREFIX):
        raise _invalid("attachment_media_invalid")
    try:
        if content_id.startswith(CAMERA_PREFIX):
            entity_id = content_id.removeprefix(CAMERA_PREFIX)
            snapshot = await camera.async_get_image(hass, entity_id)
            return Attachment(snapshot.content, snapshot.content_type, "snapshot.jpg")
        if content_id.startswith(IMAGE_PREFIX):
            entity_id = content_id.removeprefix(IMAGE_PREFIX)
            if hass.states.get(entity_id) is None:  # the image integration may not be loaded
                raise HomeAssistantError(f"Image entity {entity_id} not found")
            picture = await image.async_get_image(hass, entity_id)
            return Attachment(picture.content, picture.content_type, "image.jpg")
        media = await async_resolve_media(hass, content_id, None)
    except HomeAssistantError as err:
        raise _invalid("attachment_media_unavailable", error=str(err)) from err
    if media.path is None:
        raise _invalid("attachment_media_invalid")
    roots = set(hass.config.media_dirs.values())
    return await _read_file(hass, str(media.path), roots, media.mime_type)


async def _load_path(hass: HomeAssistant, value: str) -> Attachment:
    """Load a file from a directory listed in allowlist_external_dirs."""
    if not Path(value).is_absolute():
        raise _invalid("attachment_path_not_allowed", path=value)
    content_type = mimetypes.guess_type(Path(value).name)[0] or "application/octet-stream"
    return await _read_file(hass, value, set(hass.config.allowlist_external_dirs), content_type)


async def _read_file(
    hass: HomeAssistant, path: str, roots: Collection[str], content_type: str
) -> Attachment:
    """Read an image file below one of ``roots``, in one executor job (see read_below)."""
    content = await hass.async_add_executor_job(read_below, path, roots, content_type)
    return Attachment(content, content_type, Path(path).name)


def read_below(path: str, roots: Collection[str], content_type: str) -> bytes:
    """Read an image file whose real path lies below one of ``roots`` (blocking).

    The path is resolved once and that real path is checked and opened component by
    component without following any symlink: a link swapped in after the check makes
    the open fail instead of leading elsewhere. The type is checked before the open.
    """
    try:
        real = os.path.realpath(path, strict=True)
    except OSError:
        folder_allowed = _below(os.path.realpath(Path(path).parent), roots)
        raise _invalid(
            "attachment_path_missing" if folder_allowed else "attachment_path_not_allowed",
            path=path,
        ) from None
    if not _below(real, roots):
        raise _invalid("attachment_path_not_allowed", path=path)
    if not content_type.startswith("image/"):
        raise _invalid("attachment_type_invalid")
    try:
        descriptor = _open_without_symlinks(real)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):  # a symlink appeared on the path
            raise _invalid("attachment_path_not_allowed", path=path) from err
        raise _invalid(
            "attachment_path_unreadable", path=path, error=os.strerror(err.errno or 0)
        ) from err
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise _invalid("attachment_path_missing", path=path)
    with os.fdopen(descriptor, "rb") as file:
        content = file.read(MAX_ATTACHMENT_BYTES + 1)
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise _invalid(
            "attachment_too_large", parameter="attachment", limit=str(MAX_ATTACHMENT_BYTES)
        )
    return content


def _below(real: str, roots: Collection[str]) -> bool:
    """Return whether a real path lies in one of ``roots`` (as given, or resolved)."""
    path = Path(real)
    return any(
        path.is_relative_to(root) or path.is_relative_to(os.path.realpath(root)) for root in roots
    )


def _open_without_symlinks(real: str) -> int:
    """Open an absolute path with no symlink in it; ELOOP or ENOTDIR if one is met."""
    *folders, name = Path(real).parts
    if not folders:
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    directory = os.open(folders[0], os.O_RDONLY | os.O_DIRECTORY)
    try:
        for folder in folders[1:]:
            inner = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=directory)
            os.close(directory)
            directory = inner
        # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused next).
        return os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=directory)
    finally:
        os.close(directory)


def _allowed_url(hass: HomeAssistant, value: str) -> URL:
    """Return the URL if it is http(s) and listed in allowlist_external_urls."""
    try:
        url = URL(value)
    except ValueError as err:  # a malformed URL or host name (UnicodeError included)
        raise _invalid("attachment_url_invalid", url=value) from err
    if url.scheme not in ("http", "https") or not url.host:
        raise _invalid("attachment_url_invalid", url=value)
    if not hass.config.is_allowed_external_url(value):
        raise _invalid("attachment_url_not_allowed", url=value)
    return url


async def _download(hass: HomeAssistant, value: str) -> Attachment:
    """Download an image from a URL in allowlist_external_urls (5 MB cap).

    Redirects are followed by hand, each hop checked against the allow-list; the type
    and the announced size are checked before any of the body is read.
    """
    url = _allowed_url(hass, value)
    session = async_get_clientsession(hass)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            async with session.get(
                url, timeout=DOWNLOAD_TIMEOUT, allow_redirects=False
            ) as response:
                if response.status in REDIRECT_STATUSES:
                    url = _allowed_url(hass, _redirect_target(url, response, value))
                    continue
                if response.status != 200:
                    raise _invalid(
                        "attachment_download_failed", url=value, error=f"HTTP {response.status}"
                    )
                return await _read_image(response, url)
    except (aiohttp.ClientError, TimeoutError) as err:
        raise _invalid("attachment_download_failed", url=value, error=type(err).__name__) from err
    raise _invalid("attachment_download_failed", url=value, error="too many redirects")


def _redirect_target(url: URL, response: aiohttp.ClientResponse, value: str) -> str:
    """Return where a redirect points (absolute)."""
    location = response.headers.get("Location")
    if not location:
        raise _invalid("attachment_download_failed", url=value, error=f"HTTP {response.status}")
    try:
        return str(url.join(URL(location)))
    except ValueError as err:
        raise _invalid("attachment_url_invalid", url=location) from err


async def _read_image(response: aiohttp.ClientResponse, url: URL) -> Attachment:
    """Read an image answer: the type and the announced size first, then at most 5 MB."""
    if not response.content_type.startswith("image/"):
        raise _invalid("attachment_type_invalid")
    too_large = _invalid(
        "attachment_too_large", parameter="attachment", limit=str(MAX_ATTACHMENT_BYTES)
    )
    if response.content_length is not None and response.content_length > MAX_ATTACHMENT_BYTES:
        raise too_large
    content = bytearray()
    async for chunk in response.content.iter_chunked(65536):
        content += chunk
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise too_large
    return Attachment(bytes(content), response.content_type, url.name or "attachment")
