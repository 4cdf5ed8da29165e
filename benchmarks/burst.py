"""Benchmark: a burst of 1000 `pushover_plus.send_message` actions at once, and 1000 holds.

Run from the repository root: `.venv/bin/python -m pytest benchmarks/burst.py -s -q`.
Prints the burst's seconds and messages per second on a healthy link (every message sent
directly), then the same burst while Pushover refuses connections (every message held,
on disk before its action returns) with the number of journal writes it cost. To compare
two versions, run this file in both checkouts in turn and take the ratio of the medians.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import (
    CONF_API_TOKEN,
    CONF_API_URL,
    CONF_ENTRY_TYPE,
    CONF_HOLD_WHEN_OFFLINE,
    CONF_RATE_LIMIT,
    CONF_USE_WEBHOOK,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_TYPE_SENDER,
)
from custom_components.pushover_plus.data import sender_unique_id
from pushover_simulator import PushoverSimulator

BURST = 1000
ENTITY = "notify.bench"


async def burst(hass: HomeAssistant, prefix: str) -> tuple[float, list[str]]:
    """Send BURST messages at once; return the seconds and each action's status."""
    started = time.perf_counter()
    responses = await asyncio.gather(
        *(
            hass.services.async_call(
                DOMAIN,
                "send_message",
                {"message": f"{prefix} {number}"},
                target={"entity_id": ENTITY},
                blocking=True,
                return_response=True,
            )
            for number in range(BURST)
        )
    )
    seconds = time.perf_counter() - started
    return seconds, [
        str(cast(dict[str, Any], response)[ENTITY]["status"]) for response in responses
    ]


@pytest.mark.timeout(300)
async def test_burst_benchmark(
    hass: HomeAssistant, enable_custom_integrations: None, simulator: PushoverSimulator
) -> None:
    """Measure the direct burst and the held burst, check every status, print the figures."""
    token = simulator.add_app("Benchmark", quota_limit=1_000_000)
    user = simulator.add_user(devices=("phone",))
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Bench",
        unique_id=sender_unique_id(token, user),
        data={
            CONF_ENTRY_TYPE: ENTRY_TYPE_SENDER,
            CONF_API_TOKEN: token,
            CONF_USER_KEY: user,
            CONF_API_URL: simulator.base_url,
        },
        # The quota guard's rate ceiling would refuse a burst to one recipient: off.
        options={CONF_HOLD_WHEN_OFFLINE: True, CONF_USE_WEBHOOK: False, CONF_RATE_LIMIT: 0},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await burst(hass, "warm-up")

    seconds, statuses = await burst(hass, "direct")
    assert statuses == ["sent"] * BURST
    print(f"\nBURST direct: {BURST} in {seconds:.3f} s = {BURST / seconds:.0f} msg/s")

    journal = getattr(entry.runtime_data.sender.outbox, "journal", None)
    if journal is None:  # a version before the journal
        return
    await simulator.stop()  # connections refused: every message is held
    seconds, statuses = await burst(hass, "held")
    assert statuses.count("held") == BURST
    print(
        f"BURST held: {BURST} in {seconds:.3f} s = {BURST / seconds:.0f} msg/s, "
        f"{journal.writes} journal writes"
    )
