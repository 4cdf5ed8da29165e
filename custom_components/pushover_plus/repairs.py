"""Repair flows of Pushover Plus."""

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Return the flow of a fixable issue: held messages dropped is acknowledged."""
    return ConfirmRepairFlow()
