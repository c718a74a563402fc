"""The machine label: what it says comes from the audit record and the drives' certificates, its QR
decodes (zbarimg, on the PDF rasterised by pdftoppm) to the registry page or the audit id, on both sizes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from station.certify import label
from station.cli import main

OLD = Path(__file__).parent / "fixtures" / "audit" / "station-audit-1-before-bench"
RECORD_PATH = next(OLD.glob("AUD-*.json"))
RECORD = json.loads(RECORD_PATH.read_bytes())
AUDIT_ID = RECORD["audit_id"]
SERIAL = RECORD["disks"][0]["serial"]
PAGE = "https://registry.example.org/v/{record_id}"


def cert(serial: str, result: str, issued: str, ident: str) -> dict[str, object]:
    """SYNTHETIC: only the certificate fields the label reads (id, result, issue date, media serial)."""
    return {"certificate_id": ident, "result": result, "issued_at": issued, "media": {"serial": serial}}


def decode_qr(pdf: bytes, tmp_path: Path) -> list[str]:
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm (poppler-utils) and zbarimg (zbar-tools) are needed; scripts/setup installs them")
    (tmp_path / "label.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(tmp_path / "label.pdf"), str(tmp_path / "page")],
                   check=True)
    found = []
    for png in sorted(tmp_path.glob("page*.png")):
        done = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, check=False)
        found += done.stdout.split()
    return found


def test_label_fields_from_the_record() -> None:
    made = label.from_record(RECORD)
    assert made.audit_id == AUDIT_ID and made.qr == AUDIT_ID
    assert made.storage == "1.0 TB NVME" and made.grade == "-"
    assert made.erasure == label.Erasure("none", None, ())
    with pytest.raises(label.LabelError):
        label.from_record({"format": "station-cert/1"})


def test_erasure_status_follows_the_latest_certificate_per_drive() -> None:
    failed = cert(SERIAL, "failed", "2026-11-28T08:00:00Z", "C1")
    erased = cert(SERIAL, "erased", "2026-11-28T09:10:00Z", "C2")
    other = cert("SOMEONE-ELSE", "erased", "2026-11-29T00:00:00Z", "C3")
    assert label.erasure_of(RECORD, [failed]).status == "failed"
    assert label.erasure_of(RECORD, [erased, failed, other]) == label.Erasure("erased", "2026-11-28", ("C2",))
    two_disks = {**RECORD, "disks": [*RECORD["disks"], {"serial": "B2", "size_bytes": 1}]}
    assert label.erasure_of(two_disks, [erased]).status == "partial"
    assert label.erasure_of({**RECORD, "disks": []}, []).status == "no-drive"


@pytest.mark.parametrize("size", label.SIZES)
def test_qr_decodes_to_the_registry_page_when_enrolled(size: str, tmp_path: Path) -> None:
    made = label.from_record(RECORD, certificate_page=PAGE)
    assert decode_qr(label.render([made], size, "fr"), tmp_path) == [f"https://registry.example.org/v/{AUDIT_ID}"]


def test_qr_holds_the_audit_id_alone_otherwise_and_a4_fills_from_a_slot(tmp_path: Path) -> None:
    made = label.from_record(RECORD)
    pdf = label.render([made, made], "a4", "en", start=13)  # the last slot, then a new sheet
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    assert decode_qr(pdf, tmp_path) == [AUDIT_ID, AUDIT_ID]
    with pytest.raises(label.LabelError):
        label.render([made], "a4", "en", start=14)


def test_cli_prints_the_latest_audit_with_its_certificates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    (data / "audits").mkdir(parents=True)
    (data / "certificates").mkdir()
    shutil.copy(RECORD_PATH, data / "audits")
    (data / "certificates" / "C2.json").write_text(json.dumps(cert(SERIAL, "erased", "2026-11-28T09:10:00Z", "C2")))
    assert main(["--data-dir", str(data), "--lang", "en", "label"]) == 0
    out = capsys.readouterr().out
    assert f"label {AUDIT_ID}: erasure erased 2026-11-28, QR {AUDIT_ID}" in out
    written = data / "audits" / f"{AUDIT_ID}.label-roll62.pdf"
    assert decode_qr(written.read_bytes(), tmp_path) == [AUDIT_ID]
    assert main(["--data-dir", str(tmp_path / "empty"), "label"]) == 1
    assert "station audit" in capsys.readouterr().err
