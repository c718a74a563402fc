"""Issue 9 in the rack: drive commands on QEMU's real emulated controllers, proven from the host.

QEMU's NVMe Format really zeroes the namespace: the job is ERASED and labelled Clear (IEEE 2883 puts
Format NVM under Clear). QEMU's SCSI FORMAT UNIT reports success and changes nothing: forced by naming
the technique, the job must end FAILED with "data remained", never with a certificate of erasure.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness import Bus, Rack
from rack_fleet import assert_no_erasure_certificate, devnode, dirty_drive, plug_all, results_by_serial
from rack_images import scan
from rack_skips import require_commands


def test_nvme_format_zeroes_and_is_labelled_clear_scsi_format_unit_lies_and_fails(rack: Rack,
                                                                                  tmp_path: Path) -> None:
    require_commands("wipe")
    nvme = dirty_drive(tmp_path, "fmt1", Bus.NVME, "RACK-FMT-0001", size_mib=16)
    scsi = dirty_drive(tmp_path, "fu1", Bus.SCSI, "RACK-FU-0001", size_mib=16)
    rack.boot()
    plug_all(rack, [nvme, scsi])

    formatted = rack.station("wipe", devnode(rack, nvme.drive.serial), "--method", "nvme-format-user-data",
                             "--yes", "--json", timeout=600)
    lied = rack.station("wipe", devnode(rack, scsi.drive.serial), "--method", "scsi-format-unit",
                        "--yes", "--json", timeout=600)

    good = results_by_serial(formatted.stdout)[nvme.drive.serial]
    assert formatted.returncode == 0, formatted.stderr[-3000:]
    assert good["erased"] is True and good["nist_category"] == "clear", good
    assert good["verification"]["mode"] == "markers" and good["verification"]["passed"] is True, good
    record = json.loads(rack.read_guest_file(good["certificate"]))
    assert record["sanitization"]["nist_category"] == "clear" and record["result"] == "erased", record

    bad = results_by_serial(lied.stdout)[scsi.drive.serial]
    assert lied.returncode == 1, lied.stderr[-3000:]
    assert bad["state"] == "failed" and bad["erased"] is False, bad
    assert (bad["failure"] or "").startswith("device reported success but data remained"), bad
    assert_no_erasure_certificate(rack, bad)
    rack.power_off()

    zeroed = scan(nvme.drive.image, nvme.original, final_byte=0)
    assert zeroed.clean, f"NVMe Format left data at {zeroed.surviving[:5]} / {zeroed.off_pattern[:5]}"
    kept = scan(scsi.drive.image, scsi.original, final_byte=None)
    assert len(kept.surviving) > kept.blocks // 2, "FORMAT UNIT is a no-op in QEMU: most blocks must remain"
