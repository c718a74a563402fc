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


def test_sata_disk_without_sanitize_plans_clear_says_why_and_is_erased(rack: Rack, tmp_path: Path) -> None:
    """QEMU's AHCI disk advertises neither SANITIZE nor ATA security: `wipe --method purge` must plan Clear
    and say why, from the drive's real IDENTIFY data (hdparm -I in the guest), then erase it for real."""
    require_commands("wipe", "drives")
    sata = dirty_drive(tmp_path, "sata1", Bus.SATA, "RACK-SATA-0001", size_mib=16, model="QEMU SATA SSD",
                       rotation_rate=1)
    rack.cold_plug(sata.drive)
    rack.boot()
    rack.wait_for_serials([sata.drive.serial])
    node = devnode(rack, sata.drive.serial)

    listed = {(d.get("serial") or {}).get("value"): d for d in rack.station_json("drives", "--json")["disks"]}
    disk = listed[sata.drive.serial]
    assert disk["bus"] == "ata" and not disk["protections"], disk
    purge = disk["purge"]
    caps = purge["capabilities"]
    assert caps["family"] == "ata" and caps["unknown"] is None, caps
    assert caps["ata"]["sanitize"]["supported"] is False, caps
    assert caps["ata"]["security"] is None or caps["ata"]["security"]["supported"] is False, caps
    assert (purge["technique"], purge["nist_category"]) == ("host-overwrite", "clear"), purge
    assert "does not support any SANITIZE operation" in purge["reason"], purge

    dry = rack.station("--lang", "en", "wipe", node, "--method", "purge", "--dry-run", timeout=600)
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "CLEAR by overwrite" in dry.stderr, dry.stderr[-3000:]
    assert "does not support any SANITIZE operation" in dry.stderr, dry.stderr[-3000:]
    untouched = scan(sata.drive.image, sata.original, final_byte=None)
    assert len(untouched.surviving) == untouched.blocks, "a dry run must not write"

    wiped = rack.station("wipe", node, "--method", "purge", "--yes", "--json", timeout=900)
    assert wiped.returncode == 0, wiped.stderr[-3000:]
    result = results_by_serial(wiped.stdout)[sata.drive.serial]
    assert result["erased"] is True and result["nist_category"] == "clear", result
    record = json.loads(rack.read_guest_file(result["certificate"]))
    assert record["sanitization"]["nist_category"] == "clear" and record["result"] == "erased", record
    rack.power_off()

    zeroed = scan(sata.drive.image, sata.original, final_byte=0)
    assert zeroed.clean, f"Clear on the SATA disk left data at {zeroed.surviving[:5]} / {zeroed.off_pattern[:5]}"
