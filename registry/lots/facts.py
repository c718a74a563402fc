"""What the portal needs to know of one uploaded record, read once from its exact signed bytes.

The registry keeps the bytes as the source of truth; this projection (serials, verdict, result,
method) is what lot pages, search and the dashboard query, so no page parses JSON per request.
A record that does not read as expected gives FactsError, never a guess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

KINDS = ("certificate", "audit")


class FactsError(ValueError):
    """The record's JSON lacks what its kind requires (it should have been quarantined at ingest)."""


@dataclass(frozen=True)
class Facts:
    kind: str  # "certificate" or "audit"
    record_id: str
    issued_at: str
    # audit records: the machine
    machine_serial: str | None = None  # the identification number the audit settled on (label or DMI)
    label_serial: str | None = None  # typed or scanned from the label by the technician
    machine_model: str | None = None
    verdict: str | None = None  # reuse, reuse-with-warnings, reuse-after-repair, harvest-parts, recycle
    disk_serials: tuple[str, ...] = ()
    # certificate records: one drive
    drive_serial: str | None = None
    drive_model: str | None = None
    host_serial: str | None = None  # the computer the drive was erased in, when trusted
    result: str | None = None  # erased, destroyed, failed, cancelled, interrupted
    method: str | None = None
    nist_category: str | None = None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse(kind: str, data: bytes) -> Facts:
    """Facts of a certificate or audit record from its exact JSON bytes."""
    if kind not in KINDS:
        raise FactsError(f"unknown record kind {kind!r}")
    try:
        record = json.loads(data)
    except ValueError as exc:
        raise FactsError(f"not JSON: {exc}") from exc
    if not isinstance(record, dict):
        raise FactsError("record is not a JSON object")
    return _certificate(record) if kind == "certificate" else _audit(record)


def _certificate(record: dict[str, Any]) -> Facts:
    ident = _text(record.get("certificate_id"))
    if ident is None:
        raise FactsError("certificate without certificate_id")
    media = _obj(record.get("media"))
    host = _obj(_obj(media.get("source")).get("host"))
    sanitization = _obj(record.get("sanitization"))
    return Facts(
        kind="certificate", record_id=ident, issued_at=_text(record.get("issued_at")) or "",
        drive_serial=_text(media.get("serial")),
        drive_model=_text(media.get("model")),
        host_serial=_text(host.get("serial")) if host.get("serial_trusted") else None,
        result=_text(record.get("result")), method=_text(sanitization.get("method")),
        nist_category=_text(sanitization.get("nist_category")))


def _audit(record: dict[str, Any]) -> Facts:
    ident = _text(record.get("audit_id"))
    if ident is None:
        raise FactsError("audit without audit_id")
    machine = _obj(record.get("machine"))
    serial = _obj(machine.get("serial"))
    serials = tuple(s for s in (_text(_obj(d).get("serial")) for d in record.get("disks") or []) if s)
    return Facts(
        kind="audit", record_id=ident, issued_at=_text(record.get("created_at")) or "",
        machine_serial=_text(serial.get("value")) if serial.get("source") != "none" else None,
        label_serial=_text(machine.get("label_serial")), machine_model=_text(machine.get("model_name")),
        verdict=_text(_obj(record.get("verdict")).get("outcome")), disk_serials=serials)
