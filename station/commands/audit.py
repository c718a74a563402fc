"""`station audit`: inventory this machine, judge it for reuse, and write the signed audit record."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from station.certify import keys
from station.commands.common import datadir_from_args, host_from_args
from station.i18n import _
from station.inventory import machine_serial, thresholds
from station.inventory.machine import collect
from station.inventory.thresholds import CHECK_STATES, CHECKLIST_ITEMS
from station.store import config, outbox


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("audit", help="hardware audit and reuse verdict of this machine (signed record + PDF)")
    p.add_argument("--json", action="store_true", help="print the audit record as JSON")
    p.add_argument("--smart-test", choices=["short"], help="run a short SMART self-test on each drive and wait")
    p.add_argument("--out", help="directory for the record, signature, PDF and evidence (default: data dir audits/)")
    p.add_argument("--check", action="append", default=[], metavar="ITEM=STATE",
                   help=f"functional test result, repeatable; ITEM in {', '.join(CHECKLIST_ITEMS)} or 'all'; "
                        f"STATE in {', '.join(CHECK_STATES)}")
    p.add_argument("--tester", help="name of the technician who tested the functions (default: operator setting)")
    p.add_argument("--serial", help="serial number typed or scanned from the machine's label")
    p.add_argument("--no-write", action="store_true", help="only print; write no record")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # the verdict rules and the record's builder (10 ms of import): `station --help` loads every command module
    from station.inventory import record as audit
    from station.inventory.verdict import Checklist, decide

    host = host_from_args(args)
    datadir = datadir_from_args(args)
    settings, warnings = config.load_checked(datadir)
    for warning in warnings:
        print(f"station audit: {warning}", file=sys.stderr)
    lang = config.document_language(settings, args.lang)
    try:
        checklist = Checklist.from_pairs(args.check, args.tester or settings.operator or None)
        limits = thresholds.load(datadir.root / "thresholds.json")
        if args.serial is not None:
            machine_serial.clean(args.serial)  # refuse a bad --serial before the audit, not after
    except ValueError as exc:
        print(f"station audit: {exc}", file=sys.stderr)
        return 2
    inventory = collect(host, smart_test=args.smart_test, thresholds=limits)
    inventory = machine_serial.apply_operator_serial(inventory, args.serial, checklist.tester)
    verdict = decide(inventory, checklist, limits)
    key = keys.load_or_create(datadir)
    responsible = audit.Responsible(settings.organisation, settings.location, settings.operator)
    record = audit.build(inventory, verdict, checklist, responsible=responsible,
                         station_name=settings.station_name, key_fingerprint=key.fingerprint,
                         created=datetime.now(UTC).replace(microsecond=0), lang=lang)
    files = None
    if not args.no_write:
        out_dir = Path(args.out) if args.out else datadir.audits
        try:
            files = audit.write(record, inventory, out_dir, key, lang)
            if out_dir == datadir.audits:  # the station's own records go to the registry, as certificates do
                outbox.enqueue(datadir, record["audit_id"], "audit", settings.lot or None)
        except (audit.AuditError, OSError) as exc:
            print(f"station audit: {exc}", file=sys.stderr)
            return 1
    if args.json:
        sys.stdout.write(audit.to_json_bytes(record).decode("utf-8"))
        return 0
    # the record and its PDF are in `lang` (the document's language); these lines in the technician's (station.cli)
    print(f"{record['audit_id']}  {record['weee_annex_vi']['item_name'] or '?'}  "
          + _("verdict: {outcome}").format(outcome=_(verdict.outcome))
          + ("  " + _("(partial audit)") if inventory.partial else ""))
    for finding in verdict.findings:
        print(f"  [{finding.outcome}] {finding.id}: {finding.text()}")
    for disk in inventory.disks:
        health = _(disk.smart.health) if disk.smart else _("unknown")
        print("  " + _("disk {name}: {model} SMART {health}").format(name=disk.name, model=disk.model or "?",
                                                                    health=health))
    for bat in inventory.batteries:
        wear = bat.wear_percent if bat.wear_percent is not None else _("unknown")
        print("  " + _("battery {name}: wear {wear}").format(name=bat.name, wear=wear))
    print("  " + _("collected in {seconds:.2f} s").format(seconds=inventory.duration_s))
    if files is not None:
        print(json.dumps({"json": str(files.json_path), "sig": str(files.sig_path), "pdf": str(files.pdf_path)}))
    return 0
