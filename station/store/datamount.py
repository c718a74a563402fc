"""Mount the live key's STATIONDATA partition and say plainly whether certificates are being saved.

Run at boot by station-data.service (`station system mount-data`). The result goes to
/run/station/data-status.json so the TUI can warn the technician when the partition is missing,
read-only or full (certificates would then only live in RAM and vanish at power-off).
"""

from __future__ import annotations

import errno
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from station.hw import Host
from station.store import atomic, datadir

MOUNT_POINT = "/run/station/data"
STATUS_FILE = "/run/station/data-status.json"
LOW_SPACE_BYTES = 2 * 1024 * 1024  # below this a certificate PDF plus its evidence may not fit


class DataState(StrEnum):
    MOUNTED = "mounted"
    READ_ONLY = "read-only"
    FULL = "full"
    MISSING = "missing"


EXIT_CODES = {DataState.MOUNTED: 0, DataState.MISSING: 3, DataState.READ_ONLY: 4, DataState.FULL: 5}

_MESSAGES = {
    DataState.MOUNTED: ("Partition STATIONDATA montée : les certificats sont enregistrés sur la clé.",
                        "STATIONDATA partition mounted: certificates are saved on the key."),
    DataState.READ_ONLY: ("Partition STATIONDATA en lecture seule : les certificats NE sont PAS enregistrés "
                          "sur la clé.",
                          "STATIONDATA partition is read-only: certificates are NOT saved on the key."),
    DataState.FULL: ("Partition STATIONDATA pleine : videz-la (certificats envoyés) avant d'effacer.",
                     "STATIONDATA partition is full: empty it (sent certificates) before erasing."),
    DataState.MISSING: ("Partition STATIONDATA introuvable : les certificats restent en mémoire et seront "
                        "perdus à l'arrêt.",
                        "STATIONDATA partition not found: certificates stay in RAM and are lost at "
                        "power-off."),
}


@dataclass(frozen=True)
class DataStatus:
    state: DataState
    device: str | None
    mountpoint: str | None
    free_bytes: int | None
    detail: str

    @property
    def message_fr(self) -> str:
        return _MESSAGES[self.state][0]

    @property
    def message_en(self) -> str:
        return _MESSAGES[self.state][1]

    def to_dict(self) -> dict[str, object]:
        return {"state": self.state.value, "device": self.device, "mountpoint": self.mountpoint,
                "free_bytes": self.free_bytes, "detail": self.detail,
                "message_fr": self.message_fr, "message_en": self.message_en}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DataStatus:
        free = data.get("free_bytes")
        return cls(DataState(str(data["state"])), _opt_str(data.get("device")), _opt_str(data.get("mountpoint")),
                   free if isinstance(free, int) else None, str(data.get("detail") or ""))


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def read_status(host: Host) -> DataStatus | None:
    """What the last `mount-data` found; None when it never ran (not the live image) or the file is corrupt."""
    text = host.read_text(STATUS_FILE)
    if not text:
        return None
    try:
        data = json.loads(text)
        return DataStatus.from_dict(data) if isinstance(data, dict) else None
    except (ValueError, KeyError):
        return None


def _free_and_writable(host: Host, mountpoint: str) -> tuple[int | None, bool]:
    try:
        st = os.statvfs(host.path(mountpoint))
    except OSError:
        return None, False
    return st.f_bavail * st.f_frsize, not (st.f_flag & os.ST_RDONLY)


def _status_of_mounted(host: Host, device: str, mountpoint: str, detail: str) -> DataStatus:
    free, writable = _free_and_writable(host, mountpoint)
    if not writable:
        return DataStatus(DataState.READ_ONLY, device, mountpoint, free, detail or "mounted read-only")
    if free is not None and free < LOW_SPACE_BYTES:
        return DataStatus(DataState.FULL, device, mountpoint, free, detail or f"{free} bytes free")
    try:
        datadir.DataDir(Path(host.path(mountpoint)) / "station", "partition").ensure()
    except OSError as exc:
        # no room for the directories themselves (clusters, inodes) is a full partition, not a read-only one
        state = DataState.FULL if exc.errno == errno.ENOSPC else DataState.READ_ONLY
        return DataStatus(state, device, mountpoint, free, f"cannot create the data dir: {exc}")
    return DataStatus(DataState.MOUNTED, device, mountpoint, free, detail)


def mount_data(host: Host, retries: int = 30, delay: float = 1.0,
               sleep: Callable[[float], None] = time.sleep) -> DataStatus:
    """Wait for /dev/disk/by-label/STATIONDATA, check it, mount it read-write (read-only as a fallback)."""
    link = f"/dev/disk/by-label/{datadir.DATA_LABEL}"
    for attempt in range(retries + 1):
        if host.path(link).exists():
            break
        if attempt < retries:
            sleep(delay)
    else:
        return DataStatus(DataState.MISSING, None, None, None, f"{link} absent after {retries} retries")
    device = host.realpath(link)
    already = datadir.find_label_mount(host)
    if already is not None:
        return _status_of_mounted(host, device, str(already), "already mounted")
    # a key pulled out without unmounting leaves the FAT dirty; repair what fsck can before mounting
    fsck = host.run(["fsck.fat", "-a", "-w", device], timeout=120)
    detail = "" if fsck.returncode in (0, 1, 127) else f"fsck.fat exit {fsck.returncode}: {fsck.stdout[-200:]}"
    host.path(MOUNT_POINT).mkdir(parents=True, exist_ok=True)
    rw = host.run(["mount", "-t", "vfat", "-o", "rw,noatime,flush,errors=remount-ro", device, MOUNT_POINT])
    if rw.ok:
        return _status_of_mounted(host, device, MOUNT_POINT, detail)
    ro = host.run(["mount", "-t", "vfat", "-o", "ro,noatime", device, MOUNT_POINT])
    if ro.ok:
        return DataStatus(DataState.READ_ONLY, device, MOUNT_POINT, None,
                          f"read-write mount failed: {rw.stderr.strip()}")
    return DataStatus(DataState.MISSING, device, None, None, f"mount failed: {ro.stderr.strip() or rw.stderr.strip()}")


def write_status(host: Host, status: DataStatus) -> None:
    atomic.write_text(Path(host.path(STATUS_FILE)), json.dumps(status.to_dict(), ensure_ascii=False) + "\n")
