"""A real `hass` process with Pushover Plus, driven through its REST and websocket APIs.

No browser: onboarding, config flows and actions go through Home Assistant's HTTP API
with a long-lived access token. The process can be killed (SIGKILL), stopped (SIGTERM)
and started again on the same configuration directory.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import signal
import socket
import sys
import time
from typing import IO, Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts" / "faults"
DOMAIN = "pushover_plus"
STARTUP_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0
CLIENT_NAME = "fault-suite"
OWNER = {"name": "Fault Suite", "username": "faults", "password": "fault-suite-password"}
LOG_TAIL_LINES = 40
RAW_TAIL_LINES = 8
LOG_WORDS = ("pushover_plus", "=== fault suite", "homeassistant.config_entries")

# A lean Home Assistant: the HTTP API, config flows and websocket, nothing that goes online.
CONFIGURATION = """\
homeassistant:
  name: Pushover Plus fault suite
  unit_system: metric
  time_zone: UTC
  country: US
  currency: USD
  latitude: 52.37
  longitude: 4.89
  elevation: 0

api:
config:
onboarding:
websocket_api:

logger:
  default: warning
  logs:
    custom_components.pushover_plus: debug
"""


def free_port() -> int:
    """Return a TCP port that is free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def poll[T](check: Callable[[], Awaitable[T | None]], *, within: float) -> T | None:
    """Return the first result of ``check`` that is not None, or None after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result is not None or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.2)


async def poll_until(condition: Callable[[], bool], *, within: float) -> bool:
    """Wait until ``condition()`` holds; return False after ``within`` seconds."""

    async def check() -> bool | None:
        return True if condition() else None

    return await poll(check, within=within) is True


class HomeAssistantError(AssertionError):
    """Home Assistant did not do what the harness needs (start, answer, stop)."""


class HomeAssistantProcess:
    """`python -m homeassistant -c <config>` on a fixed loopback port, restartable."""

    def __init__(self, config_dir: Path) -> None:
        """Prepare the configuration directory; ``start`` runs Home Assistant."""
        self.config_dir = config_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = config_dir / "hass.out"
        self.process: asyncio.subprocess.Process | None = None
        self._output: IO[bytes] | None = None
        config_dir.mkdir(parents=True)
        (config_dir / "configuration.yaml").write_text(CONFIGURATION, encoding="utf-8")
        (config_dir / "custom_components").symlink_to(REPO / "custom_components")

    @property
    def running(self) -> bool:
        """Return whether the process is alive."""
        return self.process is not None and self.process.returncode is None

    @property
    def pid(self) -> int:
        """Return the process id."""
        assert self.process is not None
        return self.process.pid

    def note(self, text: str) -> None:
        """Write a harness line into Home Assistant's output, to read the log in order."""
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"=== fault suite {time.strftime('%H:%M:%S')}: {text}\n")

    async def start(self) -> float:
        """Start Home Assistant; return the seconds until its HTTP API answered."""
        assert not self.running
        self.note("starting Home Assistant")
        self._output = self.log_path.open("ab")
        started = time.monotonic()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "homeassistant",
            "-c",
            str(self.config_dir),
            "--skip-pip",
            stdout=self._output,
            stderr=self._output,
            # The first start stores the port in .storage/http; later starts read it there.
            env={**os.environ, "SETUP_PORT": str(self.port)},
        )
        await self._wait_until_up()
        seconds = time.monotonic() - started
        self.note(f"Home Assistant answers after {seconds:.1f} s")
        return seconds

    async def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if not self.running:
                    raise HomeAssistantError(
                        f"hass exited with {self.returncode} while starting\n{self.log_tail()}"
                    )
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.url}/api/onboarding") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise HomeAssistantError(
            f"Home Assistant did not answer within {STARTUP_TIMEOUT:.0f} s\n{self.log_tail()}"
        )

    @property
    def returncode(self) -> int | None:
        """Return the exit code (None while running)."""
        return None if self.process is None else self.process.returncode

    def send_signal(self, sig: signal.Signals) -> None:
        """Send a signal without waiting."""
        self.note(f"sending {sig.name}")
        assert self.process is not None
        self.process.send_signal(sig)

    async def wait_exit(self, within: float) -> bool:
        """Wait for the process to end; False if it still runs after ``within`` seconds."""
        assert self.process is not None
        try:
            await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            return False
        self._close_output()
        self.note(f"Home Assistant exited with {self.process.returncode}")
        return True

    async def kill(self) -> None:
        """SIGKILL: nothing more runs in the process; wait until it is gone."""
        self.send_signal(signal.SIGKILL)
        if not await self.wait_exit(10):
            raise HomeAssistantError("hass survived SIGKILL for 10 s")

    async def stop(self, within: float = STOP_TIMEOUT) -> float:
        """SIGTERM and wait (SIGKILL after ``within`` s); return the seconds it took."""
        started = time.monotonic()
        self.send_signal(signal.SIGTERM)
        if not await self.wait_exit(within):
            await self.kill()
            raise HomeAssistantError(f"hass did not stop within {within:.0f} s of SIGTERM")
        return time.monotonic() - started

    def _close_output(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """Return the last lines of Home Assistant's output about Pushover Plus, then its end.

        With the harness's notes (starts, signals, figures) in between; the whole output
        is kept in artifacts/faults/.
        """
        if not self.log_path.exists():
            return "(no Home Assistant output yet)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        ours = [
            line
            for line in text
            if any(word in line for word in LOG_WORDS) and "Manually updated" not in line
        ]
        return "\n".join(
            [
                f"--- {self.log_path}: Pushover Plus lines and harness notes",
                *ours[-lines:],
                "--- its last lines",
                *text[-RAW_TAIL_LINES:],
            ]
        )

    def keep_logs(self) -> None:
        """Copy Home Assistant's output into artifacts/faults/."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name in ("hass.out", "home-assistant.log"):
            if (self.config_dir / name).exists():
                (ARTIFACTS / name).write_bytes((self.config_dir / name).read_bytes())


@dataclass
class SendOutcome:
    """What one pushover_plus.send_message call through the REST API answered."""

    entity_id: str
    message: str
    http_status: int | None  # None: no answer within the timeout
    body: Any
    seconds: float

    @property
    def status(self) -> str | None:
        """Return the per-entity status (sent or held), None when the call failed."""
        if self.http_status != 200 or not isinstance(self.body, dict):
            return None
        response = self.body.get("service_response", {}).get(self.entity_id)
        return response.get("status") if isinstance(response, dict) else None

    @property
    def receipt(self) -> str | None:
        """Return the receipt of an emergency message sent at once."""
        if self.status is None:
            return None
        receipt: str | None = self.body["service_response"][self.entity_id].get("receipt")
        return receipt

    def describe(self) -> str:
        """Return the outcome in a few words."""
        if self.http_status is None:
            return f"no answer within {self.seconds:.0f} s"
        if self.status is not None:
            return self.status
        return f"HTTP {self.http_status}: {str(self.body)[:200]}"


class HomeAssistantApi:
    """Home Assistant's REST and websocket APIs with a long-lived access token."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Remember where to call; ``onboard`` gets the token."""
        self.session = session
        self.url = url
        self.token = ""

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def onboard(self, config_dir: Path) -> None:
        """Create the owner (onboarding REST step), then a long-lived token saved on disk."""
        client_id = f"{self.url}/"
        async with self.session.post(
            f"{self.url}/api/onboarding/users",
            json={**OWNER, "client_id": client_id, "language": "en"},
        ) as response:
            assert response.status == 200, f"onboarding: {response.status} {await response.text()}"
            auth_code = (await response.json())["auth_code"]
        async with self.session.post(
            f"{self.url}/auth/token",
            data={"grant_type": "authorization_code", "code": auth_code, "client_id": client_id},
        ) as response:
            assert response.status == 200, f"auth/token: {response.status} {await response.text()}"
            self.token = (await response.json())["access_token"]
        self.token = await self.ws(
            {"type": "auth/long_lived_access_token", "client_name": CLIENT_NAME, "lifespan": 30}
        )
        # The auth store is written a second later: a kill before that would lose the token.
        auth_file = config_dir / ".storage" / "auth"
        if not await poll_until(
            lambda: auth_file.exists() and CLIENT_NAME in auth_file.read_text(encoding="utf-8"),
            within=20,
        ):
            raise HomeAssistantError("the long-lived token was not saved within 20 s")

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        """Call the REST API; return the status and the JSON (or text) answer."""
        async with self.session.request(
            method,
            f"{self.url}{path}",
            json=body,
            headers=self._headers,
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        ) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST and return the answer; anything but 200/201 fails."""
        status, answer = await self.request("POST", path, body)
        if status not in (200, 201):
            raise HomeAssistantError(f"POST {path}: HTTP {status} {answer}")
        return answer

    async def ws(self, command: dict[str, Any]) -> Any:
        """Run one websocket command and return its result."""
        async with self.session.ws_connect(f"{self.url}/api/websocket") as websocket:
            hello = await websocket.receive_json(timeout=REQUEST_TIMEOUT)
            assert hello["type"] == "auth_required", hello
            await websocket.send_json({"type": "auth", "access_token": self.token})
            welcome = await websocket.receive_json(timeout=REQUEST_TIMEOUT)
            assert welcome["type"] == "auth_ok", welcome
            await websocket.send_json({"id": 1, **command})
            answer = await websocket.receive_json(timeout=REQUEST_TIMEOUT)
        if not answer.get("success"):
            raise HomeAssistantError(f"websocket {command['type']}: {answer}")
        return answer["result"]

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """Return an entity's state object, None while it does not exist."""
        status, answer = await self.request("GET", f"/api/states/{entity_id}")
        if status == 404:
            return None
        if status != 200:
            raise HomeAssistantError(f"GET state of {entity_id}: HTTP {status} {answer}")
        result: dict[str, Any] = answer
        return result

    async def entries(self) -> list[dict[str, Any]]:
        """Return Pushover Plus's config entries (with their state)."""
        status, answer = await self.request(
            "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
        )
        if status != 200:
            raise HomeAssistantError(f"GET config entries: HTTP {status} {answer}")
        result: list[dict[str, Any]] = answer
        return result

    async def entry_state(self, entry_id: str) -> str | None:
        """Return the state of a config entry (loaded, setup_retry, ...), None if absent."""
        return next((e["state"] for e in await self.entries() if e["entry_id"] == entry_id), None)

    async def delete_entry(self, entry_id: str) -> None:
        """Remove a config entry."""
        await self.request("DELETE", f"/api/config/config_entries/entry/{entry_id}")

    async def flow(self, start: dict[str, Any], *steps: dict[str, Any]) -> dict[str, Any]:
        """Run a config flow step by step; return the last result."""
        result: dict[str, Any] = await self.post("/api/config/config_entries/flow", start)
        for step in steps:
            if result["type"] not in ("menu", "form"):
                raise HomeAssistantError(f"config flow ended early: {result}")
            result = await self.post(f"/api/config/config_entries/flow/{result['flow_id']}", step)
        return result

    async def options(self, entry_id: str, options: dict[str, Any]) -> dict[str, Any]:
        """Save an entry's options through its options flow; return the result."""
        result: dict[str, Any] = await self.post(
            "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        if result["type"] != "form":
            raise HomeAssistantError(f"options flow did not show its form: {result}")
        saved: dict[str, Any] = await self.post(
            f"/api/config/config_entries/options/flow/{result['flow_id']}", options
        )
        return saved

    async def flows_in_progress(self) -> list[dict[str, Any]]:
        """Return the config flows in progress that a user did not start (reauth ...)."""
        result: list[dict[str, Any]] = await self.ws({"type": "config_entries/flow/progress"})
        return result

    async def entity_id(self, entry_id: str, key: str) -> str:
        """Return the entity id of an entry's entity from the entity registry."""
        entities = await self.ws({"type": "config/entity_registry/list"})
        unique_id = f"{entry_id}_{key}"
        for entity in entities:
            if entity.get("unique_id") == unique_id and entity.get("platform") == DOMAIN:
                entity_id: str = entity["entity_id"]
                return entity_id
        raise HomeAssistantError(f"no entity with unique id {entry_id}_<{key}> in the registry")

    async def send(
        self, entity_id: str, message: str, *, answer_within: float = 60.0, **data: Any
    ) -> SendOutcome:
        """Call pushover_plus.send_message with its response; never raises on failure."""
        started = time.monotonic()
        try:
            async with self.session.post(
                f"{self.url}/api/services/{DOMAIN}/send_message?return_response",
                json={"entity_id": entity_id, "message": message, **data},
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=answer_within),
            ) as response:
                text = await response.text()
                try:
                    body: Any = json.loads(text)
                except ValueError:
                    body = text
                status: int | None = response.status
        except TimeoutError, aiohttp.ClientError:
            status, body = None, None
        return SendOutcome(entity_id, message, status, body, time.monotonic() - started)


@dataclass
class Tally:
    """The messages a scenario sent and the copies of them the simulator received."""

    expected: list[str]
    received: list[str]
    counts: Counter[str] = field(init=False)

    def __post_init__(self) -> None:
        """Keep the copies of the expected messages only (the user may have had others)."""
        wanted = set(self.expected)
        self.received = [text for text in self.received if text in wanted]
        self.counts = Counter(self.received)

    @property
    def lost(self) -> list[str]:
        """Return the messages that never arrived."""
        return [text for text in self.expected if self.counts[text] == 0]

    @property
    def duplicates(self) -> int:
        """Return how many copies arrived beyond the first of each message."""
        return sum(count - 1 for count in self.counts.values() if count > 1)

    @property
    def most_copies(self) -> int:
        """Return the largest number of copies of one message."""
        return max(self.counts.values(), default=0)

    @property
    def in_order(self) -> bool:
        """Return whether the first copies arrived in the order they were sent."""
        first_seen = list(dict.fromkeys(self.received))
        return first_seen == [text for text in self.expected if text in self.counts]

    def order(self) -> str:
        """Return the arrival order as indexes of the sent messages."""
        index = {text: str(number) for number, text in enumerate(self.expected)}
        return ",".join(index[text] for text in self.received)
