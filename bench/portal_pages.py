"""Server time of the portal's two heaviest pages: a lot page of 5,000 devices and the dashboard over 20,000.

    .venv/bin/python bench/portal_pages.py [--devices 20000] [--lot 5000] [--runs 30]

Starts its own private PostgreSQL cluster (as the tests do), migrates, and fills it with a synthetic programme
(labelled so: the rows are written in bulk, not uploaded; each device is one audit record and one or two
certificates, with the facts the ingest would project from them; the per-device rows are then derived from
those facts by the code ingest runs, registry.lots.devices, in one rebuild pass instead of record by record),
then times requests through Django's handler in this process (routing, session, every query, rendering; no
network): p50 and p99 in ms against the 300 ms target, for the lot page as it opens (its first page of
REGISTRY_LOT_PAGE_SIZE devices) and with the whole lot on one page (?page=all). It also times the parts of a
lot page's first view, and
what keeping the rows current adds to one upload into the big lot (devices.follow, rolled back).
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from registry import config  # noqa: E402
from registry.cluster import Cluster, bin_dir  # noqa: E402

REFURBISHERS = ("Atelier Solidaire", "Envie Lyon", "Emmaüs Connect Lille", "Ateliers du Bocage")
VERDICTS = ("reuse", "reuse", "reuse", "reuse-with-warnings", "harvest-parts", "recycle")


def _manage(base: Path, *args: str) -> None:
    env = dict(os.environ, DATABASE_URL=config.embedded_url(base, "postgres"), REGISTRY_DATA_DIR=str(base),
               DJANGO_SETTINGS_MODULE="registry.settings")
    subprocess.run([sys.executable, "-m", "registry", *args], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def fill(devices: int, big_lot: int) -> int:
    """A synthetic programme; returns the big lot's id."""
    from django.contrib.auth.models import User

    from registry.accounts.models import Membership
    from registry.core.models import Organisation, Record, Station
    from registry.lots import devices as device_rows
    from registry.lots.models import Lot, RecordFacts

    coordinator = Organisation.objects.create(name="Coordination", kind="coordinator")
    donor = Organisation.objects.create(name="Région Exemple", kind="donor")
    refurbishers = [Organisation.objects.create(name=n, kind="refurbisher") for n in REFURBISHERS]
    stations = [Station.objects.create(organisation=o, name=f"poste-{i}", public_key_pem="synthetic",
                                       fingerprint=f"{i:04x}-0000-0000-0000", token_hash=f"{i:064x}")
                for i, o in enumerate(refurbishers)]
    user = User.objects.create_user("coordinator")
    Membership.objects.create(user=user, organisation=coordinator)
    sizes = [big_lot] + [500] * ((devices - big_lot) // 500)
    sizes[-1] += devices - sum(sizes)
    lots = []
    for n, size in enumerate(sizes):
        lots.append(Lot.objects.create(donor=donor, refurbisher=refurbishers[n % len(refurbishers)],
                                       reference=f"LOT-{n:03d}", expected_devices=size,
                                       received_on=datetime.date(2025, 1 + n % 12, 1)))
    index = 0
    for lot, size in zip(lots, sizes, strict=True):
        station = stations[refurbishers.index(lot.refurbisher)]
        records, facts = [], []
        for d in range(size):
            month = datetime.date(2025, 1 + (index // 7) % 12, 1)
            stamp = f"{month.isoformat()}T10:00:00Z"
            machine = f"{lot.reference}-PC{d:05d}"
            drives = [f"{machine}-D{k}" for k in range(1 + (d % 5 == 0))]
            verdict = VERDICTS[d % len(VERDICTS)]
            rows = [("audit", f"AUD-{machine}", {"machine_serial": machine, "label_serial": machine,
                                                 "machine_model": "ThinkPad T480", "verdict": verdict,
                                                 "disk_serials": drives})]
            for k, drive in enumerate(drives):
                result = "failed" if d % 97 == 0 and k == 0 else "erased"
                rows.append(("certificate", f"CERT-{drive}", {"drive_serial": drive, "drive_model": "SSD",
                                                              "host_serial": machine, "result": result,
                                                              "method": "zero", "nist_category": "clear"}))
            for kind, ident, fields in rows:
                record = Record(kind=kind, record_id=ident, station=station, sha256="0" * 64, json_bytes=b"{}",
                                signature=b"synthetic", lot_reference=lot.reference, log_index=index,
                                flags=["chain-gap"] if index % 1000 == 1 else [])
                records.append(record)
                facts.append((record, kind, stamp, month, fields))
                index += 1
        Record.objects.bulk_create(records, batch_size=2000)
        RecordFacts.objects.bulk_create([RecordFacts(record=r, kind=k, issued_at=s, issued_month=m, **f)
                                         for r, k, s, m, f in facts], batch_size=2000)
    device_rows.rebuild_all()  # what ingest keeps current record by record (bulk_create sends no post_save)
    return lots[0].pk


def timed(client: object, url: str, runs: int, cold: bool = False) -> list[float]:
    from django.core.cache import cache

    out = []
    for _ in range(runs + 2):
        if cold:
            cache.clear()
        start = time.perf_counter()
        answer = client.get(url)  # type: ignore[attr-defined]
        out.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, (url, answer.status_code)
    return out[2:]  # the first two warm caches (templates, translations, connection)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=20000)
    parser.add_argument("--lot", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if bin_dir() is None:
        print("PostgreSQL binaries not found (apt-get install postgresql)", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="portal-bench-", dir="/var/tmp"))
    os.chmod(base, 0o711)
    os.environ.update(REGISTRY_DATA_DIR=str(base), DATABASE_URL=config.embedded_url(base),
                      DJANGO_SETTINGS_MODULE="registry.settings")
    cluster = Cluster(base)
    cluster.start()
    try:
        cluster.ensure_database()
        _manage(base, "migrate", "--no-input", "-v", "0")
        _manage(base, "grant_app_role", config.APP_ROLE)
        import django

        django.setup()
        from django.contrib.auth.models import User
        from django.test import Client

        started = time.perf_counter()
        lot_id = fill(args.devices, args.lot)
        print(f"filled {args.devices} devices (synthetic rows) in {time.perf_counter() - started:.1f} s")
        import psycopg
        from django.db import connection

        # what autovacuum does after a bulk load: planner statistics (as the tables' owner: the app role may not)
        with psycopg.connect(config.embedded_url(base, "postgres"), autocommit=True) as owner:
            owner.execute("ANALYZE")
        client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="fr")
        client.force_login(User.objects.get(username="coordinator"))
        from django.conf import settings
        from django.utils import translation

        from registry.core.models import Record
        from registry.lots import devices
        from registry.lots.models import Lot
        from registry.pages.lot_table import rows

        lot = Lot.objects.get(pk=lot_id)
        total = devices.group_counts(lot.refurbisher_id, lot.reference)[0].devices
        size = settings.REGISTRY_LOT_PAGE_SIZE
        print(f"lot page: {total} devices, {size} a page; dashboard: {args.devices} devices")
        print(f"{'page':<52}{'p50 ms':>9}{'p99 ms':>9}  target < 300 ms")
        pages = ((f"lot page ({total:,} devices), first view", f"/lots/{lot_id}/", True),
                 (f"lot page ({total:,} devices), again", f"/lots/{lot_id}/", False),
                 (f"lot page, all {total:,} on one page, first view", f"/lots/{lot_id}/?page=all", True),
                 (f"lot page, all {total:,} on one page, again", f"/lots/{lot_id}/?page=all", False),
                 (f"dashboard ({args.devices:,} devices), first view", "/dashboard/", True),
                 (f"dashboard ({args.devices:,} devices), again", "/dashboard/", False))
        for name, url, cold in pages:
            times = timed(client, url, args.runs, cold)
            print(f"{name:<52}{statistics.median(times):>9.0f}{p99(times):>9.0f}  "
                  f"{'met' if p99(times) < 300 else 'NOT MET'}")
        for label, limit in (("first page", size), ("all on one page", None)):
            parts = []
            with translation.override("fr"):
                for _ in range(5):
                    t0 = time.perf_counter()
                    devices.group_counts(lot.refurbisher_id, lot.reference)
                    found = devices.group_devices(lot.refurbisher_id, lot.reference, 0, limit)
                    t1 = time.perf_counter()
                    str(rows(found))
                    parts.append((t1 - t0, time.perf_counter() - t1))
            query, table = (statistics.median(p[i] for p in parts) * 1000 for i in (0, 1))
            print(f"lot page split, {label} (median of 5): counts and device rows read {query:.0f} ms, "
                  f"table markup {table:.0f} ms, the rest is the page around them")
        follows = []
        from django.db import transaction

        for record in Record.objects.filter(lot_reference=lot.reference).order_by("?")[:20]:
            with transaction.atomic():
                t0 = time.perf_counter()
                devices.follow(record)
                follows.append((time.perf_counter() - t0) * 1000)
                transaction.set_rollback(True)
        print(f"keeping the rows current for one record of the big lot (devices.follow, 20 records, rolled back): "
              f"p50 {statistics.median(follows):.1f} ms, worst {max(follows):.1f} ms")
        if os.environ.get("PORTAL_BENCH_EXPLAIN"):
            from registry.lots.devices import _LINKED
            from registry.lots.projection import _ENTRIES_SQL

            record = Record.objects.filter(lot_reference=lot.reference, kind="certificate").last()
            assert record is not None
            with connection.cursor() as cursor:
                serial = f"{record.record_id.removeprefix('CERT-')}"  # the synthetic drive serial
                cursor.execute("EXPLAIN ANALYZE " + _ENTRIES_SQL.format(where=_LINKED),
                               [[serial], [serial], *[[serial[:-3]]] * 3, [record.pk]])
                print("\n".join(r[0] for r in cursor.fetchall()))
    finally:
        from django.db import connections

        connections.close_all()
        cluster.stop("fast")
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
