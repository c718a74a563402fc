"""`station lot report LOT --lang fr|en --out DIR`: the donor's lot report (PDF) and its signed manifest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from station.certify import keys
from station.commands.common import datadir_from_args
from station.i18n import _, ngettext
from station.store import config


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
    lang = config.document_language(settings, args.report_lang or getattr(args, "lang", None))
    try:
        key = keys.load_or_create(datadir)
    except keys.KeyFileError as exc:
        print(f"station lot: {exc}", file=sys.stderr)
        return 2
    from station.certify import lot as lots  # reportlab, a tenth of a second: `station --help` loads this module

    report = lots.report(datadir, args.lot, lang, Path(args.out), key, settings.station_name or None)
    for reason in report.skipped:
        print(_("skipped {reason}").format(reason=reason), file=sys.stderr)
    c = report.counts
    machines = ngettext("{n} machine", "{n} machines", c.machines).format(n=c.machines)
    drives = ngettext("{n} drive", "{n} drives", c.drives).format(n=c.drives)
    print(_("lot {lot}: {machines}, {drives}: {erased} erased, {failed} not erased, {destroyed} destroyed").format(
        lot=args.lot, machines=machines, drives=drives, erased=c.erased, failed=c.failed, destroyed=c.destroyed))
    print(_("report   {path}").format(path=report.pdf_path))
    print(_("manifest {path} (+ .sig)").format(path=report.manifest_path))
    return 0 if report.certificates else 1
