"""Scenario 5: power lost mid-wipe (QEMU killed). On the next boot with the same data disk the job is
INTERRUPTED, nothing half-written is left in the data dir, and restarting the job completes and
certifies; the host then finds only zeros on the drive."""

from __future__ import annotations

import json
from pathlib import Path

from harness import Bus, Drive, Rack
from rack_build import GuestImage
from rack_fleet import (
    DirtyDrive,
    devnode,
    dirty_drive,
    fetch_certificate,
    guest_files,
    plug_all,
    verify_on_host,
    wait_until,
)
from rack_images import first_mib_changed, scan
from rack_skips import require_commands

SLOW_BPS = 2 << 20  # 32 MiB at 2 MiB/s: a 16 s pass, room to cut the power mid-pass


def test_power_loss_leaves_interrupted_job_that_restarts_and_certifies(
        rack: Rack, rack_guest: GuestImage, data_disk: Path, tmp_path: Path) -> None:
    require_commands("wipe", "jobs", "verify")
    victim = dirty_drive(tmp_path, "nvme1", Bus.NVME, "RACK-PWR-0001", throttle_bps=SLOW_BPS)
    rack.boot()
    plug_all(rack, [victim])
    target = devnode(rack, victim.drive.serial)
    rack.agent.spawn(rack.station_argv("wipe", target, "--method", "zero", "--verify", "full", "--yes"))
    wait_until(lambda: first_mib_changed(victim.drive.image, victim.original), 300, "the pass began")
    wait_until(lambda: bool(guest_files(rack, "/data/station/jobs")), 60, "the job journal was written")
    rack.pull_power()

    with Rack(rack_guest, tmp_path / "run-after", data_disk) as after:
        after.boot()
        unthrottled = DirtyDrive(Drive(victim.drive.id, victim.drive.bus, victim.drive.serial,
                                       victim.drive.image), victim.original)
        plug_all(after, [unthrottled])
        assert devnode(after, victim.drive.serial) == target

        listed = after.station("jobs", "--json").check().stdout
        jobs = [json.loads(line) for line in listed.splitlines() if line.strip()]
        assert [j["state"] for j in jobs] == ["interrupted"], listed
        assert jobs[0]["erased"] is False
        leftovers = [f for f in guest_files(after, "/data/station") if f.endswith(".tmp") or "/." in f]
        assert not leftovers, f"half-written files after the power loss: {leftovers}"
        for name in guest_files(after, "/data/station/jobs"):
            json.loads(after.read_guest_file(f"/data/station/jobs/{name}"))
        assert not guest_files(after, "/data/station/certificates"), "no certificate for an interrupted job"

        restarted = after.station("jobs", "restart", jobs[0]["job_id"], "--yes", "--json", timeout=600)
        assert restarted.returncode == 0, f"{restarted.stdout}\n{restarted.stderr[-2000:]}"
        result = json.loads(restarted.stdout.strip().splitlines()[-1])
        assert result["erased"] is True and result["certificate"], result
        cert = fetch_certificate(after, result["certificate"], tmp_path / "cert")
        after.power_off()

    assert scan(victim.drive.image, victim.original, final_byte=0).clean
    checked = verify_on_host(cert)
    assert checked.returncode == 0, checked.stdout + checked.stderr
