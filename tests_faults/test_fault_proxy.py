"""The fault proxy itself, driven with raw aiohttp in front of the simulator.

The scenarios trust these: pass-through delivers once, each fault does what it says, and
the counters (requests in flight, connections) count what they claim.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
import time

import aiohttp
import pytest
import pytest_asyncio

from pushover_simulator import PushoverSimulator

from .fault_proxy import FaultProxy, ProxiedRequest

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def fault_proxy(simulator: PushoverSimulator) -> AsyncIterator[FaultProxy]:
    """Give each test a proxy of its own, in front of the suite's simulator."""
    proxy = FaultProxy(simulator.port)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Give the test an HTTP client."""
    async with aiohttp.ClientSession() as client:
        yield client


class Account:
    """An application and a user at the simulator."""

    def __init__(self, simulator: PushoverSimulator) -> None:
        """Seed them."""
        self.token = simulator.add_app("Proxy test")
        self.user = simulator.add_user(devices=("phone",))
        self.simulator = simulator

    def received(self) -> list[str]:
        """Return the texts the simulator accepted for the user."""
        return [d.params["message"] for d in self.simulator.deliveries if d.user == self.user]


@pytest.fixture
def account(simulator: PushoverSimulator) -> Account:
    """Seed an application and a user."""
    return Account(simulator)


async def send(
    session: aiohttp.ClientSession,
    proxy: FaultProxy,
    account: Account,
    message: str,
    *,
    within: float = 5.0,
) -> tuple[int, str, dict[str, str]]:
    """Post a message through the proxy; return status, body and headers."""
    async with session.post(
        f"{proxy.base_url}messages.json",
        data={"token": account.token, "user": account.user, "message": message},
        timeout=aiohttp.ClientTimeout(total=within),
    ) as response:
        return response.status, await response.text(), dict(response.headers)


async def test_pass_through_delivers_each_send_once_on_one_connection(
    fault_proxy: FaultProxy, session: aiohttp.ClientSession, account: Account
) -> None:
    """Pass-through: each send delivered once, the client's connection reused."""
    texts = [f"pass {n}" for n in range(20)]
    answers = [await send(session, fault_proxy, account, text) for text in texts]

    assert [status for status, _, _ in answers] == [200] * 20
    assert json.loads(answers[0][1])["status"] == 1
    assert account.received() == texts
    assert fault_proxy.connections == 1  # keep-alive: the client reused its connection
    assert [r.message for r in fault_proxy.sends(account.token)] == texts
    assert {(r.outcome, r.status, r.upstream_status) for r in fault_proxy.requests} == {
        ("pass", 200, 200)
    }
    assert fault_proxy.max_in_flight == 1
    assert fault_proxy.in_flight() == 0


async def test_chunked_body_and_get_pass_through(
    fault_proxy: FaultProxy,
    session: aiohttp.ClientSession,
    account: Account,
) -> None:
    """A chunked body is read whole and forwarded; a GET passes too."""

    async def body() -> AsyncIterator[bytes]:
        yield f"token={account.token}&user={account.user}".encode()
        yield b"&message=chunked"

    async with session.post(
        f"{fault_proxy.base_url}messages.json",
        data=body(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ) as response:
        assert response.status == 200
    async with session.get(
        f"{fault_proxy.base_url}apps/limits.json", params={"token": account.token}
    ) as response:
        assert (await response.json())["limit"] == 10000

    assert account.received() == ["chunked"]
    assert [(r.method, r.path, r.token) for r in fault_proxy.requests] == [
        ("POST", "/1/messages.json", account.token),
        ("GET", "/1/apps/limits.json", account.token),
    ]


async def test_refuse_closes_the_port_and_idle_connections_until_accept(
    fault_proxy: FaultProxy, session: aiohttp.ClientSession, account: Account
) -> None:
    """Refusing closes the port and the idle connection; accepting opens the port again."""
    assert (await send(session, fault_proxy, account, "before"))[0] == 200

    await fault_proxy.refuse()
    with pytest.raises(aiohttp.ClientConnectorError):
        await send(session, fault_proxy, account, "refused")
    assert fault_proxy.refusing
    await fault_proxy.accept()
    assert (await send(session, fault_proxy, account, "after"))[0] == 200

    assert account.received() == ["before", "after"]
    assert fault_proxy.connections == 2  # the idle one was closed; "after" made a new one


async def test_hang_never_forwards_and_is_in_flight_until_the_client_leaves(
    fault_proxy: FaultProxy, session: aiohttp.ClientSession, account: Account
) -> None:
    """A hung request is never forwarded and counts in flight until the client leaves."""
    fault_proxy.fault("hang", token=account.token)

    hung = asyncio.create_task(send(session, fault_proxy, account, "hung", within=1.0))
    await asyncio.sleep(0.5)
    assert fault_proxy.in_flight(token=account.token) == 1
    with pytest.raises(TimeoutError):
        await hung

    assert await fault_proxy.wait_idle(within=5)
    assert account.received() == []
    assert [(r.outcome, r.status, r.upstream_status) for r in fault_proxy.requests] == [
        ("hang", None, None)
    ]


async def test_late_forwards_at_once_and_answers_after_the_delay(
    fault_proxy: FaultProxy, session: aiohttp.ClientSession, account: Account
) -> None:
    """A late answer: forwarded at once, answered after the delay (or never, if the client left)."""
    fault_proxy.fault("late", delay=30.0, count=1)
    with pytest.raises(TimeoutError):  # the answer comes after the client gave up
        await send(session, fault_proxy, account, "slow", within=1.0)
    fault_proxy.fault("late", delay=0.2)
    status, _, _ = await send(session, fault_proxy, account, "late")

    assert status == 200
    assert account.received() == ["slow", "late"]
    assert [(r.outcome, r.status) for r in fault_proxy.requests] == [("late", None), ("late", 200)]


async def test_drop_forwards_then_closes_without_answering(
    fault_proxy: FaultProxy, session: aiohttp.ClientSession, account: Account
) -> None:
    """A dropped answer: the simulator accepted the send, the client got no answer."""
    fault_proxy.fault("drop", count=1)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await send(session, fault_proxy, account, "dropped")
    status, _, _ = await send(session, fault_proxy, account, "next")

    assert status == 200
    assert account.received() == ["dropped", "next"]  # accepted, only its answer was lost
    assert [(r.outcome, r.status, r.upstream_status) for r in fault_proxy.requests] == [
        ("drop", None, 200),
        ("pass", 200, 200),
    ]


async def test_canned_refusals_are_not_forwarded(
    fault_proxy: FaultProxy, session: aiohttp.ClientSession, account: Account
) -> None:
    """HTML 403, token refusal and 429 with a past reset: answered by the proxy alone."""
    fault_proxy.fault("html403", count=1)
    fault_proxy.fault("token400", count=1)
    fault_proxy.fault("quota429", count=1)

    html = await send(session, fault_proxy, account, "403")
    token = await send(session, fault_proxy, account, "400")
    quota = await send(session, fault_proxy, account, "429")

    assert (html[0], html[2]["Content-Type"]) == (403, "text/html; charset=utf-8")
    assert "<html>" in html[1]
    assert token[0] == 400
    assert json.loads(token[1]) == {
        "token": "invalid",
        "errors": ["application token is invalid"],
        "status": 0,
    }
    assert quota[0] == 429
    assert json.loads(quota[1])["status"] == 0
    assert quota[2]["X-Limit-App-Remaining"] == "0"
    assert int(quota[2]["X-Limit-App-Reset"]) < time.time()  # already past
    assert account.received() == []
    assert [r.outcome for r in fault_proxy.requests] == ["html403", "token400", "quota429"]


async def test_rules_match_token_and_path_and_run_out(
    fault_proxy: FaultProxy, session: aiohttp.ClientSession, account: Account
) -> None:
    """A rule applies to its token and path only, and for its count of requests."""
    other = Account(account.simulator)
    fault_proxy.fault("token400", token=account.token, count=2)

    assert (await send(session, fault_proxy, other, "other"))[0] == 200
    async with session.get(
        f"{fault_proxy.base_url}sounds.json", params={"token": account.token}
    ) as response:
        assert response.status == 200  # not messages.json
    assert (await send(session, fault_proxy, account, "one"))[0] == 400
    assert (await send(session, fault_proxy, account, "two"))[0] == 400
    assert (await send(session, fault_proxy, account, "three"))[0] == 200

    assert fault_proxy.rules == []
    assert account.received() == ["three"]


async def test_in_flight_peak_and_hook_before_the_answer(
    fault_proxy: FaultProxy, session: aiohttp.ClientSession, account: Account
) -> None:
    """Overlapping requests count in flight; the hook runs before the client has the answer."""
    fault_proxy.fault("late", delay=0.3)
    seen: list[tuple[str | None, int | None, int]] = []

    async def hook(request: ProxiedRequest) -> None:
        seen.append((request.message, request.status, fault_proxy.in_flight()))

    fault_proxy.before_answer = hook
    answers = await asyncio.gather(
        *(send(session, fault_proxy, account, f"parallel {n}") for n in range(3))
    )

    assert [status for status, _, _ in answers] == [200] * 3
    assert fault_proxy.max_in_flight == 3
    assert fault_proxy.max_open_connections == 3
    assert sorted(str(message) for message, _, _ in seen) == [f"parallel {n}" for n in range(3)]
    assert {status for _, status, _ in seen} == {None}  # the client has no answer yet
    assert max(in_flight for _, _, in_flight in seen) == 3


async def test_websocket_is_piped_and_not_a_request_in_flight(
    fault_proxy: FaultProxy, session: aiohttp.ClientSession, simulator: PushoverSimulator
) -> None:
    """A websocket passes both ways and is not a request in flight."""
    simulator.add_user(devices=(), email="proxy@example.com", password="pw")  # noqa: S106
    async with session.post(
        f"{fault_proxy.base_url}users/login.json",
        data={"email": "proxy@example.com", "password": "pw"},
    ) as response:
        secret = (await response.json())["secret"]
    async with session.post(
        f"{fault_proxy.base_url}devices.json", data={"secret": secret, "name": "proxied", "os": "O"}
    ) as response:
        device_id = (await response.json())["id"]

    url = fault_proxy.base_url.replace("http://", "ws://").replace("/1/", "/push")
    async with session.ws_connect(url) as websocket:
        await websocket.send_str(f"login:{device_id}:{secret}\n")
        for _ in range(50):
            if device_id in simulator.websocket_logins:
                break
            await asyncio.sleep(0.05)
        await simulator.send_frame(device_id, "!")
        frame = await websocket.receive(timeout=5)
        assert frame.data == b"!"
        assert fault_proxy.in_flight(sends_only=False) == 0

    assert [r.path for r in fault_proxy.requests] == ["/1/users/login.json", "/1/devices.json"]
