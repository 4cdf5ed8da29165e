"""What neither hassfest nor the HACS action checks (.github/workflows/validate.yml runs both).

hassfest validates a custom integration's manifest, services.yaml, icons.json and
translations/en.json; it skips the other languages and quality_scale.yaml, and asks for
English action names and action icons of core integrations only. The HACS action checks
hacs.json, the layout and the brand. What they leave is here; the translation keys the code
uses are checked at run time (tests/translation_check.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
import importlib
import json
import os
from pathlib import Path
import re
from typing import Any

from homeassistant.const import Platform
from homeassistant.helpers import config_validation as cv
from homeassistant.util.yaml import load_yaml
import pytest

from tests.translation_check import placeholders

try:  # Home Assistant 2026.10 validates with probatio; older releases with voluptuous.
    import probatio as vol
except ImportError:  # pragma: no cover - minimum Home Assistant
    import voluptuous as vol  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "pushover_plus"
INTEGRATION = ROOT / "custom_components" / DOMAIN
TRANSLATIONS = INTEGRATION / "translations"
WORKFLOWS = ROOT / ".github" / "workflows"

#: The minimum Home Assistant version (DESIGN.md): local brand/ images need 2026.3.
MINIMUM_HOME_ASSISTANT = "2026.3.0"

#: The languages of Home Assistant core's own `pushover` integration.
CORE_PUSHOVER_LANGUAGES = (
    *("bg", "ca", "cs", "da", "de", "el", "en-GB", "en", "es", "et", "eu", "fi", "fr"),
    *("fy", "ga", "he", "hu", "id", "it", "ja", "ko", "lt", "lv", "nb", "nl", "pl"),
    *("pt-BR", "pt", "ro", "ru", "sk", "sl", "sr-Latn", "sr", "sv", "tr", "uk"),
    *("zh-Hans", "zh-Hant"),
)

#: hassfest's URL pattern (script/hassfest/translations.py), applied to every language.
URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _walk_texts(tree: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Yield (dotted path, leaf) for every leaf of a nested mapping."""
    for key, value in tree.items():
        if isinstance(value, Mapping):
            yield from _walk_texts(value, (*path, str(key)))
        else:
            yield ".".join((*path, str(key))), value


ENGLISH: dict[str, Any] = _json(TRANSLATIONS / "en.json")
ENGLISH_TEXTS = dict(_walk_texts(ENGLISH))
OTHER_LANGUAGES = sorted(p for p in TRANSLATIONS.glob("*.json") if p.name != "en.json")
SERVICES: dict[str, Any] = load_yaml(INTEGRATION / "services.yaml")
ICONS: dict[str, Any] = _json(INTEGRATION / "icons.json")

# --------------------------------------------------------------------------- languages


def test_every_language_of_core_pushover_is_shipped() -> None:
    shipped = {path.stem for path in TRANSLATIONS.glob("*.json")}
    assert shipped >= set(CORE_PUSHOVER_LANGUAGES), sorted(set(CORE_PUSHOVER_LANGUAGES) - shipped)


@pytest.mark.parametrize("path", OTHER_LANGUAGES, ids=lambda p: p.stem)
def test_language_translates_every_english_text_and_no_other(path: Path) -> None:
    texts = dict(_walk_texts(_json(path)))
    assert not set(ENGLISH_TEXTS) - set(texts), (
        f"missing: {sorted(set(ENGLISH_TEXTS) - set(texts))}"
    )
    assert not set(texts) - set(ENGLISH_TEXTS), (
        f"not in en.json: {sorted(set(texts) - set(ENGLISH_TEXTS))}"
    )


@pytest.mark.parametrize("path", OTHER_LANGUAGES, ids=lambda p: p.stem)
def test_language_keeps_the_placeholders(path: Path) -> None:
    differ = [
        where
        for where, text in _walk_texts(_json(path))
        if where in ENGLISH_TEXTS and placeholders(text) != placeholders(ENGLISH_TEXTS[where])
    ]
    assert not differ, f"placeholders differ from en.json in {differ}"


@pytest.mark.parametrize("path", [TRANSLATIONS / "en.json", *OTHER_LANGUAGES], ids=lambda p: p.stem)
def test_language_texts_follow_hassfests_rules(path: Path) -> None:
    """hassfest's text rules, which it applies to en.json only; and no [%key:...%]."""
    problems: list[str] = []
    for where, text in _walk_texts(_json(path)):
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: empty or not a string")
            continue
        try:
            cv.string_with_no_html(text)
        except vol.Invalid:
            problems.append(f"{where}: HTML")
        if text != text.strip():
            problems.append(f"{where}: leading or trailing whitespace")
        if URL.search(text):
            problems.append(f"{where}: a URL (use a placeholder)")
        if re.search(r"'\{\w+\}'", text):
            problems.append(f"{where}: a placeholder in single quotes")
        if "[%key:" in text:  # Home Assistant resolves references for core integrations only
            problems.append(f"{where}: a [%key:...%] reference")
    assert not problems, "\n".join(problems)


def test_no_strings_json() -> None:
    """translations/en.json is the one English source: no strings.json copy to drift from."""
    assert not (INTEGRATION / "strings.json").exists()


# --------------------------------------------------------------------------- actions


def _fields(action: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fields, sections) of a services.yaml action; section fields are flattened."""
    fields: dict[str, Any] = {}
    sections: dict[str, Any] = {}
    for name, spec in ((SERVICES[action] or {}).get("fields") or {}).items():
        if isinstance(spec, Mapping) and "fields" in spec:
            sections[name] = spec
            fields.update(spec["fields"] or {})
        else:
            fields[name] = spec or {}
    return fields, sections


@pytest.mark.parametrize("action", sorted(SERVICES))
def test_action_fields_and_sections_have_english_texts(action: str) -> None:
    entry = ENGLISH["services"][action]
    assert entry["name"]
    assert entry["description"]
    fields, sections = _fields(action)
    for name in fields:
        assert entry["fields"][name]["name"], name
        assert entry["fields"][name]["description"], name
    for name in sections:
        assert entry["sections"][name]["name"], name


@pytest.mark.parametrize("action", sorted(SERVICES))
def test_select_options_are_all_translated(action: str) -> None:
    for name, spec in _fields(action)[0].items():
        select = (spec.get("selector") or {}).get("select") or {}
        if "translation_key" in select:
            options = {o["value"] if isinstance(o, Mapping) else o for o in select["options"]}
            labels = set(ENGLISH["selector"][select["translation_key"]]["options"])
            assert labels == options, (
                f"{name}: translated {sorted(labels)}, offered {sorted(options)}"
            )


def test_every_action_has_an_icon() -> None:
    icons = ICONS["services"]
    assert set(icons) == set(SERVICES)
    assert all(icon.get("service") for icon in icons.values())


def test_every_action_is_named_in_the_code() -> None:
    code = "".join(p.read_text(encoding="utf-8") for p in INTEGRATION.rglob("*.py"))
    unused = [action for action in SERVICES if f'"{action}"' not in code]
    assert not unused, f"services.yaml describes actions the code never names: {unused}"


def test_entity_icons_have_translations() -> None:
    for platform, keys in ICONS.get("entity", {}).items():
        for key in keys:
            assert key in ENGLISH["entity"].get(platform, {}), f"icons.json entity.{platform}.{key}"


# --------------------------------------------------------------------------- HACS, CI


def test_hacs_json_minimum_home_assistant() -> None:
    assert _json(ROOT / "hacs.json")["homeassistant"] == MINIMUM_HOME_ASSISTANT


def _steps(name: str) -> Iterator[Mapping[str, Any]]:
    workflow = load_yaml(WORKFLOWS / name)
    assert isinstance(workflow, dict)
    for job in workflow["jobs"].values():
        yield from job["steps"]


def test_validate_workflow_runs_hassfest_and_hacs() -> None:
    """The checks left out here run for real on every push."""
    uses = {step.get("uses"): step for step in _steps("validate.yml")}
    assert "home-assistant/actions/hassfest@master" in uses
    assert uses["hacs/action@main"]["with"]["category"] == "integration"


def test_workflow_scripts_exist() -> None:
    """Every scripts/... a workflow runs exists and is executable; the minimum HA job too."""
    assert any("scripts/test-minimum" in step.get("run", "") for step in _steps("tests.yml"))
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for step in _steps(path.name):
            for script in re.findall(r"(?<![\w/.])scripts/[\w.-]+", step.get("run", "")):
                assert os.access(ROOT / script, os.X_OK), f"{path.name}: {script} is not runnable"


def _pins(name: str) -> dict[str, str]:
    """The `package==version` lines of a requirements file, by lower-case package name."""
    pins: dict[str, str] = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            package, _, version = line.partition("==")
            pins[package.strip().lower()] = version.strip()
    return pins


def test_minimum_requirements_carry_the_test_only_packages() -> None:
    """scripts/test-minimum runs the same tests: every test-only package is pinned there too."""
    latest, minimum = _pins("requirements_test.txt"), _pins("requirements_test_minimum.txt")
    # Pinned per Home Assistant release, or only used by scripts/test (lint and types).
    per_release = {
        "pytest-homeassistant-custom-component",
        "pyturbojpeg",
        "home-assistant-frontend",
    }
    for package, version in latest.items():
        if package not in per_release | {"ruff", "mypy"}:
            assert minimum.get(package) == version, f"{package} missing in the minimum pins"
    assert per_release <= set(minimum)


# --------------------------------------------------------------------------- quality scale

#: hassfest's schema of a rule's status; hassfest skips the file of a custom integration.
RULE_STATUS = vol.Any(
    vol.In(["todo", "done"]),
    vol.Schema({vol.Required("status"): vol.In(["todo", "done"]), vol.Optional("comment"): str}),
    vol.Schema({vol.Required("status"): "exempt", vol.Required("comment"): str}),
)


def _quality_scale() -> dict[str, Any]:
    data = load_yaml(INTEGRATION / "quality_scale.yaml")
    assert isinstance(data, dict)
    assert set(data) == {"rules"}
    return data["rules"]  # type: ignore[no-any-return]


def _done(rule: str) -> bool:
    value = _quality_scale()[rule]
    return bool((value["status"] if isinstance(value, Mapping) else value) == "done")


def test_quality_scale_statuses() -> None:
    for rule, value in _quality_scale().items():
        try:
            RULE_STATUS(value)
        except vol.Invalid as err:
            pytest.fail(f"{rule}: {err}")


def test_parallel_updates_is_done() -> None:
    """Every entity platform sets PARALLEL_UPDATES, as the rule that is marked done asks."""
    assert _done("parallel-updates")
    platforms = [p.value for p in Platform if (INTEGRATION / f"{p.value}.py").is_file()]
    assert platforms
    for platform in platforms:
        module = importlib.import_module(f"custom_components.{DOMAIN}.{platform}")
        assert isinstance(getattr(module, "PARALLEL_UPDATES", None), int), platform


def test_no_reload_and_abort_with_an_update_listener() -> None:
    """Home Assistant 2026.10 warns (and 2026.12 breaks) when both reload the entry."""
    code = "".join(p.read_text(encoding="utf-8") for p in INTEGRATION.rglob("*.py"))
    assert not ("add_update_listener" in code and "async_update_reload_and_abort" in code), (
        "the entry has an update listener, so flows use async_update_and_abort"
    )
