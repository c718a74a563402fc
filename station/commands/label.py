"""`station label [AUDIT]`: print the machine's label (62 mm roll or A4 sheet) from its audit record."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from station.certify import label
from station.commands.common import datadir_from_args
from station.i18n import _
from station.store import atomic, config
from station.store.datadir import DataDir


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("label", help="machine label PDF (model, CPU, RAM, storage, grade, erasure, QR) "
                                     "from an audit record")
    p.add_argument("audit", nargs="*", help="audit id or record path (default: the latest audit in the data dir)")
    p.add_argument("--size", choices=label.SIZES, default="roll62", help="62 mm roll (default) or A4 sheet 2 x 7")
    p.add_argument("--start", type=int, default=0, help="A4 sheet: first free label slot (0-13)")
    p.add_argument("--out", help="PDF to write (default: <data dir>/audits/<audit id>.label-<size>.pdf)")
    p.set_defaults(func=run)


def _record_path(datadir: DataDir, name: str | None) -> Path:
    if name is None:
        found = sorted(datadir.audits.glob("AUD-*.json"), key=lambda p: p.name.split("-", 2)[-1])
        if not found:
            raise label.LabelError(_("no audit record in {path}: run `station audit` first").format(
                path=datadir.audits))
        return found[-1]
    path = Path(name)
    if path.suffix == ".json" and path.exists():
        return path
    candidate = datadir.audits / f"{name}.json"
    if not candidate.exists():
        raise label.LabelError(_("no audit record {name} in {path}").format(name=name, path=datadir.audits))
    return candidate


def run(args: argparse.Namespace) -> int:
    datadir = datadir_from_args(args)
    settings, _warnings = config.load_checked(datadir)
    lang = config.document_language(settings, args.lang)
    certificates = label.load_certificates(datadir.certificates)
    page = settings.certificate_page or None  # saved by `station enroll`
    try:
        paths = [_record_path(datadir, name) for name in (args.audit or [None])]
        labels = [label.from_record(json.loads(p.read_bytes()), certificates, page) for p in paths]
        pdf = label.render(labels, args.size, lang, args.start)
    except (label.LabelError, OSError, ValueError) as exc:
        print(f"station label: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else paths[0].with_name(f"{labels[0].audit_id}.label-{args.size}.pdf")
    atomic.write_bytes(out, pdf)
    for item in labels:
        print(_("label {audit}: erasure {status}, QR {qr}").format(
            audit=item.audit_id, status=label.erasure_text(item.erasure, lang), qr=item.qr))
    print(out)
    return 0
