"""Warm import time of an integration, each run in a fresh interpreter, bytecode cached.

Each run first imports every module outside the integration that importing the integration
brings in (Home Assistant, aiohttp, its libraries), then times only the integration's own
modules: the package, its config flow and the platforms Home Assistant loads for it. The
packages are compiled once before (py_compile writes even under PYTHONDONTWRITEBYTECODE,
which only keeps imports from writing: the shared environment is left as it is), and each
run checks that every timed module has bytecode matching its source, so the figure is never
a compile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
import compileall
import importlib.util
import json
from pathlib import Path
import sys

# Runs in the fresh interpreter: preload the others, then time the integration's modules.
TIMED_IMPORT = """
import importlib, importlib.util, json, os, sys, time
modules, package, preload = json.loads(sys.argv[1])
if preload is None:
    for name in modules:
        importlib.import_module(name)
    print(json.dumps([  # real modules only: an alias (voluptuous: probatio) comes with its own
        name for name, module in sys.modules.items()
        if getattr(module, "__name__", None) == name
        and name != package and not name.startswith(package + ".")
    ]))
    raise SystemExit
for name in preload:
    try:
        importlib.import_module(name)
    except Exception:
        pass
started = time.perf_counter()
for name in modules:
    importlib.import_module(name)
seconds = time.perf_counter() - started
timed = [m for m in sys.modules if m == package or m.startswith(package + ".")]

def cached(module):
    spec = sys.modules[module].__spec__
    try:
        header = open(spec.cached, "rb").read(16)
    except OSError:
        return False
    source = os.stat(spec.origin)
    return header[:4] == importlib.util.MAGIC_NUMBER and header[8:16] == (
        (int(source.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
        + (source.st_size & 0xFFFFFFFF).to_bytes(4, "little"))

missing = [m for m in timed if not cached(m)]
print(json.dumps({"seconds": seconds, "modules": len(timed), "uncached": missing}))
"""


def existing_modules(package: str, names: Sequence[str]) -> list[str]:
    """Return the package and those of its submodules (by short name) that exist."""
    spec = importlib.util.find_spec(package)
    assert spec is not None
    assert spec.submodule_search_locations is not None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return [package] + [f"{package}.{name}" for name in names if (folder / f"{name}.py").exists()]


def import_targets() -> dict[str, list[str]]:
    """Return what the benchmarks time: name → the modules Home Assistant imports for it.

    Pushover Plus: the package, the platforms Home Assistant preloads (config flow,
    diagnostics, repairs) and its entity platforms; then also the modules the setup of a
    receiver entry or of an entry with the legacy notify option loads; core pushover.
    """
    plus = existing_modules(
        "custom_components.pushover_plus",
        ("config_flow", "diagnostics", "repairs", "event", "notify", "sensor", "switch"),
    )
    on_demand = existing_modules("custom_components.pushover_plus", ("receiver", "legacy"))
    return {
        "Pushover Plus": plus,
        "+ receiver, legacy": [*plus, *on_demand[1:]],
        "core pushover": existing_modules(
            "homeassistant.components.pushover", ("config_flow", "notify")
        ),
    }


async def _run(modules: list[str], package: str, preload: list[str] | None) -> object:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        TIMED_IMPORT,
        json.dumps([modules, package, preload]),
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output
    return json.loads(output)


def compile_package(package: str) -> None:
    """Write the bytecode of every module of the package (so no timed import compiles)."""
    spec = importlib.util.find_spec(package)
    assert spec is not None
    assert spec.submodule_search_locations is not None
    for folder in spec.submodule_search_locations:
        compileall.compile_dir(folder, quiet=1)


async def preload_list(modules: list[str]) -> list[str]:
    """Return the modules from elsewhere that importing modules (a package first) brings in."""
    listed = await _run(modules, modules[0], None)
    assert isinstance(listed, list)
    return listed


async def import_times(targets: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Time runs warm imports of each target (name: its modules), interleaved; in seconds."""
    preloads: dict[str, list[str]] = {}
    for name, modules in targets.items():
        compile_package(modules[0])
        preloads[name] = await preload_list(modules)
    seconds: dict[str, list[float]] = {name: [] for name in targets}
    for run in range(runs + 1):  # the first run only warms the disk cache
        for name, modules in targets.items():
            result = await _run(modules, modules[0], preloads[name])
            assert isinstance(result, dict), result
            assert not result["uncached"], f"imported without bytecode: {result['uncached']}"
            if run:
                seconds[name].append(result["seconds"])
    return seconds
