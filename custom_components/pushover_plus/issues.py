"""Repair issues of Pushover Plus: one of each kind per entry, named after it."""

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry


def _issue_id(entry: ConfigEntry, key: str) -> str:
    """Return the id of the entry's issue of this kind (its translation key)."""
    return f"{key}_{entry.entry_id}"


@callback
def async_raise_issue(
    hass: HomeAssistant,
    entry: ConfigEntry,
    key: str,
    *,
    severity: ir.IssueSeverity = ir.IssueSeverity.WARNING,
    fixable: bool = False,
    learn_more_url: str | None = None,
    **placeholders: str,
) -> None:
    """Raise (or update) the entry's issue of this kind; its text names the entry."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(entry, key),
        is_fixable=fixable,
        is_persistent=False,
        severity=severity,
        translation_key=key,
        translation_placeholders={"name": entry.title, **placeholders},
        learn_more_url=learn_more_url,
    )


@callback
def async_clear_issue(hass: HomeAssistant, entry: ConfigEntry, key: str) -> None:
    """Clear the entry's issue of this kind, if raised."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(entry, key))
