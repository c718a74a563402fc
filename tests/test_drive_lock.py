"""One erase per drive across processes (issue 15): busy is shown, a second wipe is refused with the reason,
and the lock goes with its holder, after the job and after a kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from station.detect import drivelock
from station.detect.drivelock import DriveBusyError, DriveLock
from station.erase import plan as planning
from station.erase.engine import EraseRunner, passes_for
from station.erase.jobs import EraseJob, JobState, new_job_id
from station.hw import Host
from station.session import Session
from station.store.datadir import DataDir
from station.tui.screens.rack_screen import RackScreen, RackTable
from tests.skips import needs_root
from tests.tui_helpers import drive, make_app, run_async, status, wait_for

MIB = 1 << 20
HOLD = ("import sys, time\n"
        "from station.detect.drivelock import DriveLock\n"
        "DriveLock(sys.argv[1], sys.argv[2]).acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(600)\n")


def wait_until(condition: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not met within {timeout} s")
        time.sleep(0.1)


@pytest.fixture
def holder_process(tmp_path: Path) -> Iterator[Callable[[Path, str], subprocess.Popen[str]]]:
    """Another process holding a drive's lock, as a wipe in another terminal does; killed after the test."""
    started: list[subprocess.Popen[str]] = []

    def start(target: Path, job_id: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, "-c", HOLD, str(target), job_id], stdout=subprocess.PIPE, text=True)
        started.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_a_second_lock_on_the_same_drive_is_refused_even_in_one_process(tmp_path: Path) -> None:
    target = tmp_path / "drive.img"
    target.write_bytes(b"\xa5" * MIB)
    alias = tmp_path / "alias"
    alias.symlink_to(target)  # another name for the same drive: the lock goes by what the kernel opens
    with DriveLock(str(target), "JOB-A"):
        with pytest.raises(DriveBusyError) as refused:
            DriveLock(str(alias), "JOB-B").acquire()
        assert refused.value.holder.pid == os.getpid() and refused.value.holder.job_id == "JOB-A"
        assert "another Station process is erasing this drive" in str(refused.value)
    with DriveLock(str(alias), "JOB-B"):  # released with the job: free again
        pass


def test_busy_is_read_without_taking_the_lock_and_goes_with_a_killed_holder(
        tmp_path: Path, holder_process: Callable[[Path, str], subprocess.Popen[str]]) -> None:
    target = tmp_path / "drive.img"
    target.write_bytes(b"\xa5" * MIB)
    disk = planning.file_disk(str(target))
    assert drivelock.holder_of(Host(), disk) is None
    proc = holder_process(target, "JOB-OTHER")
    holder = drivelock.holder_of(Host(), disk)
    assert holder is not None and holder.pid == proc.pid and holder.job_id == "JOB-OTHER" and holder.since
    assert drivelock.holder_of(Host(), disk) == holder  # asking again still finds it: asking took nothing
    with pytest.raises(DriveBusyError) as refused:
        DriveLock(str(target)).acquire()
    assert refused.value.holder.pid == proc.pid
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert drivelock.holder_of(Host(), disk) is None  # no stale lock after a kill -9
    with DriveLock(str(target)):
        pass


def test_a_recorded_profile_shows_no_live_lock(tmp_path: Path,
                                               holder_process: Callable[[Path, str], subprocess.Popen[str]]) -> None:
    target = tmp_path / "drive.img"
    target.write_bytes(b"\xa5" * MIB)
    holder_process(target, "JOB-OTHER")
    recorded = Host(root=tmp_path / "profile")
    assert drivelock.holder_of(recorded, planning.file_disk(str(target))) is None


def test_the_plan_and_the_engine_refuse_a_drive_another_process_erases(
        tmp_path: Path, holder_process: Callable[[Path, str], subprocess.Popen[str]]) -> None:
    target = tmp_path / "drive.img"
    target.write_bytes(b"\xa5" * MIB)
    proc = holder_process(target, "JOB-OTHER")
    session = Session(DataDir(tmp_path / "data", "option").ensure())
    plan = session.plan(session.resolve([str(target)]), "zero", "full")
    assert plan.runnable == []
    [refused] = plan.refused
    assert refused.refusal is not None and f"pid {proc.pid}" in refused.refusal and "JOB-OTHER" in refused.refusal
    assert session.busy_elsewhere([refused.disk])[str(target)].pid == proc.pid
    # planned before the other process started: the engine takes the lock itself and refuses
    job = EraseRunner(EraseJob(new_job_id(), str(target), "zero", "full", passes_for("zero"), "clear",
                               "overwrite")).run()
    assert job.state is JobState.FAILED
    assert (job.failure or "").startswith(f"refused: another Station process is erasing this drive (pid {proc.pid}")
    assert target.read_bytes() == b"\xa5" * MIB


def test_the_lock_is_released_when_the_job_ends(tmp_path: Path) -> None:
    target = tmp_path / "drive.img"
    target.write_bytes(b"\xa5" * MIB)
    disk = planning.file_disk(str(target))
    seen: list[object] = []

    def progress(_p: object) -> None:
        if not seen:
            seen.append(drivelock.holder_of(Host(), disk))

    job = EraseRunner(EraseJob("JOB-SELF", str(target), "zero", "full", passes_for("zero"), "clear", "overwrite"),
                      on_progress=progress).run()
    assert job.erased
    held = seen[0]
    assert isinstance(held, drivelock.Holder) and held.pid == os.getpid() and held.job_id == "JOB-SELF"
    assert drivelock.holder_of(Host(), disk) is None


# --- real block devices, real processes (root) -------------------------------------------------------------

def station(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "station.cli", "--lang", "en", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=300, check=False)


def busy_of(data: Path, dev: str) -> dict[str, object] | None:
    listed = station(data, "drives", "--all-loops", "--no-smartctl", "--json")
    assert listed.returncode == 0, listed.stderr
    [disk] = [d for d in json.loads(listed.stdout)["disks"] if d["devnode"] == dev]
    busy = disk["busy"]
    assert busy is None or isinstance(busy, dict)
    return busy


@pytest.fixture
def loop(disk_dir: Path) -> Iterator[tuple[str, Path]]:
    backing = disk_dir / "loop.img"
    backing.write_bytes(os.urandom(16 * MIB))
    dev = subprocess.run(["losetup", "--find", "--show", str(backing)], check=True, capture_output=True,
                         text=True).stdout.strip()
    try:
        yield dev, backing
    finally:
        subprocess.run(["losetup", "-d", dev], capture_output=True, check=False)


@needs_root()
def test_a_wipe_in_another_terminal_shows_busy_refuses_a_second_and_dies_without_a_stale_lock(
        loop: tuple[str, Path], disk_dir: Path) -> None:
    dev, backing = loop
    data = disk_dir / "data"
    first = subprocess.Popen([sys.executable, "-m", "station.cli", "--lang", "en", "--data-dir", str(data), "wipe",
                              dev, "--method", "zero", "--yes", "--throttle", "0.25"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: busy_of(data, dev) is not None, what=f"{dev} shown busy")
        busy = busy_of(data, dev)
        assert busy is not None and busy["pid"] == first.pid
        assert "another Station process is erasing this drive" in str(busy["reason"])
        text = station(data, "drives", "--all-loops", "--no-smartctl")
        assert f"BUSY: another Station process is erasing this drive (pid {first.pid}" in text.stdout

        second = station(data, "wipe", dev, "--method", "zero", "--yes")
        assert second.returncode == 2, second.stderr
        assert "REFUSED" in second.stderr and f"pid {first.pid}" in second.stderr
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    assert busy_of(data, dev) is None  # the kernel dropped the lock with the killed process
    third = station(data, "wipe", dev, "--method", "zero", "--yes")
    assert third.returncode == 0, third.stderr
    assert backing.read_bytes() == bytes(16 * MIB)
    assert busy_of(data, dev) is None  # and again after a job that ended normally


@run_async
async def test_the_tui_shows_a_drive_another_process_erases_and_will_not_select_it(
        tmp_path: Path, holder_process: Callable[[Path, str], subprocess.Popen[str]]) -> None:
    busy, free = drive(tmp_path / "sdb", "WD-WCC2EVL93847", "WDC WD5000AAKX"), drive(tmp_path / "sdc",
                                                                                    "S2R5NX0J418272", "SAMSUNG")
    app, _source, _session = make_app(tmp_path, [busy, free])
    app.busy_poll = 0.1
    proc = holder_process(Path(busy.devnode), "JOB-CLI")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: busy.devnode in app.rack.rows and status(app, busy.devnode).startswith("BUSY"))
        assert status(app, busy.devnode) == f"BUSY pid {proc.pid}"
        assert status(app, free.devnode) == "ready"
        app.screen.query_one(RackTable).move_cursor(app.screen.query_one(RackTable).keys.index(busy.devnode))
        await pilot.press("space")
        assert not app.rack.rows[busy.devnode].selected
        message = str(app.screen.query_one("#message").render())
        assert f"pid {proc.pid}" in message and "JOB-CLI" in message
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, RackScreen)  # no plan for a drive being erased elsewhere
        proc.kill()
        proc.wait(10)
        await wait_for(pilot, lambda: status(app, busy.devnode) == "ready")
        await pilot.press("space")
        assert app.rack.rows[busy.devnode].selected
    assert Path(busy.devnode).read_bytes()[:16] == b"\xa5" * 16
