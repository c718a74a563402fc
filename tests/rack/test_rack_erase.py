"""Scenario 2: four drives on four buses erased in parallel; the host reads every backing file and
finds no original block and nothing but the method's pattern; every certificate names its drive's
serial and verifies with the station's public key."""

from __future__ import annotations

import json
from pathlib import Path

from harness import Rack
from rack_fleet import (
    DRIVE_MIB,
    devnode,
    fetch_certificate,
    four_buses,
    plug_all,
    results_by_serial,
    verify_on_host,
)
from rack_images import scan
from rack_skips import require_commands


def test_parallel_erase_leaves_only_zeros_and_verifiable_certificates(rack: Rack, tmp_path: Path) -> None:
    require_commands("wipe")
    drives = four_buses(tmp_path)
    rack.boot()
    plug_all(rack, drives)
    targets = [devnode(rack, d.drive.serial) for d in drives]

    done = rack.station("wipe", *targets, "--method", "zero", "--verify", "full", "--yes", "--json", timeout=600)

    results = results_by_serial(done.stdout)
    assert done.returncode == 0, f"wipe exit {done.returncode}\n{done.stderr[-3000:]}"
    assert set(results) == {d.drive.serial for d in drives}, done.stdout
    certificates = {}
    for d in drives:
        result = results[d.drive.serial]
        assert result["erased"] is True and result["state"] == "erased", result
        assert result["certificate"], f"{d.drive.serial}: erased but no certificate ({result['certificate_error']})"
        cert = fetch_certificate(rack, result["certificate"], tmp_path / "certs" / d.drive.id)
        record = json.loads(cert.read_text())
        assert (record["kind"], record["result"]) == ("certificate", "erased"), cert.name
        assert d.drive.serial in json.dumps(record), f"{cert.name} does not name the serial"
        certificates[d.drive.serial] = cert
    rack.power_off()

    for d in drives:
        found = scan(d.drive.image, d.original, final_byte=0)
        assert found.blocks == DRIVE_MIB * 256
        assert not found.surviving, f"{d.drive.serial}: original blocks survive at {found.surviving[:5]}"
        assert not found.off_pattern, f"{d.drive.serial}: non-zero blocks at {found.off_pattern[:5]}"

    require_commands("verify")
    for serial, cert in certificates.items():
        checked = verify_on_host(cert)
        assert checked.returncode == 0, f"{serial}: {checked.stdout}{checked.stderr}"
