"""The integration's modules import each other without a cycle (TYPE_CHECKING aside)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
import json
from pathlib import Path
import subprocess
import sys

import pytest

import custom_components.pushover_plus as integration

INTEGRATION = Path(integration.__file__).parent


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> list[ast.ImportFrom]:
    """Every relative import outside ``if TYPE_CHECKING:`` blocks, at any depth."""
    found: list[ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.ImportFrom) and child.level:
                found.append(child)
            visit(child)

    visit(tree)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Map each module of the package at ``root`` ("" for itself) to those it imports."""
    paths = {_module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        base = package.split(".") if package else []
        targets: set[str] = set()
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            parent = base[: len(base) - (node.level - 1)]
            module = ".".join([*parent, *([node.module] if node.module else [])])
            targets.add(module)
            targets.update(".".join(filter(None, [module, alias.name])) for alias in node.names)
        graph[name] = {target for target in targets if target in paths and target != name}
    return graph


def test_the_integration_has_no_import_cycle() -> None:
    graph = import_graph(INTEGRATION)
    assert {"", "data", "coordinator", "pushover", "pushover.client"} <= graph.keys()
    assert "pushover.client" in graph["pushover"]  # the package's names come from its modules
    order = list(TopologicalSorter(graph).static_order())  # raises CycleError on a cycle
    assert order.index("data") < order.index("")


def test_the_runtime_data_and_the_setup_depend_on_no_hub() -> None:
    graph = import_graph(INTEGRATION)
    assert graph["data"] == set()  # its own imports are for type checking only
    flows = {"config_flow", "options_flow", "subentry_flow", "flow_helpers"}
    assert flows <= graph.keys()
    assert not flows & graph[""]  # the setup needs none of the flows
    assert {"options_flow", "subentry_flow"} <= graph["config_flow"]  # reached through it


def test_a_cycle_is_found(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("from .a import A\n")
    (tmp_path / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\nA = 1\n"
    )
    (tmp_path / "b.py").write_text("def f():\n    from . import a\n")
    graph = import_graph(tmp_path)
    assert graph == {"": {"a"}, "a": set(), "b": {"", "a"}}  # "from . import" runs __init__
    (tmp_path / "a.py").write_text("from .b import f\nA = 1\n")
    with pytest.raises(CycleError):
        list(TopologicalSorter(import_graph(tmp_path)).static_order())


LOADED_BY_HOME_ASSISTANT = """
import importlib, json, sys
package = "custom_components.pushover_plus"
for name in ("", ".config_flow", ".diagnostics", ".repairs", ".event", ".notify", ".sensor",
             ".switch"):
    importlib.import_module(package + name)
print(json.dumps(sorted(name for name in sys.modules if name.startswith(package + "."))))
"""


def test_what_home_assistant_loads_leaves_the_receiver_and_legacy_code_out() -> None:
    """The package, its preloaded platforms and its entity platforms, in a fresh interpreter.

    The receiver (Open Client device) and the legacy notify action are loaded by the setup
    of an entry that uses them (tests/test_receiver.py, tests/test_legacy.py).
    """
    output = subprocess.run(
        [sys.executable, "-c", LOADED_BY_HOME_ASSISTANT],
        cwd=INTEGRATION.parent.parent,
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    ).stdout
    loaded = {name.rpartition(".")[2] for name in json.loads(output)}
    assert {"sender", "outbox", "sensor", "config_flow", "client"} <= loaded
    assert not {"receiver", "legacy"} & loaded
