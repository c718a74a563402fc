"""Scenario 4: a drive whose sectors throw EIO (QEMU blkdebug on reads and writes) is FAILED, the
failing range is reported, and no certificate of erasure is issued (a signed failure report may be)."""

from __future__ import annotations

from pathlib import Path

from harness import Bus, Rack
from rack_fleet import assert_no_erasure_certificate, devnode, dirty_drive, plug_all, results_by_serial
from rack_skips import require_commands

BAD_SECTOR = 40_000  # about 19.5 MiB into a 32 MiB drive, in its third 8 MiB chunk


def test_eio_range_fails_the_job_and_names_the_range(rack: Rack, tmp_path: Path) -> None:
    require_commands("wipe")
    bad = dirty_drive(tmp_path, "bad1", Bus.NVME, "RACK-BAD-0001", eio_sectors=(BAD_SECTOR,))
    rack.boot()
    plug_all(rack, [bad])

    done = rack.station("wipe", devnode(rack, bad.drive.serial), "--method", "zero", "--verify", "full",
                        "--yes", "--json", timeout=600)

    assert done.returncode == 1, f"exit {done.returncode}\n{done.stderr[-2000:]}"
    result = results_by_serial(done.stdout)[bad.drive.serial]
    assert result["state"] == "failed" and result["erased"] is False, result
    assert_no_erasure_certificate(rack, result)
    bad_byte = BAD_SECTOR * 512
    covering = [e for e in result["errors"] if e["offset"] <= bad_byte < e["offset"] + e["length"]]
    assert covering, f"no reported error range covers byte {bad_byte}: {result['errors']}"
    assert all(e["length"] <= 8 << 20 for e in covering), f"range too coarse to act on: {covering}"
