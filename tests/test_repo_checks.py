"""Offline checks of the repository: what hassfest and the HACS action check, and more.

Plain pytest, no Home Assistant instance. The rules follow hassfest (manifest, translations,
services, icons, dependencies, quality scale), the HACS action (hacs.json, repository layout,
brand images) and the brands rules for images. The source checks read the integration with
``ast`` and resolve string constants, module constants and values passed through function
parameters, so a translation key or a step id that has no translation fails here instead of
showing a raw key in the UI.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
import json
import os
from pathlib import Path
import re
import string
import struct
from typing import Any
import zlib

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.const import Platform
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.util.yaml import load_yaml
import pytest

try:  # Home Assistant 2026.10 validates with probatio; older releases with voluptuous.
    import probatio as vol
except ImportError:  # pragma: no cover - minimum Home Assistant
    import voluptuous as vol  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
CUSTOM_COMPONENTS = ROOT / "custom_components"
DOMAIN = "pushover_plus"
INTEGRATION = CUSTOM_COMPONENTS / DOMAIN
TRANSLATIONS = INTEGRATION / "translations"
BRAND = INTEGRATION / "brand"

#: The minimum Home Assistant version (DESIGN.md): local brand/ images need 2026.3.
MINIMUM_HOME_ASSISTANT = "2026.3.0"

#: Directories that are not part of the repository's content.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        ".python",
        "config",
        "artifacts",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".hypothesis",
        "htmlcov",
        "node_modules",
    }
)

PLATFORMS = frozenset(platform.value for platform in Platform)

# --------------------------------------------------------------------------- helpers


def _repo_files(*suffixes: str) -> list[Path]:
    """Files of the repository with one of the suffixes, skipping tool and cache dirs."""
    found: list[Path] = []

    def walk(directory: Path) -> None:
        for path in sorted(directory.iterdir()):
            if path.is_dir():
                if path.name not in SKIPPED_DIRS and not path.name.startswith(".venv"):
                    walk(path)
            elif path.suffix in suffixes:
                found.append(path)

    walk(ROOT)
    return found


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@cache
def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _manifest() -> dict[str, Any]:
    data = _json(INTEGRATION / "manifest.json")
    assert isinstance(data, dict)
    return data


def _en() -> dict[str, Any]:
    data = _json(TRANSLATIONS / "en.json")
    assert isinstance(data, dict)
    return data


def _icons() -> dict[str, Any]:
    data = _json(INTEGRATION / "icons.json")
    assert isinstance(data, dict)
    return data


@cache
def _services_yaml() -> dict[str, Any]:
    data = load_yaml(INTEGRATION / "services.yaml")
    assert isinstance(data, dict), "services.yaml must be a mapping of actions"
    return data


def _walk_texts(tree: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Yield (dotted path, leaf) for every leaf of a nested mapping."""
    for key, value in tree.items():
        here = (*path, str(key))
        if isinstance(value, Mapping):
            yield from _walk_texts(value, here)
        else:
            yield ".".join(here), value


def _walk_keys(tree: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """Yield (dotted path of the parent, key) for every key of a nested mapping."""
    for key, value in tree.items():
        yield ".".join(path), str(key)
        if isinstance(value, Mapping):
            yield from _walk_keys(value, (*path, str(key)))


def _placeholders(text: str) -> set[str]:
    """The {placeholders} of a translation text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _get(tree: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path, or None."""
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _service_fields(action: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (fields, sections) of a services.yaml action; section fields are flattened."""
    fields: dict[str, Any] = {}
    sections: dict[str, Any] = {}
    for name, spec in ((action or {}).get("fields") or {}).items():
        if isinstance(spec, Mapping) and "fields" in spec:
            sections[name] = spec
            fields.update(spec["fields"] or {})
        else:
            fields[name] = spec or {}
    return fields, sections


# --------------------------------------------------------------------------- source index

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Site:
    """Where a node sits: module, enclosing function and enclosing class."""

    module: str
    func: FunctionNode | None
    cls: ast.ClassDef | None


@dataclass
class SourceIndex:
    """Every call, function and class of the integration's Python modules."""

    modules: dict[str, ast.Module] = field(default_factory=dict)
    constants: dict[str, str | None] = field(default_factory=dict)
    calls: list[tuple[ast.Call, Site]] = field(default_factory=list)
    assigns: list[tuple[ast.Assign | ast.AnnAssign, Site]] = field(default_factory=list)
    functions: list[tuple[FunctionNode, Site]] = field(default_factory=list)
    classes: dict[str, tuple[ast.ClassDef, str]] = field(default_factory=dict)

    def resolve(self, expr: ast.expr | None, site: Site, depth: int = 0) -> set[str] | None:
        """Possible string values of an expression, or None when they cannot be known."""
        if expr is None or depth > 4:
            return None
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.Name):
            func = site.func
            if func is not None and expr.id in _param_names(func):
                return self._resolve_parameter(func, expr.id, site, depth)
            value = self.constants.get(expr.id)
            return {value} if value is not None else None
        if isinstance(expr, ast.IfExp):
            body = self.resolve(expr.body, site, depth)
            orelse = self.resolve(expr.orelse, site, depth)
            return body | orelse if body is not None and orelse is not None else None
        return None

    def callers(self, func: FunctionNode, site: Site) -> list[tuple[ast.Call, Site]]:
        """Calls of a function or method (of a class, for __init__)."""
        name = site.cls.name if func.name == "__init__" and site.cls else func.name
        return [(call, call_site) for call, call_site in self.calls if _call_name(call) == name]

    def _resolve_parameter(
        self, func: FunctionNode, param: str, site: Site, depth: int
    ) -> set[str] | None:
        callers = self.callers(func, site)
        if not callers:
            return None
        values: set[str] = set()
        for call, call_site in callers:
            arg = _bound_argument(func, site, call, param)
            resolved = self.resolve(arg, call_site, depth + 1)
            if resolved is None:
                return None
            values |= resolved
        return values

    def owner_classes(self, site: Site, depth: int = 0) -> set[str]:
        """Classes whose code runs this site: its own class, or the callers' classes."""
        if site.cls is not None:
            return {site.cls.name}
        if site.func is None or depth > 3:
            return set()
        owners: set[str] = set()
        for _, call_site in self.callers(site.func, site):
            owners |= self.owner_classes(call_site, depth + 1)
        return owners


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _param_names(func: FunctionNode) -> list[str]:
    args = func.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if args.vararg:
        names.append(args.vararg.arg)
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


def _is_method(func: FunctionNode, site: Site) -> bool:
    if site.cls is None or func not in site.cls.body:
        return False
    return not any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in func.decorator_list)


def _bound_argument(func: FunctionNode, site: Site, call: ast.Call, param: str) -> ast.expr | None:
    """The argument a call passes for a parameter (or its default)."""
    if (value := _keyword(call, param)) is not None:
        return value
    positional = [a.arg for a in (*func.args.posonlyargs, *func.args.args)]
    if _is_method(func, site):
        positional = positional[1:]
    if param in positional:
        index = positional.index(param)
        if any(isinstance(arg, ast.Starred) for arg in call.args[: index + 1]):
            return None
        if index < len(call.args):
            return call.args[index]
        defaults = func.args.defaults
        offset = index - (len(positional) - len(defaults))
        if 0 <= offset < len(defaults):
            return defaults[offset]
    return None


class _Indexer(ast.NodeVisitor):
    def __init__(self, index: SourceIndex, module: str) -> None:
        self.index = index
        self.module = module
        self.func: FunctionNode | None = None
        self.cls: ast.ClassDef | None = None

    def site(self) -> Site:
        return Site(self.module, self.func, self.cls)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.index.classes[node.name] = (node, self.module)
        outer_cls, outer_func = self.cls, self.func
        self.cls, self.func = node, None
        self.generic_visit(node)
        self.cls, self.func = outer_cls, outer_func

    def _visit_function(self, node: FunctionNode) -> None:
        self.index.functions.append((node, self.site()))
        outer_func = self.func
        self.func = node
        self.generic_visit(node)
        self.func = outer_func

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._visit_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._visit_function(node)

    def visit_Call(self, node: ast.Call) -> None:
        self.index.calls.append((node, self.site()))
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.index.assigns.append((node, self.site()))
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.index.assigns.append((node, self.site()))
        self.generic_visit(node)


@cache
def _source() -> SourceIndex:
    index = SourceIndex()
    for path in sorted(INTEGRATION.rglob("*.py")):
        module = str(path.relative_to(INTEGRATION))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        index.modules[module] = tree
        for node in tree.body:
            target, value = None, None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                known = index.constants.get(target.id, value.value)
                # The same name with two values is ambiguous: never resolve it.
                index.constants[target.id] = known if known == value.value else None
        _Indexer(index, module).visit(tree)
    return index


def _where(site: Site, node: ast.AST) -> str:
    return f"{site.module}:{getattr(node, 'lineno', '?')}"


# --------------------------------------------------------------------------- manifest

MANIFEST_REQUIRED = (
    "domain",
    "name",
    "codeowners",
    "config_flow",
    "dependencies",
    "documentation",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "requirements",
    "version",
)

#: Keys hassfest accepts in the manifest of a custom integration.
MANIFEST_KNOWN = frozenset(
    {
        *MANIFEST_REQUIRED,
        "after_dependencies",
        "bluetooth",
        "dhcp",
        "disabled",
        "homekit",
        "import_executor",
        "loggers",
        "mqtt",
        "quality_scale",
        "single_config_entry",
        "ssdp",
        "usb",
        "zeroconf",
    }
)

IOT_CLASSES = frozenset(
    {"assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push"}
)


def test_manifest_has_required_keys() -> None:
    missing = [key for key in MANIFEST_REQUIRED if key not in _manifest()]
    assert not missing, f"manifest.json lacks {missing}"


def test_manifest_has_only_known_keys() -> None:
    unknown = sorted(set(_manifest()) - MANIFEST_KNOWN)
    assert not unknown, f"hassfest rejects the manifest keys {unknown}"


def test_manifest_key_order_is_hassfests() -> None:
    keys = list(_manifest())
    expected = [k for k in ("domain", "name") if k in keys] + sorted(
        k for k in keys if k not in ("domain", "name")
    )
    assert keys == expected, f"hassfest wants domain, name, then alphabetical: {expected}"


def test_manifest_version_is_valid() -> None:
    version = _manifest()["version"]
    assert isinstance(version, str)
    try:
        AwesomeVersion(
            version,
            ensure_strategy=[
                AwesomeVersionStrategy.CALVER,
                AwesomeVersionStrategy.SEMVER,
                AwesomeVersionStrategy.SIMPLEVER,
                AwesomeVersionStrategy.BUILDVER,
                AwesomeVersionStrategy.PEP440,
            ],
        )
    except Exception as err:  # AwesomeVersion raises its own exception family
        pytest.fail(f"manifest version {version!r} is not a valid version: {err}")


def test_manifest_iot_class_and_integration_type() -> None:
    manifest = _manifest()
    assert manifest["iot_class"] in IOT_CLASSES, f"iot_class must be one of {sorted(IOT_CLASSES)}"
    assert manifest["integration_type"] == "service"


def test_manifest_urls_are_https() -> None:
    for key in ("documentation", "issue_tracker"):
        value = _manifest()[key]
        assert isinstance(value, str)
        assert re.fullmatch(r"https://[^\s/]+\.[^\s/]+(/\S*)?", value), f"{key} {value!r}"


def test_manifest_codeowners_are_github_handles() -> None:
    owners = _manifest()["codeowners"]
    assert isinstance(owners, list)
    assert owners, "at least one code owner"
    for owner in owners:
        assert isinstance(owner, str)
        assert re.fullmatch(r"@[A-Za-z0-9-]+(/[A-Za-z0-9_.-]+)?", owner), owner


def test_manifest_domain_is_folder_and_constant() -> None:
    assert _manifest()["domain"] == INTEGRATION.name == DOMAIN
    assert _source().constants.get("DOMAIN") == DOMAIN, "const.DOMAIN differs from the folder"


def test_manifest_dependencies() -> None:
    manifest = _manifest()
    dependencies = manifest["dependencies"]
    assert isinstance(dependencies, list)
    assert {"http", "webhook"} <= set(dependencies)
    assert len(set(dependencies)) == len(dependencies), "duplicate dependency"
    both = set(dependencies) & set(manifest.get("after_dependencies", []))
    assert not both, f"{both} in both dependencies and after_dependencies"


def test_manifest_requirements_are_pinned() -> None:
    for requirement in _manifest()["requirements"]:
        assert isinstance(requirement, str)
        assert "==" in requirement, f"requirement {requirement!r} is not pinned with =="


def test_manifest_config_flow_matches_module() -> None:
    assert _manifest()["config_flow"] is True
    assert (INTEGRATION / "config_flow.py").is_file()


def test_async_setup_comes_with_a_config_schema() -> None:
    """hassfest: an integration with async_setup defines (or imports) CONFIG_SCHEMA."""
    init = _source().modules["__init__.py"]
    if not any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name in ("setup", "async_setup")
        for node in init.body
    ):
        return
    names: set[str] = set()
    for node in init.body:
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
    schemas = {"CONFIG_SCHEMA", "PLATFORM_SCHEMA", "PLATFORM_SCHEMA_BASE"}
    assert names & schemas, "__init__.py has async_setup but no CONFIG_SCHEMA"


#: Integrations any integration may import without declaring them (hassfest's list).
ALWAYS_ALLOWED_IMPORTS = PLATFORMS | {
    "alert",
    "automation",
    "conversation",
    "default_config",
    "device_automation",
    "frontend",
    "group",
    "homeassistant",
    "input_boolean",
    "input_button",
    "input_datetime",
    "input_number",
    "input_select",
    "input_text",
    "media_source",
    "onboarding",
    "panel_custom",
    "persistent_notification",
    "person",
    "script",
    "shopping_list",
    "sun",
    "system_health",
    "system_log",
    "timer",
    "webhook",
    "websocket_api",
    "zone",
}


def _imported_components() -> dict[str, set[str]]:
    """Map of imported homeassistant.components.<x> to the modules importing it."""
    found: dict[str, set[str]] = {}
    for module, tree in _source().modules.items():
        skipped: set[int] = set()
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.If)
                and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"
            ):
                skipped.update(id(child) for child in ast.walk(node))
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("homeassistant.components."):
                    names.append(node.module.split(".")[2])
                elif node.module == "homeassistant.components":
                    names.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.Import):
                names.extend(
                    alias.name.split(".")[2]
                    for alias in node.names
                    if alias.name.startswith("homeassistant.components.")
                )
            for name in names:
                found.setdefault(name, set()).add(module)
    return found


def test_manifest_declares_imported_components() -> None:
    manifest = _manifest()
    allowed = (
        ALWAYS_ALLOWED_IMPORTS
        | set(manifest["dependencies"])
        | set(manifest.get("after_dependencies", []))
        | {DOMAIN}
    )
    undeclared = {
        name: sorted(modules)
        for name, modules in _imported_components().items()
        if name not in allowed
        # A platform of this integration (diagnostics.py) may import its own component.
        and not (INTEGRATION / f"{name}.py").is_file()
    }
    assert not undeclared, (
        f"hassfest: components imported but not in dependencies/after_dependencies: {undeclared}"
    )


# --------------------------------------------------------------------------- hacs.json

HACS_SCHEMA = vol.Schema(
    {
        vol.Required("name"): str,
        vol.Optional("content_in_root"): bool,
        vol.Optional("zip_release"): bool,
        vol.Optional("filename"): str,
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("country"): vol.Any(str, [str]),
        vol.Optional("homeassistant"): str,
        vol.Optional("persistent_directory"): str,
        vol.Optional("hacs"): str,
        vol.Optional("render_readme"): bool,
    },
    extra=vol.PREVENT_EXTRA,
)


def test_hacs_json_matches_hacs_schema() -> None:
    try:
        HACS_SCHEMA(_json(ROOT / "hacs.json"))
    except vol.Invalid as err:
        pytest.fail(f"hacs.json: {err}")


def test_hacs_json_minimum_home_assistant() -> None:
    data = _json(ROOT / "hacs.json")
    assert data["homeassistant"] == MINIMUM_HOME_ASSISTANT
    assert AwesomeVersion(data["homeassistant"]) >= AwesomeVersion("2026.3.0"), (
        "local brand/ images need Home Assistant 2026.3.0"
    )


def test_hacs_json_settings_fit_an_integration() -> None:
    data = _json(ROOT / "hacs.json")
    assert not data.get("content_in_root"), "the integration lives in custom_components/"
    assert not data.get("zip_release"), "HACS installs the folder, not a zip"


# --------------------------------------------------------------------------- layout


def test_exactly_one_integration_folder() -> None:
    folders = sorted(
        p.name for p in CUSTOM_COMPONENTS.iterdir() if p.is_dir() and p.name not in SKIPPED_DIRS
    )
    assert folders == [DOMAIN], f"HACS needs exactly one integration folder, found {folders}"


def test_readme_exists() -> None:
    readme = ROOT / "README.md"
    assert readme.is_file()
    assert readme.read_text(encoding="utf-8").strip(), "README.md is empty"


def test_license_is_mit_or_apache() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    mit = text.startswith("MIT License") and "Permission is hereby granted, free of charge" in text
    apache = "Apache License" in text and "Version 2.0" in text
    assert mit or apache, "LICENSE is neither the MIT nor the Apache-2.0 text"


def test_no_strings_json() -> None:
    assert not (INTEGRATION / "strings.json").exists(), (
        "custom integrations ship translations/en.json only"
    )


def test_every_json_file_parses() -> None:
    files = _repo_files(".json")
    assert INTEGRATION / "manifest.json" in files
    for path in files:
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            pytest.fail(f"{_rel(path)}: {err}")


def test_every_yaml_file_parses() -> None:
    files = _repo_files(".yaml", ".yml")
    assert INTEGRATION / "services.yaml" in files
    for path in files:
        try:
            load_yaml(path)
        except Exception as err:  # the loader raises HomeAssistantError or yaml errors
            pytest.fail(f"{_rel(path)}: {err}")


# --------------------------------------------------------------------------- workflows

WORKFLOWS = ROOT / ".github" / "workflows"


def _workflow(name: str) -> dict[str, Any]:
    data = load_yaml(WORKFLOWS / name)
    assert isinstance(data, dict)
    return data


def _steps(workflow: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job["steps"]:
            yield job_id, step


def test_validate_workflow_runs_hassfest_and_hacs() -> None:
    uses = {step.get("uses"): step for _, step in _steps(_workflow("validate.yml"))}
    assert "home-assistant/actions/hassfest@master" in uses
    assert uses["hacs/action@main"]["with"]["category"] == "integration"


def test_workflow_scripts_exist() -> None:
    """Every scripts/... a workflow runs exists and is executable; both test jobs exist."""
    tests = _workflow("tests.yml")
    assert {"tests", "minimum-home-assistant"} <= set(tests["jobs"])
    commands = [step["run"] for _, step in _steps(tests) if "run" in step]
    assert any("scripts/test-minimum" in c for c in commands)
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for _, step in _steps(_workflow(path.name)):
            for script in re.findall(r"(?<![\w/.])scripts/[\w.-]+", step.get("run", "")):
                target = ROOT / script
                assert target.is_file(), f"{path.name} runs {script}, which does not exist"
                assert os.access(target, os.X_OK), f"{script} is not executable"


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
        *("pytest-homeassistant-custom-component", "pyturbojpeg", "home-assistant-frontend"),
        *("ruff", "mypy"),
    }
    for package, version in latest.items():
        if package not in per_release:
            assert minimum.get(package) == version, f"{package} missing in the minimum pins"
    assert per_release - {"ruff", "mypy"} <= set(minimum)


# --------------------------------------------------------------------------- services

SERVICE_FIELD_KEYS = frozenset(
    {"example", "default", "required", "advanced", "selector", "filter", "name", "description"}
)


def test_services_yaml_matches_hassfest_schema() -> None:
    for action, spec in _services_yaml().items():
        assert cv.slug(action) == action, f"action {action!r} is not a slug"
        if spec is None:
            continue
        unknown = set(spec) - {"target", "fields", "name", "description"}
        assert not unknown, f"{action}: unknown keys {unknown}"
        if spec.get("target") is not None:
            selector.TargetSelector.CONFIG_SCHEMA(spec["target"])
        fields, sections = _service_fields(spec)
        for name, section in sections.items():
            extra = set(section) - {"collapsed", "fields", "name", "description"}
            assert not extra, f"{action}.{name}: unknown section keys {extra}"
        for name, field_spec in fields.items():
            extra = set(field_spec) - SERVICE_FIELD_KEYS
            assert not extra, f"{action}.{name}: unknown field keys {extra}"
            if "filter" in field_spec:
                assert spec.get("target") is not None, f"{action}.{name}: filter needs a target"
            if "selector" in field_spec:
                try:
                    selector.validate_selector(field_spec["selector"])
                except vol.Invalid as err:
                    pytest.fail(f"{action}.{name}: invalid selector: {err}")


def test_service_translations_cover_services_yaml() -> None:
    translated = _en().get("services", {})
    for action, spec in _services_yaml().items():
        entry = translated.get(action)
        assert entry, f"translations: no services.{action}"
        for key in ("name", "description"):
            assert entry.get(key), f"translations: no services.{action}.{key}"
        fields, sections = _service_fields(spec)
        for name in fields:
            for key in ("name", "description"):
                assert _get(entry, f"fields.{name}.{key}"), (
                    f"translations: no services.{action}.fields.{name}.{key}"
                )
        for name in sections:
            assert _get(entry, f"sections.{name}.name"), (
                f"translations: no services.{action}.sections.{name}.name"
            )


def test_service_translations_have_no_extra_entries() -> None:
    services = _services_yaml()
    for action, entry in _en().get("services", {}).items():
        assert action in services, f"translations: services.{action} is not in services.yaml"
        fields, sections = _service_fields(services[action])
        extra_fields = set(entry.get("fields", {})) - set(fields)
        assert not extra_fields, f"services.{action}.fields has no such fields: {extra_fields}"
        extra_sections = set(entry.get("sections", {})) - set(sections)
        assert not extra_sections, f"services.{action}.sections: no such {extra_sections}"


def test_select_selectors_are_translated() -> None:
    translated = _en().get("selector", {})
    for action, spec in _services_yaml().items():
        fields, _ = _service_fields(spec)
        for name, field_spec in fields.items():
            select = (field_spec.get("selector") or {}).get("select") or {}
            if "translation_key" not in select:
                continue
            key = select["translation_key"]
            options = {o["value"] if isinstance(o, Mapping) else o for o in select["options"]}
            labels = set(_get(translated, f"{key}.options") or {})
            assert labels == options, (
                f"{action}.{name}: selector.{key}.options translates {sorted(labels)}, "
                f"the selector offers {sorted(options)}"
            )


def test_every_action_has_an_icon() -> None:
    icons = _icons().get("services", {})
    actions = set(_services_yaml())
    for action in actions:
        entry = icons.get(action)
        assert isinstance(entry, Mapping), f"icons.json: no services.{action}"
        assert entry.get("service"), f"icons.json: no services.{action}.service"
        _, sections = _service_fields(_services_yaml()[action])
        extra = set(entry.get("sections", {})) - set(sections)
        assert not extra, f"icons.json: services.{action}.sections has no such {extra}"
    extra_actions = set(icons) - actions
    assert not extra_actions, f"icons.json has icons for unknown actions {extra_actions}"


ENTITY_SERVICE_REGISTRATIONS = frozenset(
    {
        "async_register_entity_service",
        "async_register_platform_entity_service",
        "async_register_admin_service",
    }
)


def _registers_action(call: ast.Call) -> bool:
    """hass.services.(async_)register(...) or one of the entity/admin service helpers."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("async_register", "register"):
        return isinstance(func.value, ast.Attribute) and func.value.attr == "services"
    return _call_name(call) in ENTITY_SERVICE_REGISTRATIONS


def test_services_yaml_actions_appear_in_the_code() -> None:
    literals = {
        node.value
        for tree in _source().modules.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    unused = set(_services_yaml()) - literals
    assert not unused, f"services.yaml describes actions the code never names: {unused}"


# --------------------------------------------------------------------------- icons


def test_icons_are_mdi() -> None:
    for path, value in _walk_texts(_icons()):
        assert isinstance(value, str), f"icons.json {path} is not a string"
        assert re.fullmatch(r"mdi:[a-z0-9]+(-[a-z0-9]+)*", value), f"icons.json {path}: {value!r}"


def test_icons_json_structure() -> None:
    icons = _icons()
    unknown = set(icons) - {"config", "issues", "options", "services", "entity"}
    assert not unknown, f"icons.json: unknown top-level keys {unknown}"
    for platform, keys in icons.get("entity", {}).items():
        assert platform in PLATFORMS, f"icons.json: entity.{platform} is not a platform"
        for key, spec in keys.items():
            extra = set(spec) - {"default", "state", "state_attributes", "range"}
            assert not extra, f"icons.json: entity.{platform}.{key} has unknown keys {extra}"
            for state, icon in (spec.get("state") or {}).items():
                assert icon != spec.get("default"), (
                    f"icons.json: entity.{platform}.{key}.state.{state} repeats the default"
                )


# --------------------------------------------------------------------------- translations

SLUG_KEY = re.compile(r"^(?:_|[a-z0-9]+(?:_[a-z0-9]+)*)$")
PLACEHOLDER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)\S+")

TRANSLATION_SECTIONS = frozenset(
    {
        "title",
        "config",
        "config_subentries",
        "options",
        "preview_features",
        "selector",
        "device_automation",
        "system_health",
        "config_panel",
        "application_credentials",
        "issues",
        "entity_component",
        "device",
        "entity",
        "exceptions",
        "services",
        "conditions",
        "triggers",
        "conversation",
        "common",
    }
)


def _translation_files() -> list[Path]:
    files = sorted(TRANSLATIONS.glob("*.json"))
    assert TRANSLATIONS / "en.json" in files
    return files


@pytest.mark.parametrize("path", _translation_files(), ids=lambda p: p.name)
def test_translation_keys_are_slugs(path: Path) -> None:
    bad = [
        f"{parent}.{key}".lstrip(".")
        for parent, key in _walk_keys(_json(path))
        if not SLUG_KEY.match(key)
    ]
    assert not bad, f"{path.name}: keys must be [a-z0-9_] slugs: {bad}"


@pytest.mark.parametrize("path", _translation_files(), ids=lambda p: p.name)
def test_translation_texts_follow_hassfest_rules(path: Path) -> None:
    problems: list[str] = []
    for where, text in _walk_texts(_json(path)):
        if not isinstance(text, str):
            problems.append(f"{where}: not a string")
            continue
        if not text.strip():
            problems.append(f"{where}: empty")
        if text != text.strip():
            problems.append(f"{where}: leading or trailing whitespace")
        try:
            cv.string_with_no_html(text)
        except vol.Invalid:
            problems.append(f"{where}: contains HTML")
        if URL.search(text):
            problems.append(f"{where}: contains a URL (use a placeholder)")
        if re.search(r"'\{\w+\}'", text):
            problems.append(f"{where}: placeholder in single quotes")
        if "[%key:" in text:
            # Home Assistant resolves references only when it builds core translations.
            problems.append(f"{where}: [%key:...%] references stay unresolved in custom components")
        try:
            names = _placeholders(text)
        except ValueError as err:
            problems.append(f"{where}: broken placeholder syntax ({err})")
            continue
        problems.extend(
            f"{where}: placeholder {{{name}}} is not lower_snake"
            for name in names
            if not PLACEHOLDER.match(name)
        )
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def _data_entry_problems(flow: Mapping[str, Any], where: str) -> Iterator[str]:
    for step_id, step in (flow.get("step") or {}).items():
        extra = set(step) - {
            "title",
            "description",
            "data",
            "data_description",
            "menu_options",
            "menu_option_descriptions",
            "submit",
            "sections",
        }
        if extra:
            yield f"{where}.step.{step_id}: unknown keys {extra}"
        orphan = set(step.get("data_description", {})) - set(step.get("data", {}))
        if orphan:
            yield f"{where}.step.{step_id}: data_description without data: {orphan}"
        orphan_menu = set(step.get("menu_option_descriptions", {})) - set(
            step.get("menu_options", {})
        )
        if orphan_menu:
            yield f"{where}.step.{step_id}: menu_option_descriptions without option {orphan_menu}"


def test_translation_structure_is_hassfests() -> None:
    en = _en()
    problems: list[str] = []
    unknown = set(en) - TRANSLATION_SECTIONS
    if unknown:
        problems.append(f"unknown top-level sections {unknown}")
    if "config" in en:
        problems.extend(_data_entry_problems(en["config"], "config"))
        if "title" in en["config"]:
            problems.append("config.title was removed from translations")
    if "options" in en:
        problems.extend(_data_entry_problems(en["options"], "options"))
    for subentry, flow in en.get("config_subentries", {}).items():
        problems.extend(_data_entry_problems(flow, f"config_subentries.{subentry}"))
        if not flow.get("entry_type"):
            problems.append(f"config_subentries.{subentry}: no entry_type")
        if not _get(flow, "initiate_flow.user"):
            problems.append(f"config_subentries.{subentry}: no initiate_flow.user")
    for key, exception in en.get("exceptions", {}).items():
        if set(exception) != {"message"}:
            problems.append(f"exceptions.{key}: needs exactly a message")
    for key, issue in en.get("issues", {}).items():
        if not issue.get("title"):
            problems.append(f"issues.{key}: no title")
        if ("description" in issue) == ("fix_flow" in issue):
            problems.append(f"issues.{key}: needs a description or a fix_flow (not both)")
    for platform, entities in en.get("entity", {}).items():
        if platform not in PLATFORMS:
            problems.append(f"entity.{platform}: not a platform")
        for key, entity in entities.items():
            extra = set(entity) - {"name", "state", "state_attributes", "unit_of_measurement"}
            if extra:
                problems.append(f"entity.{platform}.{key}: unknown keys {extra}")
            for state_path, text in _walk_texts(entity.get("state", {})):
                if _placeholders(text):
                    problems.append(f"entity.{platform}.{key}.state.{state_path}: placeholder")
    for action, service in en.get("services", {}).items():
        extra = set(service) - {"name", "description", "fields", "sections"}
        if extra:
            problems.append(f"services.{action}: unknown keys {extra}")
        for name, spec in service.get("fields", {}).items():
            if set(spec) - {"name", "description", "example"}:
                problems.append(f"services.{action}.fields.{name}: unknown keys")
    assert not problems, "translations/en.json:\n" + "\n".join(problems)


def test_other_languages_only_translate_english_keys() -> None:
    english = {path for path, _ in _walk_texts(_en())}
    for path in _translation_files():
        extra = {p for p, _ in _walk_texts(_json(path))} - english
        assert not extra, f"{path.name} has keys that en.json does not: {sorted(extra)}"


# The languages of Home Assistant core's own `pushover` integration.
CORE_PUSHOVER_LANGUAGES = (
    *("bg", "ca", "cs", "da", "de", "el", "en-GB", "en", "es", "et", "eu", "fi", "fr"),
    *("fy", "ga", "he", "hu", "id", "it", "ja", "ko", "lt", "lv", "nb", "nl", "pl"),
    *("pt-BR", "pt", "ro", "ru", "sk", "sl", "sr-Latn", "sr", "sv", "tr", "uk"),
    *("zh-Hans", "zh-Hant"),
)


def test_every_language_of_core_pushover_translates_every_english_text() -> None:
    shipped = {path.stem for path in TRANSLATIONS.glob("*.json")}
    assert shipped >= set(CORE_PUSHOVER_LANGUAGES), sorted(set(CORE_PUSHOVER_LANGUAGES) - shipped)
    english = dict(_walk_texts(_en()))
    for path in _translation_files():
        texts = dict(_walk_texts(_json(path)))
        missing = set(english) - set(texts)
        assert not missing, f"{path.name} lacks {sorted(missing)[:5]}"
        assert all(text.strip() for text in texts.values()), f"{path.name} has an empty text"


def test_other_languages_keep_the_placeholders() -> None:
    english = dict(_walk_texts(_en()))
    for path in _translation_files():
        for where, text in _walk_texts(_json(path)):
            assert _placeholders(text) == _placeholders(english[where]), (
                f"{path.name} {where}: placeholders differ from en.json"
            )


# --------------------------------------------------------------------------- source keys


@dataclass(frozen=True)
class TranslationUse:
    """A translation key used by the code, with the placeholders it passes."""

    key: str
    placeholders: frozenset[str] | None  # None: cannot be known statically
    where: str


def _placeholder_keys(expr: ast.expr | None) -> frozenset[str] | None:
    if expr is None:
        return frozenset()
    if isinstance(expr, ast.Dict):
        keys: set[str] = set()
        for key in expr.keys:
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                return None
            keys.add(key.value)
        return frozenset(keys)
    return None


def _translation_uses(call: ast.Call, site: Site) -> list[TranslationUse] | None:
    """Keys and placeholders a call with translation_key=... uses, or None if unknown."""
    index = _source()
    key_expr = _keyword(call, "translation_key")
    placeholder_expr = _keyword(call, "translation_placeholders")
    func = site.func
    if (
        func is not None
        and isinstance(key_expr, ast.Name)
        and key_expr.id in _param_names(func)
        and index.callers(func, site)
    ):
        # A helper such as _invalid(key, **placeholders): check every call of the helper.
        uses: list[TranslationUse] = []
        for caller, caller_site in index.callers(func, site):
            keys = index.resolve(_bound_argument(func, site, caller, key_expr.id), caller_site)
            if keys is None:
                return None
            placeholders: frozenset[str] | None = _placeholder_keys(placeholder_expr)
            kwarg = func.args.kwarg
            if (
                isinstance(placeholder_expr, ast.Name)
                and kwarg
                and placeholder_expr.id == kwarg.arg
            ):
                # **placeholders: the keyword arguments of each call are the placeholders.
                named = set(_param_names(func))
                passed = {kw.arg for kw in caller.keywords}
                placeholders = None if None in passed else frozenset(str(k) for k in passed - named)
            uses.extend(
                TranslationUse(key, placeholders, _where(caller_site, caller)) for key in keys
            )
        return uses
    keys = index.resolve(key_expr, site)
    if keys is None:
        return None
    return [
        TranslationUse(key, _placeholder_keys(placeholder_expr), _where(site, call)) for key in keys
    ]


def _exception_uses() -> list[TranslationUse]:
    uses: list[TranslationUse] = []
    for call, site in _source().calls:
        if (
            _keyword(call, "translation_domain") is None
            or _keyword(call, "translation_key") is None
        ):
            continue
        uses.extend(_translation_uses(call, site) or [])
    return uses


def _check_uses(uses: Sequence[TranslationUse], section: str, texts: Sequence[str]) -> list[str]:
    """Problems: missing translations, placeholders the code does not pass."""
    problems: list[str] = []
    translated = _en().get(section, {})
    for use in uses:
        entry = translated.get(use.key)
        if entry is None:
            problems.append(f"{use.where}: no {section}.{use.key} in en.json")
            continue
        if use.placeholders is None:
            continue
        for text_key in texts:
            text = entry.get(text_key, "")
            missing = _placeholders(text) - use.placeholders
            if missing:
                problems.append(
                    f"{use.where}: {section}.{use.key}.{text_key} uses {sorted(missing)} "
                    f"but the code passes only {sorted(use.placeholders)}"
                )
    return problems


def test_exception_translation_keys_exist() -> None:
    uses = _exception_uses()
    assert uses, "no translated exception found (the source scan is broken)"
    problems = _check_uses(uses, "exceptions", ["message"])
    assert not problems, "\n".join(problems)


def test_helper_exception_keys_exist() -> None:
    """Keys passed through helpers like messages._invalid("key", ...) are checked too."""
    uses = [use for use in _exception_uses() if use.where.startswith("messages.py")]
    assert uses, "no messages._invalid(...) call found (the source scan is broken)"
    problems = _check_uses(uses, "exceptions", ["message"])
    assert not problems, "\n".join(problems)


def _validation_reasons() -> dict[str, str]:
    """reason="..." values that reach PushoverValidationError (reason -> where)."""
    index = _source()
    reasons: dict[str, str] = {}
    for call, site in index.calls:
        expr = _keyword(call, "reason")
        if expr is None:
            continue
        # In the client package every reason= feeds PushoverValidationError (possibly via a
        # helper); elsewhere (config flows use reason= for aborts) only direct constructions
        # count.
        if (
            not site.module.startswith("pushover/")
            and _call_name(call) != "PushoverValidationError"
        ):
            continue
        for value in index.resolve(expr, site) or set():
            reasons.setdefault(value, _where(site, call))
    return reasons


def _reason_placeholders() -> list[tuple[frozenset[str] | None, str]]:
    """Placeholders passed where the HA layer turns err.reason into a translation key."""
    found: list[tuple[frozenset[str] | None, str]] = []
    for call, site in _source().calls:
        key = _keyword(call, "translation_key")
        if isinstance(key, ast.Attribute) and key.attr == "reason":
            found.append(
                (_placeholder_keys(_keyword(call, "translation_placeholders")), _where(site, call))
            )
    return found


def test_api_validation_reasons_are_translated() -> None:
    mappings = _reason_placeholders()
    assert mappings, "no translation_key=err.reason found: the HA layer must map the reasons"
    exceptions = _en().get("exceptions", {})
    problems: list[str] = []
    for reason, where in sorted(_validation_reasons().items()):
        if reason not in exceptions:
            problems.append(f"{where}: reason {reason!r} has no exceptions.{reason}")
            continue
        used = _placeholders(exceptions[reason]["message"])
        for passed, mapped_at in mappings:
            if passed is not None and used - passed:
                problems.append(
                    f"exceptions.{reason} uses {sorted(used - passed)}; {mapped_at} passes "
                    f"only {sorted(passed)}"
                )
    assert not problems, "\n".join(problems)


ISSUE_CALLS = frozenset({"async_create_issue", "create_issue"})


def test_issue_translation_keys_exist() -> None:
    uses: list[TranslationUse] = []
    for call, site in _source().calls:
        if _call_name(call) in ISSUE_CALLS and _keyword(call, "translation_key") is not None:
            uses.extend(_translation_uses(call, site) or [])
    problems = _check_uses(uses, "issues", ["title", "description"])
    assert not problems, "\n".join(problems)


def _entity_translation_keys() -> tuple[dict[str, set[str]], bool]:
    """Entity translation keys per platform (module stem), and whether all were resolved."""
    index = _source()
    keys: dict[str, set[str]] = {}
    complete = True

    def add(site: Site, values: set[str] | None) -> None:
        nonlocal complete
        if values is None:
            complete = False
            return
        keys.setdefault(Path(site.module).stem, set()).update(values)

    for call, site in index.calls:
        if (
            _keyword(call, "translation_key") is not None
            and _keyword(call, "translation_domain") is None
            and _call_name(call) not in ISSUE_CALLS
        ):
            add(site, index.resolve(_keyword(call, "translation_key"), site))
    for node, site in index.assigns:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name == "_attr_translation_key" and node.value is not None:
                add(site, index.resolve(node.value, site))
    return keys, complete


def test_entity_translation_keys_exist() -> None:
    keys, _ = _entity_translation_keys()
    assert keys, "no entity translation_key found (the source scan is broken)"
    translated = _en().get("entity", {})
    problems: list[str] = []
    for module, values in keys.items():
        platforms = [module] if module in PLATFORMS else list(translated)
        for key in sorted(values):
            if not any(key in translated.get(platform, {}) for platform in platforms):
                problems.append(
                    f"{module}.py: translation_key {key!r} has no entity.{module}.{key}"
                )
    assert not problems, "\n".join(problems)


def test_entity_translations_are_used() -> None:
    keys, complete = _entity_translation_keys()
    if not complete:
        literals = {
            node.value
            for tree in _source().modules.values()
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
    unused = []
    for platform, entities in _en().get("entity", {}).items():
        for key in entities:
            used = key in keys.get(platform, set()) or (not complete and key in literals)
            if not used:
                unused.append(f"entity.{platform}.{key}")
    assert not unused, f"entity translations no entity uses: {unused}"


def test_entity_icons_have_translation_keys() -> None:
    keys, complete = _entity_translation_keys()
    translated = _en().get("entity", {})
    for platform, entities in _icons().get("entity", {}).items():
        for key in entities:
            known = key in keys.get(platform, set()) or (
                not complete and key in translated.get(platform, {})
            )
            assert known, f"icons.json: entity.{platform}.{key} matches no translation_key"


# --------------------------------------------------------------------------- config flows

FLOW_BASES = {
    "ConfigFlow": "config",
    "OptionsFlow": "options",
    "OptionsFlowWithReload": "options",
    "OptionsFlowWithConfigEntry": "options",
    "ConfigSubentryFlow": "config_subentries",
}


#: Abort reasons Home Assistant uses when a flow passes none.
IMPLICIT_ABORTS = {
    "async_update_reload_and_abort": {"reauth_successful", "reconfigure_successful"},
    "async_update_and_abort": {"reauth_successful", "reconfigure_successful"},
}


@dataclass
class FlowUse:
    """What a flow class shows: step ids, error keys and abort reasons."""

    sections: list[str]
    steps: set[str] = field(default_factory=set)
    # (step id, placeholder keys the call passes or None if unknown, where)
    forms: list[tuple[str, frozenset[str] | None, str]] = field(default_factory=list)
    errors: set[str] = field(default_factory=set)
    aborts: set[str] = field(default_factory=set)
    methods: set[str] = field(default_factory=set)
    complete: bool = True
    where: dict[str, str] = field(default_factory=dict)


def _base_names(cls: ast.ClassDef) -> list[str]:
    names = []
    for base in cls.bases:
        node = base.value if isinstance(base, ast.Subscript) else base
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
    return names


def _subentry_types() -> dict[str, set[str]]:
    """Subentry flow class name -> subentry types (from the supported-types mapping)."""
    index = _source()
    types: dict[str, set[str]] = {}
    tree = index.modules["config_flow.py"]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(value, ast.Name) and value.id in index.classes:
                site = Site("config_flow.py", None, None)
                resolved = index.resolve(key, site) if key is not None else None
                if resolved:
                    types.setdefault(value.id, set()).update(resolved)
    return types


def _is_flow_module(module: str) -> bool:
    """The config flow and the modules it is split into (``*_flow.py``, ``flow_*.py``)."""
    stem = Path(module).stem
    return "/" not in module and (stem.endswith("_flow") or stem.startswith("flow_"))


def _is_error_target(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and "error" in node.id


@cache
def _flows() -> dict[str, FlowUse]:
    index = _source()
    subentry_types = _subentry_types()
    flows: dict[str, FlowUse] = {}
    for name, (cls, module) in index.classes.items():
        if not _is_flow_module(module):
            continue
        for base in _base_names(cls):
            if base not in FLOW_BASES:
                continue
            section = FLOW_BASES[base]
            if section == "config_subentries":
                types = subentry_types.get(name) or set(_en().get("config_subentries", {}))
                sections = [f"config_subentries.{t}" for t in sorted(types)]
            else:
                sections = [section]
            methods = {
                item.name
                for item in cls.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            flows[name] = FlowUse(sections=sections, methods=methods)

    def record(site: Site, kind: str, values: set[str] | None, node: ast.AST) -> None:
        for owner in index.owner_classes(site):
            if (flow := flows.get(owner)) is None:
                continue
            if values is None:
                flow.complete = False
                continue
            getattr(flow, kind).update(values)
            for value in values:
                flow.where.setdefault(f"{kind}:{value}", _where(site, node))

    for call, site in index.calls:
        if not _is_flow_module(site.module):
            continue
        call_name = _call_name(call)
        if (step := _keyword(call, "step_id")) is not None:
            steps = index.resolve(step, site)
            record(site, "steps", steps, call)
            passed = _passed_placeholders(call, site)
            for owner in index.owner_classes(site):
                if (flow := flows.get(owner)) is not None:
                    flow.forms.extend((s, passed, _where(site, call)) for s in steps or ())
        if call_name == "async_abort":
            record(site, "aborts", index.resolve(_keyword(call, "reason"), site), call)
        elif call_name == "_abort_if_unique_id_configured":
            reason = _keyword(call, "error")
            values = index.resolve(reason, site) if reason else {"already_configured"}
            record(site, "aborts", values, call)
        elif call_name == "_abort_if_unique_id_mismatch":
            reason = _keyword(call, "reason")
            values = index.resolve(reason, site) if reason else {"unique_id_mismatch"}
            record(site, "aborts", values, call)
        elif call_name == "_async_abort_entries_match":
            record(site, "aborts", {"already_configured"}, call)
        elif call_name == "AbortFlow" and call.args:
            record(site, "aborts", index.resolve(call.args[0], site), call)
        elif call_name in IMPLICIT_ABORTS and (reason := _keyword(call, "reason")) is not None:
            record(site, "aborts", index.resolve(reason, site), call)
        if (errors := _keyword(call, "errors")) is not None and isinstance(errors, ast.Dict):
            for value in errors.values:
                record(site, "errors", index.resolve(value, site), call)

    for node, site in index.assigns:
        if not _is_flow_module(site.module) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and _is_error_target(target.value):
                # errors["base"] = "cannot_connect"; unresolvable values are passed through.
                if (values := index.resolve(node.value, site)) is not None:
                    record(site, "errors", values, node)
            elif _is_error_target(target) and isinstance(node.value, ast.Dict):
                for value in node.value.values:
                    if (values := index.resolve(value, site)) is not None:
                        record(site, "errors", values, node)

    # Helpers that return error dicts (e.g. _sender_errors): their dict literals with
    # constant values are form errors of the flows that call them.
    for func, site in index.functions:
        if not _is_flow_module(site.module) or "error" not in func.name:
            continue
        inside = Site(site.module, func, site.cls)
        for returned in ast.walk(func):
            if not isinstance(returned, ast.Return) or returned.value is None:
                continue
            value = returned.value
            first = value.elts[0] if isinstance(value, ast.Tuple) and value.elts else value
            if isinstance(first, ast.Dict):
                for error in first.values:
                    record(inside, "errors", index.resolve(error, inside), returned)
    return flows


def _passed_placeholders(call: ast.Call, site: Site) -> frozenset[str] | None:
    """Every placeholder key a show_form call can pass, or None when not known statically."""
    return _dict_keys(_keyword(call, "description_placeholders"), site)


def _dict_keys(expr: ast.expr | None, site: Site, depth: int = 0) -> frozenset[str] | None:
    """Keys a dict expression can hold, or None when not known statically.

    For a variable, this is the union of the keys its dict literals, subscript stores,
    update() and setdefault() calls add in the enclosing function; for a parameter, the
    keys every caller passes.
    """
    if expr is None or isinstance(expr, ast.Dict):
        return _placeholder_keys(expr)
    if not isinstance(expr, ast.Name) or site.func is None or depth > 3:
        return None
    func, index = site.func, _source()
    if expr.id in _param_names(func):
        callers = index.callers(func, site)
        passed = [
            _dict_keys(_bound_argument(func, site, caller, expr.id), caller_site, depth + 1)
            for caller, caller_site in callers
        ]
        if not passed or any(keys is None for keys in passed):
            return None
        return frozenset.intersection(*(keys for keys in passed if keys is not None))
    name, keys = expr.id, set[str]()
    for node in ast.walk(func):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id == name:
                    literal = _placeholder_keys(node.value) if node.value is not None else None
                    if literal is None:
                        return None
                    keys |= literal
                elif isinstance(target, ast.Tuple) and any(
                    isinstance(t, ast.Name) and t.id == name for t in target.elts
                ):
                    return None
                elif (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == name
                ):
                    if not (
                        isinstance(target.slice, ast.Constant)
                        and isinstance(target.slice.value, str)
                    ):
                        return None
                    keys.add(target.slice.value)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == name
        ):
            if node.func.attr == "update":
                added = _placeholder_keys(node.args[0]) if node.args else None
                if added is None:
                    return None
                keys |= added
            elif node.func.attr == "setdefault":
                first = node.args[0] if node.args else None
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    return None
                keys.add(first.value)
    return frozenset(keys)


def test_config_flow_classes_found() -> None:
    sections = {s for flow in _flows().values() for s in flow.sections}
    assert "config" in sections, "no ConfigFlow class found (the source scan is broken)"
    assert "options" in sections, "no OptionsFlow class found (the source scan is broken)"
    assert any(s.startswith("config_subentries.") for s in sections), "no subentry flow found"
    stray = [
        f"{module}: {name}"
        for name, (cls, module) in _source().classes.items()
        if FLOW_BASES.keys() & set(_base_names(cls)) and not _is_flow_module(module)
    ]
    assert not stray, f"flow classes outside the flow modules are not checked: {stray}"


def test_flow_steps_are_translated() -> None:
    problems: list[str] = []
    for name, flow in _flows().items():
        for section in flow.sections:
            translated = _get(_en(), f"{section}.step") or {}
            problems.extend(
                f"{flow.where[f'steps:{step}']}: {name} shows step {step!r} "
                f"without {section}.step.{step}"
                for step in sorted(flow.steps - set(translated))
            )
    assert not problems, "\n".join(problems)


def test_flow_errors_are_translated() -> None:
    problems: list[str] = []
    for name, flow in _flows().items():
        for section in flow.sections:
            translated = _get(_en(), f"{section}.error") or {}
            problems.extend(
                f"{flow.where[f'errors:{error}']}: {name} sets error {error!r} "
                f"without {section}.error.{error}"
                for error in sorted(flow.errors - set(translated))
            )
    assert not problems, "\n".join(problems)


def test_flow_aborts_are_translated() -> None:
    problems: list[str] = []
    for name, flow in _flows().items():
        for section in flow.sections:
            translated = _get(_en(), f"{section}.abort") or {}
            problems.extend(
                f"{flow.where[f'aborts:{reason}']}: {name} aborts with {reason!r} "
                f"without {section}.abort.{reason}"
                for reason in sorted(flow.aborts - set(translated))
            )
    assert not problems, "\n".join(problems)


def test_flow_placeholders_are_passed() -> None:
    """Every {placeholder} of a step's title and description is passed by its form."""
    problems: list[str] = []
    for name, flow in _flows().items():
        for step, passed, where in flow.forms:
            if passed is None:
                continue
            # Home Assistant adds the entry title as {name} to reauth forms.
            implicit = {"name"} if step.startswith("reauth") else set()
            for section in flow.sections:
                texts = _get(_en(), f"{section}.step.{step}") or {}
                for text_key in ("title", "description"):
                    missing = _placeholders(texts.get(text_key, "")) - passed - implicit
                    if missing:
                        problems.append(
                            f"{where}: {name} shows {step!r} without {sorted(missing)} for "
                            f"{section}.step.{step}.{text_key}"
                        )
    assert not problems, "\n".join(problems)


def test_translated_steps_are_shown() -> None:
    problems: list[str] = []
    for name, flow in _flows().items():
        if not flow.complete:
            continue
        for section in flow.sections:
            for step in _get(_en(), f"{section}.step") or {}:
                if step not in flow.steps:
                    problems.append(f"{section}.step.{step}: {name} never shows this step")
    assert not problems, "\n".join(problems)


def test_flow_error_and_abort_translations_are_used() -> None:
    index = _source()
    problems: list[str] = []
    for name, flow in _flows().items():
        cls, _ = index.classes[name]
        implicit = set().union(
            *(IMPLICIT_ABORTS[call] for call in _calls_in(cls) if call in IMPLICIT_ABORTS)
        )
        for section in flow.sections:
            for error in _get(_en(), f"{section}.error") or {}:
                if error not in flow.errors:
                    problems.append(f"{section}.error.{error}: {name} never sets it")
            for reason in _get(_en(), f"{section}.abort") or {}:
                if reason not in flow.aborts | implicit:
                    problems.append(f"{section}.abort.{reason}: {name} never aborts so")
    assert not problems, "\n".join(problems)


def test_menu_options_are_steps() -> None:
    problems: list[str] = []
    for name, flow in _flows().items():
        for section in flow.sections:
            for step_id, step in (_get(_en(), f"{section}.step") or {}).items():
                problems.extend(
                    f"{section}.step.{step_id}.menu_options.{option}: {name} has no "
                    f"async_step_{option}"
                    for option in step.get("menu_options", {})
                    if f"async_step_{option}" not in flow.methods
                )
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- brand images

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BRAND_IMAGES = frozenset(
    {
        f"{dark}{kind}{hidpi}.png"
        for dark in ("", "dark_")
        for kind in ("icon", "logo")
        for hidpi in ("", "@2x")
    }
)


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking every chunk's CRC."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    pos, chunks = 8, []
    while pos < len(data):
        assert pos + 12 <= len(data), f"{path.name}: truncated chunk"
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"{path.name}: bad CRC in {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR", f"{path.name}: IHDR is not first"
    assert chunks[-1][0] == b"IEND", f"{path.name}: no IEND"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    return width, height


def _brand_files() -> list[Path]:
    return sorted(BRAND.iterdir())


def test_brand_folder_holds_only_brand_images() -> None:
    names = {p.name for p in _brand_files()}
    assert "icon.png" in names, "brand/icon.png is required"
    assert "logo.png" in names
    assert names <= BRAND_IMAGES, f"brand/ has files Home Assistant ignores: {names - BRAND_IMAGES}"


@pytest.mark.parametrize("path", _brand_files(), ids=lambda p: p.name)
def test_brand_image_size(path: Path) -> None:
    width, height = _png_size(path)
    scale = 2 if "@2x" in path.name else 1
    if "icon" in path.name:
        assert (width, height) == (256 * scale, 256 * scale), (
            f"{path.name} is {width}x{height}, must be {256 * scale}x{256 * scale}"
        )
    else:
        shortest = min(width, height)
        assert 128 * scale <= shortest <= 256 * scale, (
            f"{path.name} is {width}x{height}: the shortest side must be "
            f"{128 * scale}..{256 * scale}"
        )


def test_brand_logo_height() -> None:
    assert _png_size(BRAND / "logo.png")[1] == 128


def test_brand_hidpi_images_double_their_base() -> None:
    for path in _brand_files():
        if "@2x" not in path.name:
            continue
        base = path.with_name(path.name.replace("@2x", ""))
        assert base.is_file(), f"{path.name} without {base.name}"
        width, height = _png_size(base)
        assert _png_size(path) == (2 * width, 2 * height), f"{path.name} is not twice {base.name}"


# --------------------------------------------------------------------------- quality scale

QUALITY_RULES = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}
ALL_RULES = [rule for rules in QUALITY_RULES.values() for rule in rules]


@cache
def _quality_scale() -> dict[str, Any]:
    data = load_yaml(INTEGRATION / "quality_scale.yaml")
    assert isinstance(data, dict)
    assert set(data) == {"rules"}, "quality_scale.yaml holds only rules:"
    rules = data["rules"]
    assert isinstance(rules, dict)
    return rules


def _status(rule: str) -> str:
    value = _quality_scale()[rule]
    return str(value["status"] if isinstance(value, Mapping) else value)


def test_quality_scale_lists_every_rule() -> None:
    rules = _quality_scale()
    missing = [rule for rule in ALL_RULES if rule not in rules]
    unknown = sorted(set(rules) - set(ALL_RULES))
    assert not missing, f"quality_scale.yaml lacks {missing}"
    assert not unknown, f"quality_scale.yaml has unknown rules {unknown}"


def test_quality_scale_statuses() -> None:
    for rule, value in _quality_scale().items():
        if isinstance(value, Mapping):
            assert set(value) <= {"status", "comment"}, f"{rule}: unknown keys"
            assert value.get("status") in ("done", "todo", "exempt"), f"{rule}: bad status"
            if "comment" in value:
                assert isinstance(value["comment"], str), rule
                assert value["comment"].strip(), f"{rule}: empty comment"
            assert value["status"] != "exempt" or value.get("comment"), (
                f"{rule}: exempt needs a comment"
            )
        else:
            assert value in ("done", "todo"), f"{rule}: {value!r} (exempt needs status+comment)"


def _module(name: str) -> ast.Module:
    return _source().modules[name]


def _top_function(module: str, name: str) -> FunctionNode | None:
    return next(
        (
            node
            for node in _module(module).body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
        ),
        None,
    )


def _calls_in(node: ast.AST) -> set[str]:
    return {
        name
        for child in ast.walk(node)
        if isinstance(child, ast.Call) and (name := _call_name(child)) is not None
    }


def _platform_modules() -> list[str]:
    return sorted(m for m in _source().modules if Path(m).stem in PLATFORMS and "/" not in m)


def _flow_methods() -> set[str]:
    return {m for flow in _flows().values() if "config" in flow.sections for m in flow.methods}


def _check_action_setup() -> list[str]:
    problems: list[str] = []
    for module in ["__init__.py", *_platform_modules()]:
        setup_entry = _top_function(module, "async_setup_entry")
        if setup_entry is not None and any(
            isinstance(node, ast.Call) and _registers_action(node) for node in ast.walk(setup_entry)
        ):
            problems.append(f"{module}: async_setup_entry registers actions")
    if _top_function("__init__.py", "async_setup") is None:
        problems.append("__init__.py has no async_setup to register the actions in")
    return problems


def _check_runtime_data() -> list[str]:
    setup_entry = _top_function("__init__.py", "async_setup_entry")
    if setup_entry is None:
        return ["__init__.py has no async_setup_entry"]
    entry_arg = setup_entry.args.args[1].arg
    stores = any(
        isinstance(node, ast.Attribute)
        and node.attr == "runtime_data"
        and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name)
        and node.value.id == entry_arg
        for node in ast.walk(setup_entry)
    )
    return [] if stores else ["async_setup_entry never sets entry.runtime_data"]


def _typed_entry(func: FunctionNode, position: int) -> bool:
    args = func.args.args
    if len(args) < position:
        return False
    annotation = args[position - 1].annotation
    return isinstance(annotation, ast.Name) and bool(
        re.fullmatch(r"[A-Za-z]+ConfigEntry", annotation.id)
    )


def _check_strict_typing() -> list[str]:
    problems: list[str] = []
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if not re.search(r"(?m)^strict\s*=\s*true", pyproject):
        problems.append("pyproject.toml: mypy strict is off")
    typed = {
        "__init__.py": [
            "async_setup_entry",
            "async_unload_entry",
            "async_migrate_entry",
            "async_remove_entry",
            "async_remove_config_entry_device",
        ],
        "diagnostics.py": ["async_get_config_entry_diagnostics", "async_get_device_diagnostics"],
        **{module: ["async_setup_entry"] for module in _platform_modules()},
    }
    for module, names in typed.items():
        if module not in _source().modules:
            continue
        for name in names:
            func = _top_function(module, name)
            if func is not None and not _typed_entry(func, 2):
                problems.append(f"{module}: {name} does not annotate a typed XxxConfigEntry")
    return problems


def _check_options_flow_typed() -> list[str]:
    problems: list[str] = []
    for name, (cls, module) in _source().classes.items():
        if module != "config_flow.py":
            continue
        for item in cls.body:
            if (
                isinstance(item, ast.FunctionDef)
                and item.name == "async_get_options_flow"
                and not _typed_entry(item, 1)
            ):
                problems.append(
                    f"config_flow.py:{item.lineno}: {name}.async_get_options_flow annotates "
                    "a plain ConfigEntry; hassfest (strict-typing) wants the typed entry alias"
                )
    return problems


def test_options_flow_takes_the_typed_entry() -> None:
    """hassfest's runtime-data rule (with strict-typing) wants the typed entry alias here too."""
    problems = _check_options_flow_typed()
    assert not problems, "\n".join(problems)


def test_no_reload_and_abort_with_an_update_listener() -> None:
    """Home Assistant 2026.10 warns (and 2026.12 breaks) when both reload the entry."""
    calls = _calls_in(_module("__init__.py"))
    if "add_update_listener" not in calls:
        return
    reloading = [
        _where(site, call)
        for call, site in _source().calls
        if _call_name(call) == "async_update_reload_and_abort"
    ]
    assert not reloading, (
        "the entry has an update listener, so flows must use async_update_and_abort "
        f"(the listener reloads): {reloading}"
    )


def _check_test_before_setup() -> list[str]:
    setup_entry = _top_function("__init__.py", "async_setup_entry")
    if setup_entry is None:
        return ["__init__.py has no async_setup_entry"]
    if "async_config_entry_first_refresh" in _calls_in(setup_entry):
        return []
    valid = {"ConfigEntryNotReady", "ConfigEntryAuthFailed", "ConfigEntryError"}
    for tree in _source().modules.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(exc, ast.Name) and exc.id in valid:
                    return []
    return [f"setup neither refreshes a coordinator first nor raises one of {sorted(valid)}"]


def _check_unique_config_entry() -> list[str]:
    if _manifest().get("single_config_entry"):
        return []
    calls = _calls_in(_module("config_flow.py"))
    if (
        "_async_abort_entries_match" in calls
        or {
            "async_set_unique_id",
            "_abort_if_unique_id_configured",
        }
        <= calls
    ):
        return []
    return ["the config flow does not stop a second entry for the same account"]


def _check_config_flow() -> list[str]:
    problems: list[str] = []
    if not _manifest().get("config_flow"):
        problems.append("manifest config_flow is not true")
    if "async_step_user" not in _flow_methods():
        problems.append("the config flow has no async_step_user")
    return problems


def _check_parallel_updates() -> list[str]:
    problems: list[str] = []
    for module in _platform_modules():
        if not any(
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "PARALLEL_UPDATES" for t in node.targets)
            for node in _module(module).body
        ):
            problems.append(f"{module}: no plain `PARALLEL_UPDATES = n` (hassfest's form)")
    return problems


def _check_config_entry_unloading() -> list[str]:
    if _top_function("__init__.py", "async_unload_entry") is None:
        return ["__init__.py has no async_unload_entry"]
    return []


def _check_reauthentication_flow() -> list[str]:
    return [] if "async_step_reauth" in _flow_methods() else ["no async_step_reauth"]


def _check_reconfiguration_flow() -> list[str]:
    return [] if "async_step_reconfigure" in _flow_methods() else ["no async_step_reconfigure"]


def _check_diagnostics() -> list[str]:
    if "diagnostics.py" not in _source().modules:
        return ["no diagnostics.py"]
    if _top_function("diagnostics.py", "async_get_config_entry_diagnostics") is None:
        return ["diagnostics.py has no async_get_config_entry_diagnostics"]
    return []


def _check_has_entity_name() -> list[str]:
    for node, _ in _source().assigns:
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if (
            isinstance(target, ast.Name)
            and target.id == "_attr_has_entity_name"
            and isinstance(node.value, ast.Constant)
            and node.value.value is True
        ):
            return []
    return ["no entity class sets _attr_has_entity_name = True"]


def _check_translations_section(section: str) -> list[str]:
    return [] if _en().get(section) else [f"en.json has no {section} section"]


def _check_icon_translations() -> list[str]:
    return [] if (INTEGRATION / "icons.json").is_file() else ["no icons.json"]


def _check_brands() -> list[str]:
    return [] if (BRAND / "icon.png").is_file() else ["no brand/icon.png"]


def _check_integration_owner() -> list[str]:
    return [] if _manifest().get("codeowners") else ["no codeowners"]


def _check_async_dependency() -> list[str]:
    """The client is async: the pushover package may not use requests or urllib."""
    problems = []
    for path in sorted((INTEGRATION / "pushover").glob("*.py")):
        module = f"pushover/{path.name}"
        blocking = _imported_top_level_modules(module) & {"requests", "urllib", "urllib3", "http"}
        if blocking:
            problems.append(f"{module} imports blocking HTTP modules {sorted(blocking)}")
    return problems


def _imported_top_level_modules(module: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(_module(module)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


RULE_CHECKS = {
    "action-setup": _check_action_setup,
    "brands": _check_brands,
    "config-flow": _check_config_flow,
    "runtime-data": _check_runtime_data,
    "test-before-setup": _check_test_before_setup,
    "unique-config-entry": _check_unique_config_entry,
    "has-entity-name": _check_has_entity_name,
    "config-entry-unloading": _check_config_entry_unloading,
    "integration-owner": _check_integration_owner,
    "parallel-updates": _check_parallel_updates,
    "reauthentication-flow": _check_reauthentication_flow,
    "diagnostics": _check_diagnostics,
    "entity-translations": lambda: _check_translations_section("entity"),
    "exception-translations": lambda: _check_translations_section("exceptions"),
    "repair-issues": lambda: _check_translations_section("issues"),
    "icon-translations": _check_icon_translations,
    "reconfiguration-flow": _check_reconfiguration_flow,
    "async-dependency": _check_async_dependency,
    "strict-typing": _check_strict_typing,
}


@pytest.mark.parametrize("rule", sorted(RULE_CHECKS))
def test_done_rule_is_backed_by_the_code(rule: str) -> None:
    if rule not in _quality_scale():
        pytest.skip(f"{rule} is missing (test_quality_scale_lists_every_rule reports it)")
    if _status(rule) != "done":
        pytest.skip(f"{rule} is {_status(rule)}")
    problems = RULE_CHECKS[rule]()
    assert not problems, f"quality_scale.yaml says {rule}: done, but:\n" + "\n".join(problems)
