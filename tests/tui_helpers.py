"""Builders for TUI tests: file-backed drives with realistic identities, a session, the app."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from station.detect.disk import Disk, DiskKind, SerialInfo, SerialSource
from station.detect.drives import HostHint
from station.detect.protect import Protection, Reason
from station.erase.blockio import Opener, open_target
from station.session import Session
from station.store import config
from station.store.datadir import DataDir
from station.tui import StationApp
from station.tui.source import ManualDriveSource

MIB = 1 << 20


def drive(path: Path | str, serial: str, model: str, *, size_mib: int = 2, kind: DiskKind = DiskKind.HDD,
          bay: str | None = None, protected: bool = False, create: bool = True, bus: str = "ata",
          source: SerialSource = SerialSource.IDENTIFY) -> Disk:
    """A Disk record whose devnode is a file; `create=False` for snapshot drives that are never opened."""
    if create:
        with open(path, "wb") as handle:
            handle.write(b"\xa5" * (size_mib * MIB))  # non-zero: an erase must change it
    protections = (Protection(Reason.BOOT_MEDIUM, "test boot key"),) if protected else ()
    return Disk(name=Path(path).name, devnode=str(path), kind=kind, bus=bus, size_bytes=size_mib * MIB,
                serial=SerialInfo(serial, source), model=model, bay=bay, protections=protections,
                rotational=kind is DiskKind.HDD)


def make_app(tmp_path: Path, disks: list[Disk], *, opener: Opener = open_target, lang: str = "en",
             healths: dict[str, str] | None = None,
             host_hints: Sequence[HostHint] = ()) -> tuple[StationApp, ManualDriveSource, Session]:
    datadir = DataDir(tmp_path / "data", "option").ensure()
    settings = config.Settings(organisation="Atelier test", operator="Tester", lot="LOT-1",
                               station_name="bench-1", language=lang)
    config.save(datadir, settings)
    session = Session(datadir, opener=opener, lang=lang)
    source = ManualDriveSource(disks, healths or {d.devnode: "ok" for d in disks}, host_hints)
    return StationApp(session, source, settings=settings, language=lang, tick=0.05), source, session


async def wait_for(pilot: object, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Let the app run until `condition` holds; fail with the timeout otherwise."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.05)  # type: ignore[attr-defined]
        await asyncio.sleep(0)


def status(app: StationApp, devnode: str) -> str:
    from station.tui.screens.rack_screen import RackTable

    return app.screen.query_one(RackTable).cell_text(devnode, "status")


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run a Pilot coroutine test without an asyncio pytest plugin."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper
