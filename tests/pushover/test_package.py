"""The client package stands alone: nothing in it imports Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path

import custom_components.pushover_plus.pushover as package

PACKAGE = Path(package.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every absolute module a file imports, anywhere in it."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def relative_imports_leave_the_package(path: Path) -> bool:
    """Whether a relative import climbs out of the package (``from ..x import``)."""
    return any(
        isinstance(node, ast.ImportFrom) and node.level > 1
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
    )


def test_the_package_imports_nothing_of_home_assistant() -> None:
    files = sorted(PACKAGE.glob("*.py"))
    assert {file.name for file in files} >= {
        "__init__.py",
        "client.py",
        "exceptions.py",
        "management.py",
        "models.py",
        "open_client.py",
        "parsing.py",
        "transport.py",
        "validation.py",
    }
    offenders = {
        file.name: sorted(
            module
            for module in imported_modules(file)
            if module.split(".")[0] in ("homeassistant", "custom_components")
        )
        for file in files
    }
    assert {name: found for name, found in offenders.items() if found} == {}
    assert [file.name for file in files if relative_imports_leave_the_package(file)] == []


def test_the_scan_sees_a_home_assistant_import(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text("def f():\n    from homeassistant.core import HomeAssistant\n")
    assert "homeassistant.core" in imported_modules(module)
    module.write_text("from ..const import DOMAIN\n")
    assert relative_imports_leave_the_package(module)


def test_the_package_is_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()
