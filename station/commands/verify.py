"""`station verify FILE... [--pubkey PEM] [--chain DIR]`: check certificates offline; 0 valid, 1 invalid, 2 unreadable.

Needs no data directory and no network: it is what a donor runs on their own machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from station.certify import check as checks
from station.certify import keys
from station.i18n import _, ngettext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("verify", help="verify certificates (JSON + .sig, or PDF) and the station's history")
    p.add_argument("files", nargs="*", metavar="FILE", help="certificate JSON, certificate PDF or lot manifest")
    p.add_argument("--pubkey", metavar="PEM", help="the station's public key (station.pub.pem) to pin")
    p.add_argument("--chain", metavar="DIR", help="directory holding the station's whole certificate history")
    p.add_argument("--json", action="store_true", help="one JSON result per file on stdout")
    p.set_defaults(func=run)


def _line(outcome: checks.Outcome) -> str:
    """One outcome in the current language; the reasons are station.certify.check's own words."""
    if outcome.status is checks.Status.VALID:
        what = _("lot manifest") if outcome.kind == "lot-manifest" else (
            _("certificate") if outcome.kind == "certificate" else
            _("FAILURE REPORT (not a certificate of erasure)"))
        details = f"{what} {outcome.certificate_id or ''}".rstrip()
        if outcome.result:
            details += _(", result {result}, serial {serial}").format(result=_(outcome.result),
                                                                      serial=outcome.serial or _("unknown"))
        pin = _("pinned key") if outcome.pinned else \
            _("key found beside the file, compare its fingerprint with the published one or pass --pubkey")
        return f"{_('VALID'):<10} {outcome.path}: " + _("{details}; signed by {key} ({pin})").format(
            details=details, key=outcome.key_fingerprint, pin=pin)
    label = _("INVALID") if outcome.status is checks.Status.INVALID else _("UNREADABLE")
    return f"{label:<10} {outcome.path}: " + "; ".join(outcome.reasons)


def run(args: argparse.Namespace) -> int:
    if not args.files and not args.chain:
        print("station verify: " + _("give certificate files, --chain DIR, or both"), file=sys.stderr)
        return 2
    pinned = None
    if args.pubkey:
        try:
            pinned = keys.load_public(Path(args.pubkey).read_bytes())
        except (OSError, keys.KeyFileError) as exc:
            print("station verify: " + _("cannot use public key {path}: {error}").format(path=args.pubkey, error=exc),
                  file=sys.stderr)
            return 2
    outcomes = [checks.verify_file(Path(f), pinned) for f in args.files]
    problems: list[str] = []
    if args.chain:
        chain_outcomes, problems = checks.verify_chain(Path(args.chain), pinned)
        links = {o.certificate_id: o.link for o in chain_outcomes if o.certificate_id and o.link}
        for outcome in chain_outcomes:
            if outcome.status is not checks.Status.VALID:
                problems.append(f"{outcome.path.name}: " + "; ".join(outcome.reasons))
        for outcome in outcomes:
            reason = checks.in_chain(outcome, links)
            if reason and outcome.status is checks.Status.VALID:
                outcome.status, outcome.reasons = checks.Status.INVALID, [reason]
        if not problems:
            last = max((o for o in chain_outcomes if o.link), key=lambda o: o.link.sequence if o.link else 0)
            head = f"{last.certificate_id} sha256 {last.sha256}" if last.link else _("none")
            print(ngettext("history {chain}: {n} certificate, every link holds; last {head}",
                           "history {chain}: {n} certificates, every link holds; last {head}", len(chain_outcomes))
                  .format(chain=args.chain, n=len(chain_outcomes), head=head), file=sys.stderr)
    for outcome in outcomes:
        print(json.dumps(outcome.to_dict(), sort_keys=True) if args.json else _line(outcome))
    for problem in problems:
        print(f"{_('HISTORY'):<10} {problem}", file=sys.stderr if args.json else sys.stdout)
    return checks.exit_code(outcomes, problems)
