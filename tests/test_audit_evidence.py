"""dmidecode's raw text is kept as evidence beside the audit record, like smartctl's JSON, and
referenced from the record by its SHA-256; when it is absent or fails, the record says why.
Runs `station audit` on recorded machine profiles."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from audit_helpers import FIXTURES, JUNK_DMI, recorded_profile

from station.certify import keys
from station.cli import main
from station.inventory import record as audit
from station.store.datadir import DataDir

CONTAINER = FIXTURES / "dmidecode" / "container-no-smbios-dmidecode-3.4"


def run_audit(profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str
              ) -> tuple[int, dict[str, object], Path, str]:
    out = tmp_path / "out"
    code = main(["--profile", str(profile), "--data-dir", str(tmp_path / "data"), "--lang", "fr", "audit",
                 "--json", "--check", "all=ok", "--out", str(out), *extra])
    captured = capsys.readouterr()
    record = json.loads(captured.out) if code == 0 else {}
    return code, record, out, captured.err


def test_dmidecode_text_kept_byte_for_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, record, out, _ = run_audit(recorded_profile(tmp_path), tmp_path, capsys)
    assert code == 0 and audit.schema_errors(record) == []
    section = record["machine"]["dmidecode"]  # type: ignore[index]
    assert section["exit_status"] == 0 and section["why_missing"] is None
    kept = out / section["evidence"]["file"]
    assert kept.read_bytes() == JUNK_DMI.read_bytes()
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == section["evidence"]["sha256"]
    assert section["evidence"] in record["evidence"]  # type: ignore[operator]
    # the record, and so the hash of the evidence, is covered by the station's signature
    public = keys.public_path(DataDir(tmp_path / "data", "option")).read_bytes()
    assert audit.verify(out / f"{record['audit_id']}.json", public)


def test_absent_dmidecode_is_stated_not_invented(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, record, out, _ = run_audit(recorded_profile(tmp_path, None), tmp_path, capsys)
    assert code == 0 and audit.schema_errors(record) == []
    section = record["machine"]["dmidecode"]  # type: ignore[index]
    assert section["exit_status"] == 127 and section["evidence"] is None
    assert "not installed" in section["why_missing"]
    assert not (out / f"{record['audit_id']}.evidence" / "dmidecode.txt").exists()
    assert all("dmidecode" not in e["file"] for e in record["evidence"])  # type: ignore[attr-defined]


def test_failed_run_keeps_its_text_and_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Real capture: dmidecode on a machine without SMBIOS tables (exit 1, reason on stderr)."""
    stdout, stderr = Path(f"{CONTAINER}.stdout.txt"), Path(f"{CONTAINER}.stderr.txt").read_text()
    profile = recorded_profile(tmp_path, stdout, returncode=1, stderr=stderr)
    code, record, out, _ = run_audit(profile, tmp_path, capsys)
    assert code == 0 and audit.schema_errors(record) == []
    section = record["machine"]["dmidecode"]  # type: ignore[index]
    assert section["exit_status"] == 1 and section["stderr"] == stderr
    assert "/dev/mem: No such file or directory" in section["why_missing"]
    assert (out / section["evidence"]["file"]).read_bytes() == stdout.read_bytes()
    assert record["partial"] is True


def test_not_root_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Synthetic stderr (dmidecode's wording for unreadable tables), no stdout: nothing to keep but the reason."""
    empty = tmp_path / "synthetic-empty-stdout.txt"
    empty.write_text("")
    stderr = "/sys/firmware/dmi/tables/smbios_entry_point: Permission denied\n/dev/mem: Permission denied\n"
    code, record, _, _ = run_audit(recorded_profile(tmp_path, empty, returncode=1, stderr=stderr), tmp_path, capsys)
    assert code == 0
    section = record["machine"]["dmidecode"]  # type: ignore[index]
    assert "needs root" in section["why_missing"] and section["evidence"] is None


def test_cli_label_serial_on_junk_dmi(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, record, _, _ = run_audit(recorded_profile(tmp_path), tmp_path, capsys, "--serial", " PF2XK9LM\t",
                                   "--tester", "Camille")
    assert code == 0 and audit.schema_errors(record) == []
    serial = record["machine"]["serial"]  # type: ignore[index]
    assert serial["value"] == "PF2XK9LM" and serial["source"] == "operator" and serial["entered_by"] == "Camille"
    assert serial["dmi"]["value"] == "--" and serial["dmi"]["confidence"] == 0.0
    assert record["weee_annex_vi"]["identification_number_source"] == "operator"  # type: ignore[index]
    ids = [f["id"] for f in record["verdict"]["findings"]]  # type: ignore[index]
    assert "identity.serial-from-label" in ids and "identity.serial-unusable" not in ids


def test_cli_without_label_serial_on_junk_dmi(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, record, _, _ = run_audit(recorded_profile(tmp_path), tmp_path, capsys)
    assert code == 0
    assert record["weee_annex_vi"]["identification_number"] is None  # type: ignore[index]
    assert record["machine"]["serial"]["source"] == "none"  # type: ignore[index]
    assert "identity.serial-unusable" in [f["id"] for f in record["verdict"]["findings"]]  # type: ignore[index]


def test_cli_refuses_a_placeholder_serial(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, out, err = run_audit(recorded_profile(tmp_path), tmp_path, capsys, "--serial", "To Be Filled By O.E.M.")
    assert code == 2 and "placeholder" in err and not out.exists()
