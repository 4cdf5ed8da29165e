"""A person's path through a real Home Assistant, in headless Chromium, against the simulator.

Onboarding, adding Pushover Plus (sender with the simulator's URL in the Advanced section),
its options and a recipient are done in the browser, the entry's other entities watched over
the websocket API while the recipient is added; then messages go out through the REST API,
through an automation, and as an emergency alert that is acknowledged in the simulator. A
receiver login with a wrong password keeps the API URL for the next try, and the action UI
in German shows the German field names. Screenshots and Home Assistant's log land in
artifacts/e2e/.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from functools import partial
import json
from pathlib import Path
import time
from typing import Any

import aiohttp
from homeassistant.util.yaml import load_yaml
import pytest

from pushover_simulator import Delivery, PushoverSimulator

from .conftest import Account, Browser, HomeAssistantProcess, eventually

OWNER_NAME = "Test Owner"
OWNER_USERNAME = "owner"
OWNER_PASSWORD = "e2e-owner-password"  # noqa: S105  (a throwaway local account)
SENDER_NAME = "Alerts"
RECIPIENT_NAME = "Partner"
NOTIFY_OWN = "notify.alerts"
NOTIFY_PARTNER = "notify.partner"
EMERGENCY_EVENT = "event.alerts_emergency_alert"
AUTOMATION_ID = "e2e_pushover_ping"
PING_EVENT = "e2e_pushover_ping"
POLL_INTERVAL = 5
RECEIVER_EMAIL = "receiver@example.com"
RECEIVER_PASSWORD = "e2e-receiver-password"  # noqa: S105  (the simulator's account)
INTEGRATION = Path(__file__).resolve().parents[1] / "custom_components" / "pushover_plus"
SOCKET_ANSWER_TIMEOUT = 30.0


class Rest:
    """Home Assistant's REST API with a long-lived access token."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        """Remember where and how to call."""
        self.session = session
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST JSON and return the JSON answer (any status but 200/201 fails the test)."""
        async with self.session.post(
            f"{self.url}{path}", json=body, headers=self.headers
        ) as response:
            text = await response.text()
            assert response.status in (200, 201), f"POST {path}: {response.status} {text}"
            return await response.json()

    async def get(self, path: str) -> Any:
        """GET and return the JSON answer (any status but 200 fails the test)."""
        async with self.session.get(f"{self.url}{path}", headers=self.headers) as response:
            assert response.status == 200, f"GET {path}: {response.status} {await response.text()}"
            return await response.json()

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """Return the state object of an entity, or None while it does not exist."""
        async with self.session.get(
            f"{self.url}/api/states/{entity_id}", headers=self.headers
        ) as response:
            if response.status == 404:
                return None
            assert response.status == 200, await response.text()
            result: dict[str, Any] = await response.json()
            return result

    async def available(self, entity_id: str) -> dict[str, Any] | None:
        """Return the state object once the entity exists and is available."""
        state = await self.state(entity_id)
        return state if state is not None and state["state"] != "unavailable" else None


async def onboard(browser: Browser, ha: HomeAssistantProcess) -> None:
    """Create the owner through the onboarding pages."""
    page = browser.page
    await page.goto(f"{ha.url}/")
    await page.get_by_role("button", name="Create my smart home").click()
    await page.locator("input[name=name]").fill(OWNER_NAME)
    await page.locator("input[name=username]").fill(OWNER_USERNAME)
    await page.locator("input[name=password]").fill(OWNER_PASSWORD)
    await page.locator("input[name=password_confirm]").fill(OWNER_PASSWORD)
    await browser.screenshot("01-onboarding-user")
    await page.get_by_role("button", name="Create account").click()
    # Wait for each step's own text, so that no click lands on the previous step's button.
    for step_text in ("Home location", "the country your home is in", "Help us help you"):
        await page.get_by_text(step_text).wait_for()
        await page.get_by_role("button", name="Next").click()
    await page.get_by_text("All set!").wait_for()
    await page.get_by_role("button", name="Finish").click()
    await page.get_by_text(OWNER_NAME).first.wait_for()


async def start_entry(browser: Browser, ha: HomeAssistantProcess, kind: str) -> None:
    """Start an entry: Settings → Devices & services → Add integration → Pushover Plus."""
    page = browser.page
    await page.goto(f"{ha.url}/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    # Fill the dialog's own search field: typed keys that arrive before the dialog has the
    # focus go to the page, where "e" opens the entity search instead.
    dialog = page.locator("dialog-add-integration")
    await dialog.get_by_placeholder("Search for a brand name").fill("Pushover Plus")
    # In the dialog: once an entry exists, the dashboard behind it has a card of that name.
    await dialog.get_by_text("Pushover Plus", exact=True).click()
    await page.get_by_text(kind).click()


async def add_sender(
    browser: Browser, ha: HomeAssistantProcess, account: Account, simulator: PushoverSimulator
) -> None:
    """Add the sender, with the simulator's URL in the Advanced section."""
    page = browser.page
    await start_entry(browser, ha, "Send messages (application token)")
    await page.locator("input[name=api_token]").fill(account.token)
    await page.locator("input[name=user_key]").fill(account.user)
    await page.locator("input[name=name]").fill(SENDER_NAME)
    await page.get_by_text("Advanced", exact=True).click()
    await page.locator("input[name=api_url]").fill(simulator.base_url)
    await browser.screenshot("02-sender-form")
    await page.get_by_role("button", name="Submit").click()
    finish = page.get_by_role("button", name="Skip and finish")
    await finish.wait_for()
    await browser.screenshot("03-sender-created")
    await finish.click()


async def set_poll_interval(browser: Browser, ha: HomeAssistantProcess) -> None:
    """Open the entry's options (the cog) and poll receipts every 5 s."""
    page = browser.page
    await page.goto(f"{ha.url}/config/integrations/integration/pushover_plus")
    await page.get_by_role("button", name="Configure").first.click()
    field = page.get_by_role("spinbutton", name="Receipt check interval")
    await field.fill(str(POLL_INTERVAL))
    await browser.screenshot("04-options")
    await page.get_by_role("button", name="Submit").click()
    await field.wait_for(state="detached")


async def add_recipient(browser: Browser, ha: HomeAssistantProcess, account: Account) -> None:
    """Add a recipient subentry: name and user key, then (no) device choice."""
    page = browser.page
    await page.goto(f"{ha.url}/config/integrations/integration/pushover_plus")
    await page.get_by_role("button", name="Add recipient").click()
    await page.locator("input[name=name]").fill(RECIPIENT_NAME)
    await page.locator("input[name=user_key]").fill(account.partner)
    await page.get_by_role("button", name="Submit").click()
    await page.get_by_text(f"Devices of {RECIPIENT_NAME}").wait_for()
    await page.get_by_role("button", name="Submit").click()
    await page.get_by_text(f"Created configuration for {RECIPIENT_NAME}.").wait_for()
    await browser.screenshot("05-recipient-created")
    await page.get_by_role("button", name="Finish").click()


class Socket:
    """Home Assistant's websocket API: commands, and the state changes seen meanwhile."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        """Read the socket in the background from now on."""
        self._socket = socket
        self._next_id = 1
        self._answers: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.state_changes: list[tuple[str, str | None]] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for frame in self._socket:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                break
            message = json.loads(frame.data)
            if message.get("type") == "event":
                data = message["event"]["data"]
                new_state = data.get("new_state")
                self.state_changes.append(
                    (data["entity_id"], None if new_state is None else new_state["state"])
                )
            elif (answer := self._answers.pop(message.get("id"), None)) is not None:
                answer.set_result(message)

    async def command(self, kind: str, **fields: Any) -> Any:
        """Send a command and return its result (an error answer fails the test)."""
        message_id = self._next_id
        self._next_id += 1
        answer = asyncio.get_running_loop().create_future()
        self._answers[message_id] = answer
        await self._socket.send_json({"id": message_id, "type": kind, **fields})
        reply = await asyncio.wait_for(answer, SOCKET_ANSWER_TIMEOUT)
        assert reply["type"] == "pong" or reply["success"], reply
        return reply.get("result")

    async def caught_up(self) -> None:
        """Return once every event sent before now has been read (answers come in order)."""
        await self.command("ping")

    async def close(self) -> None:
        """Close the socket and stop reading."""
        await self._socket.close()
        await self._reader


@contextlib.asynccontextmanager
async def connected(
    session: aiohttp.ClientSession, url: str, access_token: str
) -> AsyncIterator[Socket]:
    """Open an authenticated websocket connection."""
    async with session.ws_connect(f"{url}/api/websocket") as raw:
        assert (await raw.receive_json())["type"] == "auth_required"
        await raw.send_json({"type": "auth", "access_token": access_token})
        assert (await raw.receive_json())["type"] == "auth_ok"
        socket = Socket(raw)
        try:
            yield socket
        finally:
            await socket.close()


async def long_lived_token(socket: Socket) -> str:
    """Create a long-lived access token through the websocket API."""
    token: str = await socket.command("auth/long_lived_access_token", client_name="e2e", lifespan=1)
    return token


async def sender_entities(socket: Socket) -> list[str]:
    """Return the enabled entities of the sender entry."""
    entries = await socket.command("config_entries/get", domain="pushover_plus")
    (entry_id,) = [entry["entry_id"] for entry in entries if entry["title"] == SENDER_NAME]
    registry = await socket.command("config/entity_registry/list")
    return sorted(
        entity["entity_id"]
        for entity in registry
        if entity["config_entry_id"] == entry_id and entity["disabled_by"] is None
    )


async def add_recipient_watching_the_others(
    browser: Browser, ha: HomeAssistantProcess, account: Account, socket: Socket, rest: Rest
) -> None:
    """Add the recipient in the UI; the entry's other entities stay available meanwhile.

    A reload of the entry would make each of them unavailable for a moment, and the
    emergency event entity would report a state change that state triggers act on.
    """
    others = await sender_entities(socket)
    assert NOTIFY_OWN in others
    assert EMERGENCY_EVENT in others
    for entity_id in others:
        await eventually(partial(rest.available, entity_id), within=30, what=entity_id)
    await socket.command("subscribe_events", event_type="state_changed")

    await add_recipient(browser, ha, account)
    await eventually(partial(rest.available, NOTIFY_PARTNER), within=30, what=NOTIFY_PARTNER)
    await socket.caught_up()

    changes = [change for change in socket.state_changes if change[0] in others]
    assert [c for c in changes if c[1] in (None, "unavailable")] == [], changes
    assert [c for c in changes if c[0] == EMERGENCY_EVENT] == []
    assert (NOTIFY_PARTNER, None) not in socket.state_changes
    print(f"\n{len(others)} entities of the entry watched while adding the recipient")


async def receiver_login_keeps_the_api_url(
    browser: Browser, ha: HomeAssistantProcess, simulator: PushoverSimulator
) -> None:
    """Log in with a wrong password, then the right one, without typing the API URL again."""
    user = simulator.add_user(devices=(), email=RECEIVER_EMAIL, password=RECEIVER_PASSWORD)
    page = browser.page
    await start_entry(browser, ha, "Receive messages (Open Client device)")
    await page.locator("input[name=email]").fill(RECEIVER_EMAIL)
    await page.locator("input[name=password]").fill("wrong-password")
    await page.get_by_text("Advanced", exact=True).click()
    await page.locator("input[name=api_url]").fill(simulator.base_url)
    await page.get_by_role("button", name="Submit").click()

    await page.get_by_text("Pushover rejected the email or password.").wait_for()
    await browser.screenshot("07-receiver-wrong-password")
    api_url = page.locator("input[name=api_url]")
    if not await api_url.is_visible():
        await page.get_by_text("Advanced", exact=True).click()
    assert await api_url.input_value() == simulator.base_url
    logins = [r.status for r in simulator.requests if r.path == "/1/users/login.json"]
    assert logins == [400]

    await page.locator("input[name=password]").fill(RECEIVER_PASSWORD)
    await page.get_by_role("button", name="Submit").click()
    await page.get_by_text("Name this device").wait_for()
    await page.get_by_role("button", name="Submit").click()
    finish = page.get_by_role("button", name="Skip and finish")
    await finish.wait_for()
    await finish.click()
    logins = [r.status for r in simulator.requests if r.path == "/1/users/login.json"]
    assert logins == [400, 200]
    devices = [d for d in simulator.open_client_devices.values() if d.user == user]
    assert len(devices) == 1


def _action_fields() -> list[str]:
    """Return the fields of pushover_plus.send_message, in services.yaml's order."""
    services = load_yaml(INTEGRATION / "services.yaml")
    assert isinstance(services, dict)
    return list(services["send_message"]["fields"])


def _translations(language: str) -> dict[str, Any]:
    """Return the integration's translations into a language."""
    path = INTEGRATION / "translations" / f"{language}.json"
    translations: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return translations


def _field_names(language: str) -> dict[str, str]:
    """Return the translated names of send_message's fields."""
    fields = _translations(language)["services"]["send_message"]["fields"]
    return {key: field["name"] for key, field in fields.items()}


async def german_action_ui_shows_german_field_names(
    browser: Browser, ha: HomeAssistantProcess, socket: Socket
) -> None:
    """Developer tools → Actions, in German: each field has its German name, no raw key."""
    await socket.command(
        "frontend/set_user_data",
        key="language",
        value={
            "language": "de",
            "number_format": "language",
            "time_format": "language",
            "date_format": "language",
            "time_zone": "local",
            "first_weekday": "language",
        },
    )
    keys = _action_fields()
    german = _field_names("de")
    english = _field_names("en")
    page = browser.page
    # /config/tools/action since Home Assistant 2026.8; the redirect there drops a query.
    await page.goto(f"{ha.url}/developer-tools/action")
    await page.goto(f"{page.url.partition('?')[0]}?service=pushover_plus.send_message")
    # The action's German description comes with the German field names (one translation
    # category): once it shows, the field headings are final.
    description = _translations("de")["services"]["send_message"]["description"]
    await page.get_by_text(description).wait_for()
    headings = page.locator("ha-service-control ha-settings-row span[slot=heading]")

    async def every_field_shown() -> list[str] | None:
        shown = [text.strip() for text in await headings.all_inner_texts()]
        return shown if len(shown) >= len(keys) else None

    shown = await eventually(every_field_shown, within=30, what="a heading for every field")
    await browser.screenshot("08-action-ui-german")
    assert [german[key] for key in keys if german[key] not in shown] == [], shown
    assert [key for key in keys if key in shown] == [], shown
    untranslated = {english[key] for key in keys} - set(german.values())
    assert [name for name in shown if name in untranslated] == [], shown


async def poll_interval_in_use(socket: Socket, rest: Rest) -> Any:
    """Return the receipt check interval in the sender entry's diagnostics."""
    entries = await socket.command("config_entries/get", domain="pushover_plus")
    sender = next(entry for entry in entries if entry["title"] == SENDER_NAME)
    diagnostics = await rest.get(f"/api/diagnostics/config_entry/{sender['entry_id']}")
    return diagnostics["data"]["entry"]["options"]["receipt_poll_interval"]


async def delivered(simulator: PushoverSimulator, user: str, message: str) -> Delivery | None:
    """Return the simulator's delivery of `message` to `user`, if any (awaitable for polling)."""
    return next(
        (d for d in simulator.deliveries if d.user == user and d.params.get("message") == message),
        None,
    )


@pytest.mark.timeout(300)
async def test_browser_setup_then_send_automate_and_acknowledge(
    simulator: PushoverSimulator,
    account: Account,
    home_assistant: HomeAssistantProcess,
    browser: Browser,
) -> None:
    """Set up in the UI; send by REST, by automation and as an acknowledged emergency."""
    started = time.monotonic()
    await onboard(browser, home_assistant)
    await add_sender(browser, home_assistant, account, simulator)
    await set_poll_interval(browser, home_assistant)

    access_token = await browser.page.evaluate(
        "() => JSON.parse(localStorage.getItem('hassTokens')).access_token"
    )
    async with (
        aiohttp.ClientSession() as session,
        connected(session, home_assistant.url, access_token) as socket,
    ):
        rest = Rest(session, home_assistant.url, await long_lived_token(socket))
        await add_recipient_watching_the_others(browser, home_assistant, account, socket, rest)
        ui_seconds = time.monotonic() - started

        # 1. The action through the REST API, with its response.
        answer = await rest.post(
            "/api/services/pushover_plus/send_message?return_response",
            {"entity_id": NOTIFY_OWN, "message": "Hello from REST", "title": "E2E"},
        )
        assert answer["service_response"][NOTIFY_OWN]["status"] == "sent"
        delivery = await delivered(simulator, account.user, "Hello from REST")
        assert delivery is not None
        assert delivery.params["title"] == "E2E"

        # 2. An automation made through the config API, triggered by an event.
        await rest.post(
            f"/api/config/automation/config/{AUTOMATION_ID}",
            {
                "alias": "E2E Pushover ping",
                "description": "",
                "triggers": [{"trigger": "event", "event_type": PING_EVENT}],
                "conditions": [],
                "actions": [
                    {
                        "action": "pushover_plus.send_message",
                        "target": {"entity_id": NOTIFY_PARTNER},
                        "data": {"message": "Ping {{ trigger.event.data.number }}"},
                    }
                ],
                "mode": "single",
            },
        )
        await eventually(
            lambda: rest.available(f"automation.{AUTOMATION_ID}"), within=30, what="automation"
        )
        await rest.post(f"/api/events/{PING_EVENT}", {"number": 7})
        await eventually(
            lambda: delivered(simulator, account.partner, "Ping 7"),
            within=30,
            what="the automation's message",
        )

        # 3. An emergency alert, acknowledged on the phone, reported by the event entity.
        answer = await rest.post(
            "/api/services/pushover_plus/send_message?return_response",
            {
                "entity_id": NOTIFY_OWN,
                "message": "Water in the basement",
                "priority": 2,
                "retry": 30,
                "expire": 300,
            },
        )
        receipt = answer["service_response"][NOTIFY_OWN]["receipt"]
        assert receipt in simulator.receipts
        before = await rest.state(EMERGENCY_EVENT)
        assert before is not None
        assert before["attributes"].get("event_type") is None
        await simulator.acknowledge(receipt, user=account.user, device="phone")
        acknowledged_at = time.monotonic()

        async def acknowledged() -> dict[str, Any] | None:
            state = await rest.state(EMERGENCY_EVENT)
            if state is None or state["attributes"].get("event_type") != "acknowledged":
                return None
            return state

        state = await eventually(acknowledged, within=30, what="the acknowledged event")
        waited = time.monotonic() - acknowledged_at
        assert state["attributes"]["receipt"] == receipt
        assert state["attributes"]["acknowledged_by_device"] == "phone"
        # The interval set in the UI is the one the entry runs with (its effect on polling
        # is tested in tests/test_receipts.py with a test clock, not timed here).
        assert await poll_interval_in_use(socket, rest) == POLL_INTERVAL

        await browser.page.goto(f"{home_assistant.url}/logbook?entity_id={EMERGENCY_EVENT}")
        await browser.page.get_by_text("Acknowledged").filter(visible=True).first.wait_for()
        await browser.screenshot("06-logbook")

        await receiver_login_keeps_the_api_url(browser, home_assistant, simulator)
        await german_action_ui_shows_german_field_names(browser, home_assistant, socket)
    print(
        f"\nstartup {home_assistant.startup_seconds:.1f} s, UI {ui_seconds:.1f} s, "
        f"acknowledgement seen after {waited:.1f} s, whole {time.monotonic() - started:.1f} s"
    )
    assert browser.problems == []
