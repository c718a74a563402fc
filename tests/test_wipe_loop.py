"""Real block devices: loop devices erased, and protected ones refused and left intact (root only)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.detect.protect import Reason, protections_for_path
from station.erase.engine import EraseRunner, passes_for
from station.erase.jobs import EraseJob, JobState, new_job_id
from station.hw import Host

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="loop devices need root (CI runs as root)")
MIB = 1 << 20


def run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def loop(disk_dir: Path) -> Iterator[tuple[str, Path]]:
    backing = disk_dir / "loop.img"
    backing.write_bytes(os.urandom(32 * MIB))
    dev = run("losetup", "--find", "--show", "--partscan", str(backing))
    try:
        yield dev, backing
    finally:
        subprocess.run(["umount", "-l", str(disk_dir / "mnt")], capture_output=True, check=False)
        subprocess.run(["losetup", "-d", dev], capture_output=True, check=False)


def station(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "station.cli", "--lang", "en", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=300, check=False)


def test_loop_device_is_erased_and_verified(loop: tuple[str, Path], disk_dir: Path) -> None:
    dev, backing = loop
    res = station(disk_dir / "data", "wipe", dev, "--method", "random", "--yes", "--json")
    assert res.returncode == 0, res.stderr
    original = backing.read_bytes()
    assert original.count(0) < len(original) // 100  # random pattern, not zeros
    res = station(disk_dir / "data", "wipe", dev, "--method", "zero", "--yes")
    assert res.returncode == 0, res.stderr
    assert backing.read_bytes() == bytes(32 * MIB)


def test_mounted_loop_device_is_refused_everywhere_and_left_intact(loop: tuple[str, Path], disk_dir: Path) -> None:
    dev, backing = loop
    run("mkfs.ext4", "-q", dev)
    mnt = disk_dir / "mnt"
    mnt.mkdir()
    run("mount", dev, str(mnt))
    (mnt / "donor-file.txt").write_text("private letter")
    run("sync")
    before = backing.read_bytes()
    reasons = [p.reason for p in protections_for_path(Host(), dev)]
    assert reasons == [Reason.MOUNTED]
    res = station(disk_dir / "data", "wipe", dev, "--yes")
    assert res.returncode == 2 and "REFUSED" in res.stderr and "mounted" in res.stderr
    job = EraseRunner(EraseJob(new_job_id(), dev, "zero", "full", passes_for("zero"), "clear", "overwrite")).run()
    assert job.state is JobState.FAILED and (job.failure or "").startswith("refused:") and "mounted" in job.failure
    assert backing.read_bytes() == before


def test_loop_with_a_mounted_partition_is_refused(loop: tuple[str, Path], disk_dir: Path) -> None:
    dev, backing = loop
    subprocess.run(["sfdisk", "-q", dev], input="start=2048, size=20480, type=83\n", text=True, check=True,
                   capture_output=True)
    run("partx", "-u", dev)
    part = f"{dev}p1"
    for _ in range(50):
        if os.path.exists(part):
            break
        subprocess.run(["sleep", "0.1"], check=True)
    if not os.path.exists(part):
        subprocess.run(["mknod", part, "b", *run("cat", f"/sys/class/block/{Path(part).name}/dev").split(":")],
                       check=True)
    run("mkfs.ext4", "-q", part)
    mnt = disk_dir / "mnt"
    mnt.mkdir()
    run("mount", part, str(mnt))
    before = backing.read_bytes()
    reasons = [p.reason for p in protections_for_path(Host(), dev)]
    assert Reason.MOUNTED_CHILD in reasons
    res = station(disk_dir / "data", "wipe", dev, "--yes")
    assert res.returncode == 2 and "partitions is mounted" in res.stderr
    res = station(disk_dir / "data", "wipe", part, "--yes")
    assert res.returncode == 2 and "partition" in res.stderr
    assert backing.read_bytes() == before
