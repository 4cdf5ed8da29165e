"""Tests of what the flows share: the API URL's form and where entry data keep it."""

from __future__ import annotations

import pytest

from custom_components.pushover_plus.const import CONF_API_URL
from custom_components.pushover_plus.flow_helpers import normalize_api_url, with_api_url


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://api.pushover.net/1", "https://api.pushover.net/1/"),
        ("https://api.pushover.net", "https://api.pushover.net/1/"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765/1/"),
        ("http://127.0.0.1:8765/api", "http://127.0.0.1:8765/api/"),
        ("http://127.0.0.1:8765/1/", "http://127.0.0.1:8765/1/"),
        ("http://localhost:8765/1/", "http://localhost:8765/1/"),
        ("http://[::1]:8765/1/", "http://[::1]:8765/1/"),
        ("http://192.168.1.2/1/", None),
        ("ftp://api.pushover.net/1/", None),
        ("not a url", None),
        ("http://[zz/", None),
    ],
)
def test_normalize_api_url(value: str, expected: str | None) -> None:
    assert normalize_api_url(value) == expected


def test_api_url_is_stored_only_when_not_pushovers() -> None:
    assert with_api_url({"a": 1, CONF_API_URL: "old"}, "https://api.pushover.net/1/") == {"a": 1}
    assert with_api_url({"a": 1}, "http://127.0.0.1/1/") == {
        "a": 1,
        CONF_API_URL: "http://127.0.0.1/1/",
    }
