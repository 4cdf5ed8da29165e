"""Fixtures and helpers of the Pushover client tests: the simulator, canned answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
from pathlib import Path
import socket
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.pushover_plus.pushover import PushoverClient
from pushover_simulator import PushoverSimulator
from tests.conftest import Account

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
# 2026-03-15 12:00 UTC; the next quota reset is 2026-04-01 00:00 CDT = 05:00 UTC.
FIXED_NOW = datetime(2026, 3, 15, 12, tzinfo=UTC).timestamp()
FIXED_RESET = datetime(2026, 4, 1, 5, tzinfo=UTC)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, closed at the end."""
    client_session = aiohttp.ClientSession()
    yield client_session
    await client_session.close()


@dataclass
class Waits:
    """A fake sleep that records each wait and how many requests preceded it."""

    simulator: PushoverSimulator | None = None
    seconds: list[float] = field(default_factory=list)
    after_requests: list[int] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.after_requests.append(len(self.simulator.requests) if self.simulator else 0)
        await asyncio.sleep(0)


@pytest.fixture
def waits(simulator: PushoverSimulator) -> Waits:
    return Waits(simulator)


@pytest.fixture
def client(
    simulator: PushoverSimulator, account: Account, session: aiohttp.ClientSession, waits: Waits
) -> PushoverClient:
    """A client for the account's application, pointed at the simulator."""
    return PushoverClient(
        session,
        account.token,
        base_url=simulator.base_url,
        websocket_url=simulator.websocket_url,
        sleep=waits,
    )


@dataclass
class FakeApi:
    """A tiny loopback server answering canned responses (path below /1/ -> response)."""

    base_url: str
    responses: dict[str, tuple[int, str | bytes, dict[str, str]]]
    hits: list[str]


@pytest.fixture
async def fake_api(socket_enabled: None) -> AsyncIterator[FakeApi]:
    hits: list[str] = []
    responses: dict[str, tuple[int, str | bytes, dict[str, str]]] = {}

    async def handler(request: web.Request) -> web.Response:
        path = request.path.removeprefix("/1/")
        hits.append(path)
        status, body, headers = responses.get(path, (404, "<html>Not Found</html>", {}))
        if isinstance(body, bytes):
            return web.Response(status=status, body=body, headers=headers)
        return web.Response(status=status, text=body, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    yield FakeApi(f"http://127.0.0.1:{port}/1", responses, hits)
    await runner.cleanup()


def fake_client(
    session: aiohttp.ClientSession, fake_api: FakeApi, *, max_retries: int = 0
) -> PushoverClient:
    return PushoverClient(
        session, "a" * 30, base_url=fake_api.base_url, max_retries=max_retries, sleep=Waits()
    )


def as_json(body: Any) -> str:
    return json.dumps(body)


JSON = {"Content-Type": "application/json; charset=utf-8"}
OK = (200, as_json({"status": 1, "request": "fake-request"}), JSON)


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def raises[E: BaseException](kind: type[E], call: Awaitable[Any]) -> E:
    """Await ``call`` and return the exception of exactly ``kind`` it raised."""
    with pytest.raises(kind) as caught:
        await call
    assert type(caught.value) is kind
    return caught.value


KEY = "b" * 30
FIXTURES = Path(__file__).parent.parent / "fixtures"


def recorded(name: str, status: int = 200) -> tuple[int, str, dict[str, str]]:
    """A fake answer with the recorded body tests/fixtures/<name>.json."""
    return status, (FIXTURES / f"{name}.json").read_text(encoding="utf-8"), JSON
