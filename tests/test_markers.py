"""Marker blocks on plain files (O_DIRECT on a disk-backed fs) and on a loop device (root)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from skips import needs_root

from station.erase import markers

SIZE = 8 << 20


def drive(disk_dir: Path, fill: bytes = b"\x00") -> str:
    path = disk_dir / "drive.img"
    path.write_bytes(fill * SIZE)
    return str(path)


def test_markers_cover_first_last_and_seeded_lbas(disk_dir: Path) -> None:
    path = drive(disk_dir)
    ms = markers.write(path, SIZE, 512, seed=5)
    blocks = SIZE // 512
    assert ms.lbas[0] == 0 and ms.lbas[-1] == blocks - 1 and len(ms.lbas) == 34
    assert ms.lbas == markers.choose_lbas(SIZE, 512, 5)
    assert ms.lbas != markers.choose_lbas(SIZE, 512, 6)
    assert markers.MarkerSet.from_dict(ms.to_dict()) == ms
    with open(path, "rb") as f:
        f.seek(ms.lbas[3] * 512)
        assert f.read(512) == markers.marker_block(5, ms.lbas[3], 512)


def test_untouched_markers_all_survive(disk_dir: Path) -> None:
    path = drive(disk_dir)
    ms = markers.write(path, SIZE, 4096, seed=1)
    result = markers.check(path, ms)
    assert sorted(result.survivors) == list(ms.lbas) and not result.passed
    verdict = markers.judge(True, result)
    assert verdict.failure is not None and verdict.failure.startswith(markers.FAILURE_DATA_REMAINED)


@pytest.mark.parametrize("fill", [b"\x00", b"\xff"])
def test_erased_drive_has_no_survivors(disk_dir: Path, fill: bytes) -> None:
    path = drive(disk_dir)
    ms = markers.write(path, SIZE, 512, seed=2)
    Path(path).write_bytes(fill * SIZE)
    result = markers.check(path, ms)
    assert result.passed and result.checked == len(ms.lbas)
    assert markers.judge(True, result).passed
    assert not markers.judge(False, result).passed  # the drive must also say success


def test_random_overwrite_erases_and_partial_erase_is_caught(disk_dir: Path) -> None:
    path = drive(disk_dir)
    ms = markers.write(path, SIZE, 512, seed=3)
    Path(path).write_bytes(os.urandom(SIZE))
    assert markers.check(path, ms).passed
    ms = markers.write(path, SIZE, 512, seed=4)
    victim = ms.lbas[5]
    with open(path, "r+b") as f:  # everything erased except the second half of one marker
        keep = markers.marker_block(4, victim, 512)[256:]
        f.write(b"\0" * SIZE)
        f.seek(victim * 512 + 256)
        f.write(keep)
    assert markers.check(path, ms).survivors == [victim]


def test_unreadable_markers_prove_nothing(disk_dir: Path) -> None:
    path = drive(disk_dir)
    ms = markers.write(path, SIZE, 512, seed=9)
    os.truncate(path, SIZE // 2)  # the tail vanished: short reads
    result = markers.check(path, ms)
    assert result.unreadable and not result.passed
    assert not markers.judge(True, result).passed


def test_tiny_device_is_refused() -> None:
    with pytest.raises(ValueError):
        markers.choose_lbas(100, 512, 1)


@needs_root()
def test_markers_on_a_loop_device(disk_dir: Path) -> None:
    backing = drive(disk_dir)
    try:
        dev = subprocess.run(["losetup", "--find", "--show", "--direct-io=on", backing], check=True,
                             capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"no loop device available: {exc}")
    try:
        ms = markers.write(dev, SIZE, 512, seed=21)
        assert sorted(markers.check(dev, ms).survivors) == list(ms.lbas)
        fd = os.open(dev, os.O_WRONLY)
        try:
            os.pwrite(fd, b"\0" * SIZE, 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        assert markers.check(dev, ms).passed
    finally:
        subprocess.run(["losetup", "-d", dev], check=False)
