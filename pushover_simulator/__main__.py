"""Run the simulator: python -m pushover_simulator --port 8765 --seed-demo [--state FILE]."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import signal
import sys
from typing import Any

from .server import PushoverSimulator


async def _serve(port: int, seed_demo: bool, restore: dict[str, Any]) -> dict[str, Any]:
    """Serve until SIGINT or SIGTERM; return the Open Client state to keep."""
    simulator = PushoverSimulator(port=port)
    await simulator.start()
    print(f"Pushover simulator: {simulator.base_url}  websocket: {simulator.websocket_url}")
    if seed_demo:
        for name, value in simulator.demo().items():
            print(f"  {name:22} {value}")
    if restore:
        simulator.restore_open_client_state(restore)
        print("  Open Client logins and devices taken back from the state file")
    root = simulator.base_url.removesuffix("/1/")
    print("  acknowledge the newest emergency alert (as the phone would):")
    print(f"    curl -X POST {root}/sim/receipts/latest/acknowledge")
    sys.stdout.flush()  # visible at once even through a pipe
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await simulator.stop()
    return simulator.open_client_state()


def main() -> None:
    """Parse the arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(description="Pushover API simulator on loopback")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--seed-demo", action="store_true", help="add demo credentials (the same on every start)"
    )
    parser.add_argument(
        "--state", type=Path, help="keep Open Client logins and devices in this file"
    )
    arguments = parser.parse_args()
    state: Path | None = arguments.state
    restore = json.loads(state.read_text(encoding="utf-8")) if state and state.exists() else {}
    kept = asyncio.run(_serve(arguments.port, arguments.seed_demo, restore))
    if state is not None:
        state.write_text(json.dumps(kept, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
