"""Fixtures of the end-to-end test: the simulator, a real `hass` process, headless Chromium.

Run by `scripts/e2e`, or by hand: `.venv/bin/pytest tests_e2e -p no:homeassistant`.
The plugin of pytest-homeassistant-custom-component (entry point `homeassistant`) must be
off: it blocks sockets, and this test runs Home Assistant as a separate process that a
browser talks to.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
import os
from pathlib import Path
import re
import shutil
import socket
import sys
import time
from typing import IO

import aiohttp
from playwright.async_api import (
    ConsoleMessage,
    Error as PlaywrightError,
    Page,
    Response,
    async_playwright,
)
import pytest

from pushover_simulator import PushoverSimulator

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts" / "e2e"
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
# The first start of a fresh installation installs the requirements of the built-in
# integrations that the configuration loads (the frontend among them).
STARTUP_TIMEOUT = 300.0
# Onboarding offers Met, Radio Browser and Google Translate: cloud services this offline
# test does not use, so their requirements are not installed (their flows log an error).
SKIPPED_REQUIREMENTS = "gTTS,PyMetno,radios,pycountry"
OUR_TEXT = re.compile(r"pushover.?plus", re.IGNORECASE)


def free_port() -> int:
    """Return a TCP port that is free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def eventually[T](check: Callable[[], Awaitable[T | None]], *, within: float, what: str) -> T:
    """Return the first result of `check` that is not None; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.25)


@dataclass
class Account:
    """Credentials seeded into the simulator."""

    token: str
    user: str
    partner: str


@pytest.fixture
async def simulator() -> AsyncIterator[PushoverSimulator]:
    """Serve the Pushover simulator on a free loopback port, in this test's event loop."""
    sim = PushoverSimulator(host="127.0.0.1", port=0)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def account(simulator: PushoverSimulator) -> Account:
    """Seed an application, its owner (phone, tablet) and a partner (pixel)."""
    return Account(
        token=simulator.add_app("Home Assistant e2e"),
        user=simulator.add_user(devices=("phone", "tablet")),
        partner=simulator.add_user(devices=("pixel",)),
    )


@dataclass
class HomeAssistantProcess:
    """A running `hass` process with a fresh configuration directory."""

    url: str
    config_dir: Path
    startup_seconds: float


def _prepare_config(config_dir: Path) -> IO[bytes]:
    """Copy the development configuration; return the file that takes hass's output."""
    config_dir.mkdir()
    shutil.copyfile(REPO / "config" / "configuration.yaml", config_dir / "configuration.yaml")
    (config_dir / "automations.yaml").write_text("[]\n", encoding="utf-8")  # as scripts/develop
    (config_dir / "custom_components").symlink_to(REPO / "custom_components")
    return (config_dir / "hass.out").open("wb")


def _keep_logs(config_dir: Path) -> None:
    """Copy the logs of the run next to the screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name in ("home-assistant.log", "hass.out"):
        if (config_dir / name).exists():
            shutil.copyfile(config_dir / name, ARTIFACTS / name)


async def _wait_until_up(url: str, process: asyncio.subprocess.Process) -> None:
    """Wait until the frontend answers (the onboarding page needs it)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                pytest.fail(f"hass exited with {process.returncode}; see {ARTIFACTS}/hass.out")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{url}/manifest.json") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.25)
    pytest.fail(f"Home Assistant did not answer within {STARTUP_TIMEOUT:.0f} s")


@pytest.fixture
async def home_assistant(tmp_path: Path) -> AsyncIterator[HomeAssistantProcess]:
    """Run a real Home Assistant (`hass -c <tmp>`) on a free port; stop it afterwards."""
    config_dir = tmp_path / "config"
    output = _prepare_config(config_dir)
    port = free_port()
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "homeassistant",
        "-c",
        str(config_dir),
        "--skip-pip-packages",
        SKIPPED_REQUIREMENTS,
        stdout=output,
        stderr=output,
        env={**os.environ, "SETUP_PORT": str(port)},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        await _wait_until_up(url, process)
        startup = time.monotonic() - started
        print(f"\nHome Assistant answered after {startup:.1f} s")
        yield HomeAssistantProcess(url=url, config_dir=config_dir, startup_seconds=startup)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()
        output.close()
        _keep_logs(config_dir)


@dataclass
class Browser:
    """A page of headless Chromium and the problems it reported about this integration."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        """Keep console errors and warnings that mention Pushover Plus."""
        if message.type in ("error", "warning") and OUR_TEXT.search(message.text):
            self.problems.append(f"console {message.type}: {message.text}")

    def on_page_error(self, error: PlaywrightError) -> None:
        """Keep uncaught exceptions that mention Pushover Plus."""
        if OUR_TEXT.search(f"{error.message} {error.stack or ''}"):
            self.problems.append(f"page error: {error.message}")

    def on_response(self, response: Response) -> None:
        """Keep failed requests for this integration's files (brand images, translations)."""
        if response.status >= 400 and "pushover_plus" in response.url:
            self.problems.append(f"HTTP {response.status}: {response.url.split('?')[0]}")

    async def screenshot(self, name: str) -> None:
        """Save a screenshot into artifacts/e2e/."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=ARTIFACTS / f"{name}.png")


def _chromium() -> Path:
    """Return Debian's Chromium, or fail with what installs it."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/e2e installs Debian's chromium package")
    return CHROMIUM


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Drive Debian's Chromium, headless, with Playwright (no browser download)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=_chromium(),
            # Chromium's sandbox refuses to run as root, which CI is.
            args=["--no-sandbox"],
        )
        try:
            context = await chromium.new_context(
                viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="UTC"
            )
            page = await context.new_page()
            page.set_default_timeout(60_000)
            watched = Browser(page=page)
            page.on("console", watched.on_console)
            page.on("pageerror", watched.on_page_error)
            page.on("response", watched.on_response)
            yield watched
            # The last page, for a failed run's post-mortem.
            await watched.screenshot("99-last-page")
        finally:
            await chromium.close()
