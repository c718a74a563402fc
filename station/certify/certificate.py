"""Per-drive certificates: the signed JSON record of one erase job, built from the job and read back from disk
(issuing them in order, signed and rendered, is `station.certify.issue`).

The JSON file is the source of truth; its detached Ed25519 signature covers its exact bytes, and
every record carries the sha256 of the station's previous one, so history cannot be edited quietly.
A job that did not fully erase and verify yields a *failure report* (kind "failure-report"), which
shares the format but never reads as a certificate.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from station import TOOL_NAME, __version__
from station.certify import schema_check
from station.certify.keys import sha256_hex
from station.certify.method_words import HOST_OVERWRITE_METHODS, method_details
from station.detect.disk import Disk, DiskKind
from station.erase.jobs import EraseJob, JobState
from station.hw import now_iso
from station.inventory.dmi import HostIdentity
from station.notes import Note, as_note
from station.store.config import Settings
from station.store.datadir import DataDir

# /2: notes and result_reason are coded (station.notes) so each reader reads them in their language; /1 records
# (plain English strings) still validate, verify and render
FORMAT = "station-certificate/2"
DESTROY_TECHNIQUES = ("shred", "disintegrate", "pulverize", "drill", "melt", "incinerate")
HIDDEN_AREA_STATUSES = ("not-checked", "none", "removed", "present-not-erased")
FAILED_RESULTS = {JobState.FAILED: "failed", JobState.CANCELLED: "cancelled",
                  JobState.INTERRUPTED: "interrupted", JobState.ERASED: "failed"}


class CertificateError(Exception):
    """A certificate cannot be issued (job not finished, bad evidence name, invalid record)."""


@dataclass(frozen=True)
class Person:
    name: str | None
    title: str | None
    organisation: str | None
    location: str | None
    contact: str | None


@dataclass(frozen=True)
class MediaSource:
    kind: str  # "host": erased inside the donated computer; "rack": loose media (a station bay, a USB dock)
    host: HostIdentity | None
    station_name: str | None
    bay: str | None


@dataclass(frozen=True)
class Media:
    manufacturer: str | None
    model: str | None
    serial: str | None
    serial_source: str
    serial_trusted: bool
    serial_doubts: tuple[str, ...]
    kind: str  # station.disk.DiskKind value
    media_type: str  # NIST wording: magnetic, flash, unknown
    bus: str
    size_bytes: int
    firmware: str | None
    wwn: str | None
    property_number: str | None
    source: MediaSource
    classification: str | None
    data_backed_up: str  # "yes", "no", "unknown"


@dataclass(frozen=True)
class HiddenArea:
    status: str  # one of HIDDEN_AREA_STATUSES
    detail: str | None


@dataclass(frozen=True)
class ErrorRange:
    op: str
    offset: int
    length: int
    errno: int
    message: str


@dataclass(frozen=True)
class Tool:
    name: str
    version: str


@dataclass(frozen=True)
class Sanitization:
    nist_category: str  # clear, purge, destroy
    technique: str  # IEEE 2883 technique name
    method: str
    passes: tuple[str, ...]
    passes_done: int
    method_details: str
    tool: Tool
    started_at: str | None
    ended_at: str | None
    bytes_total: int
    errors: tuple[ErrorRange, ...]
    performed_by: Person
    post_sanitization_destination: str | None
    post_sanitization_classification: str | None
    notes: tuple[Note | str, ...]  # str only in a station-certificate/1 record


@dataclass(frozen=True)
class VerificationRecord:
    method: str  # full, sample, markers, none; visual for a destroyed medium
    requested: str
    percent: float
    bytes_verified: int
    regions: int
    passed: bool
    expected: str | None
    mismatch_offsets: tuple[int, ...]
    performed_by: Person
    # how the read-back was compared with what was written: "pattern" (byte for byte), "xxh3-128/<piece bytes>"
    # (each piece's digest with the digest taken as it was written); None before this field existed, or n/a
    comparison: str | None = None


@dataclass(frozen=True)
class Signature:
    algorithm: str
    key_fingerprint: str
    file: str  # the detached signature file, beside the JSON


@dataclass(frozen=True)
class Validation:
    person: Person
    date: str
    signature: Signature


@dataclass(frozen=True)
class Evidence:
    name: str
    file: str  # relative to the data directory
    sha256: str
    size: int


@dataclass(frozen=True)
class StationInfo:
    name: str | None
    key_fingerprint: str
    software: Tool


@dataclass(frozen=True)
class JobRef:
    job_id: str
    restart_of: str | None
    created: str
    state: str


@dataclass(frozen=True)
class Certificate:
    format: str
    certificate_id: str
    sequence: int
    kind: str  # "certificate" or "failure-report"
    result: str  # erased, destroyed, failed, cancelled, interrupted
    result_reason: Note | str | None  # None when erased; str only in a station-certificate/1 record
    issued_at: str
    language: str
    station: StationInfo
    organisation: str | None
    operator: str | None
    donor: str | None
    lot: str | None
    media: Media
    hidden_area: HiddenArea
    sanitization: Sanitization
    verification: VerificationRecord
    validation: Validation
    evidence: tuple[Evidence, ...]
    job: JobRef
    previous_certificate_sha256: str | None

    @property
    def is_certificate(self) -> bool:
        return self.kind == "certificate" and self.result in ("erased", "destroyed")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json_bytes(self) -> bytes:
        """The exact bytes that are signed and stored."""
        return (json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Certificate:
        result: Certificate = _decode(cls, data)
        return result


@dataclass(frozen=True)
class IssuedCertificate:
    certificate: Certificate
    json_path: Path
    sig_path: Path
    pdf_path: Path
    sha256: str

    @property
    def certificate_id(self) -> str:
        return self.certificate.certificate_id


def _decode(tp: Any, value: Any) -> Any:
    """Rebuild nested frozen dataclasses from parsed JSON (already schema-checked)."""
    if tp is Note or Note in typing.get_args(tp):  # a coded note, or the English string of a /1 record
        return None if value is None else as_note(value)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if value is None else _decode(args[0], value)
    if origin is tuple:
        return tuple(_decode(typing.get_args(tp)[0], v) for v in value)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        # a field added later with a default (e.g. verification.comparison) may be absent from older records
        return tp(**{f.name: _decode(hints[f.name], value[f.name]) for f in dataclasses.fields(tp) if f.name in value})
    if tp is float and isinstance(value, int):
        return float(value)
    return value


@cache
def schema(name: str = "certificate") -> dict[str, Any]:
    text = resources.files("station").joinpath(f"schemas/{name}.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator(name: str) -> Any:
    """Built once per schema: building a validator costs about ten times checking a record with it."""
    import jsonschema  # slow to import (referencing, rpds): only when a record is validated

    return jsonschema.Draft202012Validator(schema(name))


@cache
def _checker(name: str) -> schema_check.Checker:
    return schema_check.Checker(schema(name))


def schema_errors(data: Any, name: str = "certificate") -> list[str]:
    """Every schema violation, as `path: message`; empty when valid. The fast check answers for a valid
    record; jsonschema, a tenth of a second to load, is asked only to say what is wrong."""
    if _checker(name).valid(data):
        return []
    validator = _validator(name)
    found = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in found]


def media_type(kind: DiskKind) -> str:
    if kind is DiskKind.HDD:
        return "magnetic"
    if kind in (DiskKind.SSD, DiskKind.NVME, DiskKind.EMMC, DiskKind.SD, DiskKind.USB_FLASH):
        return "flash"
    return "unknown"


def verify_mode(requested: str) -> str:
    base = requested.split(":", 1)[0]
    return base if base in ("full", "sample", "markers") else "none"


def hidden_area_of(job: EraseJob) -> HiddenArea:
    """From the job's `hidden_area` fields (set by the HPA/DCO step), else notes `hidden-area:<status>[:detail]`."""
    if job.hidden_area != "not-checked":
        if job.hidden_area not in HIDDEN_AREA_STATUSES:
            return HiddenArea("not-checked", f"unrecognised hidden-area status {job.hidden_area!r}")
        return HiddenArea(job.hidden_area, job.hidden_area_detail)
    status, detail = "not-checked", job.hidden_area_detail
    for note in job.notes:  # only a job journaled before notes had codes carries these
        if isinstance(note, str) and note.startswith("hidden-area:"):
            parts = note.split(":", 2)
            if parts[1] in HIDDEN_AREA_STATUSES:
                status, detail = parts[1], (parts[2] if len(parts) > 2 else None)
    return HiddenArea(status, detail)


def _nist_category(job: EraseJob) -> tuple[str, list[Note]]:
    """Host overwrite is Clear on every medium (SP 800-88 Table A); never let it read as Purge."""
    category = job.nist_category.lower()
    if category not in ("clear", "purge"):
        raise CertificateError(f"job {job.job_id}: unknown NIST category {job.nist_category!r}")
    if category == "purge" and job.method in HOST_OVERWRITE_METHODS:
        return "clear", [Note.of("cert.recorded-as-clear", method=job.method)]
    return category, []


def result_of(job: EraseJob, hidden: HiddenArea) -> tuple[str, list[Note]]:
    """The result and why it is not "erased", first reason first (the record's result_reason; the others go to
    its notes). A job journaled before reasons had codes gives its English words under cert.journal-text."""
    if not job.state.final:
        raise CertificateError(f"job {job.job_id} is {job.state.value}: no certificate for an unfinished job")
    if job.erased and hidden.status != "present-not-erased":
        return "erased", []
    result = FAILED_RESULTS[job.state]
    reasons = []
    if job.failure_note is not None:
        reasons.append(job.failure_note)
    elif job.failure:
        reasons.append(Note.of("cert.journal-text", text=job.failure))
    if job.state is JobState.ERASED:  # the engine said erased but the proof is incomplete
        if job.passes_done != len(job.passes):
            reasons.append(Note.of("cert.passes-short", done=job.passes_done, total=len(job.passes)))
        if job.errors:
            reasons.append(Note.of("cert.error-ranges", count=len(job.errors)))
        if job.verification is None or not job.verification.passed:
            reasons.append(Note.of("cert.verification-not-passed"))
    if hidden.status == "present-not-erased":
        reasons.append(Note.of("cert.hidden-area-present"))
    return result, reasons or [Note.of("cert.not-erased", result=result)]


def person_of(name: str, title: str, settings: Settings) -> Person:
    return Person(name or None, title or None, settings.organisation or None, settings.location or None,
                  settings.contact or None)


def inside_host(disk: Disk) -> bool:
    """Whether a drive is part of the computer the station runs on. One in a rack bay or on USB (a dock, a caddy)
    is loose media: naming the station's PC as its "media source" would tie every drive of a rack to that PC
    (the lot report counted one machine for a rack of loose drives; the registry joined them to its audit)."""
    return disk.bay is None and disk.bus != "usb"


def media_of(disk: Disk | None, host: HostIdentity | None, settings: Settings) -> Media:
    if host is not None and (disk is None or inside_host(disk)):
        source = MediaSource("host", host, settings.station_name or None, disk.bay if disk else None)
    else:
        source = MediaSource("rack", None, settings.station_name or None, disk.bay if disk else None)
    if disk is None:
        return Media(None, None, None, "none", False, ("no-disk-record",), DiskKind.UNKNOWN.value, "unknown",
                     "unknown", 0, None, None, None, source, None, "unknown")
    return Media(
        manufacturer=disk.vendor, model=disk.model, serial=disk.serial.value,
        serial_source=disk.serial.source.value, serial_trusted=disk.serial.trusted,
        serial_doubts=tuple(disk.serial.doubts), kind=disk.kind.value, media_type=media_type(disk.kind),
        bus=disk.bus, size_bytes=disk.size_bytes, firmware=disk.firmware, wwn=disk.wwn,
        property_number=disk.extra.get("property_number"), source=source, classification=None,
        data_backed_up="unknown",
    )


def build(job: EraseJob, settings: Settings, host_identity: HostIdentity | None, evidence: tuple[Evidence, ...],
          *, certificate_id: str, sequence: int, previous_sha256: str | None, fingerprint: str, lang: str,
          issued_at: str | None = None) -> Certificate:
    """The Certificate for a finished job; pure, so it is easy to test."""
    hidden = hidden_area_of(job)
    result, reasons = result_of(job, hidden)
    notes = [n if isinstance(n, Note) else Note.of("cert.journal-text", text=n) for n in job.notes
             if not (isinstance(n, str) and n.startswith("hidden-area:"))]
    category, category_notes = _nist_category(job)
    issued = issued_at or now_iso()
    operator = person_of(settings.operator, settings.operator_title, settings)
    validator = person_of(settings.validator or settings.operator,
                        settings.validator_title if settings.validator else settings.operator_title, settings)
    ver = job.verification
    verification = VerificationRecord(
        method=verify_mode(ver.mode if ver else "none"), requested=job.verify,
        percent=float(ver.percent) if ver else 0.0, bytes_verified=ver.bytes_verified if ver else 0,
        regions=ver.regions if ver else 0, passed=bool(ver and ver.passed), expected=(ver.expected or None) if ver
        else None, mismatch_offsets=tuple(ver.mismatch_offsets[:32]) if ver else (), performed_by=operator,
        comparison=(ver.comparison or None) if ver else None)
    sanitization = Sanitization(
        nist_category=category, technique=job.technique, method=job.method, passes=tuple(job.passes),
        passes_done=job.passes_done, method_details=method_details(job.method, job.passes, job.technique, "en"),
        tool=Tool(TOOL_NAME, __version__),
        started_at=job.started, ended_at=job.ended, bytes_total=job.bytes_total,
        errors=tuple(ErrorRange(e.op, e.offset, e.length, e.errno, e.message) for e in job.errors),
        performed_by=operator, post_sanitization_destination=settings.destination or None,
        post_sanitization_classification=None,
        notes=(*notes, *category_notes, *reasons[1:]))
    return Certificate(
        format=FORMAT, certificate_id=certificate_id, sequence=sequence,
        kind="certificate" if result == "erased" else "failure-report", result=result,
        result_reason=reasons[0] if reasons else None, issued_at=issued, language=lang,
        station=StationInfo(settings.station_name or None, fingerprint, Tool(TOOL_NAME, __version__)),
        organisation=settings.organisation or None, operator=settings.operator or None,
        donor=settings.donor or None, lot=settings.lot or None, media=media_of(job.disk, host_identity, settings),
        hidden_area=hidden, sanitization=sanitization, verification=verification,
        validation=Validation(validator, issued, Signature("Ed25519", fingerprint, f"{certificate_id}.json.sig")),
        evidence=evidence,
        job=JobRef(job.job_id, job.restart_of, job.created, job.state.value),
        previous_certificate_sha256=previous_sha256,
    )


def load_issued(datadir: DataDir, certificate_id: str) -> IssuedCertificate:
    json_path, sig_path, pdf_path = datadir.certificate_files(certificate_id)
    data = json_path.read_bytes()
    return IssuedCertificate(Certificate.from_dict(json.loads(data)), json_path, sig_path, pdf_path,
                             sha256_hex(data))


def build_destruction(disk: Disk, settings: Settings, host_identity: HostIdentity | None, technique: str,
                      note: str | None, evidence: tuple[Evidence, ...], *, record_id: str, issued_at: str,
                      certificate_id: str, sequence: int, previous_sha256: str | None, fingerprint: str,
                      lang: str) -> Certificate:
    """The record of a NIST Destroy (shredded, drilled...): attested by the operator, verified by looking."""
    if technique not in DESTROY_TECHNIQUES:
        raise CertificateError(f"destruction technique must be one of {', '.join(DESTROY_TECHNIQUES)}")
    now = issued_at
    operator = person_of(settings.operator, settings.operator_title, settings)
    validator = person_of(settings.validator or settings.operator,
                          settings.validator_title if settings.validator else settings.operator_title, settings)
    sanitization = Sanitization(
        nist_category="destroy", technique=technique, method="destroy", passes=(), passes_done=0,
        method_details=method_details("destroy", (), technique, "en"),
        tool=Tool(TOOL_NAME, __version__), started_at=now, ended_at=now, bytes_total=disk.size_bytes,
        errors=(), performed_by=operator, post_sanitization_destination="recycling",
        post_sanitization_classification=None, notes=(Note.of("cert.operator-note", text=note),) if note else ())
    verification = VerificationRecord("visual", "visual", 0.0, 0, 0, True, None, (), operator)
    return Certificate(
        format=FORMAT, certificate_id=certificate_id, sequence=sequence, kind="certificate",
        result="destroyed", result_reason=None, issued_at=now, language=lang,
        station=StationInfo(settings.station_name or None, fingerprint, Tool(TOOL_NAME, __version__)),
        organisation=settings.organisation or None, operator=settings.operator or None,
        donor=settings.donor or None, lot=settings.lot or None, media=media_of(disk, host_identity, settings),
        hidden_area=HiddenArea("not-checked", "not applicable: the medium was destroyed"),
        sanitization=sanitization, verification=verification,
        validation=Validation(validator, now, Signature("Ed25519", fingerprint,
                                                        f"{certificate_id}.json.sig")),
        evidence=evidence, job=JobRef(record_id, None, now, "destroyed"),
        previous_certificate_sha256=previous_sha256)


def all_issued(datadir: DataDir) -> list[IssuedCertificate]:
    """Every readable certificate in the data directory, in sequence order; unreadable files are skipped."""
    found = []
    for path in sorted(datadir.certificates.glob("*.json")):
        try:
            found.append(load_issued(datadir, path.name[:-len(".json")]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda i: (i.certificate.station.key_fingerprint, i.certificate.sequence))
