"""`station certs [--lot L] [--json]`: issued certificates and failure reports with PDF and upload status."""

from __future__ import annotations

import argparse
import json

from station import outbox
from station.certificate import all_issued
from station.commands.common import datadir_from_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("certs", help="list certificates and failure reports with their upload status")
    p.add_argument("--lot", help="only this lot")
    p.add_argument("--json", action="store_true", help="one JSON record per certificate")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    datadir = datadir_from_args(args)
    for issued in all_issued(datadir):
        cert = issued.certificate
        if args.lot is not None and cert.lot != args.lot:
            continue
        status = outbox.status(datadir, cert.certificate_id)
        if args.json:
            print(json.dumps({
                "certificate_id": cert.certificate_id, "kind": cert.kind, "result": cert.result,
                "serial": cert.media.serial, "model": cert.media.model, "lot": cert.lot,
                "issued_at": cert.issued_at, "json": str(issued.json_path), "sha256": issued.sha256,
                "pdf": str(issued.pdf_path) if issued.pdf_path.exists() else None, "upload": status,
            }, sort_keys=True, ensure_ascii=False))
        else:
            pdf = str(issued.pdf_path) if issued.pdf_path.exists() else "(no PDF)"
            print(f"{cert.certificate_id}  {cert.result:<11} {cert.media.serial or '-':<20} "
                  f"{cert.lot or '-':<12} {status:<8} {pdf}")
    return 0
