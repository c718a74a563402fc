"""`station certs [--lot L] [--json]`: issued certificates and failure reports with PDF and upload status.

`station certs destroy --serial S --model M --technique shred` records a drive physically destroyed (NIST Destroy).
"""

from __future__ import annotations

import argparse
import json
import sys

from station import i18n, notes
from station.certify.certificate import DESTROY_TECHNIQUES, CertificateError, all_issued
from station.certify.issue import issue_destruction
from station.commands.common import datadir_from_args
from station.detect.disk import Disk, DiskKind, SerialInfo, SerialSource
from station.i18n import _
from station.notes import Note
from station.store import config, logstate, outbox


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("certs", help="list certificates and failure reports with their upload status")
    p.add_argument("--lot", help="only this lot")
    p.add_argument("--json", action="store_true", help="one JSON record per certificate")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    d = actions.add_parser("destroy", help="certify a drive physically destroyed (serial and model from its label)")
    d.add_argument("--serial", required=True, help="serial number as printed on the drive label")
    d.add_argument("--model", required=True)
    d.add_argument("--kind", choices=[k.value for k in DiskKind], default=DiskKind.UNKNOWN.value)
    d.add_argument("--size", type=int, default=0, metavar="BYTES")
    d.add_argument("--technique", choices=DESTROY_TECHNIQUES, required=True)
    d.add_argument("--note", help="free text printed on the certificate (e.g. shredder ticket number)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) == "destroy":
        return destroy(args)
    datadir = datadir_from_args(args)
    for issued in all_issued(datadir):
        cert = issued.certificate
        if args.lot is not None and cert.lot != args.lot:
            continue
        status = outbox.status(datadir, cert.certificate_id)
        index = outbox.log_index(datadir, cert.certificate_id)
        proven = logstate.proof_path(issued.json_path).exists()
        if args.json:
            print(json.dumps({
                "certificate_id": cert.certificate_id, "kind": cert.kind, "result": cert.result,
                "serial": cert.media.serial, "model": cert.media.model, "lot": cert.lot,
                "issued_at": cert.issued_at, "json": str(issued.json_path), "sha256": issued.sha256,
                "pdf": str(issued.pdf_path) if issued.pdf_path.exists() else None, "upload": status,
                "log_index": index, "inclusion_proof": proven,
                "result_reason": reason.to_dict() if isinstance(reason := cert.result_reason, Note) else reason,
            }, sort_keys=True, ensure_ascii=False))
        else:
            pdf = str(issued.pdf_path) if issued.pdf_path.exists() else _("(no PDF)")
            log = "" if index is None else "  " + (
                _("in log #{index}") if proven else _("log #{index}, proof pending")).format(index=index)
            print(f"{cert.certificate_id}  {_(cert.result):<11} {cert.media.serial or '-':<20} "
                  f"{cert.lot or '-':<12} {_(status):<8} {pdf}{log}")
            if cert.result_reason is not None:
                print(" " * 17 + _("reason: {reason}").format(reason=notes.render(cert.result_reason, i18n.language())))
    return 0


def destroy(args: argparse.Namespace) -> int:
    datadir = datadir_from_args(args)
    settings = config.load(datadir)
    disk = Disk(name=args.serial, devnode="-", kind=DiskKind(args.kind), bus="unknown", size_bytes=args.size,
                serial=SerialInfo(args.serial.strip(), SerialSource.USER), model=args.model.strip())
    try:
        issued = issue_destruction(disk, datadir, settings, None, args.technique,
                                   config.document_language(settings, getattr(args, "lang", None)), note=args.note)
    except CertificateError as exc:
        print(f"station certs destroy: {exc}", file=sys.stderr)
        return 2
    print(f"{issued.certificate_id}  {_('destroyed')}  {args.serial}  {issued.pdf_path}")
    return 0
