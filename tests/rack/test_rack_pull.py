"""Scenario 3: a drive pulled mid-pass (QMP device_del) ends FAILED with no certificate of erasure (a
failure report at most), while the others finish and certify. The pulled drive is throttled so the pull
lands inside its first pass; the host checks that it did (original blocks remain) and that the others
hold only zeros."""

from __future__ import annotations

from pathlib import Path

from harness import Rack
from rack_fleet import (
    assert_no_erasure_certificate,
    devnode,
    four_buses,
    plug_all,
    results_by_serial,
    wait_until,
)
from rack_images import first_mib_changed, scan
from rack_skips import require_commands

PULLED = "usb1"
SLOW_BPS = 2 << 20  # 32 MiB at 2 MiB/s: a 16 s first pass, plenty of room for the pull


def test_pulled_drive_fails_without_certificate_others_certify(rack: Rack, tmp_path: Path) -> None:
    require_commands("wipe")
    drives = four_buses(tmp_path, **{PULLED: {"throttle_bps": SLOW_BPS}})
    pulled = next(d for d in drives if d.drive.id == PULLED)
    rack.boot()
    plug_all(rack, drives)
    targets = [devnode(rack, d.drive.serial) for d in drives]

    argv = rack.station_argv("wipe", *targets, "--method", "zero", "--verify", "full", "--yes", "--json")
    pid = rack.agent.spawn(argv)
    wait_until(lambda: first_mib_changed(pulled.drive.image, pulled.original), 300, "the pulled drive's pass began")
    rack.unplug(pulled.drive)
    done = rack.agent.wait(pid, argv, timeout=600)

    results = results_by_serial(done.stdout)
    assert done.returncode == 1, f"one drive failed, so wipe must exit 1; got {done.returncode}\n{done.stderr[-2000:]}"
    lost = results[pulled.drive.serial]
    assert lost["state"] == "failed" and lost["erased"] is False, lost
    assert lost["failure"], "a failed job must say why"
    assert_no_erasure_certificate(rack, lost)
    kept = [d for d in drives if d is not pulled]
    for d in kept:
        result = results[d.drive.serial]
        assert result["erased"] is True and result["certificate"], result
    rack.power_off()

    assert scan(pulled.drive.image, pulled.original, final_byte=None).surviving, \
        "the pull must land mid-pass: some original blocks should remain on the pulled drive"
    for d in kept:
        assert scan(d.drive.image, d.original, final_byte=0).clean, d.drive.serial
