"""Repair issues: quota exhausted until the reset; held messages dropped (fixable)."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pushover_plus.const import DOMAIN
from pushover_simulator import PushoverSimulator

from .conftest import Account


async def test_quota_issue_clears_at_the_reset(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    simulator.set_quota(account.token, remaining=0)
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)  # the quota follows setup
    issue_id = f"quota_exhausted_{sender_entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders["limit"] == "10000"
    simulator.set_quota(account.token, remaining=10000)  # the month turned
    reset = sender_entry.runtime_data.quota.data.reset
    async_fire_time_changed(hass, reset + timedelta(seconds=1))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert hass.states.get("sensor.home_messages_remaining").state == "10000"


async def test_held_messages_issue_can_be_dismissed(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_sender: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    issue_id = f"held_messages_dropped_{loaded_sender.entry_id}"
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key="held_messages_dropped",
        translation_placeholders={"name": "Home", "count": "3", "hours": "24"},
    )
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await response.json())["type"] == "create_entry"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
