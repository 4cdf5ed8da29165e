"""Fixtures of the benchmarks: the simulator on loopback, the event loop as in production."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from pushover_simulator import PushoverSimulator


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Override the harness's fixture: debug mode slows every callback; production has it off."""
    asyncio.get_running_loop().set_debug(False)


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[PushoverSimulator]:
    """Serve the simulator on loopback."""
    sim = PushoverSimulator()
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()
