"""The public verification page's checks: what a person learns from a certificate file or a QR code link.

Signature and schema come from station.certify.check (the same code `station verify` runs), pinned to the
key the registry enrolled for the station when it knows it. Inclusion is proven, not asserted: the proof is
computed from the stored log and verified against the newest signed checkpoint with the log's public key,
through station.certify.merkle and checkpoint. The record's status says what a donor must know: the station
revoked, a gap or a fork in its chain.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from registry.core.models import Record, Station
from registry.log import store
from registry.pages.labels import KINDS, RESULTS, word
from station import notes as station_notes
from station.certify import check, keys, logentry, merkle
from station.certify import checkpoint as notes
from station.certify import pdf as station_pdf

MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: could not be checked (said why in detail)
    detail: str


@dataclass
class Report:
    record_id: str | None
    kind: str | None = None
    result: str | None = None
    serial: str | None = None
    checks: list[Check] = field(default_factory=list)
    status: list[str] = field(default_factory=list)  # chain-gap, chain-fork, revoked-station
    log_index: int | None = None
    checkpoint_size: int | None = None
    reason: str = ""  # why the record is not "erased", and its notes: in the reader's language (station.notes)
    notes: list[str] = field(default_factory=list)

    @property
    def kind_text(self) -> str:
        return word(KINDS, self.kind)

    @property
    def result_text(self) -> str:
        return word(RESULTS, self.result)

    @property
    def holds(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks) and not self.status


def _station_key(fingerprint: str | None) -> keys.PublicKey | None:
    """The key the registry enrolled under the fingerprint the record claims (None: no such station)."""
    if not fingerprint:
        return None
    station = Station.objects.filter(fingerprint=fingerprint).first()
    if station is None:
        return None
    try:
        return keys.load_public(station.public_key_pem.encode())
    except keys.KeyFileError:
        return None


def _claimed_fingerprint(data: bytes) -> str | None:
    try:
        record = json.loads(data)
        value = record["station"]["key_fingerprint"]
    except (ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


def _document_checks(outcome: check.Outcome, pinned: bool) -> list[Check]:
    schema = [r for r in outcome.reasons if r.startswith("schema:")]
    other = [r for r in outcome.reasons if not r.startswith("schema:")]
    if outcome.status is check.Status.UNREADABLE:
        return [Check(_("Readable"), False, "; ".join(outcome.reasons))]
    return [
        Check(_("Signature"), not other, "; ".join(other) or (
            _("Ed25519 signature over the exact bytes, with the key this registry enrolled for the station")
            if pinned else _("Ed25519 signature over the exact bytes, with the key attached to the file"))),
        Check(_("Schema"), not schema, "; ".join(schema) or _("the record matches its published JSON Schema")),
        Check(_("Station enrolled"), pinned, _("the signing key belongs to an enrolled station") if pinned
              else _("this registry has no enrolled station with the key that signed this file")),
    ]


def _said(outcome: check.Outcome) -> dict[str, Any]:
    """The record's own reason and notes, rendered by the station's code in the page's language."""
    lang = "fr" if (get_language() or "").startswith("fr") else "en"
    return {"reason": station_notes.render(outcome.result_reason, lang),
            "notes": [station_notes.render(n, lang) for n in outcome.notes]}


def check_upload(document: bytes, signature: bytes | None, filename: str) -> Report:
    """A certificate PDF (carrying its JSON, signature and key) or a certificate JSON (+ its .sig)."""
    if len(document) > MAX_BYTES:
        return Report(None, checks=[Check(_("Readable"), False, _("the file is larger than 8 MiB"))])
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        if document.startswith(b"%PDF"):
            try:
                files = station_pdf.attachments(document)
            except Exception:  # pypdf raises many types on damaged files; verify_pdf reports them below
                files = {}
            data = next((v for k, v in files.items() if k.endswith(".json")), b"")
            pinned = _station_key(_claimed_fingerprint(data))
            path = Path(tmp) / "upload.pdf"
            path.write_bytes(document)
            outcome = check.verify_pdf(path, pinned)
        else:
            data = document
            pinned = _station_key(_claimed_fingerprint(data))
            name = Path(filename or "upload.json").name
            outcome = check.check_record(Path(tmp) / name, data, signature, pinned, None)
            if pinned is None and outcome.status is check.Status.VALID:
                outcome.status = check.Status.INVALID
    report = Report(outcome.certificate_id, outcome.kind, outcome.result, outcome.serial,
                    _document_checks(outcome, pinned is not None), **_said(outcome))
    if outcome.certificate_id is None or outcome.sha256 is None:
        return report
    record = Record.objects.select_related("station").filter(record_id=outcome.certificate_id).first()
    if record is None:
        report.checks.append(Check(_("Held by the registry"), False, _("no record with this id was uploaded here")))
        return report
    if record.sha256 != outcome.sha256:
        report.checks.append(Check(_("Held by the registry"), False,
                                   _("the registry holds different bytes under this id: this file is not the "
                                     "certificate the station uploaded")))
        return report
    report.checks.append(Check(_("Held by the registry"), True, _("the same bytes were uploaded by the station")))
    if document.startswith(b"%PDF"):
        report.checks.append(_same_pdf(document, record))
    _registry_checks(record, report)
    return report


def _same_pdf(document: bytes, record: Record) -> Check:
    """The PDF's every byte, not only its attached JSON: a page edited around intact attachments is caught."""
    name = _("PDF as issued")
    if not record.pdf_bytes:
        return Check(name, None, _("the station did not upload its PDF: only the attached record was checked"))
    if hashlib.sha256(document).digest() != hashlib.sha256(bytes(record.pdf_bytes)).digest():
        return Check(name, False, _("this PDF differs from the one the station issued (its attached record may "
                                    "still be intact: ask for the original)"))
    return Check(name, True, _("byte for byte the PDF the station issued and uploaded"))


def check_stored(record_id: str) -> Report | None:
    """The record the QR code names, checked from what the registry holds."""
    record = Record.objects.select_related("station").filter(record_id=record_id).first()
    if record is None:
        return None
    data = bytes(record.json_bytes)
    pinned = keys.load_public(record.station.public_key_pem.encode())
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        outcome = check.check_record(Path(tmp) / f"{record_id}.json", data, bytes(record.signature), pinned, None)
    report = Report(record.record_id, outcome.kind or record.kind, outcome.result, outcome.serial,
                    _document_checks(outcome, True), **_said(outcome))
    _registry_checks(record, report)
    return report


def _registry_checks(record: Record, report: Report) -> None:
    report.log_index = record.log_index
    report.checks.append(_inclusion(record, report))
    report.status = sorted(set(record.flags))
    if record.station.revoked_at is not None:
        report.status.append("revoked-station")


def _inclusion(record: Record, report: Report) -> Check:
    name = _("Inclusion in the registry's log")
    newest = store.latest()
    if newest is None or newest.size <= record.log_index:
        return Check(name, None, _("no signed checkpoint covers this record yet"))
    try:
        tree = notes.open_checkpoint(newest.note.encode(), store.signer().verifier())
        station = keys.load_public(record.station.public_key_pem.encode())
        # the leaf is recomputed from the record, not read from the log: the proof must lead from these bytes
        leaf = logentry.LogEntry(record.kind, record.record_id, record.sha256,
                                 logentry.station_key_sha256(station.key)).leaf_hash()
        proof = store.inclusion(record.log_index, tree.size)[1]
        merkle.verify_inclusion(leaf, record.log_index, tree.size, proof, tree.root)
    except (notes.NoteError, merkle.ProofError, logentry.EntryError, keys.KeyFileError) as exc:
        return Check(name, False, str(exc))
    report.checkpoint_size = tree.size
    return Check(name, True, _("entry %(index)s is in the signed tree of size %(size)s (proof of %(n)s hashes)")
                 % {"index": record.log_index, "size": tree.size, "n": len(proof)})
