"""Benchmark: what one send costs through Pushover Plus, next to a raw POST and core `pushover`.

Run from the repository root (the file is not named test_*.py: the suite never collects it):

    .venv/bin/pip install pushover_complete==1.2.0   # core pushover's library, once
    .venv/bin/python -m pytest benchmarks/send.py -s -q

It takes about two minutes. The Pushover simulator runs in its own process
(benchmarks/network.py), never in the event loop being measured, on loopback in two modes:
plain HTTP, and what users feel: TLS 1.3 (a certificate made for the run) with 20 ms each
way, a new connection paying the TCP handshake's round trip too. Home Assistant runs as in
production (event loop debug mode off). Printed, median (min-max), with no timed assertion:
- import: the warm import of each integration (package, config flow, platforms) in fresh
  interpreters, bytecode cached, all it imports from elsewhere loaded before (importtime.py);
  for Pushover Plus also with the modules that only a receiver entry or the legacy notify
  option load, at their setup;
- first setup: a sender entry's first setup until loaded and its notify action registered,
  each in a fresh Home Assistant with the components both use already set up (as in a
  running one), Pushover Plus and core interleaved; and the API requests answered before
  it was loaded, and all it made (with its background fetches after);
- latency, per mode, of (a) a raw aiohttp POST to messages.json on one keep-alive session
  (the floor), (b) a no-op action called the same blocking way with the same data, target
  and kind of schema (Home Assistant's own cost of an action call), (c) the
  `pushover_plus.send_message` action, blocking, (d) core's notify action (`pushover_complete`
  and requests in the executor; its module-level API URL pointed at the simulator). After a
  warm-up, rounds of sequential sends per variant, round r running the variants in the order
  rotated by r: per variant the median latency, and its ratio to (a) in the same round, as
  the median and the min-max over rounds;
- state writes: the states one send writes within a second, changed and written unchanged.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from itertools import count, islice
import ssl
import statistics
import time

import aiohttp
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import (
    Event,
    EventStateChangedData,
    EventStateReportedData,
    HomeAssistant,
    ServiceCall,
    callback,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.setup import async_setup_component
import pushover_complete.pushover_api
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from benchmarks.conftest import NETWORK_DELAY, FreshHass, Network
from benchmarks.importtime import import_targets, import_times
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

IMPORT_RUNS = 21
SETUP_REPEATS = 7
WARM_UP = 5
ROUNDS = 7
SENDS = {"loopback": 200, f"TLS 1.3, {NETWORK_DELAY * 1000:.0f} ms each way": 25}
# What a running Home Assistant has set up before either integration (Pushover Plus depends
# on http and webhook; both notify; Pushover Plus's other platforms' entity components).
LOADED_BEFORE = ("http", "webhook", "notify", "event", "sensor", "switch")
PLUS_ENTITY = "notify.bench"
CORE_SERVICE = "core_bench"
PLUS, CORE = "Pushover Plus", "core pushover"

type Send = Callable[[int], Awaitable[object]]


def spread(values: list[float], scale: float = 1.0, digits: int = 2) -> str:
    """Format the median and the min-max of values."""
    low, mid, high = (
        value * scale for value in (min(values), statistics.median(values), max(values))
    )
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def requests_text(requests: Counter[str]) -> str:
    """Format API requests by path."""
    paths = ", ".join(
        f"{path.removeprefix('/1/')} {count}" for path, count in sorted(requests.items())
    )
    return f"{requests.total()} ({paths})"


def plus_entry(network: Network, url: str) -> MockConfigEntry:
    """Return a Pushover Plus sender entry as a user makes it (no webhook without external URL)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Bench",
        unique_id=sender_unique_id(network.token, network.user),
        data={
            CONF_ENTRY_TYPE: ENTRY_TYPE_SENDER,
            CONF_API_TOKEN: network.token,
            CONF_USER_KEY: network.user,
            CONF_API_URL: url,
        },
        options={
            CONF_HOLD_WHEN_OFFLINE: True,
            CONF_USE_WEBHOOK: False,
            CONF_RECEIPT_POLL_INTERVAL: 30,
            CONF_MAX_HELD_AGE: 24,
            CONF_RATE_LIMIT: 0,  # the quota guard's ceiling would refuse many sends to one user
        },
    )


def core_entry(network: Network) -> MockConfigEntry:
    """Return a core pushover entry (its URL is its library's module-level API URL)."""
    return MockConfigEntry(
        domain="pushover",
        data={"name": CORE_SERVICE, "api_key": network.token, "user_key": network.user},
    )


async def prepare(hass: HomeAssistant) -> None:
    """Set up what a running Home Assistant has before either integration."""
    for domain in LOADED_BEFORE:
        assert await async_setup_component(hass, domain, {})
    await hass.async_block_till_done()


async def first_setup(
    hass: HomeAssistant, network: Network, entry: MockConfigEntry
) -> tuple[float, int, Counter[str]]:
    """Return the seconds of the entry's first setup, the API requests answered by then,
    and all it made (with those its background tasks made after)."""
    await prepare(hass)
    entry.add_to_hass(hass)
    await network.reset()
    started = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id), (entry.state, entry.reason)
    await hass.async_block_till_done()
    seconds = time.perf_counter() - started
    awaited = (await network.requests()).total()
    await hass.async_block_till_done(wait_background_tasks=True)
    return seconds, awaited, await network.requests()


async def first_setups(
    fresh_hass: FreshHass, network: Network
) -> dict[str, tuple[list[float], int, Counter[str]]]:
    """Time first setups, interleaved, each in a fresh Home Assistant (the first not counted)."""
    makers = {
        PLUS: lambda: plus_entry(network, network.plain_url),
        CORE: lambda: core_entry(network),
    }
    results: dict[str, tuple[list[float], int, Counter[str]]] = {
        name: ([], 0, Counter()) for name in makers
    }
    for repeat in range(SETUP_REPEATS + 1):  # repeat 0 imports and warms caches
        for name in rotated(list(makers), repeat):
            async with fresh_hass() as hass:
                seconds, awaited, requests = await first_setup(hass, network, makers[name]())
            if repeat:
                results[name][0].append(seconds)
                results[name] = (results[name][0], awaited, requests)
    return results


def rotated[T](items: list[T], by: int) -> list[T]:
    """Return items rotated left by `by`."""
    by %= len(items)
    return items[by:] + items[:by]


async def interleaved(variants: dict[str, Send], sends: int) -> dict[str, list[list[float]]]:
    """Warm up, then time ROUNDS rounds of sequential sends per variant, in rotating order.

    Every message is numbered differently: the quota guard holds back duplicates.
    """
    numbers = count()
    for send in variants.values():
        for _ in range(WARM_UP):
            await send(next(numbers))
    samples: dict[str, list[list[float]]] = {name: [] for name in variants}
    for round_number in range(ROUNDS):
        for name in rotated(list(variants), round_number):
            times = []
            for number in islice(numbers, sends):
                started = time.perf_counter()
                await variants[name](number)
                times.append(time.perf_counter() - started)
            samples[name].append(times)
    return samples


def latency_rows(samples: dict[str, list[list[float]]]) -> list[str]:
    """Format per variant the median latency and the per-round ratio to the first variant."""
    floor = [statistics.median(times) for times in next(iter(samples.values()))]
    rows = []
    for name, rounds in samples.items():
        everything = [sample for times in rounds for sample in times]
        ratios = [statistics.median(times) / low for times, low in zip(rounds, floor, strict=True)]
        rows.append(
            f"  {name:<44} {statistics.median(everything) * 1000:>9.3f} ms   x {spread(ratios)}"
        )
    return rows


def variants(
    hass: HomeAssistant, session: aiohttp.ClientSession, network: Network, url: str
) -> dict[str, Send]:
    """Return the four ways to send, by name."""

    async def raw(number: int) -> None:
        data = {"token": network.token, "user": network.user, "message": f"raw {number}"}
        async with session.post(f"{url}messages.json", data=data) as response:
            assert response.status == 200
            await response.read()

    def action(domain: str, service: str, **target: str) -> Send:
        def send(number: int) -> Awaitable[object]:
            return hass.services.async_call(
                domain,
                service,
                {"message": f"{service} {number}"},
                target=target or None,
                blocking=True,
            )

        return send

    return {
        "(a) raw aiohttp POST messages.json (floor)": raw,
        "(b) no-op action (Home Assistant's call cost)": action(
            "bench", "noop", entity_id=PLUS_ENTITY
        ),
        "(c) pushover_plus.send_message action": action(
            DOMAIN, "send_message", entity_id=PLUS_ENTITY
        ),
        "(d) core pushover notify (executor)": action("notify", CORE_SERVICE),
    }


async def state_writes(hass: HomeAssistant, send: Send) -> str:
    """Send once after settling; return the states written within a second, by kind."""
    await hass.async_block_till_done(wait_background_tasks=True)
    changed: list[str] = []
    unchanged: list[str] = []

    @callback
    def on_changed(event: Event[EventStateChangedData]) -> None:
        changed.append(event.data["entity_id"])

    @callback
    def on_reported(event: Event[EventStateReportedData]) -> None:
        unchanged.append(event.data["entity_id"])

    @callback
    def every(_data: EventStateReportedData) -> bool:
        return True

    unsubscribe = [
        hass.bus.async_listen(EVENT_STATE_CHANGED, on_changed),
        hass.bus.async_listen(EVENT_STATE_REPORTED, on_reported, event_filter=every),
    ]
    await send(-1)  # a message of its own: the quota guard holds back duplicates
    await asyncio.sleep(1)
    await hass.async_block_till_done(wait_background_tasks=True)
    for stop in unsubscribe:
        stop()
    return (
        f"{len(changed)} changed {sorted(changed)}, {len(unchanged)} unchanged {sorted(unchanged)}"
    )


async def mode(
    fresh_hass: FreshHass, network: Network, url: str, sends: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], list[str]]:
    """Measure one mode: the latency rows, and the state writes of one send per integration."""
    monkeypatch.setattr(pushover_complete.pushover_api, "PUSHOVER_API_URL", url)
    async with fresh_hass() as hass:
        await prepare(hass)
        for entry in (plus_entry(network, url), core_entry(network)):
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

        async def noop(_call: ServiceCall) -> None:
            """Do nothing."""

        schema = cv.make_entity_service_schema({vol.Required("message"): cv.string})
        hass.services.async_register("bench", "noop", noop, schema=schema)
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=network.ca))
        ) as session:
            ways = variants(hass, session, network, url)
            await network.reset()
            samples = await interleaved(ways, sends)
        delivered = (WARM_UP + ROUNDS * sends) * 3  # every variant but the no-op delivers
        assert await network.deliveries() == delivered
        plus_send, core_send = list(ways.values())[2:]
        writes = [
            f"  {PLUS}: {await state_writes(hass, plus_send)}",
            f"  {CORE}: {await state_writes(hass, core_send)}",
        ]
    return latency_rows(samples), writes


@pytest.mark.timeout(900)
async def test_send_benchmark(
    fresh_hass: FreshHass, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Measure and print the table."""
    imports = await import_times(import_targets(), IMPORT_RUNS)
    monkeypatch.setattr(pushover_complete.pushover_api, "PUSHOVER_API_URL", network.plain_url)
    setups = await first_setups(fresh_hass, network)
    setup_ratio = statistics.median(setups[PLUS][0]) / statistics.median(setups[CORE][0])
    lines = [
        "",
        "Pushover Plus send benchmark (simulator in its own process on loopback; median (min-max))",
        f"warm import, {IMPORT_RUNS} fresh interpreters each, bytecode cached, "
        "the modules it imports from elsewhere loaded first:",
        *(f"  {name:<18} {spread(seconds, 1000)} ms" for name, seconds in imports.items()),
        f"first setup until loaded, {SETUP_REPEATS} interleaved, "
        "each in a fresh Home Assistant (loopback):",
        *(
            f"  {name:<14} {spread(seconds, 1000)} ms, API requests {awaited} before loaded, "
            f"in all {requests_text(requests)}"
            for name, (seconds, awaited, requests) in setups.items()
        ),
        f"  {PLUS} / {CORE}: x {setup_ratio:.2f}",
    ]
    writes: list[str] = []
    for name, sends in SENDS.items():
        url = network.plain_url if name == "loopback" else network.tls_url
        rows, mode_writes = await mode(fresh_hass, network, url, sends, monkeypatch)
        lines += [
            f"latency, {name}: {ROUNDS} rotating rounds x {sends} sends per variant, "
            f"after {WARM_UP} warm-up:",
            *rows,
        ]
        writes = writes or [f"state writes of one send after settling ({name}):", *mode_writes]
    print("\n".join([*lines, *writes]))
