"""Benchmark: sending through Pushover Plus against a raw HTTP floor and the core integration.

Everything runs on loopback against the Pushover simulator, in one Home Assistant (the test
harness of pytest-homeassistant-custom-component, with the event loop's debug mode off as in
production). Run from the repository root:

    .venv/bin/pip install pushover_complete==1.2.0   # the core integration's library, once
    .venv/bin/python -m pytest benchmarks/send.py -s -q

(`python -m` puts the repository root on sys.path for custom_components and the simulator.
The file is not named test_*.py, so the suite never collects it.) It prints one table:
- per-message latency (median, p99) of 500 sequential sends, after 20 warm-up sends, for
  (a) a raw aiohttp POST to messages.json on one keep-alive session (the floor),
  (b) the `pushover_plus.send_message` action (blocking, as an automation calls it),
  (c) the core `pushover` notify service (`pushover_complete` + requests in the executor,
      pointed at the simulator through its module-level API URL),
  with the ratio of each to (a);
- the throughput of a 1000-message burst through (b), and the most requests it had in flight;
- the setup time of a config entry (first setup, and for Pushover Plus the median of 10
  reloads: the core integration cannot unload, so it cannot reload);
- the API calls of one idle day (144 ten-minute steps of simulated time, as in
  tests/test_receipts.py::test_idle_day_costs_few_api_calls).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
import statistics
import time

import aiohttp
from freezegun import freeze_time
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.pushover_plus.const import (
    CONF_API_TOKEN,
    CONF_API_URL,
    CONF_ENTRY_TYPE,
    CONF_HOLD_WHEN_OFFLINE,
    CONF_MAX_HELD_AGE,
    CONF_RATE_LIMIT,
    CONF_RECEIPT_POLL_INTERVAL,
    CONF_USE_WEBHOOK,
    CONF_USER_KEY,
    DOMAIN,
    ENTRY_TYPE_SENDER,
)
from custom_components.pushover_plus.data import sender_unique_id
from pushover_simulator import PushoverSimulator

SEQUENTIAL = 500
WARM_UP = 20
BURST = 1000
RELOADS = 10
PLUS_ENTITY = "notify.bench"
CORE_SERVICE = "core_bench"


def latency_row(name: str, samples: list[float], floor: list[float] | None) -> str:
    """Format median and p99 in milliseconds, and their ratios to the floor's."""
    median = statistics.median(samples)
    p99 = statistics.quantiles(samples, n=100)[98]
    if floor is None:
        ratios = f"{1:>8.2f} {1:>8.2f}"
    else:
        ratios = (
            f"{median / statistics.median(floor):>8.2f} "
            f"{p99 / statistics.quantiles(floor, n=100)[98]:>8.2f}"
        )
    return f"{name:<46} {median * 1000:>9.3f} {p99 * 1000:>9.3f} {ratios}"


async def timed(send: Callable[[int], Awaitable[object]]) -> list[float]:
    """Warm up, then time SEQUENTIAL calls one after another."""
    for number in range(WARM_UP):
        await send(number)
    samples = []
    for number in range(SEQUENTIAL):
        started = time.perf_counter()
        await send(number)
        samples.append(time.perf_counter() - started)
    return samples


async def first_setup(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    """Return how long the first setup of a config entry takes, in seconds."""
    started = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id), (entry.state, entry.reason)
    await hass.async_block_till_done()
    return time.perf_counter() - started


async def reload_median(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    """Return the median time of RELOADS reloads of a config entry, in seconds."""
    reloads = []
    for _ in range(RELOADS):
        started = time.perf_counter()
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        reloads.append(time.perf_counter() - started)
    return statistics.median(reloads)


@pytest.mark.timeout(900)
async def test_send_benchmark(
    hass: HomeAssistant,
    enable_custom_integrations: None,
    simulator: PushoverSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Measure, check that every message arrived, and print the table."""
    import pushover_complete.pushover_api  # noqa: PLC0415

    token = simulator.add_app("Benchmark", quota_limit=1_000_000)
    user = simulator.add_user(devices=("phone",))

    # (a) The floor: one keep-alive aiohttp session posting straight to messages.json.
    async with aiohttp.ClientSession() as session:

        async def raw(number: int) -> None:
            async with session.post(
                f"{simulator.base_url}messages.json",
                data={"token": token, "user": user, "message": f"raw {number}"},
            ) as response:
                assert response.status == 200
                await response.read()

        floor = await timed(raw)

    # (b) Pushover Plus, set up as a user would (defaults, no webhook without external URL).
    plus = MockConfigEntry(
        domain=DOMAIN,
        title="Bench",
        unique_id=sender_unique_id(token, user),
        data={
            CONF_ENTRY_TYPE: ENTRY_TYPE_SENDER,
            CONF_API_TOKEN: token,
            CONF_USER_KEY: user,
            CONF_API_URL: simulator.base_url,
        },
        options={
            CONF_HOLD_WHEN_OFFLINE: True,
            CONF_USE_WEBHOOK: False,
            CONF_RECEIPT_POLL_INTERVAL: 30,
            CONF_MAX_HELD_AGE: 24,
            CONF_RATE_LIMIT: 0,  # the quota guard would refuse a burst to one recipient
        },
    )
    plus.add_to_hass(hass)
    plus_setup = await first_setup(hass, plus)
    plus_reload = await reload_median(hass, plus)

    async def via_plus(number: int) -> None:
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"message": f"plus {number}"},
            target={"entity_id": PLUS_ENTITY},
            blocking=True,
        )

    simulator.reset_stats()
    plus_samples = await timed(via_plus)
    assert len(simulator.deliveries) == WARM_UP + SEQUENTIAL

    # (c) The core integration: pushover_complete with requests, in the executor.
    monkeypatch.setattr(pushover_complete.pushover_api, "PUSHOVER_API_URL", simulator.base_url)
    assert await async_setup_component(hass, "pushover", {})
    core = MockConfigEntry(
        domain="pushover", data={"name": CORE_SERVICE, "api_key": token, "user_key": user}
    )
    core.add_to_hass(hass)
    core_setup = await first_setup(hass, core)  # it has no unload, so it cannot reload

    async def via_core(number: int) -> None:
        await hass.services.async_call(
            "notify", CORE_SERVICE, {"message": f"core {number}"}, blocking=True
        )

    simulator.reset_stats()
    core_samples = await timed(via_core)
    assert len(simulator.deliveries) == WARM_UP + SEQUENTIAL

    # Burst: BURST actions at once through Pushover Plus.
    simulator.reset_stats()
    started = time.perf_counter()
    await asyncio.gather(*(via_plus(number) for number in range(BURST)))
    burst_seconds = time.perf_counter() - started
    assert len(simulator.deliveries) == BURST
    in_flight = simulator.max_concurrent_requests

    # An idle day: only what the integrations do by themselves.
    simulator.reset_stats()
    with freeze_time(dt_util.utcnow()) as clock:
        for _ in range(24 * 6):
            clock.tick(timedelta(minutes=10))
            async_fire_time_changed(hass)
            await hass.async_block_till_done(wait_background_tasks=True)
    idle = Counter(request.path for request in simulator.requests)

    rule = "-" * 82
    print(
        "\n".join(
            [
                "",
                f"Pushover Plus send benchmark (simulator on loopback; {SEQUENTIAL} sequential "
                f"sends each, after {WARM_UP} warm-up)",
                rule,
                f"{'per-message latency':<46} {'median ms':>9} {'p99 ms':>9} "
                f"{'x median':>8} {'x p99':>8}",
                latency_row("(a) raw aiohttp POST messages.json (floor)", floor, None),
                latency_row("(b) pushover_plus.send_message action", plus_samples, floor),
                latency_row("(c) core pushover notify (executor)", core_samples, floor),
                rule,
                f"burst of {BURST} pushover_plus.send_message at once: {burst_seconds:.2f} s = "
                f"{BURST / burst_seconds:.0f} msg/s, at most {in_flight} requests in flight",
                f"config entry setup, Pushover Plus: first {plus_setup * 1000:.1f} ms, "
                f"reload median {plus_reload * 1000:.1f} ms (n={RELOADS})",
                f"config entry setup, core pushover: first {core_setup * 1000:.1f} ms "
                "(no unload, so no reload)",
                f"API calls in an idle day (both entries loaded): {idle.total()} "
                + (
                    "(" + ", ".join(f"{path} {count}" for path, count in sorted(idle.items())) + ")"
                    if idle
                    else ""
                ),
                rule,
            ]
        )
    )
