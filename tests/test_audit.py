"""The audit record: schema-valid, WEEE Annex VI fields, signed over its exact bytes, evidence kept,
one-page PDF with a QR code; and the `station audit` command on recorded profiles."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from audit_helpers import disk, inventory
from pypdf import PdfReader

from station.certify import keys, pdf
from station.cli import main
from station.inventory import record as audit
from station.inventory.machine_serial import apply_operator_serial
from station.inventory.verdict import Checklist, decide
from station.store.datadir import DataDir

FIXTURES = Path(__file__).parent / "fixtures"
PROFILES = FIXTURES / "profiles"
WHEN = datetime(2025, 3, 14, 9, 30, 0, tzinfo=UTC)


def make_record(tmp_path: Path, key: keys.StationKey, label_serial: str | None = None
                ) -> tuple[dict[str, object], object]:
    inv = inventory(tmp_path, disks=[disk("nvme0n1", "nvme-intel-ssdpeknw010t8-healthy.json"),
                                     disk("sdc", "usbjmicron-hitachi-hds721050dle630-hdd-failed.json")])
    inv = apply_operator_serial(inv, label_serial, "Camille Martin", WHEN)
    checklist = Checklist.from_pairs(["all=ok", "webcam=failed"], tester="Camille Martin")
    verdict = decide(inv, checklist)
    record = audit.build(inv, verdict, checklist,
                         responsible=audit.Responsible("Atelier Solidaire", "12 rue des Lilas, 75020 Paris", None),
                         station_name="poste-1", key_fingerprint=key.fingerprint, created=WHEN, lang="fr")
    return record, inv


@pytest.fixture()
def key(tmp_path: Path) -> keys.StationKey:
    return keys.load_or_create(DataDir(tmp_path / "data", "option").ensure())


def test_record_matches_schema_and_annex_vi(tmp_path: Path, key: keys.StationKey) -> None:
    record, _ = make_record(tmp_path, key)
    assert audit.schema_errors(record) == []
    weee = record["weee_annex_vi"]
    assert isinstance(weee, dict)
    assert weee["item_name"] == "LENOVO ThinkPad T480" and weee["type_number"] == "20L50000MC"
    assert weee["identification_number"] == "PF1ABCDE" and weee["year_of_production"] == 2018
    assert weee["responsible"] == {"organisation": "Atelier Solidaire", "address": "12 rue des Lilas, 75020 Paris",
                                   "tester": "Camille Martin"}
    results = {t["name"]: t["result"] for t in weee["tests"]}
    assert results["smart:sdc"] == "fail" and results["smart:nvme0n1"] == "pass"
    assert results["function:webcam"] == "fail" and results["function:screen"] == "pass"
    assert weee["test_date"] == "2025-03-14T09:30:00Z"


def test_label_serial_wins_and_says_it_was_typed(tmp_path: Path, key: keys.StationKey) -> None:
    record, _ = make_record(tmp_path, key, label_serial="R9-0ABC12")
    weee, machine = record["weee_annex_vi"], record["machine"]
    assert weee["identification_number"] == "R9-0ABC12"  # type: ignore[index]
    assert weee["identification_number_source"] == "operator"  # type: ignore[index]
    assert machine["serial"] == {"value": "R9-0ABC12", "source": "operator",  # type: ignore[index]
                                 "entered_by": "Camille Martin", "entered_at": "2025-03-14T09:30:00Z",
                                 "dmi": {"value": "PF1ABCDE", "confidence": 1.0, "doubts": []}}
    assert audit.schema_errors(record) == []
    plain, _ = make_record(tmp_path, key)
    assert plain["machine"]["serial"]["source"] == "dmi-system"  # type: ignore[index]
    assert plain["machine"]["label_serial"] is None  # type: ignore[index]


def test_schema_rejects_broken_record(tmp_path: Path, key: keys.StationKey) -> None:
    record, _ = make_record(tmp_path, key)
    record["verdict"]["outcome"] = "sell"  # type: ignore[index]
    del record["weee_annex_vi"]["year_of_production"]  # type: ignore[attr-defined]
    problems = audit.schema_errors(record)
    assert any("verdict/outcome" in p for p in problems) and any("weee_annex_vi" in p for p in problems)


def test_write_signs_exact_bytes_and_keeps_evidence(tmp_path: Path, key: keys.StationKey) -> None:
    record, inv = make_record(tmp_path, key)
    out = tmp_path / "out"
    files = audit.write(record, inv, out, key, "fr")  # type: ignore[arg-type]
    data = files.json_path.read_bytes()
    assert data == audit.to_json_bytes(record)
    assert key.public.verify(files.sig_path.read_bytes(), data)
    assert audit.verify(files.json_path, key.public_pem())
    files.json_path.write_bytes(data.replace(b"Camille Martin", b"Someone Else"))
    assert not audit.verify(files.json_path, key.public_pem())
    # raw smartctl JSON and dmidecode text stored byte for byte, their hashes in the record
    for entry in record["evidence"]:  # type: ignore[attr-defined]
        blob = (out / entry["file"]).read_bytes()
        assert hashlib.sha256(blob).hexdigest() == entry["sha256"]
    assert sorted(p.name for p in files.evidence) == ["dmidecode.txt", "smart-nvme0n1.json", "smart-sdc.json"]
    dump = (FIXTURES / "dmidecode" / "laptop-lenovo-thinkpad-t480-battery-sbds.txt").read_bytes()
    assert (out / f"{record['audit_id']}.evidence" / "dmidecode.txt").read_bytes() == dump



def test_a_second_record_with_the_same_id_is_refused_not_written_over(tmp_path: Path, key: keys.StationKey) -> None:
    """Audit ids have second resolution: two audits of one machine in the same second must not lose the first."""
    record, inv = make_record(tmp_path, key)
    out = tmp_path / "out"
    files = audit.write(record, inv, out, key, "fr")  # type: ignore[arg-type]
    first = files.json_path.read_bytes(), files.sig_path.read_bytes(), files.pdf_path.read_bytes()
    with pytest.raises(audit.AuditError, match="already exists"):
        audit.write(record, inv, out, key, "en")  # type: ignore[arg-type]
    assert (files.json_path.read_bytes(), files.sig_path.read_bytes(), files.pdf_path.read_bytes()) == first

def test_pdf_is_one_page_with_id_verdict_and_qr(tmp_path: Path, key: keys.StationKey) -> None:
    record, _ = make_record(tmp_path, key)
    data = audit.to_json_bytes(record)
    reader = PdfReader(io.BytesIO(pdf.render_audit(record, data, "fr")))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert record["audit_id"] in text and "RÉEMPLOI AVEC RÉSERVES" in text and "ThinkPad T480" in text
    assert hashlib.sha256(data).hexdigest() in text.replace("\n", "")
    english = PdfReader(io.BytesIO(pdf.render_audit(record, data, "en"))).pages[0].extract_text()
    assert "Hardware audit report" in english


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("profile", sorted(p.name for p in PROFILES.iterdir() if (p / "root").is_dir()))
def test_cli_on_recorded_profiles_gives_partial_audit(profile: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["--profile", str(PROFILES / profile), "--data-dir", str(tmp_path / "d"), "audit",
                            "--json", "--check", "all=ok", "--out", str(tmp_path / "o")], capsys)
    assert code == 0
    record = json.loads(out)
    assert audit.schema_errors(record) == []
    # recorded profiles carry no dmidecode: the audit says what is missing instead of failing
    assert record["partial"] is True
    assert any(m["what"].startswith("dmidecode") for m in record["missing"])
    written = tmp_path / "o" / f"{record['audit_id']}.json"
    assert written.read_bytes() == out.encode("utf-8")


def test_cli_rejects_bad_checklist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["--profile", str(PROFILES / "virtio-vm"), "--data-dir", str(tmp_path / "d"), "audit",
                            "--check", "screen=broken", "--no-write"], capsys)
    assert code == 2 and "screen" in err
