"""`station jobs`: the job journal; shows jobs interrupted by a crash or power loss and restarts them."""

from __future__ import annotations

import argparse
import json
import sys

from station.commands.common import datadir_from_args, error_text, host_from_args
from station.commands.wipe import ProgressDisplay, line_for, result_dict, state_word
from station.i18n import _
from station.session import Session


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("jobs", help="list erase jobs (interrupted ones included) or restart one")
    p.add_argument("--json", action="store_true", help="one JSON record per job")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    r = actions.add_parser("restart", help="run an interrupted/failed/cancelled job again from the start")
    r.add_argument("job_id")
    r.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    r.add_argument("--json", action="store_true", help="print the new job's result as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) == "restart":
        return restart(args)
    session = Session(datadir_from_args(args))  # opening it marks jobs a power cut stopped as interrupted
    for job in session.journal.all():
        if args.json:
            record = job.to_dict()
            record["erased"] = job.erased
            print(json.dumps(record, sort_keys=True))
        else:
            serial = job.disk.serial.value if job.disk and job.disk.serial.value else "-"
            print(f"{job.job_id}  {state_word(job.state):<11} {job.method:<12} {job.target}  "
                  + _("serial {serial}").format(serial=serial) + (f"  ({job.failure_text()})" if job.failure else ""))
    return 0


def restart(args: argparse.Namespace) -> int:
    session = Session(datadir_from_args(args), host=host_from_args(args), lang=args.lang)
    try:
        old = session.journal.load(args.job_id)
    except (OSError, ValueError, KeyError) as exc:
        print("station jobs restart: " + _("no readable job {job}: {error}").format(job=args.job_id, error=exc),
              file=sys.stderr)
        return 2
    print(_("Restart job {job} ({state}) on {target}: method {method}, verify {verify}. "
            "All data on it will be destroyed.").format(job=old.job_id, state=state_word(old.state),
                                                        target=old.target, method=old.method, verify=old.verify),
          file=sys.stderr)
    if not args.yes and (not sys.stdin.isatty() or input(_("Type {n} to confirm: ").format(n=1)).strip() != "1"):
        print(_("Not confirmed: nothing was written."), file=sys.stderr)
        return 2
    display = ProgressDisplay(sys.stderr)
    try:
        outcome = session.restart(old.job_id, on_progress=display.update)
    except ValueError as exc:
        print(f"station jobs restart: {error_text(exc)}", file=sys.stderr)
        return 2
    display.close()
    print(line_for(outcome), file=sys.stderr)
    if args.json:
        print(json.dumps(result_dict(outcome), sort_keys=True))
    return 0 if outcome.job.erased else 1
