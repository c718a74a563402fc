"""`station verify FILE... [--pubkey PEM] [--chain DIR] [--log-key KEY]`: check certificates offline; 0 valid,
1 invalid, 2 unreadable.

Needs no data directory and no network: it is what a donor runs on their own machine. When a record's inclusion
proof is saved beside it (<id>.json.inclusion, kept by `station upload`), it also says whether the registry's log
holds the record, checked against the signed checkpoint and the log's key (--log-key, or the enrolled registry's).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from station import i18n, notes
from station.certify import check as checks
from station.certify import keys
from station.certify.checkpoint import NoteError, Verifier
from station.certify.logentry import EntryError, station_key_sha256
from station.i18n import _, ngettext
from station.store import config, datadir, logstate


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("verify", help="verify certificates (JSON + .sig, or PDF) and the station's history")
    p.add_argument("files", nargs="*", metavar="FILE", help="certificate JSON, certificate PDF or lot manifest")
    p.add_argument("--pubkey", metavar="PEM", help="the station's public key (station.pub.pem) to pin")
    p.add_argument("--chain", metavar="DIR", help="directory holding the station's whole certificate history")
    p.add_argument("--log-key", metavar="KEY", help="the registry log's verifier key (<name>+<id>+<key>), to check "
                                                    "saved inclusion proofs; default: the enrolled registry's")
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


def _said(outcome: checks.Outcome) -> list[str]:
    """What the record says beyond its result, in the reader's language: why not erased, its notes, the log."""
    lines = []
    if outcome.result_reason is not None:
        lines.append(_("reason: {reason}").format(reason=notes.render(outcome.result_reason, i18n.language())))
    lines.extend(_("note: {note}").format(note=notes.render(n, i18n.language())) for n in outcome.notes)
    return [*lines, outcome.log] if outcome.log else lines


def _log_verifier(args: argparse.Namespace) -> tuple[Verifier | None, str | None]:
    """The log key from --log-key, else from the settings of an existing data directory (none is created)."""
    if args.log_key:
        return Verifier.parse(args.log_key), None
    directory = datadir.resolve(getattr(args, "data_dir", None))
    if not directory.config_file.exists():
        return None, None
    settings, _warnings = config.load_checked(directory)
    if not settings.log_key:
        return None, None
    return Verifier.parse(settings.log_key), settings.log_origin or None


def _check_log(outcome: checks.Outcome, verifier: Verifier, origin: str | None, pinned: keys.PublicKey | None,
               explicit: bool) -> None:
    """Adds the log's word on a valid record; a proof that fails makes the outcome invalid."""
    if outcome.status is not checks.Status.VALID or outcome.sha256 is None:
        return
    found = logstate.find_proof(outcome.path)
    if found is None:
        if explicit:
            outcome.log = _("no inclusion proof saved beside the file: the log was not checked")
        return
    fingerprint = outcome.key_fingerprint or ""

    def same_station(station: str) -> bool:
        if pinned is not None:
            return station == station_key_sha256(pinned.key)
        return "-".join(station[i:i + 4] for i in range(0, 16, 4)) == fingerprint

    try:
        saved = logstate.InclusionProof.from_json(found.read_text(encoding="utf-8"))
        checkpoint = logstate.check_inclusion(saved, outcome.sha256, same_station, verifier, origin)
    except (OSError, UnicodeDecodeError, EntryError, logstate.LogError) as exc:
        outcome.status = checks.Status.INVALID
        outcome.reasons.append(_("not proven in the registry's log: {error}").format(error=exc))
        outcome.log = "not-proven"
        return
    outcome.log = _("in the log {origin} at index {index} (checkpoint of {size} entries)").format(
        origin=checkpoint.origin, index=saved.log_index, size=checkpoint.size)


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
    try:
        log_verifier, log_origin = _log_verifier(args)
    except NoteError as exc:
        print("station verify: " + _("cannot use log key: {error}").format(error=exc), file=sys.stderr)
        return 2
    if log_verifier is not None:
        for outcome in outcomes:
            _check_log(outcome, log_verifier, log_origin, pinned, bool(args.log_key))
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
        if outcome.status is checks.Status.VALID and not args.json:
            for line in _said(outcome):
                print(f"{'':<10} {line}")
    for problem in problems:
        print(f"{_('HISTORY'):<10} {problem}", file=sys.stderr if args.json else sys.stdout)
    return checks.exit_code(outcomes, problems)
