"""`station lot report LOT --lang fr|en --out DIR`: the donor's lot report (PDF) and its signed manifest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from station import config, keys
from station.commands.common import datadir_from_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("lot", help="lot reports for donors")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    r = actions.add_parser("report", help="write the lot report PDF, its signed manifest and the certificates")
    r.add_argument("lot", metavar="LOT")
    r.add_argument("--lang", dest="report_lang", choices=["fr", "en"], help="report language (default: settings)")
    r.add_argument("--out", required=True, metavar="DIR", help="output directory (created if needed)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    datadir = datadir_from_args(args)
    settings = config.load(datadir)
    lang = args.report_lang or getattr(args, "lang", None) or settings.language
    try:
        key = keys.load_or_create(datadir)
    except keys.KeyFileError as exc:
        print(f"station lot: {exc}", file=sys.stderr)
        return 2
    from station import lot as lots  # reportlab: only when a report is made

    report = lots.report(datadir, args.lot, lang, Path(args.out), key, settings.station_name or None)
    for reason in report.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    c = report.counts
    print(f"lot {args.lot}: {c.machines} machine(s), {c.drives} drive(s): {c.erased} erased, {c.failed} not erased, "
          f"{c.destroyed} destroyed")
    print(f"report   {report.pdf_path}")
    print(f"manifest {report.manifest_path} (+ .sig)")
    return 0 if report.certificates else 1
