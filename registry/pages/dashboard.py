"""The programme's figures, aggregated in PostgreSQL over the device rows (never by loading records), for the
user's scope.

Devices received come from the lots (what donors handed over, by the month received); machines audited from
each device's newest audit (a machine audited twice in a lot counts once), and counted reused, dismantled or
recycled by its outcome (the verdict once every drive is erased, as on the lot page); drives from each
drive's newest certificate (a drive certified twice in a lot counts once, by its newest result).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Sum

from registry.accounts.roles import Role, Scope, lots
from registry.core.models import Organisation

# a device counts as reused, dismantled or recycled by its outcome, as its lot page and the donor's attestation
# say it: the verdict alone is not enough while a drive is still to be erased (registry.lots.journey)
BUCKET_OF = {"reuse": "reused", "parts": "parts", "recycle": "recycled"}


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
    """A WHERE clause over d (lots_lotdevice) limiting rows to the scope."""
    if scope.role is Role.COORDINATOR:
        return "TRUE", []
    if scope.role is Role.REFURBISHER and scope.organisation is not None:
        return "d.organisation_id = %s", [scope.organisation.pk]
    if scope.role is Role.DONOR and scope.organisation is not None:
        return ("EXISTS (SELECT 1 FROM lots_lot l WHERE l.donor_id = %s AND l.refurbisher_id = d.organisation_id "
                "AND l.reference = d.lot_reference)"), [scope.organisation.pk]
    return "FALSE", []


# over the device rows (registry.lots.devices): audited machines by refurbisher, month and outcome (a machine's
# newest audit and its drives' newest certificates decide it), drives by refurbisher (each drive's newest
# certificate), drives erased by month
_SQL = """
WITH d AS MATERIALIZED (
    SELECT d.organisation_id AS org, d.audit_id, d.audit_month, d.outcome, d.drives_done, d.drives_failed,
           d.erased_months
    FROM lots_lotdevice d WHERE {where}
)
SELECT 'm' AS what, org, audit_month, outcome, count(*), 0 FROM d WHERE audit_id <> ''
GROUP BY org, audit_month, outcome
UNION ALL
SELECT 'd', org, NULL, '', sum(drives_done), sum(drives_failed) FROM d GROUP BY org
UNION ALL
SELECT 'e', NULL, m, '', count(*), 0 FROM d CROSS JOIN LATERAL unnest(d.erased_months) AS m GROUP BY m
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
    for what, org_id, issued_month, code, n, failed in rows:
        key = issued_month.strftime("%Y-%m") if isinstance(issued_month, datetime.date) else "?"
        if what == "m":
            bucket = BUCKET_OF.get(code, "")
            if bucket:
                org[org_id][bucket] += n
            month[key]["audited"] += n
        elif what == "d" and (n or failed):
            org[org_id]["drives_erased"] += n
            org[org_id]["drives_failed"] += failed
        elif what == "e":
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
