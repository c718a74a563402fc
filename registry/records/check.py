"""The registry's checks of one upload, without a database: parse the request, then check the record's
signature over its exact bytes with the station's key, its schema, its kind and id, and its place in the
station's chain. Each refusal names its code and reason; the station's own code (station.certify) does the
signature, schema and id rules, so station and registry cannot disagree on what a valid record is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from station.certify import chain, keys
from station.certify.certificate import schema_errors

_SHA256 = re.compile(r"[0-9a-f]{64}")
_RECORD_ID = re.compile(r"[!-~]{1,200}")
MAX_LOT = 200


class Kind(StrEnum):
    CERTIFICATE = "certificate"
    AUDIT = "audit"


class Refusal(Exception):
    """Why an upload is refused: `code` is the answer's `error`, `status` its HTTP status (400 or 422)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


def malformed(code: str, detail: str) -> Refusal:
    return Refusal(400, code, detail)


def invalid(code: str, detail: str) -> Refusal:
    return Refusal(422, code, detail)


@dataclass(frozen=True)
class Upload:
    """A well-formed request body (docs/registry-api.md), its record not yet checked."""

    kind: Kind
    record_id: str
    sha256: str  # of json_bytes, computed here; a sha256 the body claimed was checked against it
    json_bytes: bytes
    signature: bytes
    pdf: bytes | None
    lot: str | None


def _b64(body: dict[str, Any], name: str, *, optional: bool = False) -> bytes | None:
    value = body.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise malformed("bad-field", f"'{name}' must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise malformed("bad-base64", f"'{name}' is not valid base64 ({exc})") from None


def parse_upload(body: bytes, idempotency_key: str | None) -> Upload:
    """The request body as JSON with the documented fields; Refusal(400) for anything else."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise malformed("bad-json", f"the request body is not JSON ({str(exc)[:200]})") from None
    if not isinstance(data, dict):
        raise malformed("bad-json", "the request body is not a JSON object")
    kind_text = data.get("kind", Kind.CERTIFICATE.value)
    if kind_text not in (Kind.CERTIFICATE.value, Kind.AUDIT.value):
        raise malformed("bad-kind", f"'kind' must be 'certificate' or 'audit', not {str(kind_text)[:40]!r}")
    kind = Kind(kind_text)
    ids = {data.get(name) for name in ("record_id", "certificate_id") if data.get(name) is not None}
    if len(ids) != 1:
        raise malformed("bad-id", "the body names its record in 'certificate_id' (or 'record_id'), once")
    record_id = ids.pop()
    if not isinstance(record_id, str) or not _RECORD_ID.fullmatch(record_id):
        raise malformed("bad-id", "the record id is 1-200 printable ASCII characters without spaces")
    if idempotency_key is not None and idempotency_key != record_id:
        raise malformed("bad-id", "the Idempotency-Key header is not the body's record id")
    json_bytes = _b64(data, "json")
    signature = _b64(data, "signature")
    pdf = _b64(data, "pdf", optional=True)
    assert json_bytes is not None and signature is not None
    digest = hashlib.sha256(json_bytes).hexdigest()
    claimed = data.get("sha256")
    if claimed is not None and (not isinstance(claimed, str) or not _SHA256.fullmatch(claimed)):
        raise malformed("bad-field", "'sha256' must be 64 lowercase hex digits")
    if claimed is not None and claimed != digest:
        raise invalid("sha256-mismatch", f"'sha256' says {claimed} but the JSON's bytes hash to {digest}")
    lot = data.get("lot")
    if lot is not None and (not isinstance(lot, str) or len(lot) > MAX_LOT):
        raise malformed("bad-field", f"'lot' must be null or a text of at most {MAX_LOT} characters")
    return Upload(kind, record_id, digest, json_bytes, signature, pdf, lot or None)


@dataclass(frozen=True)
class Listing:
    """Parsed copies of the fields people search and list by; the signed JSON stays the truth."""

    drive_serial: str = ""
    machine_serial: str = ""
    result: str = ""
    nist_category: str = ""
    method: str = ""
    issued_at: str = ""
    lot: str = ""


@dataclass(frozen=True)
class Checked:
    """A record whose signature, schema, kind and id hold for the station that sent it."""

    kind: Kind
    record_id: str
    sha256: str
    sequence: int | None  # certificates only: the place in the station's chain
    previous_sha256: str | None
    listing: Listing


def _text(value: object) -> str:
    return value[:200] if isinstance(value, str) else ""


def _get(data: object, *path: str) -> object:
    for name in path:
        if not isinstance(data, dict):
            return None
        data = data.get(name)
    return data


def _listing(kind: Kind, record: dict[str, Any], lot: str | None) -> Listing:
    if kind is Kind.CERTIFICATE:
        return Listing(drive_serial=_text(_get(record, "media", "serial")),
                       machine_serial=_text(_get(record, "media", "source", "host", "serial")),
                       result=_text(record.get("result")),
                       nist_category=_text(_get(record, "sanitization", "nist_category")),
                       method=_text(_get(record, "sanitization", "method")),
                       issued_at=_text(record.get("issued_at")), lot=lot or _text(record.get("lot")))
    label = _text(_get(record, "machine", "label_serial"))
    return Listing(machine_serial=label or _text(_get(record, "machine", "serial", "value")),
                   result=_text(_get(record, "verdict", "outcome")), issued_at=_text(record.get("created_at")),
                   lot=lot or "")


def check_record(upload: Upload, station_key: keys.PublicKey) -> Checked:
    """Key, signature over the exact bytes, JSON, schema, kind and id; Refusal(422) naming the first failure."""
    try:
        record = json.loads(upload.json_bytes)
    except (ValueError, RecursionError):
        record = None
    claimed = _get(record, "station", "key_fingerprint") if isinstance(record, dict) else None
    if isinstance(claimed, str) and claimed != station_key.fingerprint:
        raise invalid("key-mismatch", f"the record names station key {claimed[:40]}, but the token is for the "
                      f"station with key {station_key.fingerprint}")
    if len(upload.signature) != 64:
        raise invalid("bad-signature", f"the signature is {len(upload.signature)} bytes, an Ed25519 signature is 64")
    if not station_key.verify(upload.signature, upload.json_bytes):
        raise invalid("bad-signature", f"the signature does not verify over these exact bytes with the station's "
                      f"key {station_key.fingerprint}: the JSON was altered or signed by another key")
    if not isinstance(record, dict):
        raise invalid("schema", "the signed record is not a JSON object")
    if upload.kind is Kind.CERTIFICATE:
        errors = schema_errors(record)
        record_id, id_field = record.get("certificate_id"), "certificate_id"
    else:
        errors = schema_errors(record, "audit")
        record_id, id_field = record.get("audit_id"), "audit_id"
    if errors:
        raise invalid("schema", f"the {upload.kind.value} does not follow its schema: " + "; ".join(errors[:5]))
    if record_id != upload.record_id:
        raise invalid("id-mismatch", f"the request is for {upload.record_id} but the signed record's {id_field} "
                      f"is {record_id}")
    if claimed != station_key.fingerprint:
        raise invalid("key-mismatch", "the record does not name the station's key")
    sequence: int | None = None
    previous: str | None = None
    if upload.kind is Kind.CERTIFICATE:
        sequence = int(record["sequence"])
        previous = record["previous_certificate_sha256"]
        if record_id != chain.certificate_id(station_key.fingerprint, sequence):
            raise invalid("id-mismatch", f"{record_id} is not the id of sequence {sequence} for key "
                          f"{station_key.fingerprint}")
    check_pdf(upload)
    return Checked(upload.kind, upload.record_id, upload.sha256, sequence, previous,
                   _listing(upload.kind, record, upload.lot))


def check_pdf(upload: Upload) -> None:
    """The PDF a donor downloads is the station's rendering, so it must be a PDF and, for a certificate, carry the
    very record and signature uploaded beside it (the station attaches them: `station verify` reads them back).
    An audit's PDF carries no copy of its record, so only its form is checked; its facts come from the JSON.
    Checking the attachments costs about 2 ms; comparing the visible text would cost 40-60 ms per upload."""
    if upload.pdf is None:
        return
    # pypdf: a tenth of a second of import, only in the process that checks a PDF
    from station.certify import pdf

    if not upload.pdf.startswith(b"%PDF-"):
        raise invalid("bad-pdf", "the 'pdf' field is not a PDF document")
    try:
        attached = pdf.attachments(upload.pdf)
    except Exception as exc:  # pypdf raises many types on damaged files; all mean "cannot read this PDF"
        raise invalid("bad-pdf", f"the PDF cannot be read ({type(exc).__name__}: {str(exc)[:200]})") from None
    if upload.kind is not Kind.CERTIFICATE:
        return
    name = f"{upload.record_id}.json"
    if attached.get(name) != upload.json_bytes:
        found = "a different " + name if name in attached else f"no {name}"
        raise invalid("pdf-mismatch", f"the PDF carries {found}: it is not the rendering of this certificate")
    if attached.get(name + ".sig") != upload.signature:
        raise invalid("pdf-mismatch", f"the PDF does not carry this certificate's signature ({name}.sig)")


class Position(StrEnum):
    """Where a certificate falls in its station's chain, as the registry has seen it."""

    NEXT = "accepted"  # follows the newest one it holds, or is sequence 1
    GAP = "chain-gap"  # sequences are missing before it (not received, or removed on the station)
    FORK = "chain-fork"  # its predecessor hash names another record than the one held at that place


@dataclass(frozen=True)
class Held:
    """A certificate the registry already holds at some sequence of the station's chain."""

    sha256: str
    previous_sha256: str | None


def chain_position(checked: Checked, held: Callable[[int], Held | None]) -> Position:
    """Checks the links on both sides: the record held before it (if any) must be the one it names, and the
    record held after it (a gap being filled late) must name it. Audits have no chain: always NEXT."""
    if checked.sequence is None:
        return Position.NEXT
    sequence = checked.sequence
    after = held(sequence + 1)
    if after is not None and after.previous_sha256 != checked.sha256:
        return Position.FORK
    if sequence == 1:
        return Position.NEXT if checked.previous_sha256 is None else Position.FORK
    before = held(sequence - 1)
    if before is None:
        return Position.GAP
    return Position.NEXT if before.sha256 == checked.previous_sha256 else Position.FORK
