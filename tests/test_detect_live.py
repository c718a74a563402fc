"""Detection on the real machine, as root: a loop device over a file is listed, and protected once mounted."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.detect.drives import detect
from station.detect.protect import ProtectedDeviceError, Reason, check_writable
from station.hw import Host

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create loop devices (CI runs as root)"),
    pytest.mark.skipif(shutil.which("losetup") is None, reason="losetup (util-linux) not installed"),
]


@pytest.fixture
def loop_device(tmp_path: Path) -> Iterator[str]:
    image = tmp_path / "disk.img"
    with image.open("wb") as f:
        f.truncate(32 * 1024 * 1024)
    attach = subprocess.run(["losetup", "--find", "--show", str(image)], capture_output=True, text=True, check=False)
    if attach.returncode != 0:
        pytest.skip(f"cannot attach a loop device here: {attach.stderr.strip()}")
    device = attach.stdout.strip()
    try:
        yield device
    finally:
        subprocess.run(["losetup", "--detach", device], check=False)


def test_loop_listed_only_when_asked(loop_device: str) -> None:
    name = os.path.basename(loop_device)
    assert name not in {d.name for d in detect(Host(), identify=False).disks}
    disks = {d.name: d for d in detect(Host(), include_loops=True, identify=False).disks}
    disk = disks[name]
    assert disk.devnode == loop_device and disk.bus == "loop"
    assert disk.size_bytes == 32 * 1024 * 1024
    st = os.stat(loop_device)
    assert disk.devnum == f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    assert disk.extra["backing_file"].endswith("disk.img")
    assert not disk.protected


def test_mounted_loop_is_protected(loop_device: str, tmp_path: Path) -> None:
    if shutil.which("mkfs.ext4") is None:
        pytest.skip("mkfs.ext4 (e2fsprogs) not installed")
    subprocess.run(["mkfs.ext4", "-q", "-F", loop_device], check=True, capture_output=True)
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()
    mounted = subprocess.run(["mount", loop_device, str(mountpoint)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount here: {mounted.stderr.strip()}")
    try:
        name = os.path.basename(loop_device)
        disk = {d.name: d for d in detect(Host(), include_loops=True, identify=False).disks}[name]
        assert [p.reason for p in disk.protections] == [Reason.MOUNTED]
        assert str(mountpoint) in disk.protections[0].detail
        with pytest.raises(ProtectedDeviceError):
            check_writable(Host(), loop_device)
    finally:
        subprocess.run(["umount", str(mountpoint)], check=False)
    disk = {d.name: d for d in detect(Host(), include_loops=True, identify=False).disks}[name]
    assert not disk.protected
