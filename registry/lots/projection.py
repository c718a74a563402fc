"""Record -> RecordFacts (at ingest and on demand) and RecordFacts -> journey entries (for one lot)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import connection

from registry.core.models import Record
from registry.lots import facts as facts_mod
from registry.lots.journey import Entry
from registry.lots.models import Lot, RecordFacts

REVOKED = "revoked-station"


def month(stamp: str) -> datetime.date | None:
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
        "kind": f.kind, "issued_at": f.issued_at, "issued_month": month(f.issued_at),
        "machine_serial": f.machine_serial or "", "label_serial": f.label_serial or "",
        "machine_model": f.machine_model or "", "verdict": f.verdict or "", "disk_serials": list(f.disk_serials),
        "drive_serial": f.drive_serial or "", "drive_model": f.drive_model or "", "host_serial": f.host_serial or "",
        "result": f.result or "", "method": f.method or "", "nist_category": f.nist_category or ""})
    return row


# the records as journey entries, with the group each belongs to (one refurbisher's records tagged with one lot
# reference: a lot, before or after it is created), in upload order: a journey lists a machine's drives in the
# order their records came
_ENTRIES_SQL = """
SELECT f.record_id, f.kind, f.issued_at, f.machine_serial, f.label_serial, f.machine_model, f.verdict,
       f.disk_serials, f.drive_serial, f.drive_model, f.host_serial, f.result, f.method, f.nist_category,
       r.record_id, r.flags, s.revoked_at IS NOT NULL, s.organisation_id, r.lot_reference
FROM lots_recordfacts f JOIN core_record r ON r.id = f.record_id JOIN core_station s ON s.id = r.station_id
WHERE {where}
ORDER BY f.record_id
"""
_GROUP = "s.organisation_id = %s AND r.lot_reference = %s"


def lot_version(lot: Lot) -> str:
    """What the lot's journeys depend on, in one cheap aggregate: its records (append-only, so count and newest
    id say if one came) and how many of their stations are revoked."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(max(r.id), 0), count(s.revoked_at) FROM core_record r "
                       "JOIN core_station s ON s.id = r.station_id "
                       "WHERE s.organisation_id = %s AND r.lot_reference = %s", [lot.refurbisher_id, lot.reference])
        count, newest, revoked = cursor.fetchone()
    return f"{count}.{newest}.{revoked}"


def entries_where(where: str, params: Sequence[Any]) -> list[tuple[tuple[int, str], Entry]]:
    """(group, entry) of the records matching `where` (over f: facts, r: record, s: station), in one query of
    plain rows (a big lot holds ten thousand)."""
    with connection.cursor() as cursor:
        cursor.execute(_ENTRIES_SQL.format(where=where), params)
        rows = cursor.fetchall()
    entries = []
    none: frozenset[str] = frozenset()
    for (pk, kind, issued_at, machine, label, model, verdict, disks, drive, drive_model, host, result, method,
         category, record_id, flags, revoked, organisation_id, reference) in rows:
        f = facts_mod.Facts(kind, record_id, issued_at, machine or None, label or None, model or None,
                            verdict or None, tuple(disks or ()), drive or None, drive_model or None, host or None,
                            result or None, method or None, category or None)
        marks = frozenset(flags) | {REVOKED} if revoked else (frozenset(flags) if flags else none)
        entries.append(((organisation_id, reference), Entry(f, pk, marks)))
    return entries


def group_entries(organisation_id: int, reference: str) -> list[Entry]:
    return [entry for _group, entry in entries_where(_GROUP, [organisation_id, reference])]


def lot_entries(lot: Lot) -> list[Entry]:
    return group_entries(lot.refurbisher_id, lot.reference)
