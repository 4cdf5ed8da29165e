"""Benchmark: the warm import counted in machine instructions, which no other load disturbs.

Run from the repository root (needs valgrind, `apt-get install valgrind`; about 4 minutes):

    .venv/bin/python benchmarks/import_instructions.py

The same warm import as benchmarks/send.py (importtime.py: a fresh interpreter, bytecode
cached, every module from elsewhere loaded first) runs under valgrind's callgrind twice per
integration, once importing its modules and once not: the difference is the import alone.
The count repeats from run to run (hash seed fixed) where milliseconds on a shared machine
spread by a third, so two versions compare by running this file in both checkouts.
"""

import asyncio
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.importtime import TIMED_IMPORT, compile_package, import_targets, preload_list

ENVIRONMENT = {
    **{key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONHASHSEED": "0",
}


def instructions(modules: list[str], package: str, preload: list[str]) -> int:
    """Return the instructions callgrind counts in one fresh interpreter's run."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder, "callgrind.out")
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={output}",
                "-q",
                sys.executable,
                "-c",
                TIMED_IMPORT,
                json.dumps([modules, package, preload]),
            ],
            env=ENVIRONMENT,
            check=True,
            capture_output=True,
        )
        for line in output.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("callgrind wrote no total")


def import_instructions(modules: list[str]) -> int:
    """Return the instructions of the warm import of modules (their package first)."""
    compile_package(modules[0])
    preload = asyncio.run(preload_list(modules))
    return instructions(modules, modules[0], preload) - instructions([], modules[0], preload)


def main() -> None:
    """Count and print each target's warm import."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    counts = {name: import_instructions(modules) for name, modules in import_targets().items()}
    core = counts["core pushover"]
    print("warm import (package, config flow, platforms), instructions counted by callgrind:")
    for name, count in counts.items():
        print(f"  {name:<18} {count / 1e6:6.1f} M   x {count / core:.1f} core pushover")


if __name__ == "__main__":
    main()
