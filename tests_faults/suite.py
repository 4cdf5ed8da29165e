"""The fault suite's world: simulator, fault proxy, one `hass` process, and scenario helpers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import signal
import time
from typing import Any

import pytest

from pushover_simulator import PushoverSimulator

from .fault_proxy import FaultProxy, ProxiedRequest
from .harness import (
    HomeAssistantApi,
    HomeAssistantError,
    HomeAssistantProcess,
    SendOutcome,
    Tally,
    poll,
    poll_until,
)

ENTRY_LOAD_TIMEOUT = 30.0
ARRIVAL_POLL = 0.01  # seconds: how closely a kill follows the arrival it waits for
POLL = 0.2


@dataclass
class Sender:
    """A sender entry with its own application and user at the simulator."""

    entry_id: str
    title: str
    token: str
    user: str
    notify: str = ""
    held_sensor: str = ""
    alerts_sensor: str = ""


@dataclass
class FaultSuite:
    """What every scenario shares: one simulator, one proxy, one Home Assistant."""

    simulator: PushoverSimulator
    proxy: FaultProxy
    ha: HomeAssistantProcess
    api: HomeAssistantApi
    figures: list[str] = field(default_factory=list)

    def figure(self, name: str, **values: Any) -> str:
        """Print a scenario's figure (``FAULTS: name: key=value ...``) and keep it."""
        line = f"FAULTS: {name}: " + " ".join(f"{key}={value}" for key, value in values.items())
        print(f"\n{line}")
        self.ha.note(line)
        self.figures.append(line)
        return line

    async def ensure_running(self) -> None:
        """Start Home Assistant again if a scenario left it stopped."""
        if not self.ha.running:
            await self.ha.start()


GUARD_OFF = {
    "hold_when_offline": True,
    "use_webhook": False,
    "receipt_poll_interval": 30,
    "max_held_age": 24,
    "legacy_notify": False,
    "duplicate_window": 60,
    "rate_limit": 0,
    "quota_reserve": 2,
}


class Scenario:
    """One scenario: its entries (removed afterwards) and its findings."""

    def __init__(self, suite: FaultSuite, name: str) -> None:
        """Start with no entries and no problems."""
        self.suite = suite
        self.name = name
        self.simulator = suite.simulator
        self.proxy = suite.proxy
        self.ha = suite.ha
        self.api = suite.api
        self.entry_ids: list[str] = []
        self.problems: list[str] = []
        self.started = time.monotonic()

    # ------------------------------------------------------------ findings

    def expect(self, condition: bool, expected: str, actual: str) -> None:
        """Note a broken promise (the scenario goes on, to print all its figures)."""
        if not condition:
            self.problems.append(f"expected {expected}; got {actual}")

    def finish(self) -> None:
        """Fail with every broken promise, each with what was expected and what happened."""
        if self.problems:
            pytest.fail(
                f"{self.name}: "
                + "\n  ".join(["promise broken:", *self.problems])
                + "\n(Home Assistant's log tail is in the report below.)",
                pytrace=False,
            )

    # ------------------------------------------------------------ entries

    async def add_sender(self, title: str, *, user: str | None = None) -> Sender:
        """Add a sender entry through the config flow, API URL pointed at the proxy."""
        token = self.simulator.add_app(title)
        user = user or self.simulator.add_user(devices=("phone",))
        result = await self.api.flow(
            {"handler": "pushover_plus", "show_advanced_options": True},
            {"next_step_id": "sender"},
            {
                "api_token": token,
                "user_key": user,
                "name": title,
                "advanced": {"api_url": self.proxy.base_url},
            },
        )
        if result.get("type") != "create_entry":
            raise HomeAssistantError(f"adding sender {title!r} did not create an entry: {result}")
        sender = Sender(result["result"]["entry_id"], title, token, user)
        self.entry_ids.append(sender.entry_id)
        await self._wait_saved(sender.entry_id)
        await self.wait_loaded(sender)
        # The bursts here test delivery: the quota guard's ceiling (30 a minute per
        # recipient) is off; the guard has its own tests (tests/test_guard.py).
        result = await self.api.options(sender.entry_id, GUARD_OFF)
        if result.get("type") != "create_entry":
            raise HomeAssistantError(f"saving the options of {title!r} failed: {result}")
        await self.wait_loaded(sender)
        return sender

    async def add_receiver(self, title: str, *, email: str, password: str) -> str:
        """Add a receiver entry (Open Client login and device) through the proxy."""
        result = await self.api.flow(
            {"handler": "pushover_plus", "show_advanced_options": True},
            {"next_step_id": "receiver"},
            {"email": email, "password": password, "advanced": {"api_url": self.proxy.base_url}},
            {"device_name": title},
        )
        if result.get("type") != "create_entry":
            raise HomeAssistantError(f"adding receiver {title!r} did not create an entry: {result}")
        entry_id: str = result["result"]["entry_id"]
        self.entry_ids.append(entry_id)
        await self._wait_saved(entry_id)
        return entry_id

    async def _wait_saved(self, entry_id: str) -> None:
        """Wait until the entry is on disk (written a second later), so a kill keeps it."""
        path = self.ha.config_dir / ".storage" / "core.config_entries"

        async def saved() -> bool | None:
            return True if path.exists() and entry_id in path.read_text("utf-8") else None

        if await poll(saved, within=20) is None:
            raise HomeAssistantError(f"entry {entry_id} was not saved within 20 s")

    async def wait_loaded(self, sender: Sender, within: float = ENTRY_LOAD_TIMEOUT) -> str | None:
        """Wait until the entry is loaded and its notify entity available; return its state.

        Looks the entity ids up again (after a restart they come from the registry).
        """

        async def loaded() -> str | None:
            state = await self.api.entry_state(sender.entry_id)
            return state if state == "loaded" else None

        if await poll(loaded, within=within) is None:
            return await self.api.entry_state(sender.entry_id)
        sender.notify = await self.api.entity_id(sender.entry_id, "notify")
        sender.held_sensor = await self.api.entity_id(sender.entry_id, "queued_messages")
        sender.alerts_sensor = await self.api.entity_id(sender.entry_id, "active_alerts")

        async def available() -> bool | None:
            state = await self.api.state(sender.notify)
            return True if state is not None and state["state"] != "unavailable" else None

        await poll(available, within=within)
        return "loaded"

    async def remove_entries(self) -> None:
        """Remove this scenario's entries (and with them their held messages)."""
        for entry_id in self.entry_ids:
            await self.api.delete_entry(entry_id)

    # ------------------------------------------------------------ sending and counting

    async def send_each(
        self, sender: Sender, texts: list[str], *, answer_within: float = 60.0, **data: Any
    ) -> list[SendOutcome]:
        """Send the messages one after the other; return each call's outcome."""
        return [
            await self.api.send(sender.notify, text, answer_within=answer_within, **data)
            for text in texts
        ]

    def received(self, sender: Sender) -> list[str]:
        """Return the texts the simulator accepted for the sender's user, in order."""
        return [
            delivery.params.get("message", "")
            for delivery in self.simulator.deliveries
            if delivery.user == sender.user
        ]

    def tally(self, sender: Sender, expected: list[str]) -> Tally:
        """Count what arrived of the expected messages."""
        return Tally(expected, self.received(sender))

    async def held(self, sender: Sender) -> int | None:
        """Return the held-messages sensor's value, None while it has none."""
        state = await self.api.state(sender.held_sensor) if sender.held_sensor else None
        if state is None:
            return None
        try:
            return int(state["state"])
        except ValueError:
            return None

    async def wait_delivered(self, sender: Sender, expected: list[str], within: float) -> Tally:
        """Wait until every expected message arrived and nothing is held (or the deadline)."""
        wanted = set(expected)

        async def done() -> bool | None:
            if not wanted <= set(self.received(sender)):
                return None
            return True if await self.held(sender) == 0 else None

        await poll(done, within=within)
        await self.proxy.wait_idle(token=sender.token, within=20)
        return self.tally(sender, expected)

    async def restart(self, *senders: Sender) -> float:
        """Start Home Assistant again; wait for the senders to load; return the startup time."""
        seconds = await self.ha.start()
        for sender in senders:
            await self.wait_loaded(sender)
        return seconds

    async def hold_all(self, sender: Sender, texts: list[str]) -> list[SendOutcome]:
        """Send with the proxy refusing connections; every answer should be ``held``."""
        await self.proxy.refuse()
        return await self.send_each(sender, texts)

    async def wait_received(
        self, sender: Sender, expected: list[str], within: float, *, closely: bool = False
    ) -> bool:
        """Wait until every expected message arrived once at least.

        ``closely`` polls every 10 ms, for a kill that must follow the last arrival.
        """
        wanted = set(expected)
        deadline = time.monotonic() + within
        while not wanted <= set(self.received(sender)):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(ARRIVAL_POLL if closely else POLL)
        return True

    async def settle(self, sender: Sender, within: float) -> bool:
        """Wait until nothing is held and no request of the sender waits for an answer."""

        async def settled() -> bool | None:
            if self.proxy.in_flight(token=sender.token, sends_only=False):
                return None
            return True if await self.held(sender) == 0 else None

        return await poll(settled, within=within) is True

    @staticmethod
    def statuses(outcomes: list[SendOutcome]) -> str:
        """Summarize outcomes, e.g. ``held=199 HTTP 500: ...=1``."""
        counts: dict[str, int] = {}
        for outcome in outcomes:
            counts[outcome.describe()] = counts.get(outcome.describe(), 0) + 1
        return ", ".join(f"{what} x{count}" for what, count in counts.items())

    @staticmethod
    async def gather_sends(calls: list[asyncio.Task[SendOutcome]]) -> list[SendOutcome]:
        """Wait for sends started as tasks."""
        return list(await asyncio.gather(*calls))


class KillAt:
    """Signal Home Assistant when the simulator accepted the n-th send of a sender.

    Installed as the proxy's ``before_answer`` hook: the n-th answer is still on its way
    back when the signal goes. SIGKILL is awaited there (that answer never reaches Home
    Assistant); SIGTERM is not (the answer follows, as it would during a clean stop).
    """

    def __init__(
        self, scenario: Scenario, sender: Sender, *, after: int, sig: signal.Signals
    ) -> None:
        """Install the hook."""
        self.scenario = scenario
        self.sender = sender
        self.after = after
        self.sig = sig
        self.accepted = 0
        self.in_flight = 0  # sends of the sender waiting for their answer at the signal
        self.received = 0  # what the simulator had accepted of the sender at the signal
        self.fired = asyncio.Event()
        scenario.proxy.before_answer = self._hook

    async def _hook(self, request: ProxiedRequest) -> None:
        if self.fired.is_set() or not request.is_send or request.token != self.sender.token:
            return
        if request.upstream_status != 200:
            return
        self.accepted += 1
        if self.accepted < self.after:
            return
        self.in_flight = self.scenario.proxy.in_flight(token=self.sender.token)
        self.received = len(self.scenario.received(self.sender))
        self.fired.set()
        self.scenario.proxy.before_answer = None
        if self.sig is signal.SIGKILL:
            await self.scenario.ha.kill()
        else:
            self.scenario.ha.send_signal(self.sig)

    async def wait(self, within: float) -> bool:
        """Wait until the signal went; False after ``within`` seconds."""
        try:
            async with asyncio.timeout(within):
                await self.fired.wait()
        except TimeoutError:
            self.scenario.proxy.before_answer = None
            return False
        if self.sig is signal.SIGKILL:
            await poll_until(lambda: not self.scenario.ha.running, within=10)
        return True
