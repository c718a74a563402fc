"""Find and record the key Station booted from, even once `toram` has unmounted it.

`protect.record_boot_medium` reads the disk behind /run/live/medium. With `toram`, live-boot copies the
medium to RAM and unmounts the key before systemd starts, so /run/live/medium is a tmpfs. The image
build then gives the ISO a per-build volume UUID and writes it to /etc/station/image.json; the disk
carrying a filesystem with that UUID is the boot key.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from station.detect import protect
from station.hw import Host
from station.store import atomic

IMAGE_INFO = "/etc/station/image.json"


@dataclass(frozen=True)
class BootMedium:
    disk: str
    devnum: str
    serial: str
    found_by: str  # "live-mount" (medium still mounted) or "iso-uuid" (after toram)

    def to_record(self) -> dict[str, str]:
        return {"disk": self.disk, "devnum": self.devnum, "serial": self.serial, "found_by": self.found_by}


def image_iso_uuid(host: Host) -> str | None:
    """The ISO volume UUID this image was built with, or None off the live image or on a corrupt file."""
    text = host.read_text(IMAGE_INFO)
    if not text:
        return None
    try:
        value = json.loads(text).get("iso_uuid")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None


def disk_by_iso_uuid(host: Host, uuid: str) -> str | None:
    """Whole disk carrying the filesystem with `uuid`, through udev's /dev/disk/by-uuid link."""
    link = f"/dev/disk/by-uuid/{uuid}"
    if not host.path(link).exists():
        return None
    name = os.path.basename(host.realpath(link))
    if not host.path(f"/sys/class/block/{name}").exists():
        return None
    return protect.whole_disk(host, name)


def _serial(host: Host, devnum: str) -> str:
    return (protect.udev_property(host, devnum, "ID_SERIAL_SHORT")
            or protect.udev_property(host, devnum, "ID_SERIAL") or "")


def record(host: Host) -> BootMedium | None:
    """Record the boot medium in protect.BOOT_MEDIUM_RECORD; None when it cannot be found (yet)."""
    found = protect.record_boot_medium(host)
    if found:
        return BootMedium(found["disk"], found["devnum"], found["serial"], "live-mount")
    uuid = image_iso_uuid(host)
    disk = disk_by_iso_uuid(host, uuid) if uuid else None
    if disk is None:
        return None
    devnum = host.read_attr(f"/sys/class/block/{disk}/dev") or ""
    medium = BootMedium(disk, devnum, _serial(host, devnum), "iso-uuid")
    atomic.write_text(Path(host.path(protect.BOOT_MEDIUM_RECORD)), json.dumps(medium.to_record()) + "\n")
    return medium
