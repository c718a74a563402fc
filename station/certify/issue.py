"""Issuing certificates: one at a time per data directory, in sequence, each signed, rendered to PDF, linked to
the previous one and queued for upload; a power cut at any step is recovered on the next issue.

Kept apart from `certificate` (the record itself) so the PDF renderer can read the record type without a circle.
"""

from __future__ import annotations

import fcntl
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from station.certify import chain, keys
from station.certify.certificate import (
    DESTROY_TECHNIQUES,
    Certificate,
    CertificateError,
    Evidence,
    IssuedCertificate,
    build,
    build_destruction,
    hidden_area_of,
    load_issued,
    result_of,
    schema_errors,
)
from station.certify.keys import sha256_hex
from station.detect.disk import Disk
from station.erase.jobs import EraseJob, new_job_id
from station.hw import now_iso
from station.inventory.dmi import HostIdentity
from station.store import atomic, config, outbox
from station.store.config import Settings
from station.store.datadir import DataDir

_EVIDENCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")


@contextmanager
def _issuing(datadir: DataDir) -> Iterator[None]:
    """One issuer at a time per data directory: sequence numbers and chain links must not fork."""
    datadir.certificates.mkdir(parents=True, exist_ok=True)
    with open(datadir.certificates / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _store_evidence(datadir: DataDir, certificate_id: str, evidence: dict[str, bytes]) -> tuple[Evidence, ...]:
    stored = []
    for name in sorted(evidence):
        if not _EVIDENCE_NAME.match(name) or name in (".", ".."):
            raise CertificateError(f"evidence name {name!r} is not a plain file name")
        data = evidence[name]
        path = datadir.evidence / certificate_id / name
        atomic.write_bytes(path, data)
        stored.append(Evidence(name, path.relative_to(datadir.root).as_posix(), sha256_hex(data), len(data)))
    return tuple(stored)


def _job_marker(datadir: DataDir, job_id: str) -> Path:
    return datadir.certificates / "by-job" / f"{job_id}.txt"


def _finish(datadir: DataDir, issued: IssuedCertificate) -> None:
    """Steps after the JSON commit point; idempotent, so recovery after a power cut can redo them."""
    atomic.write_text(_job_marker(datadir, issued.certificate.job.job_id), issued.certificate_id + "\n")
    outbox.enqueue(datadir, issued.certificate_id, "certificate", issued.certificate.lot)
    chain.save_head(datadir, chain.ChainHead(issued.certificate.sequence, issued.sha256, issued.certificate_id,
                                             issued.certificate.station.key_fingerprint))


@dataclass(frozen=True)
class _Slot:
    """Where the next record goes: its id, sequence and the hash it must link to."""

    certificate_id: str
    sequence: int
    previous_sha256: str | None
    fingerprint: str


def _issue(datadir: DataDir, record_key: str, evidence: dict[str, bytes], lang: str, key: keys.StationKey | None,
           make: Callable[[_Slot, tuple[Evidence, ...]], Certificate]) -> IssuedCertificate:
    """The one issuing pipeline: lock, recover, allocate the next sequence, store, sign, render, commit, queue."""
    from station.certify import pdf  # reportlab, a tenth of a second: `station --help` loads this module too

    if lang not in ("fr", "en"):
        raise CertificateError(f"language must be fr or en, not {lang!r}")
    datadir.ensure()
    station_key = key or keys.load_or_create(datadir)
    with _issuing(datadir):
        for recovered in chain.roll_forward(datadir, station_key.fingerprint):
            _finish(datadir, load_issued(datadir, recovered))
        marker = _job_marker(datadir, record_key)
        if marker.exists():
            return load_issued(datadir, marker.read_text().strip())
        head = chain.current_head(datadir, station_key.fingerprint)
        sequence = head.sequence + 1 if head else 1
        slot = _Slot(chain.certificate_id(station_key.fingerprint, sequence), sequence,
                     head.sha256 if head else None, station_key.fingerprint)
        cert = make(slot, _store_evidence(datadir, slot.certificate_id, evidence))
        data = cert.to_json_bytes()
        problems = schema_errors(json.loads(data))
        if problems:
            raise CertificateError(f"certificate {slot.certificate_id} does not match its schema: {problems[0]}")
        signature = station_key.sign(data)
        json_path, sig_path, pdf_path = datadir.certificate_files(slot.certificate_id)
        page = config.load(datadir).certificate_page  # the registry's page, once enrolled: what the QR names
        atomic.write_bytes(pdf_path, pdf.render_certificate(cert, data, signature, station_key.public_pem(), lang,
                                                            page))
        atomic.write_bytes(sig_path, signature)
        atomic.write_bytes(json_path, data)  # the commit point: the JSON exists only with its sig and PDF
        issued = IssuedCertificate(cert, json_path, sig_path, pdf_path, sha256_hex(data))
        _finish(datadir, issued)
        return issued


def issue(job: EraseJob, datadir: DataDir, settings: Settings, host_identity: HostIdentity | None,
          evidence: dict[str, bytes], lang: str, *, key: keys.StationKey | None = None) -> IssuedCertificate:
    """Issue the certificate (or failure report) of a finished job; calling again for a job returns the first."""
    result_of(job, hidden_area_of(job))  # refuse an unfinished job before touching anything
    all_evidence = dict(evidence)
    all_evidence.setdefault("job-journal.json", json.dumps(job.to_dict(), indent=2, sort_keys=True).encode())
    return _issue(datadir, job.job_id, all_evidence, lang, key, lambda slot, stored: build(
        job, settings, host_identity, stored, certificate_id=slot.certificate_id, sequence=slot.sequence,
        previous_sha256=slot.previous_sha256, fingerprint=slot.fingerprint, lang=lang))


def issue_destruction(disk: Disk, datadir: DataDir, settings: Settings, host_identity: HostIdentity | None,
                      technique: str, lang: str, *, note: str | None = None, evidence: dict[str, bytes] | None = None,
                      key: keys.StationKey | None = None) -> IssuedCertificate:
    """Record a NIST Destroy (shredded, drilled...): attested by the operator, verified by looking, signed."""
    if technique not in DESTROY_TECHNIQUES:
        raise CertificateError(f"destruction technique must be one of {', '.join(DESTROY_TECHNIQUES)}")
    record_id = f"destroy-{new_job_id()}"
    now = now_iso()
    return _issue(datadir, record_id, dict(evidence or {}), lang, key, lambda slot, stored: build_destruction(
        disk, settings, host_identity, technique, note, stored, record_id=record_id, issued_at=now,
        certificate_id=slot.certificate_id, sequence=slot.sequence, previous_sha256=slot.previous_sha256,
        fingerprint=slot.fingerprint, lang=lang))
