"""`station upload [--to DIR]`: send queued certificates and audit records to the configured endpoint (the enrolled
registry, whose log is checked), or copy them to a share.

Exit codes: 0 all sent (and, with a registry, witnessed by its log), 1 some records still queued, 2 cannot start,
3 the registry's transparency log failed a check (bad checkpoint signature, fork, failing proof).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from station.commands.common import datadir_from_args
from station.i18n import _
from station.store import config, outbox
from station.store import upload as uploading

LOG_FAILED = 3


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("upload", help="send queued certificates and audits (HTTPS with the configured token, "
                                      "or --to DIR)")
    p.add_argument("--to", metavar="DIR", help="copy to this mounted directory instead of the HTTPS endpoint")
    p.add_argument("--attempts", type=int, default=4, help="tries per record in this run (default 4)")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds per request (default 20)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    datadir = datadir_from_args(args)
    settings = config.load(datadir)
    outbox.enqueue_saved_audits(datadir, settings.lot or None)
    queued = len(outbox.pending(datadir))
    if queued == 0 and (args.to or not settings.log_key):
        print(_("outbox empty: nothing to send"))
        return 0
    try:
        if args.to:
            summary = uploading.copy_to_dir(datadir, Path(args.to))
        else:
            if not settings.upload_endpoint:
                print("station upload: " + _("no endpoint; enroll with `station enroll URL CODE`, set one with "
                                             "`station settings set upload_endpoint URL` or use --to DIR"),
                      file=sys.stderr)
                return 2
            policy = uploading.Policy(attempts=max(1, args.attempts), timeout=args.timeout)
            summary = uploading.upload_from_settings(datadir, policy)
    except uploading.UploadError as exc:
        print(f"station upload: {exc}", file=sys.stderr)
        return 2
    if queued == 0 and not (summary.proved or summary.proof_pending or summary.log_problems):
        print(_("outbox empty: nothing to send"))
    for cid in summary.sent:
        print(_("sent     {certificate}").format(certificate=cid))
    for cid in summary.already:
        print(_("sent     {certificate} (the server already had it)").format(certificate=cid))
    for cid, error in summary.failed.items():
        print(_("queued   {certificate}: {error}").format(certificate=cid, error=error))
    for cid in summary.proved:
        print(_("in log   {certificate}: inclusion proof verified and kept").format(certificate=cid))
    for cid, error in summary.proof_pending.items():
        print(_("no proof {certificate} yet ({error}): asked again at the next upload").format(certificate=cid,
                                                                                              error=error))
    if summary.checkpoint_size is not None:
        print(_("registry log: checkpoint of {size} entries verified, consistent with the last one kept")
              .format(size=summary.checkpoint_size))
    for problem in summary.log_problems:
        print(_("REGISTRY LOG PROBLEM: {problem}").format(problem=problem), file=sys.stderr)
    if summary.stopped:
        print(_("stopped: {reason}").format(reason=summary.stopped), file=sys.stderr)
    if summary.log_problems:
        return LOG_FAILED
    return 0 if summary.ok else 1
