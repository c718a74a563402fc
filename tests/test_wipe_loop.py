"""Real block devices: loop devices erased, and protected ones refused and left intact (root only)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import LyingDrive, OtherDriveOnRead, ZerosOnRead, opener

from station.detect.protect import Reason, protections_for_path
from station.erase.blockio import Opener
from station.erase.engine import DIGEST, EraseRunner, passes_for
from station.erase.jobs import EraseJob, JobState, new_job_id
from station.erase.shared_stream import StreamGroup
from station.hw import Host

pytestmark = [pytest.mark.root,
              pytest.mark.skipif(os.geteuid() != 0, reason="loop devices need root (CI runs as root)")]
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


BLOCK = 4096
# a bad range inside the first MiB, which sampled verification always reads too
BAD = (256 * 1024, 256 * 1024 + 3 * BLOCK)


@pytest.fixture
def two_loops(disk_dir: Path) -> Iterator[list[str]]:
    """Two 8 MiB loop devices full of random data (what a donor's drive holds before the erase)."""
    devs: list[str] = []
    try:
        for name in ("a", "b"):
            backing = disk_dir / f"{name}.img"
            backing.write_bytes(os.urandom(8 * MIB))
            devs.append(run("losetup", "--find", "--show", str(backing)))
        yield devs
    finally:
        for dev in devs:
            subprocess.run(["losetup", "-d", dev], capture_output=True, check=False)


def erase(dev: str, verify: str, open_with: Opener | None = None, group: StreamGroup | None = None) -> EraseJob:
    job = EraseJob(new_job_id(), dev, "random", verify, passes_for("random"), "clear", "overwrite")
    runner = EraseRunner(job, group=group) if open_with is None else EraseRunner(job, opener=open_with, group=group)
    return runner.run()


def assert_caught(job: EraseJob) -> None:
    """Failed, not erased, and the evidence points at the bad blocks only."""
    assert job.state is JobState.FAILED and not job.erased, job.failure
    assert job.verification is not None and not job.verification.passed
    sector = 512  # a loop device's logical block: mismatches are located (and counted) per sector
    assert job.verification.mismatch_offsets == list(range(BAD[0], BAD[1], sector))[:16]
    assert f"verification: {(BAD[1] - BAD[0]) // sector} block(s) of {sector} bytes" in " ".join(map(str, job.notes))
    assert "verification failed" in (job.failure or "")


@pytest.mark.parametrize("verify", ["full", "sample:1"])
def test_random_pass_verified_on_a_loop_device_says_how_it_compared(two_loops: list[str], verify: str) -> None:
    job = erase(two_loops[0], verify)
    assert job.erased, job.failure
    assert job.verification is not None
    # full verification of a random pass compares digests taken while writing; a sample regenerates the stream
    assert job.verification.comparison == (f"{DIGEST}/{2 * MIB}" if verify == "full" else "pattern")


@pytest.mark.parametrize("verify", ["full", "sample:1"])
def test_stale_data_fails_verification(two_loops: list[str], verify: str) -> None:
    """The drive acknowledged the writes to BAD but kept the donor's data there."""
    assert_caught(erase(two_loops[0], verify, opener(LyingDrive, *BAD)))  # type: ignore[arg-type]


@pytest.mark.parametrize("verify", ["full", "sample:1"])
def test_zeros_read_back_fail_verification_of_a_random_pass(two_loops: list[str], verify: str) -> None:
    assert_caught(erase(two_loops[0], verify, opener(ZerosOnRead, *BAD)))  # type: ignore[arg-type]


@pytest.mark.parametrize("verify", ["full", "sample:1"])
@pytest.mark.parametrize("together", [False, True], ids=["own-streams", "shared-stream"])
def test_another_drives_data_fails_verification(two_loops: list[str], verify: str, together: bool) -> None:
    """Drive B was erased with its own random pass, or with A in one group sharing a keystream (each drive with its
    own rotation of it); drive A's read-back of BAD returns B's (equally random) bytes."""
    a, b = two_loops
    group = StreamGroup() if together else None
    assert erase(b, "full", group=group).erased
    job = erase(a, verify, opener(OtherDriveOnRead, b, *BAD), group=group)  # type: ignore[arg-type]
    assert_caught(job)
    assert group is None or group.streams[0].served == 8  # both drives wrote the group's stream


def test_drives_erased_apart_get_their_own_streams(two_loops: list[str], disk_dir: Path) -> None:
    """Runners started without a group (station.erase.plan.execute gives one to drives started together) draw their
    own keystreams, so no two drives hold the same bytes."""
    a, b = two_loops
    jobs = [EraseJob(new_job_id(), dev, "random", "full", passes_for("random"), "clear", "overwrite") for dev in (a, b)]
    runners = [EraseRunner(job) for job in jobs]
    threads = [threading.Thread(target=r.run) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(job.erased for job in jobs), [job.failure for job in jobs]
    first, second = (disk_dir / "a.img").read_bytes(), (disk_dir / "b.img").read_bytes()
    assert first[:MIB] != second[:MIB] and first != second
