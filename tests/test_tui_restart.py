"""An erase stopped by a power loss or kill -9 shows on the rack and restarts from the TUI, confirmed like a new one."""

from __future__ import annotations

from pathlib import Path

import pytest

from station import i18n
from station.detect.disk import Disk
from station.erase.jobs import EraseJob, JobState, Journal, Phase
from station.store.datadir import DataDir
from station.tui.screens.plan_screen import PlanScreen
from station.tui.screens.rack_screen import RackScreen, RackTable
from tests.tui_helpers import MIB, drive, make_app, run_async, status, wait_for


@pytest.fixture(autouse=True)
def english_after() -> None:
    yield
    i18n.set_language("en")


def killed_job(tmp_path: Path, disk: Disk) -> EraseJob:
    """What a kill -9 mid-pass leaves in the journal: RUNNING, half written, from a process that is gone."""
    journal = Journal(DataDir(tmp_path / "data", "option").ensure().jobs)
    job = EraseJob(job_id="20250314T101500Z-deadbeef", target=disk.devnode, method="zero", verify="full",
                   passes=["zero"], nist_category="clear", technique="overwrite", disk=disk,
                   state=JobState.RUNNING, phase=Phase.WRITING, started="2025-03-14T10:15:00+00:00",
                   bytes_total=disk.size_bytes, bytes_done=disk.size_bytes // 2, pid=None, boot_id="gone")
    journal.save(job)
    return job


def rack_ready(app, n: int):  # type: ignore[no-untyped-def]
    return lambda: isinstance(app.screen, RackScreen) and app.screen.query_one(RackTable).row_count == n


@run_async
async def test_interrupted_job_is_shown_and_restarts_to_erased(tmp_path: Path) -> None:
    disk = drive(tmp_path / "sdb", "WD-WCC2EVL93847", "WDC WD5000AAKX", bay="1")
    other = drive(tmp_path / "sdc", "S2R5NX0J418272", "SAMSUNG MZ7LN256", bay="2")
    old = killed_job(tmp_path, disk)
    app, _source, session = make_app(tmp_path, [disk, other])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: rack_ready(app, 2)() and app.rack.rows[disk.devnode].interrupted is not None)
        assert status(app, disk.devnode).startswith("INTERRUPTED")
        assert status(app, other.devnode) == "ready"
        assert session.journal.load(old.job_id).state is JobState.INTERRUPTED
        detail = app.screen.query_one("#detail").render()
        assert "interrupted" in str(detail) and "press r" in str(detail).lower()

        await pilot.press("r")  # the restart goes through the plan and the typed confirmation
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None)
        plan = app.screen.plan
        assert plan is not None and [a.target for a in plan.runnable] == [disk.devnode]
        await pilot.press("m")  # a restart keeps the interrupted job's method
        assert app.screen.method == "zero"
        await pilot.press("9", "enter")  # a wrong number confirms nothing
        assert isinstance(app.screen, PlanScreen)
        assert Path(disk.devnode).read_bytes()[:16] == b"\xa5" * 16
        await pilot.press("1", "enter")
        await wait_for(pilot, lambda: app.rack.rows[disk.devnode].outcome is not None)
        assert status(app, disk.devnode).startswith("ERASED")
        assert Path(disk.devnode).read_bytes() == b"\0" * (2 * MIB)
        assert Path(other.devnode).read_bytes()[:16] == b"\xa5" * 16  # only the restarted drive was written
    [outcome] = app.outcomes
    assert outcome.job.erased and outcome.job.restart_of == old.job_id and outcome.certificate is not None
    assert session.restartable() == []  # restarted once: no longer offered


@run_async
async def test_restart_of_a_protected_drive_is_refused(tmp_path: Path) -> None:
    disk = drive(tmp_path / "sdb", "4C530001230101117423", "SanDisk Cruzer", protected=True)
    killed_job(tmp_path, disk)
    app, _source, session = make_app(tmp_path, [disk])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: rack_ready(app, 1)() and app.rack.rows[disk.devnode].interrupted is not None)
        assert status(app, disk.devnode) == "LOCKED"
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None)
        plan = app.screen.plan
        assert plan is not None and plan.runnable == [] and "booted from" in (plan.refused[0].refusal or "")
        await pilot.press("1", "enter")
        assert isinstance(app.screen, PlanScreen)  # nothing to confirm
    assert Path(disk.devnode).read_bytes()[:16] == b"\xa5" * 16
    assert [j.state for j in session.journal.all()] == [JobState.INTERRUPTED]


@run_async
async def test_r_without_an_interrupted_job_does_nothing(tmp_path: Path) -> None:
    disk = drive(tmp_path / "sdb", "WD-WCC2EVL93847", "WDC WD5000AAKX")
    app, _source, _session = make_app(tmp_path, [disk])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, rack_ready(app, 1))
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RackScreen)
        assert "No interrupted erase" in str(app.screen.query_one("#message").render())


@run_async
async def test_restart_of_a_drive_replaced_in_its_place_is_refused_with_the_reason(tmp_path: Path) -> None:
    """The job's drive left; another drive now answers at its device node: r shows why nothing restarts."""
    gone = drive(tmp_path / "sdb", "WD-WCC2EVL93847", "WDC WD5000AAKX", create=False)
    newcomer = drive(tmp_path / "sdb", "S2R5NX0J418272", "SAMSUNG MZ7LN256")
    killed_job(tmp_path, gone)
    app, _source, session = make_app(tmp_path, [newcomer])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: rack_ready(app, 1)() and app.rack.rows[newcomer.devnode].interrupted is not None)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen)
                       and "Cannot plan" in str(app.screen.query_one("#plan-text").render()))
        text = str(app.screen.query_one("#plan-text").render())
        assert "now holds another drive (serial S2R5NX0J418272" in text and "WD-WCC2EVL93847" in text
        assert app.screen.plan is None
        await pilot.press("1", "enter")
        assert isinstance(app.screen, PlanScreen)  # nothing to confirm
    assert Path(newcomer.devnode).read_bytes()[:16] == b"\xa5" * 16
    assert [j.state for j in session.journal.all()] == [JobState.INTERRUPTED]
