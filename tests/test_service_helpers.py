"""Reading an action call (service_helpers.py): the entry it names and its text fields."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import DOMAIN
from custom_components.pushover_plus.service_helpers import optional_text, required_text
from pushover_simulator import PushoverSimulator

from .conftest import act, add_receiver_entry


async def test_management_needs_a_loaded_sender(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    before = list(simulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "list_groups", {"config_entry_id": "nope"}, blocking=True, return_response=True
        )
    assert (err.value.translation_domain, err.value.translation_key) == (
        "homeassistant",
        "service_config_entry_not_found",
    )
    await hass.config_entries.async_unload(loaded_sender.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, loaded_sender, "update_glance", count=1)
    assert (err.value.translation_domain, err.value.translation_key) == (
        "homeassistant",
        "service_config_entry_not_loaded",
    )
    assert simulator.requests == before


async def test_an_entry_of_the_other_type_is_refused_before_any_request(
    hass: HomeAssistant, simulator: PushoverSimulator, loaded_sender: MockConfigEntry
) -> None:
    receiver, _ = await add_receiver_entry(hass, simulator)
    assert await hass.config_entries.async_setup(receiver.entry_id)
    await hass.async_block_till_done()
    before = list(simulator.requests)
    for entry, action in ((receiver, "cancel_receipt"), (loaded_sender, "acknowledge")):
        with pytest.raises(ServiceValidationError) as err:
            await act(hass, entry, action, receipt="r" * 30)
        assert err.value.translation_key == "entry_wrong_type"
        assert err.value.translation_placeholders == {"name": entry.title}
    assert simulator.requests == before


@pytest.mark.parametrize(
    ("data", "optional", "required"),
    [
        ({"name": "  Family "}, "Family", "Family"),
        ({"name": "   "}, None, ""),
        ({"name": ""}, None, ""),
    ],
)
def test_text_fields_are_stripped(
    hass: HomeAssistant, data: dict[str, str], optional: str | None, required: str
) -> None:
    call = ServiceCall(hass, DOMAIN, "create_group", data)
    assert optional_text(call, "name") == optional
    assert required_text(call, "name") == required


def test_an_absent_optional_text_is_none(hass: HomeAssistant) -> None:
    assert optional_text(ServiceCall(hass, DOMAIN, "update_glance", {}), "user") is None
