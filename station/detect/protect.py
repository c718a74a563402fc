"""Which disks Station must never write to, and why.

A disk is protected when it carries the running system (the live boot key, or the root
filesystem), is mounted or has a mounted partition, is active swap, or is a member of a
md/LVM/dm stack. Identity comes from the kernel's view (major:minor, udev serial), never from
a mount-point string alone, so a `toram` boot that unmounted the key still protects it.

`check_writable` is called by the erase engine right before it opens a target: whatever the
entry point (TUI, CLI, library), nothing reaches a disk without passing it.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from station.hw import Host
from station.i18n import N_
from station.notice import Notice, define
from station.store import atomic

BOOT_MEDIUM_RECORD = "/run/station/boot-medium.json"
LIVE_MEDIUM_MOUNT = "/run/live/medium"


class Reason(StrEnum):
    BOOT_MEDIUM = "boot-medium"
    SYSTEM_DISK = "system-disk"
    MOUNTED = "mounted"
    MOUNTED_CHILD = "mounted-partition"
    SWAP = "swap"
    STACK_MEMBER = "stack-member"


define({
    "protect.boot-medium": N_("it is the medium Station booted from"),
    "protect.system-disk": N_("it holds the running system's root filesystem"),
    "protect.mounted": N_("it is mounted"),
    "protect.mounted-partition": N_("one of its partitions is mounted"),
    "protect.swap": N_("it is in use as swap"),
    "protect.stack-member": N_("it is a member of a RAID/LVM/device-mapper stack"),
    "protect.with-detail": N_("{reason} ({detail})"),
})


@dataclass(frozen=True)
class Protection:
    reason: Reason  # the stable code, as stored in records
    detail: str  # the evidence (device, mount point, holder): technical, never translated

    def notice(self) -> Notice:
        reason = Notice.of(f"protect.{self.reason.value}")
        return Notice.of("protect.with-detail", reason=reason, detail=self.detail) if self.detail else reason

    def message(self) -> str:
        """English, for logs, errors and JSON."""
        return self.notice().text()

    def translated(self) -> str:
        """In the technician's language, where it is shown."""
        return self.notice().translated()


class ProtectedDeviceError(Exception):
    """Raised before any write to a protected target; the message names every reason."""

    def __init__(self, target: str, protections: list[Protection]):
        self.target = target
        self.protections = protections
        reasons = "; ".join(p.message() for p in protections)
        super().__init__(f"refusing to write to {target}: {reasons}")


@dataclass(frozen=True)
class MountEntry:
    devnum: str
    mountpoint: str
    source: str


def _unescape(field: str) -> str:
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def mounts(host: Host) -> list[MountEntry]:
    """/proc/self/mountinfo; a major:minor that is not one is kept as "" (the source still protects)."""
    entries = []
    for line in (host.read_text("/proc/self/mountinfo") or "").splitlines():
        left, _, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(fields) >= 5 and len(rfields) >= 2:
            devnum = fields[2] if _DEVNUM.fullmatch(fields[2]) else ""
            entries.append(MountEntry(devnum, _unescape(fields[4]), _unescape(rfields[1])))
    return entries


_DEVNUM = re.compile(r"[0-9]{1,10}:[0-9]{1,10}")


def _devnum(host: Host, name: str) -> str | None:
    """major:minor from sysfs, None when the attribute holds anything else."""
    value = host.read_attr(f"/sys/class/block/{name}/dev")
    return value if value is not None and _DEVNUM.fullmatch(value) else None


def whole_disk(host: Host, name: str) -> str:
    """The disk a partition belongs to (sda1 -> sda, nvme0n1p2 -> nvme0n1); a disk maps to itself."""
    if host.path(f"/sys/class/block/{name}/partition").exists():
        parent = os.path.basename(os.path.dirname(host.realpath(f"/sys/class/block/{name}")))
        if parent:
            return parent
    return name


def partitions(host: Host, disk: str) -> list[str]:
    return [
        child for child in host.listdir(f"/sys/class/block/{disk}")
        if host.path(f"/sys/class/block/{disk}/{child}/partition").exists()
    ]


def _name_of_devnode(host: Host, node: str) -> str | None:
    """Kernel name of a /dev node: from st_rdev on the live machine, from the symlink in a profile."""
    if host.is_live:
        try:
            st = os.stat(node)
        except (OSError, ValueError):  # ValueError: a NUL byte in what mountinfo named
            return None
        if not stat.S_ISBLK(st.st_mode):
            return None
        link = f"/sys/dev/block/{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
        return os.path.basename(host.realpath(link)) if host.path(link).exists() else None
    if not node.startswith("/dev/"):
        return None
    name = os.path.basename(host.realpath(node)) if host.is_symlink(node) else os.path.basename(node)
    return name if host.exists(f"/sys/class/block/{name}") else None


def udev_property(host: Host, devnum: str, key: str) -> str | None:
    for line in (host.read_text(f"/run/udev/data/b{devnum}") or "").splitlines():
        if line.startswith(f"E:{key}="):
            return line.split("=", 1)[1]
    return None


def _disk_of_source(host: Host, source: str) -> str | None:
    name = _name_of_devnode(host, source)
    return whole_disk(host, name) if name else None


def boot_disks(host: Host) -> dict[str, Protection]:
    """Disks carrying the running system: the recorded boot medium, the live medium, the root fs."""
    found: dict[str, Protection] = {}
    record = host.read_text(BOOT_MEDIUM_RECORD)
    if record:
        try:
            data = json.loads(record)
            devnum, serial = str(data.get("devnum") or ""), str(data.get("serial") or "")
        except (ValueError, AttributeError):
            devnum = serial = ""
        for disk in host.listdir("/sys/block"):
            num = _devnum(host, disk) or ""
            disk_serial = udev_property(host, num, "ID_SERIAL_SHORT") or udev_property(host, num, "ID_SERIAL")
            if (devnum and num == devnum) or (serial and disk_serial == serial):
                found[disk] = Protection(Reason.BOOT_MEDIUM, f"recorded at boot: {devnum} serial {serial or '?'}")
    for entry in mounts(host):
        if entry.mountpoint == LIVE_MEDIUM_MOUNT:
            medium = _disk_of_source(host, entry.source) or _disk_of_devnum(host, entry.devnum)
            if medium:
                found.setdefault(medium, Protection(Reason.BOOT_MEDIUM, f"live medium {entry.source}"))
        elif entry.mountpoint == "/":
            system = _disk_of_source(host, entry.source) or _disk_of_devnum(host, entry.devnum)
            if system:
                found.setdefault(system, Protection(Reason.SYSTEM_DISK, f"/ on {entry.source}"))
    return found


def _disk_of_devnum(host: Host, devnum: str) -> str | None:
    link = f"/sys/dev/block/{devnum}"
    if not _DEVNUM.fullmatch(devnum) or not host.exists(link):
        return None
    return whole_disk(host, os.path.basename(host.realpath(link)))


def protections_for_disk(host: Host, name: str) -> list[Protection]:
    """Every reason the disk `name` (or the disk holding partition `name`) must not be written."""
    disk = whole_disk(host, name)
    members = [disk, *partitions(host, disk)]
    numbers = {m: _devnum(host, m) for m in members}
    found: list[Protection] = []
    boot = boot_disks(host).get(disk)
    if boot:
        found.append(boot)
    for entry in mounts(host):
        src = _name_of_devnode(host, entry.source) if entry.source.startswith("/dev/") else None
        for member in members:
            if entry.devnum == numbers[member] or src == member:
                reason = Reason.MOUNTED if member == disk else Reason.MOUNTED_CHILD
                found.append(Protection(reason, f"/dev/{member} on {entry.mountpoint}"))
    for line in (host.read_text("/proc/swaps") or "").splitlines()[1:]:
        parts = line.split()
        if parts and parts[0].startswith("/dev/"):
            swap_name = _name_of_devnode(host, parts[0])
            if swap_name in members:
                found.append(Protection(Reason.SWAP, f"/dev/{swap_name}"))
    for member in members:
        holders = host.listdir(f"/sys/class/block/{member}/holders")
        if holders:
            labels = [f"{h} ({_holder_kind(host, h)})" for h in holders]
            found.append(Protection(Reason.STACK_MEMBER, f"/dev/{member} held by " + ", ".join(labels)))
    unique: list[Protection] = []
    for p in found:
        if p not in unique:
            unique.append(p)
    return unique


def _holder_kind(host: Host, holder: str) -> str:
    dm_name = host.read_attr(f"/sys/class/block/{holder}/dm/name")
    if dm_name:
        return f"device-mapper {dm_name}"
    level = host.read_attr(f"/sys/class/block/{holder}/md/level")
    return f"md {level}" if level else "holder"


def protections_for_path(host: Host, target: str) -> list[Protection]:
    """Protections of a target path: a block device node, or a plain file (only swap files apply)."""
    name = _name_of_devnode(host, target)
    if name is not None:
        return protections_for_disk(host, name)
    real = os.path.realpath(target)
    for line in (host.read_text("/proc/swaps") or "").splitlines()[1:]:
        parts = line.split()
        if parts and os.path.realpath(parts[0]) == real:
            return [Protection(Reason.SWAP, real)]
    return []


def check_writable(host: Host, target: str) -> None:
    """Raise ProtectedDeviceError when `target` must not be written. Called by the engine before open."""
    found = protections_for_path(host, target)
    if found:
        raise ProtectedDeviceError(target, found)


def record_boot_medium(host: Host) -> dict[str, str] | None:
    """Write down the boot medium's identity at boot, before `toram` unmounts it (run by a systemd unit)."""
    for entry in mounts(host):
        if entry.mountpoint == LIVE_MEDIUM_MOUNT:
            disk = _disk_of_source(host, entry.source) or _disk_of_devnum(host, entry.devnum)
            if not disk:
                continue
            devnum = _devnum(host, disk) or ""
            serial = udev_property(host, devnum, "ID_SERIAL_SHORT") or udev_property(host, devnum, "ID_SERIAL") or ""
            record = {"disk": disk, "devnum": devnum, "serial": serial, "found_by": "live-mount"}
            atomic.write_text(Path(host.path(BOOT_MEDIUM_RECORD)), json.dumps(record) + "\n")
            return record
    return None
