"""Run the simulator: python -m pushover_simulator --port 8765 --seed-demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from .server import PushoverSimulator


async def _serve(port: int, seed_demo: bool) -> None:
    simulator = PushoverSimulator(port=port)
    await simulator.start()
    print(f"Pushover simulator: {simulator.base_url}  websocket: {simulator.websocket_url}")
    if seed_demo:
        for name, value in simulator.demo().items():
            print(f"  {name:22} {value}")
    sys.stdout.flush()  # visible at once even through a pipe
    try:
        await asyncio.Event().wait()
    finally:
        await simulator.stop()


def main() -> None:
    """Parse the arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(description="Pushover API simulator on loopback")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed-demo", action="store_true", help="add demo credentials")
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(arguments.port, arguments.seed_demo))


if __name__ == "__main__":
    main()
