"""`station demo`: a rack of file-backed virtual drives driven by the real engine, safe on any laptop.

The drives are sparse files in a fresh temporary directory with the identities of real drives (a
healthy HDD, a worn SSD, a USB bridge hiding its serial, one with bad sectors, one pulled mid-wipe,
one plugged in later, and the boot key, locked). Faults are injected at the I/O boundary, exactly
where a real drive would fail; every open is checked to stay inside the demo directory, so the
demo can never touch a real disk whatever the plan says.
"""

from __future__ import annotations

import errno
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from station.detect.disk import Disk, DiskKind, SerialInfo, SerialSource
from station.detect.hotplug import DiskAdded, DiskRemoved
from station.detect.protect import Protection, Reason
from station.erase.blockio import BlockTarget, Opener, OsTarget, TargetWrapper, throttled_opener
from station.tui.source import EventSink, ManualDriveSource

MIB = 1 << 20
DEFAULT_SPEED_MBS = 6.0
DEFAULT_DRIVES = 6
LATE_PLUG_S = 20.0


@dataclass(frozen=True)
class DemoDrive:
    """One virtual drive: what detection would have said about it, and how it misbehaves."""

    name: str
    model: str
    vendor: str | None
    kind: DiskKind
    bus: str
    size_mib: int
    serial: SerialInfo
    health: str
    bay: str | None
    fault: str | None = None  # "io-error", "unplug", "late" (plugged in after start), or None
    protections: tuple[Protection, ...] = ()
    hints: tuple[str, ...] = ()


def _ident(value: str) -> SerialInfo:
    return SerialInfo(value, SerialSource.IDENTIFY)


BASE_DRIVES = (
    DemoDrive("sdb", "WDC WD5000AAKX-00ERMA0", "WDC", DiskKind.HDD, "ata", 96, _ident("WD-WCC2EVL93847"),
              "ok", "1"),
    DemoDrive("sdc", "SAMSUNG MZ7LN256HMJP-000L7", "SAMSUNG", DiskKind.SSD, "ata", 64,
              _ident("S2R5NX0J418272"), "warning", "2"),
    DemoDrive("sdd", "WD3200BEVT (USB bridge)", "JMicron", DiskKind.HDD, "usb", 64,
              SerialInfo("0123456789ABCDEF", SerialSource.BRIDGE, ("bridge-serial",)), "unknown", "3",
              hints=("usb-bridge-no-passthrough",)),
    DemoDrive("sde", "ST1000LM035-1RK172", "Seagate", DiskKind.HDD, "ata", 80, _ident("WL1B8VZQ"),
              "warning", "4", fault="io-error"),
    DemoDrive("sdf", "TOSHIBA MQ01ABD050", "TOSHIBA", DiskKind.HDD, "ata", 96, _ident("93KJT12AT"),
              "ok", "5", fault="unplug"),
)
EXTRA_MODELS = (
    ("HGST HTS545050A7E680", "HGST", DiskKind.HDD, "ata"),
    ("Crucial CT240BX500SSD1", "Crucial", DiskKind.SSD, "ata"),
    ("Hitachi HTS547550A9E384", "Hitachi", DiskKind.HDD, "ata"),
)
LATE_DRIVE = DemoDrive("sdh", "KINGSTON SA400S37240G", "KINGSTON", DiskKind.SSD, "ata", 64,
                       _ident("50026B7682ABCDEF"), "ok", "8", fault="late")
BOOT_KEY = DemoDrive("sda", "Cruzer Blade", "SanDisk", DiskKind.USB_FLASH, "usb", 16,
                     SerialInfo("4C530001230101117423", SerialSource.UDEV), "unknown", "usb",
                     protections=(Protection(Reason.BOOT_MEDIUM, "demo: the key Station booted from"),))


def demo_drives(count: int = DEFAULT_DRIVES) -> list[DemoDrive]:
    """`count` erasable drives present at start (the scripted ones first), then the late one and the boot key."""
    drives = list(BASE_DRIVES[:count])
    for i in range(max(0, count - len(BASE_DRIVES))):
        model, vendor, kind, bus = EXTRA_MODELS[i % len(EXTRA_MODELS)]
        drives.append(DemoDrive(f"sd{chr(ord('i') + i)}" if i < 18 else f"sdx{i}", model, vendor, kind, bus, 64,
                                _ident(f"DEMO{i + 1:04d}X{7 * i + 3:03d}"), "ok", str(9 + i)))
    return [BOOT_KEY, *drives, LATE_DRIVE]


class DemoBoundaryError(OSError):
    """An open outside the demo directory: refused, whatever asked for it."""


class BadSectors(TargetWrapper):
    """EIO on every write touching [start, end): the drive has unrecoverable sectors mid-disk."""

    def __init__(self, inner: BlockTarget, start: int, end: int):
        super().__init__(inner)
        self.start, self.end = start, end

    def write_at(self, data: memoryview, offset: int) -> int:
        if offset < self.end and self.start < offset + len(data):
            raise OSError(errno.EIO, "Input/output error")
        return self.inner.write_at(data, offset)


class PulledDrive(TargetWrapper):
    """Pulled out of its bay once `after` bytes were written: ENODEV from then on, and udev says so."""

    def __init__(self, inner: BlockTarget, after: int, on_pull: Callable[[], None]):
        super().__init__(inner)
        self.after, self.written, self.gone = after, 0, False
        self.on_pull = on_pull

    def write_at(self, data: memoryview, offset: int) -> int:
        if not self.gone and self.written >= self.after:
            self.gone = True
            self.on_pull()
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        self.written += len(data)
        return self.inner.write_at(data, offset)

    def read_at(self, data: memoryview, offset: int) -> int:
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        return self.inner.read_at(data, offset)

    def present(self) -> bool:
        return not self.gone


@dataclass
class DemoRack:
    """The virtual drives on disk, the opener the engine uses on them, and the scripted hot-plug source."""

    root: Path
    drives: list[DemoDrive]
    speed_mbs: float = DEFAULT_SPEED_MBS
    late_after_s: float = LATE_PLUG_S
    source: ManualDriveSource = field(init=False)
    _timer: threading.Timer | None = field(default=None, init=False)
    _pulled: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        present = [d for d in self.drives if d.fault != "late"]
        for drive in present:
            self._create(drive)
        self.source = DemoSource(self, [self.disk(d) for d in present],
                                 {self.path(d): d.health for d in self.drives})

    @classmethod
    def create(cls, count: int = DEFAULT_DRIVES, speed_mbs: float = DEFAULT_SPEED_MBS,
               late_after_s: float = LATE_PLUG_S, base: str | None = None) -> DemoRack:
        root = Path(tempfile.mkdtemp(prefix="station-demo-", dir=base))
        return cls(root, demo_drives(count), speed_mbs, late_after_s)

    def path(self, drive: DemoDrive) -> str:
        return str(self.root / "drives" / drive.name)

    def _create(self, drive: DemoDrive) -> None:
        path = Path(self.path(drive))
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.truncate(drive.size_mib * MIB)  # sparse: costs nothing until the engine writes it

    def disk(self, drive: DemoDrive) -> Disk:
        return Disk(name=drive.name, devnode=self.path(drive), kind=drive.kind, bus=drive.bus,
                    size_bytes=drive.size_mib * MIB, serial=drive.serial, model=drive.model, vendor=drive.vendor,
                    rotational=drive.kind is DiskKind.HDD, removable=drive.bus == "usb", bay=drive.bay,
                    protections=drive.protections, hints=drive.hints)

    def drive_at(self, path: str) -> DemoDrive | None:
        return next((d for d in self.drives if self.path(d) == path), None)

    def opener(self) -> Opener:
        """The engine's opener: fenced to the demo directory, faults where scripted, throttled."""

        def open_inside(path: str) -> BlockTarget:
            real = Path(path).resolve()
            if not real.is_relative_to(self.root):
                raise DemoBoundaryError(errno.EPERM, f"the demo only opens its own files, not {path}")
            target: BlockTarget = OsTarget(str(real))
            drive = self.drive_at(path)
            if drive is not None and drive.fault == "io-error":
                middle = target.size // 2
                target = BadSectors(target, middle, middle + 256 * 1024)
            elif drive is not None and drive.fault == "unplug":
                target = PulledDrive(target, int(target.size * 0.4), lambda: self.pull(path))
            return target

        return throttled_opener(self.speed_mbs * 1e6, open_inside)

    def pull(self, path: str) -> None:
        """The drive leaves its bay: udev reports it removed (the TUI then aborts its job)."""
        if path not in self._pulled:
            self._pulled.add(path)
            drive = self.drive_at(path)
            self.source.push(DiskRemoved(drive.name if drive else Path(path).name, path, None))

    def plug_late(self) -> None:
        for drive in self.drives:
            if drive.fault == "late" and not Path(self.path(drive)).exists():
                self._create(drive)
                self.source.push(DiskAdded(self.disk(drive)))

    def start_script(self) -> None:
        if self.late_after_s >= 0 and self._timer is None:
            self._timer = threading.Timer(self.late_after_s, self.plug_late)
            self._timer.daemon = True
            self._timer.start()

    def stop_script(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def remove_drives(self) -> None:
        """Delete the drive images (they can weigh a few hundred MB once written); keep the data directory."""
        shutil.rmtree(self.root / "drives", ignore_errors=True)


class DemoSource(ManualDriveSource):
    """The demo's drive source: the scripted hot-plug starts when the TUI starts listening."""

    def __init__(self, rack: DemoRack, disks: list[Disk], healths: dict[str, str]):
        super().__init__(disks, healths)
        self.rack = rack

    def start(self, sink: EventSink) -> None:
        super().start(sink)
        self.rack.start_script()

    def stop(self) -> None:
        self.rack.stop_script()
        super().stop()
