"""The Open Client side: the websocket's frames and the parsing of downloads."""

import asyncio
from collections.abc import AsyncGenerator, Mapping
from datetime import UTC, datetime
import logging
import re
from typing import Any

import aiohttp

from .exceptions import PushoverConnectionError, PushoverTimeoutError
from .models import Download, PushFrame, ReceivedMessage
from .parsing import parse_text, parse_timestamp
from .validation import MAX_MESSAGE_LENGTH, MAX_TITLE_LENGTH, MAX_URL_LENGTH, MAX_URL_TITLE_LENGTH

__all__ = [
    "MAX_DOWNLOAD_BYTES",
    "MAX_PUSH_FRAME_BYTES",
]

MAX_PUSH_FRAME_BYTES = 1024
# Pushover caps a message at 1024 characters, its title at 250, its URL at 512 and the
# URL title at 100: one message is at most about 25 kB of JSON (4-byte characters, escaped).
# 4 MiB holds a backlog of some 170 such messages, or thousands of usual ones.
MAX_DOWNLOAD_BYTES = 4 * 1024 * 1024
MAX_RECEIVED_FIELD_LENGTH = MAX_TITLE_LENGTH  # app, icon, sound, receipt, umid
MAX_MESSAGE_ID = 2**63 - 1
MESSAGE_ID_PATTERN = r"[1-9][0-9]{0,18}"  # matched whole
_FRAMES = {frame.value: frame for frame in PushFrame if len(frame.value) == 1}
_LOGGER = logging.getLogger(__name__)


async def push_frames(
    session: aiohttp.ClientSession,
    websocket_url: str,
    device_id: str,
    secret: str,
    *,
    heartbeat_timeout: float,
) -> AsyncGenerator[PushFrame]:
    """Connect, send the login frame and yield frames; see PushoverClient.push_frames."""
    try:
        socket = await session.ws_connect(
            websocket_url, heartbeat=None, max_msg_size=MAX_PUSH_FRAME_BYTES, compress=0
        )
    except (aiohttp.ClientError, TimeoutError) as err:
        raise PushoverConnectionError(
            f"Could not open the websocket: {type(err).__name__}"
        ) from err
    ignored = 0
    try:
        try:
            await socket.send_str(f"login:{device_id}:{secret}\n")
        except (aiohttp.ClientError, ConnectionError) as err:
            raise PushoverConnectionError("The websocket closed during the login") from err
        yield PushFrame.CONNECTED
        while True:
            frame = await _receive(socket, heartbeat_timeout)
            if (push_frame := _push_frame(frame.data)) is not None:
                yield push_frame
                continue
            ignored += 1
            if ignored == 1:
                _LOGGER.debug(
                    "Ignored a websocket frame of %d bytes (not one known byte)", len(frame.data)
                )
    finally:
        await socket.close()


async def _receive(socket: aiohttp.ClientWebSocketResponse, silence: float) -> aiohttp.WSMessage:
    """Return the next data frame; raise when the socket ends or stays ``silence`` s silent."""
    try:
        async with asyncio.timeout(silence):
            frame = await socket.receive()
    except TimeoutError as err:
        raise PushoverTimeoutError("The websocket stayed silent") from err
    if frame.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
        raise PushoverConnectionError(f"The websocket ended ({frame.type.name})")
    return frame


def parse_download(data: Mapping[str, Any]) -> Download:
    """Return the readable messages of a messages.json answer, sorted by id."""
    items = data.get("messages")
    if not isinstance(items, list):
        return Download([])
    messages = [message for item in items if (message := _received(item)) is not None]
    messages.sort(key=lambda message: message.id)
    return Download(messages, skipped=len(items) - len(messages))


def _push_frame(data: Any) -> PushFrame | None:
    """Return the frame of a one-byte payload (bytes or text); None for anything else."""
    if not isinstance(data, bytes | str) or len(data) != 1:
        return None
    return _FRAMES.get(data if isinstance(data, str) else chr(data[0]))


def _message_id(item: Mapping[str, Any]) -> str | None:
    """Return a downloaded message's id as digits (id_str, else id); None if unreadable."""
    value = item.get("id_str")
    if value is None or value == "":
        value = item.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not re.fullmatch(MESSAGE_ID_PATTERN, value):
        return None
    return value if int(value) <= MAX_MESSAGE_ID else None


def _received_int(value: Any) -> int:
    """Read a number field of a download leniently; 0 when absent or unreadable."""
    try:
        return int(value)
    except TypeError, ValueError, OverflowError:
        return 0


def _capped(value: Any, limit: int) -> str | None:
    """Read an optional text field (see _text), cut to ``limit`` characters."""
    text = parse_text(value)
    return None if text is None else text[:limit]


def _received(item: Any) -> ReceivedMessage | None:
    """Parse one downloaded message; None when it is not an object with a readable id."""
    if not isinstance(item, Mapping):
        return None
    id_str = _message_id(item)
    if id_str is None:
        return None
    return ReceivedMessage(
        id=int(id_str),
        id_str=id_str,
        message=_capped(item.get("message"), MAX_MESSAGE_LENGTH) or "",
        app=_capped(item.get("app"), MAX_RECEIVED_FIELD_LENGTH),
        title=_capped(item.get("title"), MAX_TITLE_LENGTH),
        priority=min(2, max(-2, _received_int(item.get("priority")))),
        date=parse_timestamp(item.get("date")) or datetime.fromtimestamp(0, UTC),
        url=_capped(item.get("url"), MAX_URL_LENGTH),
        url_title=_capped(item.get("url_title"), MAX_URL_TITLE_LENGTH),
        icon=_capped(item.get("icon"), MAX_RECEIVED_FIELD_LENGTH),
        sound=_capped(item.get("sound"), MAX_RECEIVED_FIELD_LENGTH),
        receipt=_capped(item.get("receipt"), MAX_RECEIVED_FIELD_LENGTH),
        acked=bool(_received_int(item.get("acked"))),
        html=bool(_received_int(item.get("html"))),
        umid=_capped(item.get("umid_str"), MAX_RECEIVED_FIELD_LENGTH)
        or _capped(item.get("umid"), MAX_RECEIVED_FIELD_LENGTH),
        raw=dict(item),
    )
