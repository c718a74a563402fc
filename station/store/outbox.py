"""The outbox: certificates and audit records waiting to leave the station, as small marker files on the data directory.

A marker sits in `outbox/` from issue until a server (or a share) confirmed it has the files;
only then is it moved to `sent/`. Markers are written atomically, so a power cut at any moment
leaves each certificate either still queued or sent, never lost.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from station.hw import now_iso
from station.store import atomic
from station.store.datadir import DataDir

KINDS = ("certificate", "audit")


@dataclass(frozen=True)
class OutboxEntry:
    certificate_id: str  # the record's id: a certificate id, or an audit record's id when kind is "audit"
    queued_at: str
    kind: str = "certificate"
    lot: str | None = None  # the lot the record belongs to, as known when it was queued
    log_index: int | None = None  # where the registry's log holds it, once a registry said so
    attempts: int = 0
    last_attempt: str | None = None
    last_error: str | None = None
    sent_to: str | None = None
    confirmed_at: str | None = None


def _marker(directory: Path, certificate_id: str) -> Path:
    return directory / f"{certificate_id}.json"


def _write(path: Path, entry: OutboxEntry) -> None:
    atomic.write_text(path, json.dumps(asdict(entry), indent=2, sort_keys=True) + "\n")


def _read(path: Path) -> OutboxEntry | None:
    try:
        data = json.loads(path.read_text())
        known = set(OutboxEntry.__dataclass_fields__)
        return OutboxEntry(**{k: v for k, v in data.items() if k in known})
    except (OSError, ValueError, TypeError):
        return None


def enqueue(datadir: DataDir, certificate_id: str, kind: str = "certificate", lot: str | None = None) -> None:
    """Queue a record once; a record already queued or sent is left as it is."""
    if kind not in KINDS:
        raise ValueError(f"outbox kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if _marker(datadir.outbox, certificate_id).exists() or _marker(datadir.sent, certificate_id).exists():
        return
    _write(_marker(datadir.outbox, certificate_id), OutboxEntry(certificate_id, now_iso(), kind, lot or None))


def enqueue_saved_audits(datadir: DataDir, lot: str | None = None) -> list[str]:
    """Queue every signed audit record under the data directory's audits/ not yet queued or sent (records saved
    before audits were uploaded, or by a face that only wrote them); returns the ids newly queued."""
    queued = []
    for path in sorted(datadir.audits.glob("AUD-*.json")):
        ident = path.name[:-len(".json")]
        if not path.with_name(path.name + ".sig").exists():
            continue  # not committed: the JSON is written last, with its signature beside it
        if not (_marker(datadir.outbox, ident).exists() or _marker(datadir.sent, ident).exists()):
            enqueue(datadir, ident, "audit", lot)
            queued.append(ident)
    return queued


def pending(datadir: DataDir) -> list[OutboxEntry]:
    entries = []
    for path in sorted(datadir.outbox.glob("*.json")):
        entry = _read(path)
        # a corrupt marker still names its certificate: keep it queued rather than drop it
        entries.append(entry or OutboxEntry(path.name[:-len(".json")], now_iso(), last_error="corrupt marker"))
    return entries


def sent(datadir: DataDir) -> list[OutboxEntry]:
    return [e for e in (_read(p) for p in sorted(datadir.sent.glob("*.json"))) if e is not None]


def record_failure(datadir: DataDir, entry: OutboxEntry, error: str) -> OutboxEntry:
    updated = replace(entry, attempts=entry.attempts + 1, last_attempt=now_iso(), last_error=error)
    _write(_marker(datadir.outbox, entry.certificate_id), updated)
    return updated


def mark_sent(datadir: DataDir, entry: OutboxEntry, destination: str, log_index: int | None = None) -> OutboxEntry:
    """Called only after the destination confirmed; the move to sent/ is the last step."""
    now = now_iso()
    done = replace(entry, attempts=entry.attempts + 1, last_attempt=now, last_error=None,
                   sent_to=destination, confirmed_at=now, log_index=log_index)
    source = _marker(datadir.outbox, entry.certificate_id)
    _write(source, done)
    atomic.move(source, _marker(datadir.sent, entry.certificate_id))
    return done


def status(datadir: DataDir, certificate_id: str) -> str:
    """`sent`, `pending`, `pending (error: ...)` or `not queued`, for listings."""
    if _marker(datadir.sent, certificate_id).exists():
        return "sent"
    entry = _read(_marker(datadir.outbox, certificate_id))
    if entry is None:
        return "pending" if _marker(datadir.outbox, certificate_id).exists() else "not queued"
    return f"pending (error: {entry.last_error})" if entry.last_error else "pending"


def log_index(datadir: DataDir, certificate_id: str) -> int | None:
    """Where the registry's log holds a sent record, as its answer said (None: not sent to a registry with a log)."""
    entry = _read(_marker(datadir.sent, certificate_id))
    return entry.log_index if entry is not None else None
