"""Shared fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Load custom_components/ in every test that uses hass (and only those)."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")
