"""`station drives` reports what each drive can do by itself and what a Purge would run on it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from purge_helpers import ScriptedRunner, fixture, host_with, make_disk

from station.detect.disk import DiskKind
from station.session import purge_options

PROFILES = Path(__file__).parent / "fixtures" / "profiles"


def test_nvme_with_crypto_sanitize_is_planned_as_purge() -> None:
    runner = ScriptedRunner().on("nvme id-ctrl -H /dev/nvme0n1",
                                 (0, fixture("nvme/id-ctrl-H-samsung-pm1733-mzwlj7t6hala.txt"), ""))
    summary = purge_options(host_with(runner), make_disk("/dev/nvme0n1", DiskKind.NVME, "nvme"))
    assert summary["nist_category"] == "purge" and summary["technique"].startswith("nvme-sanitize")
    assert summary["capabilities"]["nvme"]["sanitize_crypto"] is True


def test_unknown_capabilities_fall_back_to_clear_with_the_reason() -> None:
    summary = purge_options(host_with(ScriptedRunner()), make_disk("/dev/sda", DiskKind.SSD, "ata"))
    assert summary["nist_category"] == "clear" and "could not be read" in summary["reason"]
    assert summary["capabilities"]["unknown"] is not None


def test_drives_json_carries_purge_per_disk(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "station.cli", "--data-dir", str(tmp_path), "--profile",
                          str(PROFILES / "desktop-sata-hdd-ssd"), "drives", "--json"],
                         capture_output=True, text=True, check=True)
    disks = json.loads(res.stdout)["disks"]
    assert disks and all(d["purge"]["nist_category"] in ("clear", "purge") for d in disks)
    hdd = next(d for d in disks if d["kind"] == "hdd")
    assert hdd["purge"]["technique"] == "host-overwrite"
