"""Every icon of icons.json exists in the icon set of Home Assistant's frontend.

The frontend draws only the Material Design Icons it ships; any other name is a blank
square in the action picker and on the entity cards. The list is the frontend's own
``static/mdi/iconList.json`` from the home-assistant-frontend package that the pinned
Home Assistant requires (installed from requirements_test.txt), read offline.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import metadata, resources
import json
from pathlib import Path
from typing import Any

from homeassistant import components
import pytest

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "custom_components" / "pushover_plus" / "icons.json"


def _frontend_icons() -> set[str]:
    """Return the names (without "mdi:") of the icons the installed frontend has."""
    frontend = pytest.importorskip(
        "hass_frontend", reason="home-assistant-frontend is in requirements_test.txt only"
    )
    listing = resources.files(frontend) / "static" / "mdi" / "iconList.json"
    return {icon["name"] for icon in json.loads(listing.read_text(encoding="utf-8"))}


def _icons_used(tree: Mapping[str, Any], where: str = "") -> Iterator[tuple[str, str]]:
    """Yield (dotted path, icon) for every icon string of icons.json."""
    for key, value in tree.items():
        here = f"{where}.{key}".lstrip(".")
        if isinstance(value, Mapping):
            yield from _icons_used(value, here)
        else:
            yield here, str(value)


def test_every_icon_is_in_the_frontends_icon_set() -> None:
    known = _frontend_icons()
    used = list(_icons_used(json.loads(ICONS.read_text(encoding="utf-8"))))
    assert len(used) > 30  # entities and every action
    missing = [
        f"{where}: {icon}"
        for where, icon in used
        if not icon.startswith("mdi:") or icon.removeprefix("mdi:") not in known
    ]
    assert not missing, "icons.json uses icons the frontend does not have:\n" + "\n".join(missing)


def test_the_checked_frontend_is_the_one_home_assistant_requires() -> None:
    """The icon list read is the one the Home Assistant under test installs."""
    _frontend_icons()
    manifest = Path(components.__file__).parent / "frontend" / "manifest.json"
    (required,) = json.loads(manifest.read_text(encoding="utf-8"))["requirements"]
    assert f"home-assistant-frontend=={metadata.version('home-assistant-frontend')}" == required
