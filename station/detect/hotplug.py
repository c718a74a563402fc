"""Drives arriving and leaving while Station runs: udev events turned into typed events.

A technician slides a drive into a rack bay while others are wiping, or pulls one out. The
monitor listens to udev (after udev has processed the event, so its database entry is complete),
rebuilds the Disk record with `station.detect` and emits `DiskAdded`, `DiskChanged` or
`DiskRemoved`. Loop devices and card readers announce a new or vanished medium with a "change"
event, so arrival and departure are decided by comparing with the disks already known, not by
the udev action alone.

Consumers never block: a thread posting to a callback, or a plain iterator.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from station.detect import drives as detect
from station.detect.disk import Disk
from station.hw import Host


@dataclass(frozen=True)
class DiskAdded:
    disk: Disk

    def to_dict(self) -> dict[str, Any]:
        return {"event": "added", "name": self.disk.name, "devnode": self.disk.devnode,
                "devnum": self.disk.devnum, "disk": self.disk.to_dict()}


@dataclass(frozen=True)
class DiskChanged:
    disk: Disk

    def to_dict(self) -> dict[str, Any]:
        return {"event": "changed", "name": self.disk.name, "devnode": self.disk.devnode,
                "devnum": self.disk.devnum, "disk": self.disk.to_dict()}


@dataclass(frozen=True)
class DiskRemoved:
    """Carries what a running erase job knows its target by: kernel name, device node, major:minor."""

    name: str
    devnode: str | None
    devnum: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"event": "removed", "name": self.name, "devnode": self.devnode, "devnum": self.devnum}


HotplugEvent = DiskAdded | DiskChanged | DiskRemoved


@dataclass(frozen=True)
class RawEvent:
    """One udev block event, reduced to what translation needs."""

    action: str  # add, change, remove, online, offline, bind, unbind
    name: str
    devnode: str | None
    devnum: str | None
    devtype: str | None  # "disk" or "partition"


class EventSource(Protocol):
    """Where raw events come from: udev's netlink socket on the live machine, a pipe in tests."""

    def start(self) -> None: ...

    def fileno(self) -> int: ...

    def receive(self) -> RawEvent | None:
        """The next pending event, or None when nothing is pending (never blocks)."""
        ...


class UdevSource:
    """udev's processed events for the block subsystem, through pyudev."""

    def __init__(self) -> None:
        import pyudev  # only when udev is listened to: `station --help` and a file wipe load this module, not pyudev

        self._context = pyudev.Context()
        self._monitor = pyudev.Monitor.from_netlink(self._context, source="udev")
        self._monitor.filter_by("block")

    def start(self) -> None:
        self._monitor.start()

    def fileno(self) -> int:
        fd: int = self._monitor.fileno()
        return fd

    def receive(self) -> RawEvent | None:
        device = self._monitor.poll(timeout=0)
        if device is None:
            return None
        number = device.device_number
        devnum = f"{os.major(number)}:{os.minor(number)}" if number else None
        return RawEvent(str(device.action or ""), str(device.sys_name), device.device_node, devnum,
                        device.device_type)


@dataclass
class Translator:
    """Turns raw events into typed events, keeping the set of disks already announced."""

    host: Host
    include_loops: bool = False
    bays: Mapping[str, str] = field(default_factory=dict)
    identify: bool = True
    known: dict[str, Disk] = field(default_factory=dict)

    def prime(self) -> list[Disk]:
        """Record the disks present now, so later events are differences from this state."""
        found = detect.detect(self.host, include_loops=self.include_loops, bays=self.bays, identify=self.identify)
        self.known = {d.name: d for d in found.disks}
        return list(found.disks)

    def translate(self, raw: RawEvent) -> list[HotplugEvent]:
        if raw.devtype == "partition":
            return []
        if raw.action == "remove":
            return self._removed(raw.name, raw.devnode, raw.devnum)
        if detect.skip_reason(self.host, raw.name, self.include_loops) is not None:
            return self._removed(raw.name, raw.devnode, raw.devnum)  # e.g. medium ejected, loop detached
        disk = detect.read_disk(self.host, raw.name, bays=self.bays, identify=self.identify)
        previous = self.known.get(raw.name)
        events: list[HotplugEvent] = []
        others = [d for n, d in self.known.items() if n != raw.name]
        marked = detect.mark_duplicates([*others, disk])
        disk = marked[-1]
        for before, after in zip(others, marked[:-1], strict=True):
            if before != after:
                self.known[after.name] = after
                events.append(DiskChanged(after))
        self.known[raw.name] = disk
        if previous is None:
            events.insert(0, DiskAdded(disk))
        elif previous != disk:
            events.insert(0, DiskChanged(disk))
        return events

    def _removed(self, name: str, devnode: str | None, devnum: str | None) -> list[HotplugEvent]:
        gone = self.known.pop(name, None)
        if gone is None:
            return []
        events: list[HotplugEvent] = [DiskRemoved(name, devnode or gone.devnode, devnum or gone.devnum)]
        remaining = list(self.known.values())
        for before, after in zip(remaining, detect.mark_duplicates(remaining), strict=True):
            if before != after:
                self.known[after.name] = after
                events.append(DiskChanged(after))
        return events


class HotplugMonitor:
    """Typed drive events from udev, consumable by a callback thread or an iterator."""

    def __init__(self, host: Host | None = None, *, include_loops: bool = False,
                 bays: Mapping[str, str] | None = None, identify: bool = True,
                 source: EventSource | None = None) -> None:
        self.host = host or Host()
        self.translator = Translator(self.host, include_loops, dict(bays or {}), identify)
        self._source = source
        self._stop_r, self._stop_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def source(self) -> EventSource:
        if self._source is None:
            self._source = UdevSource()
        return self._source

    def start(self) -> list[Disk]:
        """Start listening, then take stock: no event between the two is lost, the present disks are returned."""
        self.source.start()
        with self._lock:
            return self.translator.prime()

    def fileno(self) -> int:
        return self.source.fileno()

    def read_pending(self) -> list[HotplugEvent]:
        """Translate every event waiting on the socket; returns [] at once when none is."""
        raws: list[RawEvent] = []
        while (raw := self.source.receive()) is not None:
            raws.append(raw)
        return self._translate(raws)

    def _translate(self, raws: list[RawEvent]) -> list[HotplugEvent]:
        out: list[HotplugEvent] = []
        with self._lock:
            for raw in raws:
                out.extend(self.translator.translate(raw))
        return out

    def events(self, timeout: float | None = None) -> Iterator[HotplugEvent]:
        """Yield events as they come; ends after `timeout` seconds without any, or when stop() is called."""
        while True:
            ready, _, _ = select.select([self.fileno(), self._stop_r], [], [], timeout)
            if self._stop_r in ready or not ready:
                return
            yield from self.read_pending()

    def run_in_thread(self, callback: Callable[[HotplugEvent], None]) -> threading.Thread:
        """Post every event to `callback` from a daemon thread until stop()."""

        def loop() -> None:
            for event in self.events():
                callback(event)

        self._thread = threading.Thread(target=loop, name="station-hotplug", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        os.write(self._stop_w, b"x")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


def udev_running(host: Host) -> bool:
    """True when udevd answers: without it no processed event ever arrives (a stale socket file may remain)."""
    ping = host.run(["udevadm", "control", "--ping"], timeout=5)
    if ping.returncode == 127:
        return host.path("/run/udev/control").exists()
    return ping.ok


def describe(event: HotplugEvent) -> str:
    """One line for `station watch`."""
    if isinstance(event, DiskRemoved):
        return f"removed {event.name} {event.devnode or '-'} ({event.devnum or '?'})"
    disk = event.disk
    verb = "added" if isinstance(event, DiskAdded) else "changed"
    serial = disk.serial.value or "?"
    doubts = f" [{', '.join(disk.serial.doubts)}]" if disk.serial.doubts else ""
    protected = f" PROTECTED: {', '.join(p.reason.value for p in disk.protections)}" if disk.protected else ""
    bay = f" bay {disk.bay}" if disk.bay else ""
    return (f"{verb} {disk.name} {disk.devnode} ({disk.devnum or '?'}) {disk.kind.value}/{disk.bus} "
            f"{disk.size_bytes} B {disk.model or '?'} serial {serial} ({disk.serial.source.value}){doubts}"
            f"{bay}{protected}")
