"""`station drives` and `station watch` from the command line, on recorded profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.cli import main

PROFILES = Path(__file__).parent / "fixtures" / "profiles"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_drives_json_lists_identity_provenance_and_protection(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--profile", str(PROFILES / "laptop-nvme-usbkey"), "--data-dir", str(tmp_path),
                       "drives", "--json")
    assert code == 0
    data = json.loads(out)
    disks = {d["name"]: d for d in data["disks"]}
    assert disks["sdb"]["serial"]["source"] == "usb-bridge"
    assert disks["sdb"]["protections"][0]["reason"] == "boot-medium"
    assert disks["nvme0n1"]["protections"] == []
    assert {"name": "sda", "reason": "no medium (size 0)"} in data["skipped"]


def test_drives_text_in_french_with_bays(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "bays.json").write_text(json.dumps({"pci-0000:00:17.0-ata-2": "Baie B"}))
    code, out, _ = run(capsys, "--profile", str(PROFILES / "junk-serials"), "--data-dir", str(tmp_path),
                       "--lang", "fr", "drives")
    assert code == 0
    sdb = next(line for line in out.splitlines() if line.startswith("/dev/sdb"))
    assert "To Be Filled By O.E.M." in sdb and "placeholder" in sdb and "baie Baie B" in sdb
    assert "inconnu" in next(line for line in out.splitlines() if line.startswith("/dev/sdc"))


def test_broken_bays_file_is_reported_not_fatal(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "bays.json").write_text("{oops")
    code, out, err = run(capsys, "--profile", str(PROFILES / "virtio-vm"), "--data-dir", str(tmp_path),
                         "--lang", "en", "drives")
    assert code == 0 and "bays.json" in err and "/dev/vda" in out


def test_host_hint_printed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--profile", str(PROFILES / "vmd-hidden-nvme"), "--data-dir", str(tmp_path),
                       "--lang", "en", "drives")
    assert code == 0 and "NVMe drives may be hidden" in out


def test_watch_refuses_a_recorded_profile(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--profile", str(PROFILES / "virtio-vm"), "--data-dir", str(tmp_path), "--lang", "en",
                       "watch")
    assert code == 2 and "profile" in err
