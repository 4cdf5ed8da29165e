"""The translation check fails on what it should: missing keys and unpassed placeholders."""

from __future__ import annotations

import copy

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pushover_plus.const import DOMAIN
from custom_components.pushover_plus.pushover import PushoverValidationError
from tests.translation_check import TranslationCheck


def test_a_missing_key_is_a_problem() -> None:
    check = TranslationCheck()
    check.require("exceptions.no_such_key.message", {})
    assert check.problems == ["no exceptions.no_such_key.message in translations/en.json"]


def test_an_optional_key_may_be_missing() -> None:
    check = TranslationCheck()
    check.require("config.step.no_such_step.description", {}, required=False)
    assert not check.problems


def test_an_unpassed_placeholder_is_a_problem() -> None:
    check = TranslationCheck(english={"exceptions": {"late": {"message": "{what} at {when}"}}})
    check.require("exceptions.late.message", {"what": "x"})
    assert check.problems == ["exceptions.late.message uses ['when'], not passed"]
    check.problems.clear()
    check.require("exceptions.late.message", {"what": "x", "when": "y"})
    assert not check.problems


async def test_the_fixture_sees_flows_issues_and_errors(
    hass: HomeAssistant, check_translations: TranslationCheck
) -> None:
    """With an empty en.json every kind of use the fixture observes is reported."""
    check_translations.english = {}
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    hass.config_entries.flow.async_abort(result["flow_id"])
    ir.async_create_issue(
        hass,
        DOMAIN,
        "test",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="test_issue",
    )
    ServiceValidationError(translation_domain=DOMAIN, translation_key="test_error")
    HomeAssistantError(translation_domain="other", translation_key="not_ours")
    PushoverValidationError("too long", reason="test_reason")
    assert check_translations.problems == [
        f"no config.step.user.menu_options.{option} in translations/en.json"
        for option in result["menu_options"]
    ] + [
        "no issues.test_issue.title in translations/en.json",
        "no issues.test_issue.description in translations/en.json",
        "no exceptions.test_error.message in translations/en.json",
        "no exceptions.test_reason.message in translations/en.json",
    ]
    # The problems were the point here; the fixture's own teardown must not fail on them.
    check_translations.problems.clear()


async def test_the_fixture_sees_form_fields_sections_and_errors(
    hass: HomeAssistant, check_translations: TranslationCheck
) -> None:
    """A field or a section field without data_description, an error without text."""
    english = copy.deepcopy(dict(check_translations.english))
    sender = english["config"]["step"]["sender"]
    del sender["data_description"]["name"]
    del sender["sections"]["advanced"]["data_description"]["api_url"]
    del english["config"]["error"]["key_format"]
    check_translations.english = english
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "sender"}
    )
    assert check_translations.problems == [
        "no config.step.sender.data_description.name in translations/en.json",
        "no config.step.sender.sections.advanced.data_description.api_url in translations/en.json",
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"api_token": "short", "user_key": "short", "name": "Home", "advanced": {}},
    )
    assert result["errors"]
    assert "no config.error.key_format in translations/en.json" in check_translations.problems
    check_translations.problems.clear()


async def test_the_fixture_sees_entities(
    hass: HomeAssistant, sender_entry: MockConfigEntry, check_translations: TranslationCheck
) -> None:
    check_translations.english = {}
    assert await hass.config_entries.async_setup(sender_entry.entry_id)
    await hass.async_block_till_done()
    assert "no entity.sensor.limit.name in translations/en.json" in check_translations.problems
    check_translations.problems.clear()
