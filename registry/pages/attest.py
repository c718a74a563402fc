"""A lot's attestation from the database: journeys, log indexes, the newest checkpoint, signed with the log key."""

from __future__ import annotations

import datetime

from registry.core.models import Record
from registry.log import store
from registry.lots import attestation, journey
from registry.lots.models import Lot
from registry.lots.projection import lot_entries
from station.certify.lot import safe_name

__all__ = ["build", "csv_bytes", "pdf_bytes", "safe_name"]


def build(lot: Lot) -> attestation.Attestation:
    devices = journey.journeys(lot_entries(lot))
    refs = {d.ref for dev in devices for d in dev.drives if d.ref is not None} | {
        dev.audit_ref for dev in devices if dev.audit_ref is not None}
    index = dict(Record.objects.filter(pk__in=refs).values_list("pk", "log_index"))
    newest = store.latest()
    lines = tuple(attestation.DeviceLine(
        d.machine_serial, d.label_serial, d.model, d.verdict, d.outcome.value, d.audit_id,
        index.get(d.audit_ref) if d.audit_ref is not None else None,
        tuple(attestation.DriveLine(s.serial, s.result, s.method, s.nist_category, s.certificate_id,
                                    index.get(s.ref) if s.ref is not None else None) for s in d.drives))
        for d in devices)
    covered = newest is not None and all(i < newest.size for i in index.values())
    cp = attestation.Checkpoint(newest.size, bytes(newest.root).hex(), newest.note) if newest and covered else None
    return attestation.Attestation(
        lot.reference, lot.donor.name, lot.refurbisher.name,
        lot.received_on.isoformat() if lot.received_on else None, lot.expected_devices,
        datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        store.origin(), lines, cp)


def _signed(document: attestation.Attestation) -> attestation.SignedAttestation:
    return attestation.sign(document, store.signer().private)


def csv_bytes(document: attestation.Attestation) -> bytes:
    return attestation.to_csv(document)


def pdf_bytes(document: attestation.Attestation, lang: str) -> bytes:
    return attestation.render_pdf(document, _signed(document), lang)
