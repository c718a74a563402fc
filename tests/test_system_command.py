"""`station system` boot tasks on synthetic machine profiles (tmp trees written by the tests themselves)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.cli import main
from station.detect import bootmedium, protect
from station.hw import Host, ReplayRunner
from station.store import datamount

DEV = "/dev/sda3"
MOUNT_ARGV = ["mount", "-t", "vfat", "-o", "rw,noatime,flush,errors=remount-ro", DEV, datamount.MOUNT_POINT]
RO_ARGV = ["mount", "-t", "vfat", "-o", "ro,noatime", DEV, datamount.MOUNT_POINT]


def _write(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def _link(root: Path, path: str, dest: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(dest, target)


def _key_profile(tmp_path: Path, mountinfo: str = "", with_label: bool = True) -> Path:
    root = tmp_path / "root"
    _write(root, "/sys/class/block/sda/dev", "8:0\n")
    _write(root, "/sys/class/block/sda/sda3/partition", "3\n")
    _write(root, "/sys/class/block/sda/sda3/dev", "8:3\n")
    _link(root, "/sys/class/block/sda3", "sda/sda3")
    (root / "sys/block").mkdir(parents=True)
    _link(root, "/sys/block/sda", "../class/block/sda")
    _write(root, "/dev/sda", "")
    _write(root, DEV, "")
    if with_label:
        _link(root, "/dev/disk/by-label/STATIONDATA", "../../sda3")
    _write(root, "/proc/self/mountinfo", mountinfo)
    return tmp_path


def _host(profile: Path, runner: ReplayRunner) -> Host:
    return Host(root=profile / "root", runner=runner, env={})


def test_mount_data_mounts_and_creates_the_data_dir(tmp_path: Path) -> None:
    runner = ReplayRunner()
    runner.add(["fsck.fat", "-a", "-w", DEV])
    runner.add(MOUNT_ARGV)
    host = _host(_key_profile(tmp_path), runner)
    status = datamount.mount_data(host, retries=0)
    assert status.state is datamount.DataState.MOUNTED, status
    assert status.device == DEV and status.mountpoint == datamount.MOUNT_POINT
    assert (host.path(datamount.MOUNT_POINT) / "station" / "certificates").is_dir()
    assert tuple(MOUNT_ARGV) in runner.calls
    assert tuple(RO_ARGV) not in runner.calls


def test_mount_data_falls_back_to_read_only(tmp_path: Path) -> None:
    runner = ReplayRunner()
    runner.add(MOUNT_ARGV, returncode=32, stderr="mount: /run/station/data: cannot mount /dev/sda3 read-write")
    runner.add(RO_ARGV)
    status = datamount.mount_data(_host(_key_profile(tmp_path), runner), retries=0)
    assert status.state is datamount.DataState.READ_ONLY
    assert "read-write mount failed" in status.detail
    assert "NE sont PAS" in status.message_fr and "NOT saved" in status.message_en


def test_mount_data_waits_then_reports_missing(tmp_path: Path) -> None:
    naps: list[float] = []
    runner = ReplayRunner()
    status = datamount.mount_data(_host(_key_profile(tmp_path, with_label=False), runner), retries=4,
                                  sleep=naps.append)
    assert status.state is datamount.DataState.MISSING
    assert naps == [1.0] * 4
    assert runner.calls == []  # nothing mounted, nothing checked


def test_mount_data_sees_an_existing_mount_by_device_identity(tmp_path: Path) -> None:
    mountinfo = "36 25 8:3 / /media/usb rw,relatime shared:1 - vfat /dev/sda3 rw\n"
    runner = ReplayRunner()
    host = _host(_key_profile(tmp_path, mountinfo), runner)
    (host.path("/media/usb")).mkdir(parents=True)
    status = datamount.mount_data(host, retries=0)
    assert status.state is datamount.DataState.MOUNTED
    assert status.mountpoint == "/media/usb"
    assert runner.calls == []


def test_status_round_trips_and_corrupt_status_is_none(tmp_path: Path) -> None:
    host = _host(_key_profile(tmp_path), ReplayRunner())
    status = datamount.DataStatus(datamount.DataState.FULL, DEV, "/run/station/data", 1024, "1024 bytes free")
    datamount.write_status(host, status)
    assert datamount.read_status(host) == status
    host.path(datamount.STATUS_FILE).write_text("{not json")
    assert datamount.read_status(host) is None


def test_cli_mount_data_exit_code_says_missing(tmp_path: Path) -> None:
    profile = _key_profile(tmp_path, with_label=False)
    code = main(["--profile", str(profile), "system", "mount-data", "--retries", "0", "--json"])
    assert code == datamount.EXIT_CODES[datamount.DataState.MISSING] == 3
    written = json.loads((profile / "root" / datamount.STATUS_FILE.lstrip("/")).read_text())
    assert written["state"] == "missing"


def _toram_profile(tmp_path: Path, uuid: str = "2031-05-17-10-22-41-07") -> Path:
    """After `toram`: /run/live/medium is a tmpfs, the key (sda) is attached but not mounted."""
    profile = _key_profile(tmp_path, "40 25 0:52 / /run/live/medium ro,relatime - tmpfs tmpfs ro\n")
    root = profile / "root"
    _write(root, bootmedium.IMAGE_INFO, json.dumps({"iso_uuid": uuid, "iso_label": "STATION_LIVE"}))
    _link(root, f"/dev/disk/by-uuid/{uuid}", "../../sda")
    _write(root, "/run/udev/data/b8:0", "E:ID_SERIAL_SHORT=KEY0042\nE:ID_BUS=usb\n")
    return profile


def test_boot_key_stays_protected_after_toram(tmp_path: Path) -> None:
    host = _host(_toram_profile(tmp_path), ReplayRunner())
    assert protect.protections_for_disk(host, "sda") == []  # the mount alone no longer shows it
    medium = bootmedium.record(host)
    assert medium is not None and medium.disk == "sda" and medium.found_by == "iso-uuid"
    assert medium.serial == "KEY0042"
    reasons = [p.reason for p in protect.protections_for_disk(host, "sda")]
    assert reasons == [protect.Reason.BOOT_MEDIUM]


def test_boot_key_still_mounted_is_recorded_as_found_by_its_live_mount(tmp_path: Path) -> None:
    """Booted from the key (no toram): /run/live/medium is the key's partition, and the record says so."""
    profile = _key_profile(tmp_path, "40 25 8:3 / /run/live/medium ro,relatime - iso9660 /dev/sda3 ro\n")
    _write(profile / "root", "/run/udev/data/b8:0", "E:ID_SERIAL_SHORT=KEY0042\nE:ID_BUS=usb\n")
    host = _host(profile, ReplayRunner())
    medium = bootmedium.record(host)
    assert medium is not None and (medium.disk, medium.found_by, medium.serial) == ("sda", "live-mount", "KEY0042")
    written = json.loads(host.path(protect.BOOT_MEDIUM_RECORD).read_text())
    assert written == {"disk": "sda", "devnum": "8:0", "serial": "KEY0042", "found_by": "live-mount"}


def test_no_medium_when_uuid_disk_absent_or_image_info_corrupt(tmp_path: Path) -> None:
    profile = _toram_profile(tmp_path)
    root = profile / "root"
    (root / "dev/disk/by-uuid").joinpath("2031-05-17-10-22-41-07").unlink()
    host = _host(profile, ReplayRunner())
    assert bootmedium.record(host) is None
    assert not host.path(protect.BOOT_MEDIUM_RECORD).exists()
    _write(root, bootmedium.IMAGE_INFO, "[]")
    assert bootmedium.image_iso_uuid(host) is None
    assert main(["--profile", str(profile), "system", "record-boot-medium"]) == 1


def test_unit_entry_point_runs_the_same_task(tmp_path: Path) -> None:
    from station.commands import system

    profile = _key_profile(tmp_path, with_label=False)
    assert system.main(["--profile", str(profile), "mount-data", "--retries", "0"]) == 3


@contextlib.contextmanager
def _tmpfs(where: Path, options: str) -> Iterator[None]:
    """A real, tiny filesystem at `where`, so statvfs gives true free space and read-only flags."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs (CI runs as root)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


@pytest.mark.root  # mounts a real tmpfs
def test_mount_data_reports_full_below_the_low_space_mark(tmp_path: Path) -> None:
    runner = ReplayRunner()
    runner.add(["fsck.fat", "-a", "-w", DEV])
    runner.add(MOUNT_ARGV)
    host = _host(_key_profile(tmp_path), runner)
    where = host.path(datamount.MOUNT_POINT)
    with _tmpfs(where, "size=4m"):
        # 4 MiB with 1 MiB used is still above the 2 MiB mark: mounted, and the data dir is created
        (where / "filler").write_bytes(b"\0" * (1024 * 1024))
        assert datamount.mount_data(host, retries=0).state is datamount.DataState.MOUNTED
        (where / "filler2").write_bytes(b"\0" * (2 * 1024 * 1024))
        status = datamount.mount_data(host, retries=0)
        assert status.state is datamount.DataState.FULL, status
        assert status.free_bytes is not None and status.free_bytes < datamount.LOW_SPACE_BYTES
        assert "pleine" in status.message_fr and "full" in status.message_en


@pytest.mark.root  # mounts a real tmpfs
def test_mount_data_reports_read_only_when_the_mount_is_read_only(tmp_path: Path) -> None:
    # mount(8) falls back to a read-only mount by itself on a write-protected key and still exits 0
    runner = ReplayRunner()
    runner.add(["fsck.fat", "-a", "-w", DEV], returncode=4, stdout="Read-only file system")
    runner.add(MOUNT_ARGV)
    host = _host(_key_profile(tmp_path), runner)
    with _tmpfs(host.path(datamount.MOUNT_POINT), "size=4m,ro"):
        status = datamount.mount_data(host, retries=0)
    assert status.state is datamount.DataState.READ_ONLY, status
    assert "fsck.fat exit 4" in status.detail
    assert tuple(RO_ARGV) not in runner.calls


@pytest.mark.root  # mounts a real tmpfs
def test_mount_data_reports_full_when_the_data_dir_cannot_be_created(tmp_path: Path) -> None:
    # blocks to spare but no inode left: creating station/ fails with ENOSPC, which is "full", not "read-only"
    runner = ReplayRunner()
    runner.add(["fsck.fat", "-a", "-w", DEV])
    runner.add(MOUNT_ARGV)
    host = _host(_key_profile(tmp_path), runner)
    with _tmpfs(host.path(datamount.MOUNT_POINT), "size=8m,nr_inodes=2"):
        status = datamount.mount_data(host, retries=0)
    assert status.state is datamount.DataState.FULL, status
    assert status.free_bytes is not None and status.free_bytes >= datamount.LOW_SPACE_BYTES
    assert "cannot create the data dir" in status.detail
