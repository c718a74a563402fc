"""Scenario 8 (issue 15): two NVMe drives with one serial. The kernel rejects the second controller
("Duplicate cntlid ... rejecting"): `station drives` shows it present and refused, with the kernel's words,
instead of leaving it silently absent. The attached one is listed in the bay the station's bays.json
names, and its certificate names that bay too."""

from __future__ import annotations

import json
from pathlib import Path

from harness import GUEST_DATA_DIR, Bus, Rack
from rack_fleet import devnode, dirty_drive, plug_all, results_by_serial
from rack_images import scan
from rack_skips import require_commands

SERIAL = "RACK-DUP-0001"


def test_a_duplicate_nvme_is_shown_refused_and_the_bay_reaches_the_certificate(rack: Rack, tmp_path: Path) -> None:
    require_commands("drives", "wipe")
    first = dirty_drive(tmp_path, "dup1", Bus.NVME, SERIAL, size_mib=16)
    twin = dirty_drive(tmp_path, "dup2", Bus.NVME, SERIAL, size_mib=16)
    rack.boot()
    plug_all(rack, [first])
    node = devnode(rack, SERIAL)
    id_path = rack.sh(f"udevadm info --query=property --name={node} | sed -n 's/^ID_PATH=//p'").check().stdout.strip()
    assert id_path, f"udev gave {node} no ID_PATH"
    bays = json.dumps({id_path: "Baie 3"})
    rack.sh(f"mkdir -p {GUEST_DATA_DIR} && printf '%s' '{bays}' > {GUEST_DATA_DIR}/bays.json").check()
    rack.plug(twin.drive)
    rack.sh("for i in $(seq 100); do dmesg | grep -q 'Duplicate cntlid' && exit 0; sleep 0.2; done; exit 1").check()

    listed = rack.station_json("drives", "--no-smartctl", "--json")
    [entry] = listed["refused"]
    assert "Duplicate cntlid" in entry["reason"] and SERIAL in entry["reason"] and entry["selectable"] is False
    [attached] = [d for d in listed["disks"] if d["serial"]["value"] == SERIAL]
    assert attached["devnode"] == node and attached["bay"] == "Baie 3"
    text = rack.station("drives", "--no-smartctl").check().stdout
    assert f"pci {entry['address']}" in text and "Duplicate cntlid" in text

    wiped = rack.station("wipe", node, "--method", "zero", "--verify", "full", "--yes", "--json", timeout=600)
    result = results_by_serial(wiped.stdout)[SERIAL]
    assert result["erased"] is True, wiped.stderr
    assert result["certificate"], f"erased but no certificate ({result['certificate_error']})"
    certificate = json.loads(rack.read_guest_file(result["certificate"]))
    assert certificate["media"]["source"]["bay"] == "Baie 3"
    rack.power_off()
    assert scan(first.drive.image, first.original, 0).clean
    untouched = scan(twin.drive.image, twin.original, None)
    assert len(untouched.surviving) == untouched.blocks  # the refused twin was never written
