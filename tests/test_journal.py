"""The journal: appends are on disk when they return, group-committed, crash-tolerant."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from custom_components.pushover_plus.journal import Journal


async def test_appends_are_on_disk_when_they_return(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "queue.jsonl")
    await journal.async_append({"hold": 1})
    assert (tmp_path / "queue.jsonl").read_text() == '{"hold":1}\n'
    await journal.async_append({"done": 1}, {"hold": 2}, sync=False)
    assert await Journal(tmp_path / "queue.jsonl").async_load() == [
        {"hold": 1},
        {"done": 1},
        {"hold": 2},
    ]


async def test_a_burst_of_appends_costs_a_handful_of_writes(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "queue.jsonl")
    await asyncio.gather(*(journal.async_append({"hold": number}) for number in range(1000)))
    records = await journal.async_load()
    assert [record["hold"] for record in records] == list(range(1000))
    assert journal.writes <= 5


async def test_a_line_cut_off_by_a_crash_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "queue.jsonl"
    path.write_text('{"hold":1}\n{"hold":2}\n{"ho', encoding="utf-8")
    journal = Journal(path)
    assert await journal.async_load() == [{"hold": 1}, {"hold": 2}]
    assert "unreadable line 3" in caplog.text
    path.write_text('{"hold":1}\n[1]\n', encoding="utf-8")  # not a record
    assert await journal.async_load() == [{"hold": 1}]


async def test_rewrite_replaces_everything_and_nothing_removes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "storage" / "queue.jsonl"  # the folder is made when needed
    journal = Journal(path)
    assert await journal.async_load() == []
    await journal.async_append({"hold": 1}, {"hold": 2})
    await journal.async_rewrite([{"hold": 2}])
    assert await journal.async_load() == [{"hold": 2}]
    assert not path.with_name("queue.jsonl.tmp").exists()
    await journal.async_rewrite([])
    assert not path.exists()
    await journal.async_rewrite([{"hold": 3}])
    assert await journal.async_load() == [{"hold": 3}]


async def test_appends_after_a_rewrite_follow_it(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "queue.jsonl")
    await asyncio.gather(
        journal.async_append({"hold": 1}),
        journal.async_rewrite([{"hold": 2}]),
        journal.async_append({"hold": 3}),
    )
    assert await journal.async_load() == [{"hold": 2}, {"hold": 3}]


async def test_a_failed_write_is_raised_to_every_caller_of_that_batch(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    journal = Journal(blocker / "queue.jsonl")  # its folder is a file
    results = await asyncio.gather(
        journal.async_append({"hold": 1}), journal.async_append({"hold": 2}), return_exceptions=True
    )
    assert all(isinstance(result, OSError) for result in results)
    journal.path = tmp_path / "queue.jsonl"  # the next batch goes through again
    await journal.async_append({"hold": 3})
    assert await journal.async_load() == [{"hold": 3}]


async def test_any_error_of_the_file_work_reaches_the_caller() -> None:
    def broken() -> None:
        raise UnicodeError("not text")  # not an OSError: it must not leave the caller waiting

    with pytest.raises(UnicodeError):
        await asyncio.wait_for(Journal._run(broken), 5)
