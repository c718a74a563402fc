"""Scenario 6: an NVMe drive whose SMART critical warning is set (qom-set smart_critical_warning) is
marked by the audit verdict with the rule that fired; a healthy NVMe beside it is not."""

from __future__ import annotations

from pathlib import Path

from harness import Bus, Rack
from rack_fleet import devnode, dirty_drive, plug_all
from rack_skips import require_commands

RELIABILITY_DEGRADED = 0x04  # NVMe critical warning bit 2: NVM subsystem reliability degraded


def test_nvme_critical_warning_marks_the_audit_verdict(rack: Rack, tmp_path: Path) -> None:
    require_commands("audit")
    sick = dirty_drive(tmp_path, "sick1", Bus.NVME, "RACK-SICK-0001", size_mib=16)
    well = dirty_drive(tmp_path, "well1", Bus.NVME, "RACK-WELL-0001", size_mib=16)
    rack.boot()
    plug_all(rack, [sick, well])
    rack.set_nvme_critical_warning(sick.drive, RELIABILITY_DEGRADED)
    sick_name = devnode(rack, sick.drive.serial).removeprefix("/dev/")
    well_name = devnode(rack, well.drive.serial).removeprefix("/dev/")

    record = rack.station_json("audit", "--json", "--no-write", timeout=600)

    findings = record["verdict"]["findings"]
    marked = [f for f in findings if f["subject"] == f"disk:{sick_name}"]
    assert any("smart.nvme.critical-warning" in f["message"] for f in marked), findings
    assert record["verdict"]["outcome"] != "reuse"
    assert not [f for f in findings if f["subject"] == f"disk:{well_name}"
                and "critical-warning" in f["message"]], findings
