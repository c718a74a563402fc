"""Each device's journey kept as a row (LotDevice), so a lot page or the dashboard reads rows instead of deriving
thousands of journeys per view.

A journey is a pure function of its group's records (one refurbisher's records tagged with one lot reference),
and a record only weighs on the devices it is linked to: the other certificates of its drive, the audits listing
that drive or naming the computer it was erased in, the other audits of that machine, and on from there.
`linked` follows those links to a closed set of records; journeys of that set alone are exactly the group's
journeys for its devices, so a new record replaces only their rows, in its own transaction. A revocation
changes the flags of every device holding the station's records: their groups are rebuilt whole. Rows are
derived data: `rebuild_all` (refresh_facts) makes them again from the facts, which are read from the signed bytes.

Every writer holds the log's append lock, so two transactions never write the same device from two snapshots.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models, transaction

from registry.core.models import Record, Station
from registry.log import store
from registry.lots.journey import Counts, Device, DriveStep, Entry, Outcome, Stage, drive_key, journeys, machine_key
from registry.lots.models import LotDevice
from registry.lots.projection import entries_where, group_entries, month

# records linked to those found so far: certificates of the same drives, audits listing those drives, audits of the
# computers those drives were erased in, certificates of drives erased in those machines, other audits of the same
# machines. Two certificates naming the same computer are not linked unless that computer is audited: a rack
# station's drives all name the station's own computer, and linking them would re-derive the whole lot per upload.
# Every condition is on the facts' own indexes (PostgreSQL ORs them in one bitmap scan); the group is checked on
# the few rows found, so the plan never walks a big lot's records.
_LINKED = """f.drive_serial = ANY(%s) OR f.disk_serials && %s::varchar[] OR f.host_serial = ANY(%s)
    OR f.machine_serial = ANY(%s) OR f.label_serial = ANY(%s) OR f.record_id = ANY(%s::bigint[])"""


def linked(organisation_id: int, reference: str, record_pk: int) -> list[Entry]:
    """The record and every record of its group its devices' journeys depend on, in upload order (a few indexed
    queries)."""
    group = (organisation_id, reference)
    drives: set[str] = set()  # drive serials: certificates' own, audits' listed disks
    machines: set[str] = set()  # audited machines' serial and label serial
    hosts: set[str] = set()  # computers certificates' drives were erased in
    pks = {record_pk}
    found = 0
    while True:
        params = [sorted(drives), sorted(drives), sorted(machines), sorted(machines | hosts), sorted(hosts | machines),
                  sorted(pks)]
        entries = [e for g, e in entries_where(_LINKED, params) if g == group]
        if len(entries) == found:  # the conditions only grow, so the same count is the same set
            return entries
        found = len(entries)
        for e in entries:
            f = e.facts
            drives.update(s for s in (f.drive_serial, *f.disk_serials) if s)
            machines.update(s for s in (f.machine_serial, f.label_serial) if s)
            if f.host_serial:
                hosts.add(f.host_serial)
            pks.add(e.ref)


def _keys(entries: Iterable[Entry]) -> set[str]:
    """Every device key these records can make (machines and drives, claimed by a machine or loose)."""
    return {machine_key(e.facts) if e.facts.kind == "audit" else drive_key(e.facts) for e in entries}


def _fields(organisation_id: int, reference: str, device: Device,
            months: dict[int, datetime.date | None]) -> dict[str, Any]:
    return {
        "organisation_id": organisation_id, "lot_reference": reference, "key": device.key,
        "attention": device.attention, "machine_serial": device.machine_serial or "",
        "label_serial": device.label_serial or "", "model": device.model or "", "audit_id": device.audit_id or "",
        "audit_ref": device.audit_ref,
        "audit_month": months.get(device.audit_ref) if device.audit_ref is not None else None,
        "verdict": device.verdict or "", "stage": device.stage.value, "outcome": device.outcome.value,
        "flags": sorted(device.flags),
        "drives": [{"serial": d.serial, "model": d.model, "result": d.result, "method": d.method,
                    "nist_category": d.nist_category, "certificate_id": d.certificate_id, "ref": d.ref,
                    "attempts": d.attempts, "flags": sorted(d.flags)} for d in device.drives],
        "drives_done": sum(d.done for d in device.drives),
        "drives_failed": sum(d.ref is not None and not d.done for d in device.drives),
        "erased_months": [m for d in device.drives if d.done and d.ref is not None and (m := months.get(d.ref))],
    }


def _write(model: type[models.Model], organisation_id: int, reference: str, entries: Sequence[Entry]) -> int:
    months = {e.ref: month(e.facts.issued_at) for e in entries}
    rows = [model(**_fields(organisation_id, reference, d, months)) for d in journeys(entries)]
    model._default_manager.bulk_create(rows, batch_size=1000)
    return len(rows)


def follow(record: Record) -> None:
    """Bring the rows of the devices a newly stored record belongs to up to date, in the caller's transaction."""
    with transaction.atomic():
        store.lock()  # already held by an upload (re-entrant); taken here for any other caller
        organisation_id = Station.objects.values_list("organisation_id", flat=True).get(pk=record.station_id)
        entries = linked(organisation_id, record.lot_reference, record.pk)
        LotDevice.objects.filter(organisation_id=organisation_id, lot_reference=record.lot_reference,
                                 key__in=_keys(entries)).delete()
        _write(LotDevice, organisation_id, record.lot_reference, entries)


def rebuild(organisation_id: int, reference: str, model: type[models.Model] = LotDevice) -> int:
    """Derive one group's rows again from its facts; the number of devices."""
    with transaction.atomic():
        store.lock()
        model._default_manager.filter(organisation_id=organisation_id, lot_reference=reference).delete()
        return _write(model, organisation_id, reference, group_entries(organisation_id, reference))


def groups(records: models.QuerySet[Record] | None = None) -> list[tuple[int, str]]:
    """(refurbisher, reference) of every group holding some of these records (all records by default)."""
    query = Record.objects.all() if records is None else records
    return sorted(set(query.values_list("station__organisation_id", "lot_reference").distinct()))


def rebuild_station(station: Station) -> int:
    """After a revocation (or its undoing): every group holding the station's records."""
    with transaction.atomic():
        store.lock()
        return sum(rebuild(org, ref) for org, ref in groups(Record.objects.filter(station=station)))


def rebuild_all(model: type[models.Model] = LotDevice) -> tuple[int, int]:
    """Every row derived again, in one transaction (pages never see a half-made table); (devices, groups)."""
    with transaction.atomic():
        store.lock()
        model._default_manager.all().delete()
        found = groups()
        return sum(rebuild(org, ref, model) for org, ref in found), len(found)


# a page of a group's rows as ONE JSON document (one parse for thousands of devices instead of one per row),
# those needing attention first, then by key in code point order whatever the database's collation
_PAGE = """
SELECT coalesce(json_agg(json_build_array(key, machine_serial, label_serial, model, audit_id, audit_ref, verdict,
                                          stage, outcome, flags, drives) ORDER BY attention DESC, key COLLATE "C"),
                '[]')::text
FROM (SELECT * FROM lots_lotdevice WHERE organisation_id = %s AND lot_reference = %s
      ORDER BY attention DESC, key COLLATE "C" LIMIT %s OFFSET %s) AS d
"""


def group_devices(organisation_id: int, reference: str, offset: int = 0, limit: int | None = None) -> list[Device]:
    """A group's devices as its lot page lists them (those needing attention first, then by key), or a page of
    them."""
    with connection.cursor() as cursor:
        cursor.execute(_PAGE, [organisation_id, reference, limit, offset])
        found = json.loads(cursor.fetchone()[0])
    return [Device(key, machine or None, label or None, model or None, audit_id or None, audit_ref, verdict or None,
                   tuple(DriveStep(d["serial"], d["model"], d["result"], d["method"], d["nist_category"],
                                   d["certificate_id"], d["ref"], d["attempts"], frozenset(d["flags"]))
                         for d in drives),
                   Stage(stage), Outcome(outcome), frozenset(flags))
            for key, machine, label, model, audit_id, audit_ref, verdict, stage, outcome, flags, drives in found]


_COUNTS = """
SELECT count(*), count(*) FILTER (WHERE audit_id <> ''), count(*) FILTER (WHERE stage = 'erased'),
       count(*) FILTER (WHERE stage = 'blocked'), count(*) FILTER (WHERE outcome = 'reuse'),
       count(*) FILTER (WHERE outcome = 'parts'), count(*) FILTER (WHERE outcome = 'recycle'),
       coalesce(sum(jsonb_array_length(drives)), 0), coalesce(sum(drives_done), 0),
       coalesce(sum(drives_failed), 0), count(*) FILTER (WHERE flags <> '{}'), count(*) FILTER (WHERE attention)
FROM lots_lotdevice WHERE organisation_id = %s AND lot_reference = %s
"""


def group_counts(organisation_id: int, reference: str) -> tuple[Counts, int]:
    """journey.count of the whole group, and how many devices need attention, in one aggregate."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNTS, [organisation_id, reference])
        *figures, attention = (int(v) for v in cursor.fetchone())
    return Counts(*figures), attention
