"""Record -> RecordFacts (at ingest and on demand) and RecordFacts -> journey entries (for one lot)."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from registry.core.models import Record
from registry.lots import facts as facts_mod
from registry.lots.journey import Entry
from registry.lots.models import Lot, RecordFacts

REVOKED = "revoked-station"


def _month(stamp: str) -> datetime.date | None:
    try:
        return datetime.date(int(stamp[0:4]), int(stamp[5:7]), 1)
    except (ValueError, IndexError):
        return None


def project(record: Record) -> RecordFacts | None:
    """Store the facts of a record (idempotent); None when its bytes do not read as its kind says."""
    try:
        f = facts_mod.parse(record.kind, bytes(record.json_bytes))
    except facts_mod.FactsError:
        return None
    row, _ = RecordFacts.objects.update_or_create(record=record, defaults={
        "kind": f.kind, "issued_at": f.issued_at, "issued_month": _month(f.issued_at),
        "machine_serial": f.machine_serial or "", "label_serial": f.label_serial or "",
        "machine_model": f.machine_model or "", "verdict": f.verdict or "", "disk_serials": list(f.disk_serials),
        "drive_serial": f.drive_serial or "", "drive_model": f.drive_model or "", "host_serial": f.host_serial or "",
        "result": f.result or "", "method": f.method or "", "nist_category": f.nist_category or ""})
    return row


def lot_facts(lot: Lot) -> QuerySet[RecordFacts]:
    return RecordFacts.objects.filter(record__station__organisation_id=lot.refurbisher_id,
                                      record__lot_reference=lot.reference)


def _items(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def entry_of(row: dict[str, object]) -> Entry:
    """A journey entry from a `values()` row of RecordFacts (no model instances: lot pages hold thousands)."""
    def text(name: str) -> str | None:
        value = row[name]
        return str(value) if value else None

    f = facts_mod.Facts(
        kind=str(row["kind"]), record_id=str(row["record__record_id"]), issued_at=str(row["issued_at"]),
        machine_serial=text("machine_serial"), label_serial=text("label_serial"), machine_model=text("machine_model"),
        verdict=text("verdict"), disk_serials=tuple(str(x) for x in _items(row["disk_serials"])),
        drive_serial=text("drive_serial"), drive_model=text("drive_model"), host_serial=text("host_serial"),
        result=text("result"), method=text("method"), nist_category=text("nist_category"))
    flags = {str(x) for x in _items(row["record__flags"])}
    if row["record__station__revoked_at"] is not None:
        flags.add(REVOKED)
    return Entry(f, int(str(row["record_id"])), frozenset(flags))


ENTRY_FIELDS = ("record_id", "kind", "issued_at", "machine_serial", "label_serial", "machine_model", "verdict",
                "disk_serials", "drive_serial", "drive_model", "host_serial", "result", "method", "nist_category",
                "record__record_id", "record__flags", "record__station__revoked_at", "record__log_index")


def lot_entries(lot: Lot) -> list[Entry]:
    return [entry_of(row) for row in lot_facts(lot).values(*ENTRY_FIELDS)]
