"""One upload, from the request's bytes to a stored record in the log, or to the quarantine with its reason.

Order: authenticate the token (an unknown token stores nothing: anyone could otherwise fill the append-only
quarantine), parse, answer a replay of the same bytes (409 with its log index), check the record
(registry.records.check), then in ONE transaction: under the log's lock, store the exact bytes as a Record,
append its entry, sign the new checkpoint and move the station's chain head; or store the exact body in
Quarantine with the reason. Every refusal after authentication leaves its exact bytes in the quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from registry.core import secrets
from registry.core.models import Quarantine, Record, Station
from registry.log import store
from registry.records import check
from station.certify import keys, logentry


@dataclass(frozen=True)
class Answer:
    """What the API answers: HTTP status and JSON body."""

    status: int
    body: dict[str, object] = field(default_factory=dict)


def station_for(authorization: str | None) -> Station | None:
    if not authorization or not authorization.startswith("Bearer "):
        return None
    token = authorization[len("Bearer "):].strip()
    if not token:
        return None
    return Station.objects.filter(token_hash=secrets.digest(token)).select_related("organisation").first()


def quarantine(body: bytes, refusal: check.Refusal, station: Station | None, record_id: str = "") -> Answer:
    row = Quarantine.objects.create(station=station, record_id=record_id[:200], error=refusal.code,
                                    reason=refusal.detail, body=body)
    return Answer(refusal.status, {"error": refusal.code, "detail": refusal.detail, "quarantine_id": row.pk})


def _held_answer(record: Record) -> dict[str, object]:
    checkpoint = store.latest()
    return {"sha256": record.sha256, "log_index": record.log_index,
            "checkpoint": checkpoint.note if checkpoint else None, "flags": list(record.flags)}


def _different(body: bytes, station: Station, existing: Record, record_id: str) -> Answer:
    row = Quarantine.objects.create(station=station, record_id=record_id, error="different-bytes",
                                    reason=f"another document is held under {record_id} "
                                           f"(held sha256 {existing.sha256})", body=body)
    return Answer(409, {"sha256": existing.sha256, "error": "different-bytes", "quarantine_id": row.pk})


def ingest(body: bytes, authorization: str | None, idempotency_key: str | None) -> Answer:
    station = station_for(authorization)
    if station is None:
        return Answer(401, {"error": "bad-token", "detail": "unknown or missing upload token"})
    if station.revoked_at is not None:
        return quarantine(body, check.Refusal(403, "revoked", f"station {station.fingerprint} was revoked on "
                                              f"{station.revoked_at.date().isoformat()}"), station,
                          idempotency_key or "")
    try:
        upload = check.parse_upload(body, idempotency_key)
    except check.Refusal as refusal:
        return quarantine(body, refusal, station, idempotency_key or "")
    existing = Record.objects.filter(record_id=upload.record_id).first()
    if existing is not None and existing.sha256 == upload.sha256 and existing.station_id == station.pk:
        return Answer(409, _held_answer(existing))
    try:
        key = keys.load_public(station.public_key_pem.encode())
        checked = check.check_record(upload, key)
    except check.Refusal as refusal:
        return quarantine(body, refusal, station, upload.record_id)
    except keys.KeyFileError as exc:  # an enrolled key is checked at enrollment; this is the registry's fault
        raise RuntimeError(f"station {station.pk} has an unreadable key") from exc
    if existing is not None:
        return _different(body, station, existing, upload.record_id)
    entry = logentry.entry_bytes(checked.kind.value, checked.record_id, checked.sha256,
                                 logentry.station_key_sha256(key.key))
    try:
        return _append(station, upload, checked, entry)
    except IntegrityError:  # the same id committed by a concurrent request between our look and our lock
        existing = Record.objects.get(record_id=upload.record_id)
        if existing.sha256 == upload.sha256:
            return Answer(409, _held_answer(existing))
        return _different(body, station, existing, upload.record_id)


def _append(station: Station, upload: check.Upload, checked: check.Checked, entry: bytes) -> Answer:
    with transaction.atomic():
        appended = store.append(entry)  # takes the log's lock: appends are one at a time from here to commit
        locked = Station.objects.select_for_update().get(pk=station.pk)
        position = check.chain_position(checked, lambda seq: _held(locked, seq))
        flags = [] if position is check.Position.NEXT else [position.value]
        listing = checked.listing
        record = Record.objects.create(
            kind=checked.kind.value, record_id=checked.record_id, station=locked, sha256=checked.sha256,
            json_bytes=upload.json_bytes, signature=upload.signature, pdf_bytes=upload.pdf,
            lot_reference=listing.lot, log_index=appended.index, flags=flags, sequence=checked.sequence,
            previous_sha256=checked.previous_sha256 or "",
            drive_serial=listing.drive_serial, machine_serial=listing.machine_serial, result=listing.result,
            nist_category=listing.nist_category, method=listing.method, issued_at=listing.issued_at)
        changed = []
        if checked.sequence is not None and (locked.chain_sequence is None or
                                             checked.sequence > locked.chain_sequence):
            locked.chain_sequence, locked.chain_sha256 = checked.sequence, checked.sha256
            changed += ["chain_sequence", "chain_sha256"]
        for flag in flags:
            if flag not in locked.flags:
                locked.flags = [*locked.flags, flag]
                changed.append("flags")
        if changed:
            locked.save(update_fields=sorted(set(changed)))
    return Answer(201, {"sha256": record.sha256, "log_index": record.log_index,
                        "checkpoint": appended.checkpoint.note, "flags": flags})


def _held(station: Station, sequence: int) -> check.Held | None:
    record = (Record.objects.filter(station=station, kind=Record.Kind.CERTIFICATE, sequence=sequence)
              .only("sha256", "previous_sha256").first())
    return check.Held(record.sha256, record.previous_sha256 or None) if record else None
