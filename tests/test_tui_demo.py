"""The demo rack: fenced to its directory, scripted faults, and the whole TUI flow on it."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from station.demo import BOOT_KEY, DemoBoundaryError, DemoRack, demo_drives
from station.detect.hotplug import DiskAdded
from station.session import Session
from station.store import config
from station.store.datadir import DataDir
from station.tui import StationApp
from station.tui.screens.plan_screen import PlanScreen
from station.tui.screens.rack_screen import RackScreen
from tests.tui_helpers import run_async, status, wait_for


def test_demo_drives_cover_the_scripted_cases() -> None:
    drives = demo_drives(6)
    faults = [d.fault for d in drives]
    assert faults.count("io-error") == faults.count("unplug") == faults.count("late") == 1
    assert [d for d in drives if d.protections] == [BOOT_KEY]
    assert len([d for d in drives if d.fault != "late" and not d.protections]) == 6
    assert len({d.name for d in demo_drives(20)}) == 22  # extra drives get distinct names
    assert any(not d.serial.trusted for d in drives)  # the USB bridge hiding the drive's serial


def test_opener_only_opens_files_inside_the_demo(tmp_path: Path) -> None:
    rack = DemoRack(tmp_path / "demo", demo_drives(1), speed_mbs=1000)
    outside = tmp_path / "precious.img"
    outside.write_bytes(b"keep" * 1024)
    evil = rack.root / "drives" / "evil"
    os.symlink(outside, evil)
    opener = rack.opener()
    for path in (str(outside), str(evil), "/etc/hostname", str(rack.root / ".." / "precious.img")):
        with pytest.raises(DemoBoundaryError):
            opener(path)
    target = opener(rack.path(rack.drives[1]))
    assert target.size == rack.drives[1].size_mib << 20
    target.close()
    assert outside.read_bytes() == b"keep" * 1024


def test_late_drive_is_plugged_in_by_the_script(tmp_path: Path) -> None:
    rack = DemoRack(tmp_path / "demo", demo_drives(1), late_after_s=0.05)
    late = next(d for d in rack.drives if d.fault == "late")
    assert not Path(rack.path(late)).exists()
    got: list[object] = []
    arrived = threading.Event()

    def sink(event: object) -> None:
        got.append(event)
        arrived.set()

    rack.source.start(sink)
    assert arrived.wait(5)
    rack.source.stop()
    assert isinstance(got[0], DiskAdded) and got[0].disk.devnode == rack.path(late)
    assert Path(rack.path(late)).stat().st_size == late.size_mib << 20


@run_async
async def test_whole_demo_rack_through_the_tui(tmp_path: Path) -> None:
    """Select all, erase: the boot key is never offered, the bad drive and the pulled one fail, the rest erase."""
    rack = DemoRack(tmp_path / "demo", demo_drives(5), speed_mbs=400, late_after_s=3600)
    datadir = DataDir(tmp_path / "data", "option").ensure()
    session = Session(datadir, opener=rack.opener(), lang="en")
    app = StationApp(session, rack.source, settings=config.Settings(lot="DEMO"), language="en", tick=0.05)
    by_fault = {d.fault: rack.path(d) for d in rack.drives}
    key = rack.path(BOOT_KEY)
    with open(key, "r+b") as handle:
        handle.write(b"BOOT-KEY")  # the live system's data: must survive
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RackScreen) and len(app.rack.rows) == 6)
        await pilot.press("a", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None)
        plan = app.screen.plan
        assert plan is not None and key not in {a.target for a in plan.actions} and len(plan.runnable) == 5
        await pilot.press("5", "enter")
        await wait_for(pilot, lambda: not app.executions and all(
            r.outcome is not None for r in app.rack.rows.values() if not r.disk.protected), timeout=120)
        assert status(app, by_fault["io-error"]) == "FAILED I/O errors"
        assert status(app, by_fault["unplug"]) == "FAILED removed"
        erased = [p for p, r in app.rack.rows.items() if r.outcome and r.outcome.job.erased]
        assert len(erased) == 3
        assert status(app, key) == "LOCKED"
    assert {o.job.target for o in app.outcomes} == {rack.path(d) for d in rack.drives[1:6]}
    assert all(o.certificate is not None for o in app.outcomes)
    assert Path(key).read_bytes()[:8] == b"BOOT-KEY"
