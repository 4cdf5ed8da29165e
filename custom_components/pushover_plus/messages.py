"""Turn send_message action data into a validated Pushover message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
import logging
import mimetypes
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.components.media_source import async_resolve_media
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from yarl import URL

from .api import (
    MAX_ATTACHMENT_BYTES,
    Attachment,
    Message,
    PushoverValidationError,
    validate_message,
)
from .const import DOMAIN, PRIORITIES
from .errors import validation_error

_LOGGER = logging.getLogger(__name__)

ATTR_MESSAGE = "message"
ATTR_TITLE = "title"
ATTR_DEVICES = "devices"
ATTR_PRIORITY = "priority"
ATTR_RETRY = "retry"
ATTR_EXPIRE = "expire"
ATTR_TAGS = "tags"
ATTR_SOUND = "sound"
ATTR_TIMESTAMP = "timestamp"
ATTR_TTL = "ttl"
ATTR_URL = "url"
ATTR_URL_TITLE = "url_title"
ATTR_HTML = "html"
ATTR_MONOSPACE = "monospace"
ATTR_ATTACHMENT = "attachment"
ATTR_ATTACHMENT_PATH = "attachment_path"
ATTR_ATTACHMENT_URL = "attachment_url"
ATTR_HOLD_WHEN_OFFLINE = "hold_when_offline"

ATTACHMENT_SOURCES = (ATTR_ATTACHMENT, ATTR_ATTACHMENT_PATH, ATTR_ATTACHMENT_URL)
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=15)
CAMERA_PREFIX = "media-source://camera/"
IMAGE_PREFIX = "media-source://image/"


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


def parse_priority(value: int | str | None) -> int | None:
    """Return the numeric priority of a number or a priority name."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.lower() in PRIORITIES:
        return PRIORITIES[value.lower()]
    try:
        return int(value)
    except TypeError, ValueError:
        raise _invalid("priority_invalid", parameter="priority", limit="") from None


async def build_message(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    *,
    users: Sequence[str],
    sounds: Mapping[str, str] | None,
    callback_url: str | None = None,
) -> Message:
    """Validate the action data and return the message; raise ServiceValidationError."""
    priority = parse_priority(data.get(ATTR_PRIORITY))
    ttl: int | None = data.get(ATTR_TTL)
    if ttl is not None and priority == 2:
        _LOGGER.warning("ttl is ignored by Pushover for emergency messages; not sending it")
        ttl = None
    sound: str | None = data.get(ATTR_SOUND) or None
    if sound is not None and sounds is not None and sound not in sounds:
        raise _invalid("sound_unknown", sound=sound)
    timestamp: datetime | None = data.get(ATTR_TIMESTAMP)
    sources = [key for key in ATTACHMENT_SOURCES if data.get(key)]
    if len(sources) > 1:
        raise _invalid("attachment_sources")
    message = Message(
        message=data.get(ATTR_MESSAGE, ""),
        title=data.get(ATTR_TITLE) or None,
        devices=split_list(data.get(ATTR_DEVICES)),
        priority=priority,
        retry=data.get(ATTR_RETRY),
        expire=data.get(ATTR_EXPIRE),
        callback=callback_url if priority == 2 else None,
        tags=split_list(data.get(ATTR_TAGS)),
        sound=sound,
        timestamp=None if timestamp is None else int(timestamp.timestamp()),
        ttl=ttl,
        url=data.get(ATTR_URL) or None,
        url_title=data.get(ATTR_URL_TITLE) or None,
        html=bool(data.get(ATTR_HTML)),
        monospace=bool(data.get(ATTR_MONOSPACE)),
    )
    try:
        validate_message(users, message)
    except PushoverValidationError as err:
        raise validation_error(err) from err
    if not sources:
        return message
    attachment = await _load_attachment(hass, sources[0], data[sources[0]])
    message = replace(message, attachment=attachment)
    try:
        validate_message(users, message)
    except PushoverValidationError as err:
        raise validation_error(err) from err
    return message


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

    content_id = value.get("media_content_id", "") if isinstance(value, Mapping) else ""
    if not content_id:
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
    return await _read_file(hass, media.path, media.mime_type)


async def _load_path(hass: HomeAssistant, value: str) -> Attachment:
    """Load a file from a directory listed in allowlist_external_dirs."""
    path = Path(value)
    if not path.is_absolute() or not hass.config.is_allowed_path(value):
        raise _invalid("attachment_path_not_allowed", path=value)
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return await _read_file(hass, path, content_type)


async def _read_file(hass: HomeAssistant, path: Path, content_type: str) -> Attachment:
    def read() -> bytes | None:
        if not path.is_file():
            return None
        if path.stat().st_size > MAX_ATTACHMENT_BYTES:
            raise _invalid(
                "attachment_too_large", parameter="attachment", limit=str(MAX_ATTACHMENT_BYTES)
            )
        return path.read_bytes()

    content = await hass.async_add_executor_job(read)
    if content is None:
        raise _invalid("attachment_path_missing", path=str(path))
    return Attachment(content, content_type, path.name)


async def _download(hass: HomeAssistant, value: str) -> Attachment:
    """Download an attachment from a URL listed in allowlist_external_urls (5 MB cap)."""
    try:
        url = URL(value)
    except ValueError as err:  # a malformed URL or host name (UnicodeError included)
        raise _invalid("attachment_url_invalid", url=value) from err
    if url.scheme not in ("http", "https") or not url.host:
        raise _invalid("attachment_url_invalid", url=value)
    if not hass.config.is_allowed_external_url(value):
        raise _invalid("attachment_url_not_allowed", url=value)
    session = async_get_clientsession(hass)
    try:
        async with session.get(url, timeout=DOWNLOAD_TIMEOUT) as response:
            if response.status != 200:
                raise _invalid(
                    "attachment_download_failed", url=value, error=f"HTTP {response.status}"
                )
            content = bytearray()
            async for chunk in response.content.iter_chunked(65536):
                content += chunk
                if len(content) > MAX_ATTACHMENT_BYTES:
                    raise _invalid(
                        "attachment_too_large",
                        parameter="attachment",
                        limit=str(MAX_ATTACHMENT_BYTES),
                    )
            content_type = response.content_type or "application/octet-stream"
    except (aiohttp.ClientError, TimeoutError) as err:
        raise _invalid("attachment_download_failed", url=value, error=type(err).__name__) from err
    return Attachment(bytes(content), content_type, url.name or "attachment")
