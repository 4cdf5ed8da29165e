"""What a test shows a user must have its English text, like core's ``check_translations``.

The autouse fixture in tests/conftest.py feeds a TranslationCheck with every flow result
(config, options, subentry and repair flows), repair issue, entity added and error built
with a translation key of this integration while a test runs, and every refusal reason of
the client (errors.validation_error makes it the translation key). It fails the test on a
key missing from translations/en.json or a {placeholder} its text uses but the code does
not pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
import json
from pathlib import Path
import string
from typing import Any
from unittest.mock import patch

from homeassistant.components.repairs import RepairsFlowManager
from homeassistant.config_entries import (
    DISCOVERY_SOURCES,
    ConfigEntriesFlowManager,
    ConfigSubentryFlowManager,
    OptionsFlowManager,
)
from homeassistant.data_entry_flow import FlowHandler, FlowManager, FlowResultType, section
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity import Entity
import voluptuous as vol

from custom_components.pushover_plus.const import DOMAIN
from custom_components.pushover_plus.pushover import PushoverValidationError

EN_JSON = Path(__file__).parent.parent / "custom_components" / DOMAIN / "translations" / "en.json"
#: What errors.validation_error passes with the translation key err.reason.
VALIDATION_PLACEHOLDERS = frozenset({"parameter", "limit"})


def placeholders(text: str) -> set[str]:
    """The {placeholders} of a translation text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass
class TranslationCheck:
    """Collects the problems of the translation keys a test used."""

    english: Mapping[str, Any] = field(
        default_factory=lambda: json.loads(EN_JSON.read_text(encoding="utf-8"))
    )
    problems: list[str] = field(default_factory=list)

    def require(self, key: str, passed: Mapping[str, Any] | None, *, required: bool = True) -> None:
        """Check the dotted key (if required) and that its placeholders are passed."""
        text = self._text(key)
        if text is None:
            if required:
                self.problems.append(f"no {key} in translations/en.json")
            return
        if missing := placeholders(text) - set(passed or {}):
            self.problems.append(f"{key} uses {sorted(missing)}, not passed")

    def _text(self, key: str) -> str | None:
        text: Any = self.english
        for part in key.split("."):
            text = text.get(part) if isinstance(text, Mapping) else None
        return text if isinstance(text, str) else None

    def entity(self, entity: Entity) -> None:
        """Check the name of an entity with a translation key."""
        platform, key = entity.platform, entity.translation_key
        if platform is None or platform.platform_name != DOMAIN or key is None:
            return
        name = f"entity.{platform.domain}.{key}.name"
        if hasattr(entity, "_attr_name"):  # named by the code: the text must only exist
            if self._text(name) is None:
                self.problems.append(f"no {name} in translations/en.json")
            return
        self.require(name, entity.translation_placeholders)

    def flow_result(
        self, manager: FlowManager, flow: FlowHandler, result: Mapping[str, Any]
    ) -> None:
        """Check the step, errors, menu options or abort reason a flow shows."""
        prefix = _flow_prefix(manager, flow)
        if prefix is None or result["type"] is FlowResultType.CREATE_ENTRY:
            return
        passed = result.get("description_placeholders")
        # As core: a discovery flow that aborts at once is never seen, so needs no text.
        seen_before = getattr(flow, "_translation_check_seen", False)
        flow._translation_check_seen = True
        if result["type"] is FlowResultType.ABORT:
            if not seen_before and flow.source in DISCOVERY_SOURCES:
                return
            self.require(f"{prefix}.abort.{result['reason']}", passed)
            return
        step = f"{prefix}.step.{result['step_id']}"
        if result["type"] is FlowResultType.MENU:
            for option in result["menu_options"]:
                self.require(f"{step}.menu_options.{option}", passed)
        if result["type"] is FlowResultType.FORM:
            self._form(step, passed, result.get("data_schema"))
            for error in (result.get("errors") or {}).values():
                self.require(f"{prefix}.error.{error}", passed)

    def _form(self, step: str, passed: Mapping[str, Any] | None, schema: vol.Schema | None) -> None:
        for header in ("title", "description"):
            self.require(f"{step}.{header}", passed, required=False)
        for key, value in (schema.schema if schema else {}).items():
            if isinstance(value, section):
                self._form(f"{step}.sections.{key}", passed, value.schema)
                continue
            for header in ("data", "data_description"):
                self.require(f"{step}.{header}.{key}", passed)

    def issue(self, issue: ir.IssueEntry) -> None:
        """Check a repair issue's title and (unless it has a fix flow) description."""
        if issue.domain != DOMAIN or issue.translation_key is None:
            return
        key, passed = f"issues.{issue.translation_key}", issue.translation_placeholders
        self.require(f"{key}.title", passed)
        if not issue.is_fixable:
            self.require(f"{key}.description", passed)

    def exception(
        self, domain: str | None, key: str | None, passed: Mapping[str, Any] | None
    ) -> None:
        """Check an error's message."""
        if domain == DOMAIN and key is not None:
            self.require(f"exceptions.{key}.message", passed)

    def validation_reason(self, reason: str) -> None:
        """A client's refusal reason is the translation key of the Home Assistant error."""
        self.require(f"exceptions.{reason}.message", dict.fromkeys(VALIDATION_PLACEHOLDERS))


def _flow_prefix(manager: FlowManager, flow: FlowHandler) -> str | None:
    """The section of en.json of this integration's flow, or None for other flows."""
    hass = flow.hass
    if isinstance(manager, ConfigEntriesFlowManager):
        return "config" if flow.handler == DOMAIN else None
    if isinstance(manager, OptionsFlowManager):
        entry = hass.config_entries.async_get_entry(flow.handler)
        return "options" if entry and entry.domain == DOMAIN else None
    if isinstance(manager, ConfigSubentryFlowManager):
        entry_id, subentry_type = flow.handler
        entry = hass.config_entries.async_get_entry(entry_id)
        return f"config_subentries.{subentry_type}" if entry and entry.domain == DOMAIN else None
    if isinstance(manager, RepairsFlowManager) and flow.handler == DOMAIN:
        issue = ir.async_get(hass).async_get_issue(DOMAIN, flow.issue_id)
        return f"issues.{issue.translation_key}.fix_flow" if issue else None
    return None


@contextmanager
def observe(check: TranslationCheck) -> Iterator[None]:
    """Feed the check with what the code shows while the block runs."""
    handle_step = FlowManager._async_handle_step
    get_or_create = ir.IssueRegistry.async_get_or_create
    error_init = HomeAssistantError.__init__
    validation_init = PushoverValidationError.__init__
    added_to_hass = Entity.async_internal_added_to_hass

    async def _handle_step(self: FlowManager, flow: FlowHandler, *args: Any) -> Any:
        result = await handle_step(self, flow, *args)
        check.flow_result(self, flow, result)
        return result

    def _get_or_create(self: ir.IssueRegistry, *args: Any, **kwargs: Any) -> ir.IssueEntry:
        issue = get_or_create(self, *args, **kwargs)
        check.issue(issue)
        return issue

    def _error_init(self: HomeAssistantError, *args: Any, **kwargs: Any) -> None:
        error_init(self, *args, **kwargs)
        check.exception(
            self.translation_domain, self.translation_key, self.translation_placeholders
        )

    async def _added_to_hass(self: Entity) -> None:
        await added_to_hass(self)
        check.entity(self)

    def _validation_init(self: PushoverValidationError, *args: Any, **kwargs: Any) -> None:
        validation_init(self, *args, **kwargs)
        check.validation_reason(self.reason)

    with (
        patch.object(FlowManager, "_async_handle_step", _handle_step),
        patch.object(ir.IssueRegistry, "async_get_or_create", _get_or_create),
        patch.object(HomeAssistantError, "__init__", _error_init),
        patch.object(PushoverValidationError, "__init__", _validation_init),
        patch.object(Entity, "async_internal_added_to_hass", _added_to_hass),
    ):
        yield
