"""Schemas of the actions (service_schemas.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.pushover_plus.compat import vol
from custom_components.pushover_plus.service_schemas import (
    RECEIPT_SCHEMA,
    SEND_MESSAGE_SCHEMA,
    ascii_datetime,
    entry_schema,
)


def test_ascii_datetime_parses_iso_8601() -> None:
    assert ascii_datetime("2026-01-01T12:00:00+00:00") == datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01\ud800",
        "\uff12\uff10\uff12\uff16-01-01T00:00:00",  # full-width digits: cv.datetime takes it
        "soon",
    ],
)
def test_ascii_datetime_refuses_other_text(value: str) -> None:
    """Text that is not ASCII never reaches the parser (ciso8601 crashes on a surrogate)."""
    with pytest.raises(vol.Invalid):
        ascii_datetime(value)


def test_entry_schemas_require_the_entry() -> None:
    assert entry_schema()({"config_entry_id": "abc"}) == {"config_entry_id": "abc"}
    with pytest.raises(vol.Invalid):
        entry_schema()({})
    with pytest.raises(vol.Invalid):
        RECEIPT_SCHEMA({"config_entry_id": "abc"})
    with pytest.raises(vol.Invalid):
        entry_schema()({"config_entry_id": "abc", "extra": 1})


def test_send_message_takes_one_value_or_a_list() -> None:
    data = SEND_MESSAGE_SCHEMA(
        {"entity_id": "notify.home", "message": "Hi", "devices": "a, b", "tags": ["x", "y"]}
    )
    assert (data["devices"], data["tags"]) == ("a, b", ["x", "y"])
