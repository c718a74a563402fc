"""Hot-plug translation and delivery, on a profile tree changed under the monitor's feet.

The event source is a pipe standing in for udev's netlink socket, so the thread and iterator
paths are exercised exactly as with udev; tests/test_hotplug_live.py does it with udev.
"""

from __future__ import annotations

import collections
import os
import shutil
import threading
from pathlib import Path

import pytest

from station.detect.hotplug import (
    DiskAdded,
    DiskChanged,
    DiskRemoved,
    HotplugEvent,
    HotplugMonitor,
    RawEvent,
    describe,
)
from station.hw import Host

PROFILES = Path(__file__).parent / "fixtures" / "profiles"


class PipeSource:
    """A readable fd with queued raw events, like a netlink socket with pending messages."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self.queue: collections.deque[RawEvent] = collections.deque()
        self.started = False

    def start(self) -> None:
        self.started = True

    def fileno(self) -> int:
        return self.read_fd

    def push(self, raw: RawEvent) -> None:
        self.queue.append(raw)
        os.write(self.write_fd, b".")

    def receive(self) -> RawEvent | None:
        try:
            os.read(self.read_fd, 1)
        except BlockingIOError:
            return None
        return self.queue.popleft()


def make_loop(root: Path, name: str, minor: int, sectors: int, backing: str) -> None:
    dev = root / f"sys/devices/virtual/block/{name}"
    (dev / "loop").mkdir(parents=True, exist_ok=True)
    (dev / "size").write_text(f"{sectors}\n")
    (dev / "dev").write_text(f"7:{minor}\n")
    (dev / "loop/backing_file").write_text(backing + "\n")
    for link in (f"sys/block/{name}", f"sys/class/block/{name}"):
        target = root / link
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_symlink():
            target.symlink_to(dev)


@pytest.fixture
def machine(tmp_path: Path) -> Host:
    shutil.copytree(PROFILES / "junk-serials", tmp_path / "profile", symlinks=True)
    return Host.recorded(tmp_path / "profile")


def monitor_for(host: Host) -> tuple[HotplugMonitor, PipeSource]:
    source = PipeSource()
    monitor = HotplugMonitor(host, include_loops=True, source=source)
    return monitor, source


def test_start_returns_present_disks(machine: Host) -> None:
    monitor, source = monitor_for(machine)
    present = monitor.start()
    assert source.started and {d.name for d in present} == {"sda", "sdb", "sdc", "sdd", "sde", "sdf"}
    assert monitor.read_pending() == []


def test_loop_appears_changes_and_disappears(machine: Host) -> None:
    monitor, source = monitor_for(machine)
    monitor.start()
    make_loop(machine.root, "loop3", 3, 0, "")  # module loaded, nothing attached: not a drive yet
    source.push(RawEvent("add", "loop3", "/dev/loop3", "7:3", "disk"))
    assert monitor.read_pending() == []
    make_loop(machine.root, "loop3", 3, 2048, "/tmp/a.img")  # losetup: udev sends "change"
    source.push(RawEvent("change", "loop3", "/dev/loop3", "7:3", "disk"))
    (added,) = monitor.read_pending()
    assert isinstance(added, DiskAdded) and added.disk.size_bytes == 2048 * 512
    source.push(RawEvent("change", "loop3", "/dev/loop3", "7:3", "disk"))
    assert monitor.read_pending() == []  # nothing changed: no event
    make_loop(machine.root, "loop3", 3, 4096, "/tmp/b.img")
    source.push(RawEvent("change", "loop3", "/dev/loop3", "7:3", "disk"))
    (changed,) = monitor.read_pending()
    assert isinstance(changed, DiskChanged) and changed.disk.extra["backing_file"] == "/tmp/b.img"
    make_loop(machine.root, "loop3", 3, 0, "")  # losetup -d
    source.push(RawEvent("change", "loop3", "/dev/loop3", "7:3", "disk"))
    assert monitor.read_pending() == [DiskRemoved("loop3", "/dev/loop3", "7:3")]


def test_pulled_drive_is_removed_with_name_node_and_number(machine: Host) -> None:
    monitor, source = monitor_for(machine)
    monitor.start()
    source.push(RawEvent("remove", "sdf", None, None, "disk"))  # removal events may lack the node
    assert monitor.read_pending() == [DiskRemoved("sdf", "/dev/sdf", "8:80")]
    source.push(RawEvent("remove", "sdf1", "/dev/sdf1", "8:81", "partition"))
    source.push(RawEvent("remove", "sdz", "/dev/sdz", "8:400", "disk"))  # never announced
    assert monitor.read_pending() == []


def test_duplicate_flag_follows_the_drives(machine: Host) -> None:
    monitor, source = monitor_for(machine)
    monitor.start()
    source.push(RawEvent("remove", "sde", "/dev/sde", "8:64", "disk"))
    events = monitor.read_pending()
    assert events[0] == DiskRemoved("sde", "/dev/sde", "8:64")
    (changed,) = events[1:]
    assert isinstance(changed, DiskChanged) and changed.disk.name == "sdd"
    assert "duplicate" not in changed.disk.serial.doubts
    source.push(RawEvent("add", "sde", "/dev/sde", "8:64", "disk"))
    events = monitor.read_pending()
    assert isinstance(events[0], DiskAdded) and "duplicate" in events[0].disk.serial.doubts
    assert isinstance(events[1], DiskChanged) and "duplicate" in events[1].disk.serial.doubts


def test_callback_thread_delivers_without_blocking_the_caller(machine: Host) -> None:
    monitor, source = monitor_for(machine)
    monitor.start()
    got: list[HotplugEvent] = []
    done = threading.Event()

    def callback(event: HotplugEvent) -> None:
        got.append(event)
        done.set()

    thread = monitor.run_in_thread(callback)
    source.push(RawEvent("remove", "sda", "/dev/sda", "8:0", "disk"))
    assert done.wait(5)
    monitor.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert got == [DiskRemoved("sda", "/dev/sda", "8:0")]


def test_iterator_ends_on_timeout(machine: Host) -> None:
    monitor, source = monitor_for(machine)
    monitor.start()
    source.push(RawEvent("remove", "sdb", "/dev/sdb", "8:16", "disk"))
    assert list(monitor.events(timeout=0.2)) == [DiskRemoved("sdb", "/dev/sdb", "8:16")]


def test_describe_lines() -> None:
    assert describe(DiskRemoved("sdb", "/dev/sdb", "8:16")) == "removed sdb /dev/sdb (8:16)"
    monitor = HotplugMonitor(Host.recorded(PROFILES / "laptop-nvme-usbkey"), source=PipeSource())
    key = {d.name: d for d in monitor.start()}["sdb"]
    line = describe(DiskAdded(key))
    assert line.startswith("added sdb /dev/sdb (8:16) usb-flash/usb") and "PROTECTED: boot-medium" in line
    assert "\n" not in line
