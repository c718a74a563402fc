"""The engine's buffers are kept between jobs of one process and unmapped once idle."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from station.erase import engine, shared_stream
from station.erase.buffer_pool import BufferPool
from station.erase.engine import PREFETCH_BUFFERS, VERIFY_WORKERS, EraseRunner, passes_for
from station.erase.jobs import EraseJob, new_job_id
from station.erase.shared_stream import PIECES_PER_DRIVE, StreamGroup

MIB = 1 << 20


def resident_kb(address: int) -> int:
    """Rss of the mapping holding `address`, from /proc/self/smaps."""
    lines = Path("/proc/self/smaps").read_text().split("\n")
    for i, line in enumerate(lines):
        bounds = line.split(" ", 1)[0]
        if "-" in bounds and not line.startswith(("Size", "Rss")):
            low, high = (int(x, 16) for x in bounds.split("-"))
            if low <= address < high:
                return next(int(f.split()[1]) for f in lines[i + 1:] if f.startswith("Rss:"))
    raise AssertionError("buffer not found in /proc/self/smaps")


def test_a_buffer_handed_back_is_taken_again_before_any_is_mapped() -> None:
    pool = BufferPool()
    first, second = pool.take(MIB, 2)
    assert pool.mapped == 2 and pool.held == 0
    pool.give([first, second])
    assert pool.held == 2 * MIB
    assert pool.take(MIB) == [second]  # the last handed back, its pages the likeliest cached
    assert pool.take(2 * MIB)[0] not in (first, second)  # another size is another buffer
    assert pool.take(MIB, 2)[0] is first and pool.mapped == 4


def test_fresh_buffers_can_have_their_memory_in_place_before_use() -> None:
    pool = BufferPool()
    [lazy] = pool.take(4 * MIB)
    [ready] = pool.take(4 * MIB, fault_in=True)
    assert resident_kb(ready.address) >= 4096 and resident_kb(lazy.address) < 4096


def test_buffers_idle_for_the_limit_are_unmapped_and_the_others_kept() -> None:
    now = [100.0]
    pool = BufferPool(idle_s=30, clock=lambda: now[0])
    old, recent = pool.take(MIB, 2)
    pool.give([old])
    now[0] += 20
    pool.give([recent])
    now[0] += 15
    assert pool.trim() == 1 and pool.take(MIB) == [recent] and pool.held == 0


def test_a_pool_without_idle_time_keeps_nothing() -> None:
    pool = BufferPool(idle_s=0)
    [buf] = pool.take(MIB)
    pool.give([buf])
    assert pool.held == 0 and pool.take(MIB)[0] is not buf and pool.mapped == 2


def test_an_idle_pool_empties_itself() -> None:
    pool = BufferPool(idle_s=0.05)
    pool.give(pool.take(MIB, 3))
    deadline = time.monotonic() + 5
    while pool.held and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pool.held == 0


def test_jobs_run_one_after_another_map_no_new_buffers(disk_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second job, and the second plan's shared stream, find the first one's buffers in the process's pool,
    and a plan whose drives have all ended holds none."""
    pool = BufferPool()
    monkeypatch.setattr(engine, "POOL", pool)
    monkeypatch.setattr(shared_stream, "POOL", pool)
    paths = []
    for i in range(2):
        paths.append(disk_dir / f"drive{i}.img")
        paths[-1].write_bytes(os.urandom(8 * MIB))

    def wipe(group: StreamGroup | None, method: str) -> None:
        for path in paths:
            job = EraseJob(new_job_id(), str(path), method, "full", passes_for(method), "clear", "overwrite")
            assert EraseRunner(job, group=group).run().erased

    for method in ("random", "zero"):
        wipe(None, method)
        mapped = pool.mapped
        wipe(None, method)
        assert pool.mapped == mapped, method
    group = StreamGroup(members=2)
    # the jobs above handed back their 2 MiB buffers (the random wipe's prefetch, the verification's): reused
    assert pool.mapped == mapped + 2 * PIECES_PER_DRIVE - max(PREFETCH_BUFFERS, 1 + 2 * VERIFY_WORKERS)
    wipe(group, "random")
    assert group.streams[0]._pieces == {} and group._spare == []
    mapped, held = pool.mapped, pool.held
    wipe(StreamGroup(members=2), "random")
    assert pool.mapped == mapped and pool.held == held
