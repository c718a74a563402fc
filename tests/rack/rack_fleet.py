"""What the scenarios share: a set of dirty drives on every hot-pluggable bus, the wipe call, the
result records and certificate checks, all seen from the host."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import GUEST_DATA_DIR, Bus, Drive, Rack
from rack_build import REPO
from rack_images import make_random_image

DRIVE_MIB = 32  # 4 chunks of the engine's 8 MiB; every MiB costs seconds under TCG


@dataclass(frozen=True)
class DirtyDrive:
    """A drive filled with random data, and the digests of its original 4 KiB blocks."""

    drive: Drive
    original: frozenset[bytes]


def dirty_drive(directory: Path, drive_id: str, bus: Bus, serial: str, size_mib: int = DRIVE_MIB,
                **faults: Any) -> DirtyDrive:
    image = directory / f"{drive_id}.img"
    original = make_random_image(image, size_mib)
    return DirtyDrive(Drive(drive_id, bus, serial, image, **faults), original)


def four_buses(directory: Path, **per_drive: dict[str, Any]) -> list[DirtyDrive]:
    """NVMe, virtio-blk, virtio-scsi and USB drives; per_drive[id] adds faults/throttling to one."""
    specs = [("nvme1", Bus.NVME, "RACK-NVME-0001"), ("vblk1", Bus.VIRTIO, "RACK-VBLK-0001"),
             ("scsi1", Bus.SCSI, "RACK-SCSI-0001"), ("usb1", Bus.USB, "RACK-USB-0001")]
    return [dirty_drive(directory, i, bus, serial, **per_drive.get(i, {})) for i, bus, serial in specs]


def plug_all(rack: Rack, drives: list[DirtyDrive]) -> None:
    for d in drives:
        rack.plug(d.drive)
    rack.wait_for_serials([d.drive.serial for d in drives])


def devnode(rack: Rack, serial: str) -> str:
    """The whole-disk node udev linked for this serial (never a partition link)."""
    found = rack.sh(f"for l in /dev/disk/by-id/*{serial}*; do case $l in *-part*) ;; *) readlink -f $l;; esac; "
                    "done | sort -u").check().stdout.split()
    assert len(found) == 1, f"serial {serial}: expected one disk, udev links point to {found}"
    return found[0]


def results_by_serial(stdout: str) -> dict[str, dict[str, Any]]:
    """`station wipe --json` prints one JSON object per target."""
    records = [json.loads(line) for line in stdout.splitlines() if line.strip().startswith("{")]
    return {r["serial"]: r for r in records}


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(0.2)


def fetch_certificate(rack: Rack, guest_cert: str, into: Path) -> Path:
    """Copy a certificate, its signature and the station's public key out of the guest."""
    into.mkdir(parents=True, exist_ok=True)
    name = Path(guest_cert).name
    (into / name).write_bytes(rack.read_guest_file(guest_cert))
    (into / f"{name}.sig").write_bytes(rack.read_guest_file(f"{guest_cert}.sig"))
    (into / "station.pub.pem").write_bytes(rack.read_guest_file(f"{GUEST_DATA_DIR}/keys/station.pub.pem"))
    return into / name


def assert_no_erasure_certificate(rack: Rack, result: dict[str, Any]) -> None:
    """A failed job may leave a signed failure report, never a certificate of erasure."""
    if result["certificate"] is None:
        return
    record = json.loads(rack.read_guest_file(result["certificate"]))
    assert (record.get("kind"), record.get("result")) == ("failure-report", "failed"), \
        f"a failed job got {record.get('kind')}/{record.get('result')}: {result['certificate']}"


def verify_on_host(certificate: Path) -> subprocess.CompletedProcess[str]:
    """`station verify` from the host's tree: the donor's offline check, outside the guest."""
    return subprocess.run([sys.executable, "-m", "station.cli", "verify", str(certificate), "--pubkey",
                           str(certificate.parent / "station.pub.pem")],
                          cwd=REPO, capture_output=True, text=True, check=False)


def guest_files(rack: Rack, directory: str) -> list[str]:
    return rack.sh(f"cd {directory} 2>/dev/null && find . -type f | sort").check().stdout.split()
