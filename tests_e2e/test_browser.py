"""A person's path through a real Home Assistant, in headless Chromium, against the simulator.

Onboarding, adding Pushover Plus (sender with the simulator's URL in the Advanced section),
its options and a recipient are done in the browser; then messages go out through the REST
API, through an automation, and as an emergency alert that is acknowledged in the simulator.
Screenshots and Home Assistant's log land in artifacts/e2e/.
"""

from __future__ import annotations

from functools import partial
import time
from typing import Any

import aiohttp
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


async def add_sender(
    browser: Browser, ha: HomeAssistantProcess, account: Account, simulator: PushoverSimulator
) -> None:
    """Add the sender: Settings → Devices & services → Add integration → Pushover Plus."""
    page = browser.page
    await page.goto(f"{ha.url}/config/integrations/dashboard")
    await page.get_by_role("button", name="Add integration").click()
    # Fill the dialog's own search field: typed keys that arrive before the dialog has the
    # focus go to the page, where "e" opens the entity search instead.
    await page.get_by_placeholder("Search for a brand name").fill("Pushover Plus")
    await page.get_by_text("Pushover Plus", exact=True).click()
    await page.get_by_text("Send messages (application token)").click()
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


async def long_lived_token(session: aiohttp.ClientSession, url: str, access_token: str) -> str:
    """Create a long-lived access token through the websocket API."""
    async with session.ws_connect(f"{url}/api/websocket") as socket:
        assert (await socket.receive_json())["type"] == "auth_required"
        await socket.send_json({"type": "auth", "access_token": access_token})
        assert (await socket.receive_json())["type"] == "auth_ok"
        await socket.send_json(
            {"id": 1, "type": "auth/long_lived_access_token", "client_name": "e2e", "lifespan": 1}
        )
        answer = await socket.receive_json()
        assert answer["success"], answer
        token: str = answer["result"]
        return token


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
    await add_recipient(browser, home_assistant, account)
    ui_seconds = time.monotonic() - started

    access_token = await browser.page.evaluate(
        "() => JSON.parse(localStorage.getItem('hassTokens')).access_token"
    )
    async with aiohttp.ClientSession() as session:
        rest = Rest(
            session,
            home_assistant.url,
            await long_lived_token(session, home_assistant.url, access_token),
        )
        for entity_id in (NOTIFY_OWN, NOTIFY_PARTNER, EMERGENCY_EVENT):
            await eventually(partial(rest.available, entity_id), within=30, what=entity_id)

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
        # Polled every 5 s (the option set in the UI), not every 30 s (the default).
        assert waited < 3 * POLL_INTERVAL, f"acknowledgement seen after {waited:.1f} s"

    await browser.page.goto(f"{home_assistant.url}/logbook?entity_id={EMERGENCY_EVENT}")
    await browser.page.get_by_text("Acknowledged").filter(visible=True).first.wait_for()
    await browser.screenshot("06-logbook")
    print(
        f"\nstartup {home_assistant.startup_seconds:.1f} s, UI {ui_seconds:.1f} s, "
        f"acknowledgement seen after {waited:.1f} s, whole {time.monotonic() - started:.1f} s"
    )
    assert browser.problems == []
