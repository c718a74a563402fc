"""`station enroll URL CODE [--name NAME]`: bind this station's key to an organisation on a registry."""

from __future__ import annotations

import argparse
import sys

from station.commands.common import datadir_from_args
from station.i18n import _
from station.store import enroll as enrolling


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("enroll", help="enroll this station with a registry (one-time code from its coordinator)")
    p.add_argument("url", metavar="URL", help="the registry's address, e.g. https://registre.example.org")
    p.add_argument("code", metavar="CODE", help="the enrollment code given by the registry's coordinator")
    p.add_argument("--name", help="this station's name as the registry shows it (default: the saved name)")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for the registry (default 20)")
    p.set_defaults(func=run)


def _reason(exc: enrolling.EnrollError) -> str:
    reasons = {
        "bad-code": _("the registry does not know this code, or it was used or has expired"),
        "key-enrolled": _("this station's key is already enrolled with the registry"),
        "no-answer": _("the registry did not answer"),
        "bad-answer": _("the registry's answer is not what the contract says"),
        "refused": _("the registry refused the enrollment"),
    }
    return f"{reasons.get(exc.code, exc.code)} ({exc.detail})"


def run(args: argparse.Namespace) -> int:
    datadir = datadir_from_args(args)
    try:
        done = enrolling.enroll(datadir, args.url, args.code, args.name, timeout=args.timeout)
    except enrolling.EnrollError as exc:
        print("station enroll: " + _("enrollment failed: {reason}").format(reason=_reason(exc)), file=sys.stderr)
        return 1
    print(_("enrolled with {organisation} as station {station}").format(organisation=done.organisation,
                                                                        station=done.station_id))
    print(_("uploads go to {endpoint}").format(endpoint=done.upload_endpoint))
    print(_("log {origin}, key {key}").format(origin=done.log_origin, key=done.log_key))
    return 0
