"""An append-only file of JSON records: what an append wrote is on disk when it returns.

Appends made while a write is under way are written together in the next one (group
commit), so a burst of a thousand appends costs a handful of writes. The file work runs in
a thread of its own, not in a shared executor: while Home Assistant stops, its executor
may take no new work (seen: a mark waited 20 s), and the last marks must reach the disk.
"""

import asyncio
from collections.abc import Callable
from functools import partial
import json
import logging
import os
from pathlib import Path
import threading
from typing import Any, NamedTuple

_LOGGER = logging.getLogger(__name__)
THREAD_NAME = "pushover_plus_journal"

type Record = dict[str, Any]


class _Job(NamedTuple):
    """Lines to append, or (``rewrite``) the whole new content of the file."""

    lines: list[str]
    rewrite: bool
    sync: bool


class Journal:
    """Records appended to one file; ``rewrite`` replaces them all atomically."""

    def __init__(self, path: Path) -> None:
        """Bind the journal to its file."""
        self.path = path
        self._jobs: list[_Job] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._writer: asyncio.Task[None] | None = None
        self.writes = 0  # batches written, for tests and the benchmark

    async def async_load(self) -> list[Record]:
        """Return the records on disk; a line cut off by a crash mid-write is skipped."""
        records: list[Record] = await self._run(self._read)
        return records

    def _read(self) -> list[Record]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        records: list[Record] = []
        for number, line in enumerate(text.splitlines(), 1):
            try:
                record = json.loads(line)
            except ValueError:
                _LOGGER.warning("Skipping an unreadable line %s of %s", number, self.path.name)
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    @staticmethod
    async def _run[T](job: Callable[[], T]) -> T:
        """Run file work in a thread of its own; return its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def work() -> None:
            try:
                result = job()
            except Exception as err:  # noqa: BLE001 - handed to the caller, never lost
                loop.call_soon_threadsafe(_settle, future, None, err)
            else:
                loop.call_soon_threadsafe(_settle, future, result, None)

        thread = threading.Thread(target=work, name=THREAD_NAME, daemon=True)
        thread.start()
        try:
            return await future
        finally:
            if not future.cancelled():  # canceled: the file work ends on its own
                thread.join()  # it settled the future and ends at once

    async def async_append(self, *records: Record, sync: bool = True) -> None:
        """Append records; return once they are written (and fsynced when ``sync``)."""
        await self._submit(_Job([_encode(record) for record in records], False, sync))

    async def async_rewrite(self, records: list[Record]) -> None:
        """Replace the file by ``records`` (removed when there are none)."""
        await self._submit(_Job([_encode(record) for record in records], True, True))

    async def _submit(self, job: _Job) -> None:
        future = asyncio.get_running_loop().create_future()
        self._jobs.append(job)
        self._waiters.append(future)
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._async_write_all())
        await asyncio.shield(future)

    async def _async_write_all(self) -> None:
        """Write what is waiting, in batches, until nothing is."""
        try:
            while self._jobs:
                jobs, waiters = self._jobs, self._waiters
                self._jobs, self._waiters = [], []
                try:
                    await self._run(partial(self._write, jobs))
                except OSError as err:
                    for waiter in waiters:
                        waiter.set_exception(err)
                    continue
                self.writes += 1
                for waiter in waiters:
                    waiter.set_result(None)
        finally:
            self._writer = None

    def _write(self, jobs: list[_Job]) -> None:
        """Apply the jobs in order: appends merged, a rewrite through a renamed temp file."""
        pending: list[str] = []
        sync = False
        for job in jobs:
            if job.rewrite:
                pending, sync = [], False
                self._replace(job.lines)
                continue
            pending.extend(job.lines)
            sync = sync or job.sync
        if pending:
            self._append(pending, sync)

    def _append(self, lines: list[str], sync: bool) -> None:
        created = not self.path.exists()
        if created:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as file:
            file.write("".join(f"{line}\n" for line in lines))
            file.flush()
            if sync:
                os.fsync(file.fileno())
        if created:
            _sync_directory(self.path.parent)

    def _replace(self, lines: list[str]) -> None:
        if not lines:
            self.path.unlink(missing_ok=True)
            return
        temporary = self.path.with_name(f"{self.path.name}.tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("w", encoding="utf-8") as file:
            file.write("".join(f"{line}\n" for line in lines))
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(self.path)
        _sync_directory(self.path.parent)


def _settle[T](future: asyncio.Future[T], result: T | None, error: Exception | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]


def _encode(record: Record) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def _sync_directory(directory: Path) -> None:
    """Make a file's creation or rename durable (its directory entry)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
