"""Each device's journey through a lot, derived from the records stations uploaded (no state of its own).

received -> audited (verdict) -> every drive erased and certified (or failed, or destroyed) -> outcome.
A machine is known by its audit; a certificate joins it through the drive serial the audit listed or the
computer serial the certificate names. A drive erased on a rack with no audit of its machine stands as its
own device. A drive's newest certificate is its state: a failure redone with success counts as erased, and
an erased drive that later failed counts as failed (the newest word on the drive wins).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from registry.lots.facts import Facts

DONE_RESULTS = ("erased", "destroyed")


class Stage(StrEnum):
    """How far a device went: the furthest step its records prove."""

    RECEIVED = "received"  # certificates only, no audit yet
    AUDITED = "audited"  # audit uploaded, drives not all certified
    ERASED = "erased"  # every known drive erased or destroyed
    BLOCKED = "blocked"  # a drive failed and was not erased since: the device must not leave


class Outcome(StrEnum):
    """What became of the device, as a donor's proof of reuse states it."""

    REUSE = "reuse"  # verdict reuse (or with warnings) and every drive erased
    PARTS = "parts"  # harvested for parts, drives erased or destroyed
    RECYCLE = "recycle"  # WEEE recycling, drives erased or destroyed
    PENDING = "pending"  # not decided or not finished yet
    NOT_ERASED = "not-erased"  # a drive failed: kept back until erased or destroyed


VERDICT_OUTCOME = {"reuse": Outcome.REUSE, "reuse-with-warnings": Outcome.REUSE, "reuse-after-repair": Outcome.REUSE,
                   "harvest-parts": Outcome.PARTS, "recycle": Outcome.RECYCLE}


@dataclass(frozen=True)
class Entry:
    """A record as the journey sees it: its facts, the registry's reference to it, and its flags."""

    facts: Facts
    ref: int  # the registry's record key (links to JSON, signature, PDF)
    flags: frozenset[str] = frozenset()  # e.g. chain-gap, chain-fork, revoked-station


@dataclass(frozen=True)
class DriveStep:
    serial: str | None
    model: str | None
    result: str  # the newest certificate's result, or "pending" when the audit lists a drive not yet certified
    method: str | None
    nist_category: str | None
    certificate_id: str | None
    ref: int | None
    attempts: int  # certificates seen for this drive (a retried erase shows 2+)
    flags: frozenset[str] = frozenset()

    @property
    def done(self) -> bool:
        return self.result in DONE_RESULTS


@dataclass(frozen=True)
class Device:
    key: str
    machine_serial: str | None
    label_serial: str | None
    model: str | None
    audit_id: str | None
    audit_ref: int | None
    verdict: str | None
    drives: tuple[DriveStep, ...]
    stage: Stage
    outcome: Outcome
    flags: frozenset[str] = field(default_factory=frozenset)

    @property
    def attention(self) -> bool:
        """Failures and chain problems stand out on the lot page."""
        return self.stage is Stage.BLOCKED or bool(self.flags)


def drive_key(facts: Facts) -> str:
    """The device key of a certificate's drive: its serial, or the certificate itself when it names none."""
    return f"drive:{facts.drive_serial}" if facts.drive_serial else f"cert:{facts.record_id}"


def machine_key(facts: Facts) -> str:
    """The device key of an audited machine: its serial (a machine audited twice is one device), or the audit."""
    return f"machine:{facts.machine_serial or facts.record_id}"


def _steps(certs: list[Entry]) -> DriveStep:
    if len(certs) == 1:  # the common case, kept cheap: a big lot has thousands of drives
        newest, flags = certs[0], certs[0].flags
    else:
        certs = sorted(certs, key=lambda e: (e.facts.issued_at, e.facts.record_id))
        newest, flags = certs[-1], frozenset().union(*(e.flags for e in certs))
    f = newest.facts
    return DriveStep(f.drive_serial, f.drive_model, f.result or "unknown", f.method, f.nist_category, f.record_id,
                     newest.ref, len(certs), flags)


def _stage_outcome(verdict: str | None, audited: bool, drives: tuple[DriveStep, ...]) -> tuple[Stage, Outcome]:
    if any(d.ref is not None and not d.done for d in drives):
        return Stage.BLOCKED, Outcome.NOT_ERASED
    all_done = bool(drives) and all(d.done for d in drives)
    if not audited:
        return (Stage.ERASED if all_done else Stage.RECEIVED), Outcome.PENDING
    outcome = VERDICT_OUTCOME.get(verdict or "", Outcome.PENDING)
    if all_done or (not drives and outcome is not Outcome.PENDING):
        # a machine audited without any drive has nothing to erase
        return Stage.ERASED, outcome
    return Stage.AUDITED, Outcome.PENDING


def journeys(entries: Iterable[Entry]) -> list[Device]:
    """Devices of one lot, audited machines first in audit order, then loose drives by serial."""
    audits: list[Entry] = []
    by_drive: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.facts.kind == "audit":
            audits.append(entry)
        else:
            by_drive.setdefault(drive_key(entry.facts), []).append(entry)
    # a machine audited twice is one device: its newest audit speaks for it
    machines: dict[str, Entry] = {}
    for entry in sorted(audits, key=lambda e: (e.facts.issued_at, e.facts.record_id)):
        machines[machine_key(entry.facts)] = entry
    by_host: dict[str, list[str]] = {}
    for key, certs in by_drive.items():
        for cert in certs:
            if cert.facts.host_serial:
                by_host.setdefault(cert.facts.host_serial, []).append(key)
    claimed: set[str] = set()
    devices: list[Device] = []
    for key, audit in machines.items():
        f = audit.facts
        keys = [f"drive:{s}" for s in f.disk_serials]
        for serial in dict.fromkeys((f.machine_serial, f.label_serial)):  # in this order, every process alike
            if serial:
                keys += by_host.get(serial, [])
        drives: list[DriveStep] = []
        for dkey in dict.fromkeys(keys):
            if dkey in claimed:
                continue
            if dkey in by_drive:
                claimed.add(dkey)
                drives.append(_steps(by_drive[dkey]))
            else:
                serial = dkey.removeprefix("drive:")
                drives.append(DriveStep(serial, None, "pending", None, None, None, None, 0))
        steps = tuple(drives)
        stage, outcome = _stage_outcome(f.verdict, True, steps)
        flags = audit.flags.union(*(d.flags for d in steps if d.flags)) if any(d.flags for d in steps) \
            else audit.flags
        devices.append(Device(key, f.machine_serial, f.label_serial, f.machine_model, f.record_id, audit.ref,
                              f.verdict, steps, stage, outcome, flags))
    for dkey in sorted(set(by_drive) - claimed):
        step = _steps(by_drive[dkey])
        host = by_drive[dkey][-1].facts.host_serial
        stage, outcome = _stage_outcome(None, False, (step,))
        devices.append(Device(dkey, host, None, None, None, None, None, (step,), stage, outcome, step.flags))
    return devices


@dataclass(frozen=True)
class Counts:
    devices: int
    audited: int
    erased: int
    blocked: int
    reuse: int
    parts: int
    recycle: int
    drives: int
    drives_erased: int
    drives_failed: int
    flagged: int


def count(devices: Iterable[Device]) -> Counts:
    devices = list(devices)
    drives = [d for device in devices for d in device.drives]
    return Counts(
        devices=len(devices), audited=sum(d.audit_id is not None for d in devices),
        erased=sum(d.stage is Stage.ERASED for d in devices), blocked=sum(d.stage is Stage.BLOCKED for d in devices),
        reuse=sum(d.outcome is Outcome.REUSE for d in devices), parts=sum(d.outcome is Outcome.PARTS for d in devices),
        recycle=sum(d.outcome is Outcome.RECYCLE for d in devices), drives=len(drives),
        drives_erased=sum(d.done for d in drives), drives_failed=sum(d.ref is not None and not d.done for d in drives),
        flagged=sum(bool(d.flags) for d in devices))
