"""Lot report: counts a donor files, the per-drive table, and a signed manifest binding the certificates."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from cert_helpers import HDD_FIXTURE, disk_from_smartctl, erased_job, failed_job, host, issue_two, settings

from station.certify import certificate, keys, lot
from station.certify import issue as issuing
from station.certify.check import Status, verify_file
from station.cli import main
from station.detect.disk import DiskKind
from station.inventory.dmi import HostIdentity
from station.store.datadir import DataDir


def _populate(datadir: DataDir) -> None:
    """Laptop A: SSD erased. Rack: HDD failed then erased on retry. Laptop B: HDD failed. Another lot: one."""
    issue_two(datadir)
    retry = replace(erased_job("20250101T130000Z-0003", disk_from_smartctl(HDD_FIXTURE, DiskKind.HDD, "sdc", "3")),
                    restart_of="20250101T120000Z-0002")
    issuing.issue(retry, datadir, settings(), None, {}, "fr")
    other_disk = replace(disk_from_smartctl(HDD_FIXTURE, DiskKind.HDD, "sdd"),
                         serial=replace(disk_from_smartctl(HDD_FIXTURE, DiskKind.HDD).serial, value="WD-OTHER-1"))
    issuing.issue(failed_job("20250101T140000Z-0004", other_disk), datadir, settings(),
                      HostIdentity("LENOVO", "20L5CTO1WW", "PF1ABCDE", True), {}, "fr")
    issuing.issue(erased_job("20250101T150000Z-0005"), datadir, replace(settings(), lot="OTHER"), host(), {},
                      "fr")


def test_counts_and_manifest(datadir: DataDir, tmp_path: Path) -> None:
    _populate(datadir)
    key = keys.load_or_create(datadir)
    report = lot.report(datadir, "LOT-2025-01", "fr", tmp_path / "out", key, "banc-1")
    assert report.counts == lot.pdf.LotCounts(machines=2, drives=3, erased=2, failed=1, destroyed=0)
    assert len(report.certificates) == 4 and report.skipped == ()
    manifest = json.loads(report.manifest_path.read_bytes())
    listed = {c["certificate_id"]: c["sha256"] for c in manifest["certificates"]}
    assert listed == {i.certificate_id: i.sha256 for i in report.certificates}
    assert key.public.verify(report.signature_path.read_bytes(), report.manifest_path.read_bytes())
    for entry in manifest["certificates"]:
        assert (report.manifest_path.parent / entry["file"]).exists()
    assert verify_file(report.manifest_path, key.public).status is Status.VALID


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_manifest_verifies_with_openssl(datadir: DataDir, tmp_path: Path) -> None:
    _populate(datadir)
    report = lot.report(datadir, "LOT-2025-01", "en", tmp_path / "out", keys.load_or_create(datadir))
    out = report.manifest_path.parent
    done = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(out / keys.PUBLIC_NAME),
                           "-rawin", "-in", str(report.manifest_path), "-sigfile", str(report.signature_path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("lang,words", [("fr", ("Rapport de lot", "Effacés", "ÉCHEC", "Effacé")),
                                       ("en", ("Lot report", "Not erased", "FAILED", "Erased"))])
def test_report_pdf_lists_every_drive(datadir: DataDir, tmp_path: Path, lang: str, words: tuple[str, ...]) -> None:
    _populate(datadir)
    assert main(["--data-dir", str(datadir.root), "lot", "report", "LOT-2025-01", "--lang", lang,
                 "--out", str(tmp_path / "out")]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "out" / "lot-LOT-2025-01.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    for word in words:
        assert word in text
    smart = json.loads(HDD_FIXTURE.read_text())
    assert smart["serial_number"] in text and "WD-OTHER-1" in text
    assert "Latitude E7450" in text  # where it was erased


def test_edited_certificate_in_a_lot_folder_is_caught(datadir: DataDir, tmp_path: Path) -> None:
    _populate(datadir)
    key = keys.load_or_create(datadir)
    report = lot.report(datadir, "LOT-2025-01", "fr", tmp_path / "out", key)
    victim = report.manifest_path.parent / "certificates" / report.certificates[0].json_path.name
    victim.write_bytes(victim.read_bytes().replace(b'"erased"', b'"failed"', 1))
    outcome = verify_file(report.manifest_path, key.public)
    assert outcome.status is Status.INVALID and any("differs from the manifest" in r for r in outcome.reasons)


def test_removed_certificate_in_a_lot_folder_is_caught(datadir: DataDir, tmp_path: Path) -> None:
    _populate(datadir)
    key = keys.load_or_create(datadir)
    report = lot.report(datadir, "LOT-2025-01", "fr", tmp_path / "out", key)
    (report.manifest_path.parent / "certificates" / report.certificates[1].json_path.name).unlink()
    outcome = verify_file(report.manifest_path, key.public)
    assert outcome.status is Status.INVALID and any("missing" in r for r in outcome.reasons)


def test_certificate_with_a_bad_signature_is_left_out(datadir: DataDir, tmp_path: Path) -> None:
    first, _ = issue_two(datadir)
    first.sig_path.write_bytes(bytes(64))
    report = lot.report(datadir, "LOT-2025-01", "fr", tmp_path / "out", keys.load_or_create(datadir))
    assert [i.certificate_id for i in report.certificates] != [first.certificate_id]
    assert any(first.certificate_id in s for s in report.skipped)


def test_empty_lot_exits_1(datadir: DataDir, tmp_path: Path) -> None:
    assert main(["--data-dir", str(datadir.root), "lot", "report", "NOPE", "--out", str(tmp_path / "o")]) == 1


def test_destroyed_drive_is_certified_and_counted(datadir: DataDir, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from station.store import config

    config.save(datadir, settings())
    issue_two(datadir)
    assert main(["--data-dir", str(datadir.root), "certs", "destroy", "--serial", "WD-DEAD-7", "--model",
                 "WDC WD5000AAKX", "--kind", "hdd", "--technique", "shred", "--note", "ticket 4411"]) == 0
    destroyed = [i for i in certificate.all_issued(datadir) if i.certificate.result == "destroyed"]
    assert len(destroyed) == 1
    cert = destroyed[0].certificate
    assert cert.kind == "certificate" and cert.sanitization.nist_category == "destroy"
    assert cert.media.serial_source == "technician" and cert.verification.method == "visual"
    assert verify_file(destroyed[0].json_path, keys.load_or_create(datadir).public).status is Status.VALID
    report = lot.report(datadir, "LOT-2025-01", "en", tmp_path / "out", keys.load_or_create(datadir))
    assert report.counts.destroyed == 1 and report.counts.drives == 3


def test_destroy_category_cannot_pair_with_another_result(datadir: DataDir) -> None:
    first, _ = issue_two(datadir)
    record = json.loads(first.json_path.read_bytes())
    record["sanitization"]["nist_category"] = "destroy"
    assert certificate.schema_errors(record)
    record["sanitization"]["nist_category"] = "clear"
    record["result"] = "destroyed"
    assert certificate.schema_errors(record)


def test_corrupt_key_beside_a_manifest_is_a_reason_not_a_crash(datadir: DataDir, tmp_path: Path) -> None:
    _populate(datadir)
    key = keys.load_or_create(datadir)
    report = lot.report(datadir, "LOT-2025-01", "fr", tmp_path / "out", key)
    (report.manifest_path.parent / keys.PUBLIC_NAME).write_bytes(b"-----BEGIN PUBLIC KEY-----\nnot a key\n")
    outcome = verify_file(report.manifest_path)  # unpinned: the key beside it is all there is
    assert outcome.status is Status.INVALID and any("no public key" in r for r in outcome.reasons)
    assert verify_file(report.manifest_path, key.public).status is Status.VALID  # pinning still works
