"""`station upload [--to DIR]`: send queued certificates to the configured HTTPS endpoint, or copy to a share."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from station.commands.common import datadir_from_args
from station.i18n import _
from station.store import config, outbox
from station.store import upload as uploading


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("upload", help="send queued certificates (HTTPS with the configured token, or --to DIR)")
    p.add_argument("--to", metavar="DIR", help="copy to this mounted directory instead of the HTTPS endpoint")
    p.add_argument("--attempts", type=int, default=4, help="tries per certificate in this run (default 4)")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds per request (default 20)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    datadir = datadir_from_args(args)
    queued = len(outbox.pending(datadir))
    if queued == 0:
        print(_("outbox empty: nothing to send"))
        return 0
    try:
        if args.to:
            summary = uploading.copy_to_dir(datadir, Path(args.to))
        else:
            settings = config.load(datadir)
            if not settings.upload_endpoint:
                print("station upload: " + _("no endpoint; set one with `station settings set upload_endpoint URL` "
                                             "or use --to DIR"), file=sys.stderr)
                return 2
            policy = uploading.Policy(attempts=max(1, args.attempts), timeout=args.timeout)
            summary = uploading.upload_http(datadir, settings.upload_endpoint, settings.upload_token, policy)
    except uploading.UploadError as exc:
        print(f"station upload: {exc}", file=sys.stderr)
        return 2
    for cid in summary.sent:
        print(_("sent     {certificate}").format(certificate=cid))
    for cid in summary.already:
        print(_("sent     {certificate} (the server already had it)").format(certificate=cid))
    for cid, error in summary.failed.items():
        print(_("queued   {certificate}: {error}").format(certificate=cid, error=error))
    if summary.stopped:
        print(_("stopped: {reason}").format(reason=summary.stopped), file=sys.stderr)
    return 0 if summary.ok else 1
