"""The signed audit record of one machine: JSON (schema `station/schemas/audit.schema.json`), a
detached Ed25519 signature over its exact bytes, the raw tool outputs as evidence, and a one-page
PDF label/report with a QR code.

The JSON carries the WEEE Annex VI per-item record, so a refurbisher can show that an exported or
resold machine was tested and is used equipment, not waste.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from station import __version__, i18n
from station.certify import certificate, keys
from station.certify.keys import StationKey, sha256_hex
from station.functest.bench import Bench
from station.i18n import N_
from station.inventory.machine import Inventory
from station.inventory.machine_serial import machine_serial
from station.inventory.verdict import Checklist, Verdict
from station.store import atomic

FORMAT = "station-audit/1"
DECLARATION = N_("This equipment was tested and works; it is used equipment, not waste.")  # in the `audit` catalog
_CHECK_RESULT = {"ok": "pass", "failed": "fail", "untested": "not-tested", "absent": "not-applicable"}
_BENCH_RESULT = {"pass": "pass", "fail": "fail", "skipped": "not-tested", "absent": "not-applicable"}
_HEALTH_RESULT = {"ok": "pass", "warning": "warning", "failing": "fail", "unknown": "unknown"}


class AuditError(Exception):
    """The record could not be built or does not match its schema."""


@dataclass(frozen=True)
class Responsible:
    organisation: str | None
    address: str | None
    tester: str | None


@dataclass(frozen=True)
class AuditFiles:
    json_path: Path
    sig_path: Path
    pdf_path: Path
    evidence: tuple[Path, ...]
    sha256: str


def audit_id(fingerprint: str, created: datetime) -> str:
    return f"AUD-{fingerprint.replace('-', '')[:8].upper()}-{created.strftime('%Y%m%dT%H%M%SZ')}"


def _measured_text(measured: dict[str, Any]) -> str | None:
    shown = [f"{k}={v}" for k, v in measured.items() if v is not None]
    return ", ".join(shown) or None


def _tests(inventory: Inventory, checklist: Checklist, bench: Bench | None = None) -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = []
    tests.append({"name": "cpu-memory-detected",
                  "result": "pass" if inventory.cpu.model and inventory.memory.total_mib else "unknown",
                  "detail": f"{inventory.cpu.model or '?'}; {inventory.memory.total_mib or '?'} MiB"})
    for disk in inventory.disks:
        health = disk.smart.health if disk.smart else "unknown"
        detail = ", ".join(r.id for r in disk.smart.rules) if disk.smart and disk.smart.rules else None
        if disk.smart and disk.smart.error:
            detail = disk.smart.error
        tests.append({"name": f"smart:{disk.name}", "result": _HEALTH_RESULT[health], "detail": detail})
    for bat in inventory.batteries:
        if bat.wear_percent is None:
            result, detail = "unknown", ", ".join(bat.doubts) or None
        else:
            result, detail = "pass", f"wear {bat.wear_percent} %"
        tests.append({"name": f"battery:{bat.name}", "result": result, "detail": detail})
    for item, state in checklist.to_dict()["items"].items():
        tests.append({"name": f"function:{item}", "result": _CHECK_RESULT[state], "detail": None})
    for done in bench.results if bench else ():
        tests.append({"name": f"bench:{done.function}", "result": _BENCH_RESULT[done.status],
                      "detail": done.reason or _measured_text(done.measured)})
    if bench is not None and bench.grade is not None:
        grade = bench.grade
        tests.append({"name": "cosmetic-grade", "result": "pass" if not grade.defects else "warning",
                      "detail": " ".join([grade.letter, *grade.defects, grade.note]).strip()})
    return tests


@dataclass(frozen=True)
class EvidenceBlob:
    """One raw tool output kept beside the record, named relative to the record's directory."""

    file: str
    data: bytes
    what: str

    def entry(self) -> dict[str, str]:
        return {"file": self.file, "sha256": sha256_hex(self.data), "what": self.what}


def evidence_blobs(inventory: Inventory, ident: str) -> tuple[EvidenceBlob | None, dict[str, EvidenceBlob]]:
    """The raw outputs an audit keeps: dmidecode's text (even a failed run's: it shows why) and each
    disk's smartctl JSON. build() hashes them, write() stores them: one list, so they always agree."""
    run = inventory.dmi.dmidecode
    dmidecode = None
    if run is not None and run.stdout:
        dmidecode = EvidenceBlob(f"{ident}.evidence/dmidecode.txt", run.stdout.encode("utf-8"),
                                 f"{' '.join(run.argv)} (exit {run.returncode})")
    smart_blobs = {disk.name: EvidenceBlob(f"{ident}.evidence/smart-{disk.name}.json", disk.smart.raw_json,
                                           " ".join(disk.smart.argv))
                   for disk in inventory.disks if disk.smart is not None and disk.smart.raw_json}
    return dmidecode, smart_blobs


_STDERR_KEPT = 2000


def _dmidecode_section(inventory: Inventory, blob: EvidenceBlob | None) -> dict[str, Any] | None:
    run = inventory.dmi.dmidecode
    if run is None:
        return None
    return {"argv": list(run.argv), "exit_status": run.returncode, "stderr": run.stderr[-_STDERR_KEPT:],
            "why_missing": run.why_missing, "evidence": blob.entry() if blob else None}


def build(inventory: Inventory, verdict: Verdict, checklist: Checklist, *, responsible: Responsible,
          station_name: str | None, key_fingerprint: str, created: datetime, lang: str = "fr",
          bench: Bench | None = None) -> dict[str, Any]:
    """The record as a dict, with evidence entries (file, SHA-256) for the raw dmidecode text and
    smartctl JSON. The serial an operator typed comes in with the inventory (apply_operator_serial).
    A `bench` adds its results and grade (the key is left out without one, as older records have it).
    Pure: writes nothing."""
    if lang not in ("fr", "en"):
        raise AuditError(f"language must be fr or en, not {lang!r}")
    ident = audit_id(key_fingerprint, created)
    inv = inventory.to_dict()
    info = inventory.dmi
    serial = machine_serial(inventory)
    dmidecode_blob, smart_blobs = evidence_blobs(inventory, ident)
    evidence: list[dict[str, str]] = [dmidecode_blob.entry()] if dmidecode_blob else []
    disks = []
    for disk, disk_dict in zip(inventory.disks, inv["disks"], strict=True):
        entry = dict(disk_dict)
        blob = smart_blobs.get(disk.name)
        entry["evidence"] = blob.entry() if blob else None
        if blob:
            evidence.append(blob.entry())
        disks.append(entry)
    manufacturer = info.manufacturer.value if info.manufacturer.usable else None
    model = info.model_name
    item_name = " ".join(p for p in (manufacturer, model) if p) or None
    type_number = info.product.value if info.product.usable else (info.sku.value if info.sku.usable else None)
    typed = inventory.operator_serial
    record = {
        "format": FORMAT,
        "audit_id": ident,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "language": lang,
        "station": {"name": station_name or None, "key_fingerprint": key_fingerprint,
                    "software": f"station {__version__}"},
        "weee_annex_vi": {
            "item_name": item_name,
            "type_number": type_number,
            "identification_number": serial.value,
            "identification_number_source": serial.source,
            "year_of_production": info.year.year,
            "year_of_production_basis": list(info.year.basis),
            "responsible": {"organisation": responsible.organisation or None,
                            "address": responsible.address or None,
                            "tester": checklist.tester or responsible.tester or None},
            "tests": _tests(inventory, checklist, bench),
            "test_date": created.isoformat().replace("+00:00", "Z"),
            "functional": verdict.outcome in ("reuse", "reuse-with-warnings"),
            "declaration": (i18n.translations(lang, i18n.AUDIT).gettext(DECLARATION)
                            if verdict.outcome in ("reuse", "reuse-with-warnings") else ""),
        },
        "machine": {"identity": inv["identity"], "model_name": model, "form_factor": inv["form_factor"],
                    "chassis_type": inv["chassis_type"], "bios": inv["bios"], "year_estimate": inv["year_estimate"],
                    "label_serial": typed.value if typed else None, "serial": serial.to_dict(),
                    "dmidecode": _dmidecode_section(inventory, dmidecode_blob)},
        "hardware": {"cpu": inv["cpu"], "memory": inv["memory"], "pci": inv["pci"], "net": inv["net"],
                     "displays": inv["displays"], "dmi_batteries": inv["dmi_batteries"]},
        "batteries": inv["batteries"],
        "disks": disks,
        "checklist": checklist.to_dict(),
        "verdict": verdict.to_dict(),
        "missing": inv["missing"],
        "partial": inventory.partial,
        "evidence": evidence,
        "signature": {"algorithm": "Ed25519", "key_fingerprint": key_fingerprint, "file": f"{ident}.json.sig"},
    }
    if bench is not None:
        record["bench"] = bench.to_dict()
    return record


def to_json_bytes(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def schema_errors(record: Any) -> list[str]:
    return certificate.schema_errors(record, "audit")


def write(record: dict[str, Any], inventory: Inventory, out_dir: Path, key: StationKey,
          lang: str = "fr") -> AuditFiles:
    """Evidence, PDF and signature first, the JSON last: a JSON on disk always has its companions."""
    problems = schema_errors(record)
    if problems:
        raise AuditError(f"audit {record.get('audit_id')} does not match its schema: {problems[0]}")
    data = to_json_bytes(record)
    ident = record["audit_id"]
    if (out_dir / f"{ident}.json").exists():  # ids have second resolution: never replace a signed record
        raise AuditError(f"audit {ident} already exists in {out_dir}: the machine was audited twice within the "
                         "same second; run it again")
    dmidecode_blob, smart_blobs = evidence_blobs(inventory, ident)
    blobs = ([dmidecode_blob] if dmidecode_blob else []) + list(smart_blobs.values())
    recorded = {(e["file"], e["sha256"]) for e in record["evidence"]}
    evidence_paths = []
    for blob in blobs:
        if (blob.file, sha256_hex(blob.data)) not in recorded:
            raise AuditError(f"evidence {blob.file} does not match the record (was the inventory changed?)")
        path = out_dir / blob.file
        atomic.write_bytes(path, blob.data)
        evidence_paths.append(path)
    signature = key.sign(data)
    json_path, sig_path, pdf_path = (out_dir / f"{ident}.json", out_dir / f"{ident}.json.sig",
                                     out_dir / f"{ident}.pdf")
    # reportlab, a tenth of a second: the TUI loads this module at start-up, and only a written record needs it
    from station.certify import pdf

    atomic.write_bytes(pdf_path, pdf.render_audit(record, data, lang))
    atomic.write_bytes(sig_path, signature)
    atomic.write_bytes(json_path, data)
    return AuditFiles(json_path, sig_path, pdf_path, tuple(evidence_paths), sha256_hex(data))


def verify(json_path: Path, public_pem: bytes) -> bool:
    """Check the detached signature of an audit record with the station's public key."""
    sig_path = json_path.with_name(json_path.name + ".sig")
    try:
        data, signature = json_path.read_bytes(), sig_path.read_bytes()
    except OSError:
        return False
    return keys.load_public(public_pem).verify(signature, data)
