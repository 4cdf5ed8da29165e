"""Drop-in for the built-in pushover integration: notify.<name> and pushover.cancel.

The built-in integration itself (homeassistant.components.pushover, installed with Home
Assistant) runs against the simulator through tests/core_library.py, a stand-in for its
library; the same automations then run through Pushover Plus once the built-in entries
are removed, and the requests at the simulator are put side by side.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
import re
import sys
from typing import Any
from unittest.mock import patch

import homeassistant.components
from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.config_entries import ConfigEntryDisabler
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import parse_yaml
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.config_flow import CORE_DOMAIN
from custom_components.pushover_plus.const import (
    CONF_CORE_ENTRY_ID,
    CONF_LEGACY_NOTIFY,
    CONF_LEGACY_SERVICE,
    DOMAIN,
)
from custom_components.pushover_plus.legacy import LegacyNotifyService, async_cancel
from pushover_simulator import PushoverSimulator

from . import core_library
from .conftest import Account, add_receiver_entry, later

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
INTERNAL_TAG = re.compile(r"^pp[0-9a-f]{16}$")  # sender.py tags every held emergency
DOCS_DEVICES = ("pixel3", "pixel4a", "pixel9", "johnsmith", "iphone11pro")
# The id of the entry the built-in integration's own action description shows.
CORE_ENTRY_ID = "8955375327824e14ba89e4b29cc3ec9a"

# The automations of https://www.home-assistant.io/integrations/pushover/, as it shows
# them, unedited (its Alexa example is an intent, not an automation). notify.entity_id
# and notify.pushover are the actions of the entries named "entity_id" and "Pushover".
DOCS_SENDS = [
    """
- action: notify.entity_id
  data:
    message: "This is the message"
    title: "Title of message"
    data:
      url: "https://www.home-assistant.io/"
      sound: pianobar
      priority: 0
      attachment: "local/image.png"
""",
    """
- action: notify.entity_id
  data:
    message: "This is the message"
    title: "Title of message"
    target:
      - pixel3
      - pixel4a
    data:
      sound: pianobar
      priority: 0
""",
    """
  - service: notify.pushover
    data:
      message: "This is the message"
      title: "Title of message"
      target:
        - pixel9
        - johnsmith
      data:
        ttl: 21600 
""",  # noqa: W291 - the documentation's trailing space, kept
    """
- action: notify.entity_id
  data:
    message: "This is the message"
    title: "Title of message"
    target:
      - iphone11pro
    data:
      priority: 2
      sound: "siren"
      expire: 300
      retry: 30
""",
    """
- action: notify.entity_id
  data:
    message: "This message can be canceled automatically."
    title: "Title of message"
    target:
      - iphone11pro
    data:
      priority: 2
      sound: "siren"
      expire: 300
      retry: 30
      tags:
        - washingmachine
        - appliances
""",
]
DOCS_CANCEL_TAG = """
action: pushover.cancel
metadata: {}
data:
  tag: appliances
"""
DOCS_CANCEL_ALL = """
action: pushover.cancel
metadata: {}
data: {}
"""
# The fields the built-in integration's code reads that its documentation shows no
# example of: html, url_title, timestamp, callback_url, tags as one text; no title.
CODE_SENDS = [
    """
- action: notify.entity_id
  data:
    message: "<b>Front door</b> opened"
    data:
      html: 1
      url: "https://example.com/door"
      url_title: "Camera"
      timestamp: 1700000000
      priority: -1
""",
    """
- action: notify.pushover
  data:
    message: "Water leak"
    title: "Basement"
    target: pixel9
    data:
      priority: 2
      retry: 60
      expire: 600
      callback_url: "https://example.com/ack"
      tags: basement
""",
]
# pushover.cancel as the built-in integration's code takes it: entry_id is required.
CODE_CANCEL_TAG = f"""
action: pushover.cancel
data:
  entry_id: {CORE_ENTRY_ID}
  tag: appliances
"""


def code_cancel_all(entry_id: str) -> str:
    """pushover.cancel of one built-in entry without a tag: all its tagged alerts."""
    return f"action: pushover.cancel\ndata:\n  entry_id: {entry_id}\n"


@pytest.fixture
def hass_config_dir(tmp_path: Path) -> str:
    """A configuration directory of this test only (it holds local/image.png).

    Empty: hass_tmp_config_dir copies the shared testing_config, which other tests
    running at the same time write to.
    """
    return str(tmp_path)


@pytest.fixture
def builtin_library(simulator: PushoverSimulator) -> Iterator[None]:
    """The built-in integration's library, pointed at the simulator."""
    with (
        patch.object(core_library, "PUSHOVER_API_URL", simulator.base_url),
        patch.dict(sys.modules, {"pushover_complete": core_library}),
        patch("custom_components.pushover_plus.config_flow.CORE_API_URL", simulator.base_url),
    ):
        yield


def automation(number: int, action: str) -> dict[str, Any]:
    """An automation run by the event ``run_<number>`` whose actions are ``action``."""
    actions = parse_yaml(action)
    return {
        "id": f"run_{number}",
        "triggers": [{"trigger": "event", "event_type": f"run_{number}"}],
        "actions": actions if isinstance(actions, list) else [actions],
    }


async def run(hass: HomeAssistant, number: int) -> None:
    hass.bus.async_fire(f"run_{number}")
    await hass.async_block_till_done()


def sent(simulator: PushoverSimulator) -> list[dict[str, str]]:
    """Return the form of each messages.json request, as Pushover reads it.

    The built-in integration always sends html (0 or 1) and device (empty for all
    devices); Pushover reads html=0 and an empty device as if they were not sent.
    """
    forms = []
    for request in simulator.requests:
        if request.path != "/1/messages.json":
            continue
        if request.status != 200:
            continue
        forms.append(
            {
                key: value
                for key, value in request.params.items()
                if (key, value) not in (("html", "0"), ("device", ""))
            }
        )
    return forms


def canceled(simulator: PushoverSimulator) -> set[str]:
    """Return the texts of the emergency alerts sent and since canceled."""
    return {
        delivery.params["message"]
        for delivery in simulator.deliveries
        if delivery.receipt and simulator.receipts[delivery.receipt].canceled
    }


async def set_up_builtin(
    hass: HomeAssistant, simulator: PushoverSimulator, token: str, users: list[str]
) -> list[MockConfigEntry]:
    """Set up built-in entries "entity_id" (user 1) and "Pushover" (user 2)."""
    entries = [
        MockConfigEntry(
            domain=CORE_DOMAIN,
            entry_id=CORE_ENTRY_ID,
            title="entity_id",
            data={CONF_NAME: "entity_id", "api_key": token, "user_key": users[0]},
        ),
        MockConfigEntry(
            domain=CORE_DOMAIN,
            title="Pushover",
            data={CONF_NAME: "Pushover", "api_key": token, "user_key": users[1]},
        ),
    ]
    for entry in entries:
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert hass.services.has_service("notify", "entity_id")
    assert hass.services.has_service("notify", "pushover")
    return entries


async def copy_builtin_entries(hass: HomeAssistant) -> list[Any]:
    """Copy every built-in entry as Pushover Plus offers at startup; return the copies."""
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
        assert flow["step_id"] == "import_confirm"
        await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    await hass.async_block_till_done()
    return hass.config_entries.async_entries(DOMAIN)


# pushover.cancel came to the built-in integration after Home Assistant 2026.3: on older
# releases its automations cannot run through core first, so there is nothing to compare.
needs_core_cancel = pytest.mark.skipif(
    not (Path(homeassistant.components.__path__[0]) / "pushover" / "services.yaml").exists(),
    reason="the built-in pushover integration of this release has no cancel action",
)


@needs_core_cancel
async def test_automations_of_the_built_in_integration_run_unchanged(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    builtin_library: None,
    issue_registry: ir.IssueRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = simulator.add_app("Home")
    users = [simulator.add_user(devices=DOCS_DEVICES) for _ in range(2)]
    config_dir = Path(hass.config.config_dir)
    (config_dir / "local").mkdir()
    (config_dir / "local" / "image.png").write_bytes(PNG)
    hass.config.allowlist_external_dirs = {str(config_dir)}
    # The built-in integration opens a relative path from the working directory, which
    # is the configuration directory in Home Assistant's container.
    monkeypatch.chdir(config_dir)
    builtin = await set_up_builtin(hass, simulator, token, users)

    # Copied entries offer the actions, but the built-in entries still have them.
    copies = await copy_builtin_entries(hass)
    assert sorted((copy.title, copy.options[CONF_LEGACY_NOTIFY]) for copy in copies) == [
        ("Pushover", True),
        ("entity_id", True),
    ]
    for copy in copies:
        issue = issue_registry.async_get_issue(DOMAIN, f"legacy_service_core_{copy.entry_id}")
        assert issue is not None
        assert issue.translation_key == "legacy_service_core"
        assert issue.translation_placeholders == {
            "name": copy.title,
            "service": "entity_id" if copy.title == "entity_id" else "pushover",
            "core": copy.title,
        }

    sends = DOCS_SENDS + CODE_SENDS
    cancels_builtin = [CODE_CANCEL_TAG, *(code_cancel_all(entry.entry_id) for entry in builtin)]
    cancels_plus = [DOCS_CANCEL_TAG, DOCS_CANCEL_ALL, *cancels_builtin]
    assert await async_setup_component(
        hass,
        AUTOMATION_DOMAIN,
        {
            AUTOMATION_DOMAIN: [
                automation(number, action) for number, action in enumerate([*sends, *cancels_plus])
            ]
        },
    )
    await hass.async_block_till_done()
    docs_cancels = range(len(sends), len(sends) + 2)
    builtin_cancels = range(len(sends) + 2, len(sends) + 2 + len(cancels_builtin))

    # With the built-in integration.
    for number in range(len(sends)):
        await run(hass, number)
    for number in builtin_cancels:
        await run(hass, number)
    by_builtin = sent(simulator)
    builtin_attachments = [delivery.attachment for delivery in simulator.deliveries]
    builtin_canceled = canceled(simulator)
    assert len(by_builtin) == len(sends)
    assert builtin_canceled == {"This message can be canceled automatically.", "Water leak"}

    # "Remove the built-in entry, keep your automations."
    for entry in builtin:
        await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not [issue for issue in issue_registry.issues.values() if issue.domain == DOMAIN]
    for name in ("entity_id", "pushover"):
        action = hass.services.async_services_for_domain("notify")[name]
        assert isinstance(action.job.target.__self__, LegacyNotifyService)
    assert hass.services.async_services_for_domain(CORE_DOMAIN)["cancel"].job.target is async_cancel
    simulator.reset_stats()
    for number in range(len(sends)):
        await run(hass, number)
    for number in docs_cancels:  # as the documentation shows, without entry_id
        await run(hass, number)
    by_plus = sent(simulator)
    assert canceled(simulator) == builtin_canceled
    assert [delivery.attachment for delivery in simulator.deliveries] == builtin_attachments
    assert builtin_attachments[0] == PNG

    # Every parameter is the same; tags also go to Pushover (the built-in integration
    # kept them in memory), with sender.py's own tag on emergency messages it may hold.
    expected_tags = [[], [], [], [], ["washingmachine", "appliances"], [], ["basement"]]
    assert len(by_plus) == len(by_builtin)
    for ours, theirs, tags in zip(by_plus, by_builtin, expected_tags, strict=True):
        sent_tags = ours.pop("tags", "").split(",")
        assert [tag for tag in sent_tags if tag and not INTERNAL_TAG.match(tag)] == tags
        assert sum(bool(INTERNAL_TAG.match(tag)) for tag in sent_tags) == (
            ours.get("priority") == "2"
        )
        assert ours == theirs

    # pushover.cancel as the built-in code takes it (entry_id of a built-in entry,
    # removed now) reaches the entries copied from it.
    simulator.reset_stats()
    for number in builtin_cancels:
        await run(hass, number)
    assert [request.path for request in simulator.requests] == [
        "/1/receipts/cancel_by_tag/appliances.json"
    ]


# ---------------------------------------------------------------- one copied entry


async def set_up_as_copied(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Set up ``entry`` as copied from a built-in entry "Phone" (since removed)."""
    hass.config_entries.async_update_entry(
        entry,
        data={**entry.data, CONF_CORE_ENTRY_ID: CORE_ENTRY_ID, CONF_LEGACY_SERVICE: "phone"},
        options={**entry.options, CONF_LEGACY_NOTIFY: True},
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def copied_sender(hass: HomeAssistant, sender_entry: MockConfigEntry) -> MockConfigEntry:
    """The sender entry as copied from a built-in entry "Phone", set up."""
    return await set_up_as_copied(hass, sender_entry)


async def notify_phone(hass: HomeAssistant, **fields: Any) -> None:
    await hass.services.async_call("notify", "phone", fields, blocking=True)


async def cancel(hass: HomeAssistant, **fields: Any) -> None:
    await hass.services.async_call(CORE_DOMAIN, "cancel", fields, blocking=True)


async def test_new_entries_do_not_offer_the_legacy_actions(
    hass: HomeAssistant, loaded_sender: MockConfigEntry
) -> None:
    assert not loaded_sender.options.get(CONF_LEGACY_NOTIFY)
    assert not hass.services.has_service("notify", "home")
    assert not hass.services.has_service(CORE_DOMAIN, "cancel")


async def test_the_name_comes_from_the_entry_without_a_copied_one(
    hass: HomeAssistant, simulator: PushoverSimulator, sender_entry: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(
        sender_entry, options={**sender_entry.options, CONF_LEGACY_NOTIFY: True}
    )
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    await hass.services.async_call("notify", "home", {"message": "Hi"}, blocking=True)
    assert sent(simulator)[-1]["title"] == "Home Assistant"  # the built-in default title


async def test_legacy_action_uses_the_send_path(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    copied_sender: MockConfigEntry,
    tmp_path: Path,
) -> None:
    # Strict validation with translated errors, and nothing is sent.
    bad: list[tuple[dict[str, Any], str]] = [
        ({"priority": "urgent"}, "priority_invalid"),
        ({"priority": 2}, "retry_required"),
        ({"timestamp": 0}, "timestamp_invalid"),
        ({"timestamp": "soon"}, "integer_invalid"),
        ({"sound": "nope"}, "sound_unknown"),
        ({"tags": ["a/b"]}, "tag_invalid"),
        ({"attachment": "/etc/hostname"}, "attachment_path_not_allowed"),
    ]
    for data, key in bad:
        with pytest.raises(ServiceValidationError) as err:
            await notify_phone(hass, message="Hi", data=data)
        assert err.value.translation_key == key, data
    with pytest.raises(ServiceValidationError) as err:
        await notify_phone(hass, message="Hi", target=["not a device!"])
    assert err.value.translation_key == "device_name_invalid"
    assert sent(simulator) == []

    # Empty fields are left out, as the built-in sent them (empty), other types are text.
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    (tmp_path / "snap.png").write_bytes(PNG)
    await notify_phone(
        hass,
        message="Hi",
        title="Porch",
        target="phone",
        data={
            "priority": "",
            "sound": None,
            "url": 42,
            "tags": 7,
            "attachment": str(tmp_path / "snap.png"),
        },
    )
    (form,) = sent(simulator)
    assert form == {
        "user": account.user,
        "token": account.token,
        "message": "Hi",
        "title": "Porch",
        "device": "phone",
        "url": "42",
        "tags": "7",
    }
    assert simulator.deliveries[-1].attachment == PNG

    # The quota guard applies: the same message again is not sent.
    await notify_phone(
        hass, message="Hi", title="Porch", target="phone", data={"url": 42, "tags": 7}
    )
    assert len(sent(simulator)) == 1

    # A refusal by Pushover is a Home Assistant error.
    simulator.inject_fault("400", path="messages")
    with pytest.raises(HomeAssistantError) as err:
        await notify_phone(hass, message="Refused")
    assert err.value.translation_key == "request_refused"


async def test_held_messages_and_receipts_apply(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    sender_entry: MockConfigEntry,
    fast_clients: None,
) -> None:
    hass.config_entries.async_update_entry(
        sender_entry,
        options={**sender_entry.options, CONF_LEGACY_NOTIFY: True, "hold_when_offline": True},
    )
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    simulator.inject_fault("503", path="messages")
    await hass.services.async_call(
        "notify",
        "home",
        {"message": "Smoke", "data": {"priority": 2, "retry": 30, "expire": 300}},
        blocking=True,
    )
    assert hass.states.get("sensor.home_held_messages").state == "1"
    assert [request.status for request in simulator.requests[-1:]] == [503]
    await later(hass, 301)  # the outbox retries
    assert hass.states.get("sensor.home_held_messages").state == "0"
    assert [form["message"] for form in sent(simulator)] == ["Smoke"]
    assert len(sender_entry.runtime_data.receipts.active) == 1


async def test_cancel_finds_the_entry_and_checks_its_input(
    hass: HomeAssistant, simulator: PushoverSimulator, copied_sender: MockConfigEntry
) -> None:
    emergency = {"priority": 2, "retry": 30, "expire": 300}
    await notify_phone(hass, message="Tagged", data={**emergency, "tags": ["oven"]})
    await notify_phone(hass, message="Untagged", data=emergency)
    await cancel(hass, entry_id=copied_sender.entry_id, tag="oven")
    assert canceled(simulator) == {"Tagged"}

    await notify_phone(hass, message="Tagged again", data={**emergency, "tags": "fridge"})
    await cancel(hass, entry_id=CORE_ENTRY_ID)  # the built-in entry it was copied from
    assert canceled(simulator) == {"Tagged", "Tagged again"}
    assert len(copied_sender.runtime_data.receipts.active) == 1  # "Untagged"

    with pytest.raises(ServiceValidationError) as err:
        await cancel(hass, entry_id="nope", tag="oven")
    assert err.value.translation_key == "service_config_entry_not_found"
    receiver, _ = await add_receiver_entry(hass, simulator)
    assert await hass.config_entries.async_setup(receiver.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await cancel(hass, entry_id=receiver.entry_id, tag="oven")
    assert err.value.translation_key == "entry_wrong_type"
    with pytest.raises(ServiceValidationError) as err:
        await cancel(hass, tag="a/b")
    assert err.value.translation_key == "tag_invalid"

    # An alert Pushover no longer knows is skipped; the poll ends it.
    await notify_phone(hass, message="Gone", data={**emergency, "tags": "gone"})
    gone = next(d.receipt for d in simulator.deliveries if d.params["message"] == "Gone")
    del simulator.receipts[gone]
    await cancel(hass)
    assert gone in copied_sender.runtime_data.receipts.active
    # Pushover unreachable: an error that says so.
    simulator.inject_fault("400", path="cancel_by_tag")
    with pytest.raises(HomeAssistantError):
        await cancel(hass, tag="oven")
    simulator.inject_fault("503", count=9, path="cancel.json")
    copied_sender.runtime_data.client._transport._sleep = _no_wait
    with pytest.raises(HomeAssistantError) as err:
        await cancel(hass)
    assert err.value.translation_key == "server_error"


async def _no_wait(_seconds: float) -> None:
    return None


async def test_a_name_taken_by_another_integration_is_left_alone(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    sender_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    calls: list[ServiceCall] = []

    async def other(call: ServiceCall) -> None:
        calls.append(call)

    hass.services.async_register("notify", "phone", other)
    hass.services.async_register(CORE_DOMAIN, "cancel", other)
    await set_up_as_copied(hass, sender_entry)
    issue_id = f"legacy_service_taken_{sender_entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"name": "Home", "service": "phone"}
    await notify_phone(hass, message="Hi")
    await cancel(hass)
    assert len(calls) == 2
    assert sent(simulator) == []
    # Unloading leaves the other action and clears the issue.
    assert await hass.config_entries.async_unload(sender_entry.entry_id)
    assert hass.services.has_service("notify", "phone")
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_unload_removes_the_actions_and_a_reload_brings_them_back(
    hass: HomeAssistant, copied_sender: MockConfigEntry
) -> None:
    assert hass.services.has_service("notify", "phone")
    assert hass.services.has_service(CORE_DOMAIN, "cancel")
    assert await hass.config_entries.async_unload(copied_sender.entry_id)
    assert not hass.services.has_service("notify", "phone")
    assert not hass.services.has_service(CORE_DOMAIN, "cancel")
    assert await hass.config_entries.async_setup(copied_sender.entry_id)
    await hass.async_block_till_done()
    assert hass.services.has_service("notify", "phone")
    assert hass.services.has_service(CORE_DOMAIN, "cancel")


@needs_core_cancel
async def test_a_built_in_entry_added_later_keeps_pushover_plus_serving(
    hass: HomeAssistant, copied_sender: MockConfigEntry, builtin_library: None, account: Account
) -> None:
    """The built-in entry's notify platform finds the action taken and leaves it."""
    builtin = MockConfigEntry(
        domain=CORE_DOMAIN,
        title="Phone",
        data={CONF_NAME: "Phone", "api_key": account.token, "user_key": account.other_user},
    )
    builtin.add_to_hass(hass)
    assert await hass.config_entries.async_setup(builtin.entry_id)
    await hass.async_block_till_done()
    service = hass.services.async_services_for_domain("notify")["phone"]
    assert service.job.target.__self__.entry is copied_sender
    # pushover.cancel is the built-in integration's again (it registered it at setup).
    cancel_action = hass.services.async_services_for_domain(CORE_DOMAIN)["cancel"]
    assert cancel_action.job.target.__module__.startswith("homeassistant.components.pushover")


async def test_disabling_the_built_in_entry_hands_the_actions_over(
    hass: HomeAssistant,
    simulator: PushoverSimulator,
    account: Account,
    sender_entry: MockConfigEntry,
    builtin_library: None,
    issue_registry: ir.IssueRegistry,
) -> None:
    builtin = MockConfigEntry(
        domain=CORE_DOMAIN,
        entry_id=CORE_ENTRY_ID,
        title="Phone",
        data={CONF_NAME: "Phone", "api_key": account.token, "user_key": account.user},
    )
    builtin.add_to_hass(hass)
    assert await hass.config_entries.async_setup(builtin.entry_id)
    await hass.async_block_till_done()
    await set_up_as_copied(hass, sender_entry)
    issue_id = f"legacy_service_core_{sender_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await notify_phone(hass, message="By the built-in integration")
    assert "tags" not in sent(simulator)[-1]  # sent by the built-in integration

    await hass.config_entries.async_set_disabled_by(builtin.entry_id, ConfigEntryDisabler.USER)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await notify_phone(hass, message="By Pushover Plus", data={"tags": "moved"})
    assert sent(simulator)[-1]["tags"] == "moved"
    cancel_action = hass.services.async_services_for_domain(CORE_DOMAIN)["cancel"]
    assert cancel_action.job.target is async_cancel
