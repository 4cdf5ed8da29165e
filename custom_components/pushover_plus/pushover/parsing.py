"""Lenient readers of Pushover's answers: absent or odd fields never break a parse."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .exceptions import PushoverServerError
from .models import Limits


def parse_timestamp(value: Any) -> datetime | None:
    """Unix time -> aware UTC datetime; None when absent, 0 or not a time."""
    try:
        seconds = int(value)
        return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None
    except TypeError, ValueError, OverflowError, OSError:
        return None


def parse_int(value: Any, default: int = 0) -> int:
    """Read an integer leniently ("1", 1, True); ``default`` when absent or unreadable."""
    try:
        return int(value)
    except TypeError, ValueError:
        return default


def parse_text(value: Any) -> str | None:
    """Read an optional text field: absent, null and empty become None."""
    return str(value) if value is not None and value != "" else None


def parse_objects(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """Return the objects of a list field (anything else in it is skipped)."""
    values = data.get(key)
    if not isinstance(values, list):
        return []
    return [item for item in values if isinstance(item, Mapping)]


def required_text(data: Mapping[str, Any], key: str, request_id: Any = None) -> str:
    """Return a field a successful answer must carry; PushoverServerError if absent.

    ``request_id`` is the answer's request id when ``data`` is an object inside it.
    """
    value = parse_text(data.get(key))
    if value is None or isinstance(data.get(key), Mapping | list):
        raise PushoverServerError(
            f"Pushover's answer has no {key}",
            status=200,
            request_id=parse_text(request_id or data.get("request")),
        )
    return value


_QUOTA_HEADERS = {
    "limit": "X-Limit-App-Limit",
    "remaining": "X-Limit-App-Remaining",
    "reset": "X-Limit-App-Reset",
}


def quota_headers(headers: Mapping[str, str]) -> dict[str, int]:
    """Read the X-Limit-App-* values present (any of them may be missing)."""
    values: dict[str, int] = {}
    for name, header in _QUOTA_HEADERS.items():
        try:
            values[name] = int(headers[header])
        except KeyError, ValueError:
            continue
    return values


def limits_from(values: Mapping[str, int], previous: Limits | None) -> Limits | None:
    """Limits from the quota headers; a partial set updates the previous limits."""
    if not values:
        return None
    reset = parse_timestamp(values.get("reset"))
    if previous is None:
        if reset is None or "limit" not in values or "remaining" not in values:
            return None
        return Limits(values["limit"], values["remaining"], reset)
    return Limits(
        values.get("limit", previous.limit),
        values.get("remaining", previous.remaining),
        reset or previous.reset,
    )


def verdicts(body: Mapping[str, Any]) -> dict[str, str]:
    """Collect the per-parameter verdicts of a refusal.

    Top-level keys such as ``"user": "invalid"``, and the keys of an object-shaped
    ``errors`` (``{"name": ["has already been taken"]}``).
    """
    verdicts = {
        key: str(value)
        for key, value in body.items()
        if key not in ("errors", "status", "request") and isinstance(value, str | int)
    }
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        for name, values in errors.items():
            texts = values if isinstance(values, list) else [values]
            verdicts.setdefault(str(name), "; ".join(str(text) for text in texts))
    return verdicts


def error_texts(body: Mapping[str, Any], status: int) -> list[str]:
    """Pushover's texts from a list, a string or an object of lists ("name has ...")."""
    errors = body.get("errors")
    texts: list[str] = []
    if isinstance(errors, Mapping):
        for name, values in errors.items():
            for value in values if isinstance(values, list) else [values]:
                texts.append(f"{name} {value}")
    elif isinstance(errors, list):
        texts = [str(error) for error in errors]
    elif isinstance(errors, str):
        texts = [errors]
    return [text for text in texts if text.strip()] or [f"HTTP {status}"]
