"""One request budget per Pushover host, shared by every entry of Home Assistant."""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.connection import request_slots, websocket_url_for
from custom_components.pushover_plus.const import DOMAIN
from custom_components.pushover_plus.data import sender_unique_id
from pushover_simulator import PushoverSimulator

from .conftest import add_receiver_entry


def test_websocket_url_follows_the_api_url() -> None:
    assert websocket_url_for("https://api.pushover.net/1/") == "wss://client.pushover.net/push"
    assert websocket_url_for("http://127.0.0.1:8765/1/") == "ws://127.0.0.1:8765/push"
    assert websocket_url_for("https://pushover.example.com/1/") == "wss://pushover.example.com/push"


async def test_one_budget_per_host(hass: HomeAssistant) -> None:
    first = request_slots(hass, "https://api.pushover.net/1/")
    assert request_slots(hass, "https://api.pushover.net/1/") is first
    assert request_slots(hass, "http://127.0.0.1:8765/1/") is not first


async def test_two_senders_and_a_receiver_keep_two_requests_in_flight(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    """Pushover's rule is per client: the whole of Home Assistant is one client."""
    token = simulator.add_app("Garage")
    user = simulator.add_user()
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id=sender_unique_id(token, user),
        data={**loaded_sender.data, "api_token": token, "user_key": user},
        options=loaded_sender.options,
    )
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    receiver, _ = await add_receiver_entry(hass, simulator)
    assert await hass.config_entries.async_setup(receiver.entry_id)
    await hass.async_block_till_done()
    simulator.reset_stats()
    simulator.response_delay = 0.01

    await asyncio.gather(
        *(
            hass.services.async_call(
                "notify",
                "send_message",
                {"entity_id": entity, "message": f"{entity} {number}"},
                blocking=True,
            )
            for number in range(30)
            for entity in ("notify.home", "notify.garage")
        ),
        *(
            hass.services.async_call(
                DOMAIN,
                "get_limits",
                {"config_entry_id": entry.entry_id},
                blocking=True,
                return_response=True,
            )
            for _ in range(10)
            for entry in (loaded_sender, second)
        ),
    )

    assert len(simulator.deliveries) == 60
    assert simulator.max_concurrent_requests == 2
