"""Fixtures of the benchmarks: the simulator, its own network process, fresh Home Assistants."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
import json
from pathlib import Path
import sys
from typing import Any

from homeassistant import loader
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
from homeassistant.util import ssl as ssl_util
import pytest
from pytest_homeassistant_custom_component.common import async_test_home_assistant

from benchmarks.network import write_certificates
from pushover_simulator import PushoverSimulator

# Each way: a round trip of 40 ms, about what a home connection to Pushover's servers takes.
NETWORK_DELAY = 0.020

type FreshHass = Callable[[], AbstractAsyncContextManager[HomeAssistant]]


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Override the harness's fixture: debug mode slows every callback; production has it off."""
    asyncio.get_running_loop().set_debug(False)


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[PushoverSimulator]:
    """Serve the simulator on loopback, in this event loop."""
    sim = PushoverSimulator()
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@dataclass
class Network:
    """The simulator in its own process (benchmarks/network.py): plain, and TLS with a delay."""

    process: asyncio.subprocess.Process
    plain_url: str
    tls_url: str
    token: str
    user: str
    ca: Path

    async def _ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()
        answer: dict[str, Any] = json.loads(await self.process.stdout.readline())
        return answer

    async def reset(self) -> None:
        """Forget the requests and deliveries recorded so far."""
        await self._ask("reset")

    async def requests(self) -> Counter[str]:
        """Return the API requests since the last reset, by path."""
        return Counter((await self._ask("stats"))["requests"])

    async def deliveries(self) -> int:
        """Return how many messages were delivered since the last reset."""
        return int((await self._ask("stats"))["deliveries"])


def trust(ca: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust the CA in Home Assistant's client SSL contexts and in requests.

    homeassistant.util.ssl builds its (cached, shared) client contexts when it is imported,
    from REQUESTS_CA_BUNDLE or certifi, long before a fixture runs: the CA is added to those
    very contexts. requests reads REQUESTS_CA_BUNDLE on every request.
    """
    for cipher_list in ssl_util.SSLCipherList:
        for alpn in (
            ssl_util.SSL_ALPN_NONE,
            ssl_util.SSL_ALPN_HTTP11,
            ssl_util.SSL_ALPN_HTTP11_HTTP2,
        ):
            ssl_util.client_context(cipher_list, alpn).load_verify_locations(cafile=ca)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))


@pytest.fixture
async def network(
    socket_enabled: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Network]:
    """Serve the simulator in its own process, with a certificate made for this run."""
    ca, cert, key = write_certificates(tmp_path)
    trust(ca, monkeypatch)
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "benchmarks.network", str(cert), str(key), str(NETWORK_DELAY)),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stdin is not None
    ready = json.loads(await process.stdout.readline())
    try:
        yield Network(
            process,
            plain_url=f"http://127.0.0.1:{ready['plain']}/1/",
            tls_url=f"https://127.0.0.1:{ready['tls']}/1/",
            token=ready["token"],
            user=ready["user"],
            ca=ca,
        )
    finally:
        process.stdin.close()
        await process.wait()


@pytest.fixture
def fresh_hass(hass_storage: dict[str, Any], tmp_path: Path) -> FreshHass:
    """Return a maker of fresh Home Assistant test instances (the hass fixture, repeatable).

    Each starts with empty storage and custom integrations enabled; on leaving, its loaded
    entries are unloaded and it is stopped.
    """

    @asynccontextmanager
    async def fresh() -> AsyncIterator[HomeAssistant]:
        hass_storage.clear()
        async with async_test_home_assistant(config_dir=str(tmp_path)) as hass:
            frame.async_setup(hass)
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            try:
                yield hass
            finally:
                for entry in hass.config_entries.async_entries():
                    if entry.state is ConfigEntryState.LOADED:
                        await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_stop(force=True)

    return fresh
