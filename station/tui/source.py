"""Where the rack's drives come from: an injectable source of disks and hot-plug events.

The real station watches udev; the demo and the tests feed scripted events. The TUI only sees
this protocol, so every flow (a drive appears, changes, is pulled mid-wipe) is tested without
hardware. Events are delivered on any thread; the app queues them and drains on its event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from station.detect import drives as detect
from station.detect import refused
from station.detect.disk import Disk
from station.detect.drives import HostHint
from station.detect.hotplug import HotplugEvent, HotplugMonitor
from station.detect.refused import RefusedDrive
from station.hw import Host
from station.inventory import smart

DriveEvent = HotplugEvent
EventSink = Callable[[HotplugEvent], None]


class DriveSource(Protocol):
    def initial(self) -> list[Disk]:
        """The drives present now (may block: called off the event loop)."""
        ...

    def start(self, sink: EventSink) -> None:
        """Begin delivering hot-plug events to `sink`, from any thread."""
        ...

    def stop(self) -> None: ...

    def host_hints(self, disks: Sequence[Disk]) -> list[HostHint]:
        """Findings about the machine (a RAID-mode controller hiding NVMe drives); may block."""
        ...

    def health(self, disk: Disk) -> str:
        """SMART health: ok, warning, failing or unknown (may block: called off the event loop)."""
        ...

    def refused_drives(self) -> list[RefusedDrive]:
        """Drives in the machine the kernel refused to attach (no block device); may block."""
        ...


class ManualDriveSource:
    """A fixed list of drives plus events pushed by the caller (tests) or by a script (the demo)."""

    def __init__(self, disks: Sequence[Disk], healths: dict[str, str] | None = None,
                 host_hints: Sequence[HostHint] = (), refused: Sequence[RefusedDrive] = ()):
        self._disks = list(disks)
        self.refused = list(refused)  # tests change it while the app runs
        self.healths = dict(healths or {})
        self._host_hints = list(host_hints)
        self._sink: EventSink | None = None
        self._pending: list[DriveEvent] = []
        self._lock = threading.Lock()

    def initial(self) -> list[Disk]:
        return list(self._disks)

    def start(self, sink: EventSink) -> None:
        with self._lock:
            self._sink = sink
            pending, self._pending = self._pending, []
        for event in pending:
            sink(event)

    def stop(self) -> None:
        with self._lock:
            self._sink = None

    def host_hints(self, disks: Sequence[Disk]) -> list[HostHint]:
        return list(self._host_hints)

    def health(self, disk: Disk) -> str:
        return self.healths.get(disk.devnode, "unknown")

    def refused_drives(self) -> list[RefusedDrive]:
        return list(self.refused)

    def push(self, event: DriveEvent) -> None:
        """Deliver an event now, or when the app starts listening."""
        with self._lock:
            sink = self._sink
            if sink is None:
                self._pending.append(event)
                return
        sink(event)


class UdevDriveSource:
    """The live machine: station.hotplug primes the rack from detection, then follows udev."""

    def __init__(self, host: Host | None = None, bays: Mapping[str, str] | None = None):
        self.host = host or Host()
        self.bays = dict(bays or {})  # the station's bay map, as `station drives` and `station wipe` read it
        self.monitor: HotplugMonitor | None = None

    def initial(self) -> list[Disk]:
        self.monitor = HotplugMonitor(self.host, bays=self.bays)
        return self.monitor.start()  # listening starts first: no event between the two is lost

    def start(self, sink: EventSink) -> None:
        if self.monitor is not None:
            self.monitor.run_in_thread(sink)

    def stop(self) -> None:
        if self.monitor is not None:
            self.monitor.stop()

    def host_hints(self, disks: Sequence[Disk]) -> list[HostHint]:
        return detect.controller_hints(self.host, disks)

    def health(self, disk: Disk) -> str:
        return smart.read(self.host, disk.devnode, disk.bus).health

    def refused_drives(self) -> list[RefusedDrive]:
        return list(refused.scan(self.host).drives)
