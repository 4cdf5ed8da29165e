"""Fixtures of the fault suite: simulator and fault proxy in the test's loop, a real `hass`.

Run by `scripts/test-faults`, or by hand: `.venv/bin/pytest tests_faults -p no:homeassistant`.
The plugin of pytest-homeassistant-custom-component (entry point `homeassistant`) must be
off: it blocks sockets, and this suite runs Home Assistant as a separate process.
One Home Assistant serves every scenario (one session-wide event loop); a scenario that
kills it starts it again on the same configuration directory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from pushover_simulator import PushoverSimulator

from .fault_proxy import FaultProxy
from .harness import REQUEST_TIMEOUT, HomeAssistantApi, HomeAssistantProcess
from .suite import FaultSuite, Scenario

SUITE = pytest.StashKey[FaultSuite]()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def simulator() -> AsyncIterator[PushoverSimulator]:
    """Serve the Pushover simulator on a free loopback port."""
    async with PushoverSimulator(host="127.0.0.1", port=0) as sim:
        yield sim


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def proxy(simulator: PushoverSimulator) -> AsyncIterator[FaultProxy]:
    """Put the fault proxy in front of the simulator."""
    fault_proxy = FaultProxy(simulator.port)
    await fault_proxy.start()
    yield fault_proxy
    await fault_proxy.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def suite(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    simulator: PushoverSimulator,
    proxy: FaultProxy,
) -> AsyncIterator[FaultSuite]:
    """Start Home Assistant, onboard the owner over REST, and keep it for every scenario."""
    ha = HomeAssistantProcess(Path(tmp_path_factory.mktemp("faults")) / "config")
    # A connection per call: none goes stale when Home Assistant is killed.
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    ) as session:
        world = FaultSuite(simulator, proxy, ha, HomeAssistantApi(session, ha.url))
        request.config.stash[SUITE] = world
        try:
            seconds = await ha.start()
            await world.api.onboard(ha.config_dir)
            print(f"\nHome Assistant answered after {seconds:.1f} s; owner onboarded over REST")
            yield world
        finally:
            if ha.running:
                await ha.stop()
            ha.keep_logs()


@pytest_asyncio.fixture(loop_scope="session")
async def scenario(request: pytest.FixtureRequest, suite: FaultSuite) -> AsyncIterator[Scenario]:
    """Give a scenario a running Home Assistant and a passing proxy; clean up after it."""
    await suite.ensure_running()
    await suite.proxy.passing()
    suite.proxy.before_answer = None
    suite.proxy.reset_stats()
    suite.ha.note(f"scenario {request.node.name}")
    case = Scenario(suite, request.node.name)
    try:
        yield case
    finally:
        suite.proxy.before_answer = None
        await suite.proxy.passing()
        await suite.ensure_running()
        await case.remove_entries()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Add the tail of Home Assistant's log to a failed scenario's report."""
    report = yield
    world = item.config.stash.get(SUITE, None)
    if report.failed and world is not None:
        report.sections.append(("Home Assistant log", world.ha.log_tail()))
    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Repeat every scenario's figure at the end."""
    world = config.stash.get(SUITE, None)
    if world is not None and world.figures:
        terminalreporter.section("fault suite figures")
        for line in world.figures:
            terminalreporter.write_line(line)
