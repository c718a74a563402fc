"""The programme's figures, aggregated in PostgreSQL (never by loading records), for the user's scope.

Devices received come from the lots (what donors handed over, by the month received); machines audited and
their verdict come from audit records (a machine audited twice counts once, by its serial); drives come from
certificates (a drive certified twice counts once, by its newest result).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Sum

from registry.accounts.roles import Role, Scope, lots
from registry.core.models import Organisation

REUSE = ("reuse", "reuse-with-warnings", "reuse-after-repair")


@dataclass(frozen=True)
class OrgFigures:
    name: str
    received: int
    reused: int
    parts: int
    recycled: int
    drives_erased: int
    drives_failed: int


@dataclass(frozen=True)
class MonthFigures:
    month: str  # YYYY-MM
    received: int
    audited: int
    drives_erased: int


@dataclass(frozen=True)
class Figures:
    received: int
    audited: int
    reused: int
    parts: int
    recycled: int
    drives_erased: int
    drives_failed: int
    per_org: tuple[OrgFigures, ...]
    per_month: tuple[MonthFigures, ...]

    @property
    def decided(self) -> int:
        return self.reused + self.parts + self.recycled


def _scope_sql(scope: Scope) -> tuple[str, list[int]]:
    """A WHERE clause over (r: core_record, s: core_station) limiting rows to the scope."""
    if scope.role is Role.COORDINATOR:
        return "TRUE", []
    if scope.role is Role.REFURBISHER and scope.organisation is not None:
        return "s.organisation_id = %s", [scope.organisation.pk]
    if scope.role is Role.DONOR and scope.organisation is not None:
        return ("EXISTS (SELECT 1 FROM lots_lot l WHERE l.donor_id = %s AND l.refurbisher_id = s.organisation_id "
                "AND l.reference = r.lot_reference)"), [scope.organisation.pk]
    return "FALSE", []


# newest audit per (organisation, machine) and newest certificate per (organisation, drive), then counted
_SQL = """
WITH facts AS (
    SELECT f.*, s.organisation_id AS org, r.record_id AS rid
    FROM lots_recordfacts f JOIN core_record r ON r.id = f.record_id JOIN core_station s ON s.id = r.station_id
    WHERE {where}
), machines AS (
    SELECT DISTINCT ON (org, COALESCE(NULLIF(machine_serial, ''), rid)) org, verdict, issued_month
    FROM facts WHERE kind = 'audit'
    ORDER BY org, COALESCE(NULLIF(machine_serial, ''), rid), issued_at DESC
), drives AS (
    SELECT DISTINCT ON (org, COALESCE(NULLIF(drive_serial, ''), rid)) org, result, issued_month
    FROM facts WHERE kind = 'certificate'
    ORDER BY org, COALESCE(NULLIF(drive_serial, ''), rid), issued_at DESC
)
SELECT 'm' AS what, org, issued_month, verdict AS code, count(*) FROM machines GROUP BY org, issued_month, verdict
UNION ALL
SELECT 'd', org, issued_month, result, count(*) FROM drives GROUP BY org, issued_month, result
"""


def version() -> str:
    """What the figures depend on, cheaply: records are append-only (count and newest id say if one came),
    revocations and lots are counted."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM core_record), (SELECT coalesce(max(id), 0) FROM core_record), "
                       "(SELECT count(*) FROM core_station WHERE revoked_at IS NOT NULL), "
                       "(SELECT count(*) FROM lots_lot), (SELECT coalesce(max(id), 0) FROM lots_lot)")
        row = cursor.fetchone()
    return ".".join(str(v) for v in row)


def figures(scope: Scope) -> Figures:
    where, params = _scope_sql(scope)
    with connection.cursor() as cursor:
        cursor.execute(_SQL.format(where=where), params)
        rows = cursor.fetchall()
    names = dict(Organisation.objects.filter(kind=Organisation.Kind.REFURBISHER).values_list("pk", "name"))
    org: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    month: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for what, org_id, issued_month, code, n in rows:
        key = issued_month.strftime("%Y-%m") if isinstance(issued_month, datetime.date) else "?"
        if what == "m":
            bucket = "reused" if code in REUSE else {"harvest-parts": "parts", "recycle": "recycled"}.get(code, "")
            if bucket:
                org[org_id][bucket] += n
            month[key]["audited"] += n
        else:
            bucket = "drives_erased" if code in ("erased", "destroyed") else "drives_failed"
            org[org_id][bucket] += n
            if bucket == "drives_erased":
                month[key]["drives_erased"] += n
    for row in lots(scope).values("refurbisher_id", "received_on").annotate(n=Sum("expected_devices")):
        org[row["refurbisher_id"]]["received"] += row["n"] or 0
        if row["received_on"] is not None:
            month[row["received_on"].strftime("%Y-%m")]["received"] += row["n"] or 0
    per_org = tuple(sorted((OrgFigures(names.get(k, str(k)), v["received"], v["reused"], v["parts"], v["recycled"],
                                       v["drives_erased"], v["drives_failed"]) for k, v in org.items()),
                           key=lambda o: o.name))
    per_month = tuple(MonthFigures(k, v["received"], v["audited"], v["drives_erased"])
                      for k, v in sorted(month.items()) if k != "?")[-12:]
    return Figures(
        received=sum(o.received for o in per_org), audited=sum(v["audited"] for v in month.values()),
        reused=sum(o.reused for o in per_org), parts=sum(o.parts for o in per_org),
        recycled=sum(o.recycled for o in per_org), drives_erased=sum(o.drives_erased for o in per_org),
        drives_failed=sum(o.drives_failed for o in per_org), per_org=per_org, per_month=per_month)
