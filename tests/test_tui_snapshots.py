"""Screenshots at 80x24 (pytest-textual-snapshot, Textual pinned to 8.2.8 in pyproject).

The drives are records only (devnodes under a path that does not exist), so nothing is opened and
the pictures do not depend on the machine. Regenerate after a deliberate change with
`pytest tests/test_tui_snapshots.py --snapshot-update` and look at the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from station.detect.disk import DiskKind, SerialInfo, SerialSource
from station.session import Session
from station.store import config
from station.store.datadir import DataDir
from station.tui import StationApp
from station.tui.screens.rack_screen import RackScreen
from station.tui.source import ManualDriveSource
from tests.tui_helpers import drive, wait_for

ROOT = "/nonexistent/station-snapshot"
SIZE = (80, 24)


def snapshot_app(tmp_path: Path, lang: str) -> StationApp:
    disks = [
        drive(f"{ROOT}/sdb", "WD-WCC2EVL93847", "WDC WD5000AAKX-00ERMA0", size_mib=476940, bay="1", create=False),
        drive(f"{ROOT}/sdc", "S2R5NX0J418272", "SAMSUNG MZ7LN256HMJP", size_mib=244198, bay="2",
              kind=DiskKind.SSD, create=False),
        drive(f"{ROOT}/sda", "4C530001230101117423", "SanDisk Cruzer Blade", size_mib=14910, bay="usb",
              kind=DiskKind.USB_FLASH, bus="usb", protected=True, source=SerialSource.UDEV, create=False),
    ]
    bridged = drive(f"{ROOT}/sdd", "0123456789ABCDEF", "WD3200BEVT", size_mib=305245, bay="3", bus="usb",
                    create=False)
    disks.append(type(bridged)(**{**bridged.__dict__,
                                  "serial": SerialInfo("0123456789ABCDEF", SerialSource.BRIDGE, ("bridge-serial",))}))
    healths = {f"{ROOT}/sdb": "ok", f"{ROOT}/sdc": "warning", f"{ROOT}/sda": "unknown", f"{ROOT}/sdd": "unknown"}
    datadir = DataDir(tmp_path / "data", "option").ensure()
    settings = config.Settings(organisation="Atelier", lot="LOT-42", station_name="poste-1", language=lang)
    return StationApp(Session(datadir, lang=lang), ManualDriveSource(disks, healths), settings=settings,
                      language=lang, tick=0.05)


def ready(app: StationApp) -> Callable[[Any], Any]:
    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: isinstance(app.screen, RackScreen) and len(app.rack.rows) == 4
                       and all(r.health is not None for r in app.rack.rows.values()))
        await pilot.pause(0.2)

    return run_before


def test_rack_english(snap_compare: Any, tmp_path: Path) -> None:
    app = snapshot_app(tmp_path, "en")
    assert snap_compare(app, terminal_size=SIZE, run_before=ready(app))


def test_rack_french(snap_compare: Any, tmp_path: Path) -> None:
    app = snapshot_app(tmp_path, "fr")
    assert snap_compare(app, terminal_size=SIZE, run_before=ready(app))


def test_plan_with_a_refused_boot_key(snap_compare: Any, tmp_path: Path) -> None:
    app = snapshot_app(tmp_path, "en")
    loaded = ready(app)

    async def run_before(pilot: Any) -> None:
        from textual.widgets import Input

        from station.tui.screens.plan_screen import PlanScreen

        await loaded(pilot)
        await pilot.press("down", "down", "down", "e")  # nothing selected: the highlighted boot key is planned
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None)
        app.screen.query_one(Input).cursor_blink = False
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
