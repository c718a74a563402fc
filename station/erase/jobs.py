"""EraseJob: the durable record of one erase of one target, and its journal on the data directory.

The journal is rewritten atomically (temp file, fsync, rename) at every state change and every
few seconds of progress. A job found RUNNING whose process is gone (power loss, kill -9) is shown
as INTERRUPTED: it never becomes "erased" and can only be restarted from the beginning.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from station.detect.disk import Disk
from station.hw import now_iso
from station.i18n import language
from station.notes import Note, as_note, render
from station.notice import Notice
from station.store import atomic


class JobState(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    ERASED = "erased"  # every pass ran over every byte and verification passed
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def final(self) -> bool:
        return self not in (JobState.PLANNED, JobState.RUNNING)


class Phase(StrEnum):
    PREPARING = "preparing"
    WRITING = "writing"
    FLUSHING = "flushing"
    SANITIZING = "sanitizing"  # a drive-internal Purge command runs
    VERIFYING = "verifying"
    DONE = "done"


@dataclass(frozen=True)
class IORange:
    """A byte range the device refused, after retries."""

    op: str  # "write" or "read"
    offset: int
    length: int
    errno: int
    message: str


@dataclass
class Verification:
    mode: str  # "full", "sample", "markers", "none"
    percent: float  # share of the device read back
    bytes_verified: int = 0
    regions: int = 0
    passed: bool = False
    mismatch_offsets: list[int] = field(default_factory=list)  # first offsets where data differed
    expected: str = ""  # what the final state should read as: "zero", "random-stream", "drive-defined"
    # how what was read was compared: "pattern" (byte for byte with the pattern, regenerated from the pass key),
    # "xxh3-128/<piece bytes>" (the digest of each piece read back with the digest of that piece as written)
    comparison: str = ""


@dataclass
class EraseJob:
    job_id: str
    target: str
    method: str  # zero, random, random+zero, or a Purge technique name
    verify: str  # "full", "sample:P", "markers"
    passes: list[str]  # the passes this method runs, in order, e.g. ["random", "zero"]
    nist_category: str  # "clear" or "purge"
    technique: str  # IEEE 2883 technique name, e.g. "overwrite", "block-erase", "crypto-erase"
    disk: Disk | None = None
    state: JobState = JobState.PLANNED
    phase: Phase = Phase.PREPARING
    created: str = field(default_factory=lambda: now_iso())
    started: str | None = None
    ended: str | None = None
    bytes_total: int = 0
    bytes_done: int = 0  # of the current pass or verification
    passes_done: int = 0
    direct_io: bool = True
    errors: list[IORange] = field(default_factory=list)
    verification: Verification | None = None
    failure: str | None = None  # the reason in English words when not erased, for logs and older readers
    failure_note: Note | None = None  # the same reason as a code: what the signed record carries
    failure_notice: Notice | None = None  # the reason as the technician's screen says it, with advice, when it has one
    notes: list[Note | str] = field(default_factory=list)  # str: written by a Station before notes had codes
    pid: int | None = None
    boot_id: str | None = None
    restart_of: str | None = None
    hidden_area: str = "not-checked"  # none | removed | present-not-erased | not-checked
    hidden_area_detail: str | None = None

    @property
    def erased(self) -> bool:
        """True only when the whole method ran, nothing failed, and verification passed."""
        return (
            self.state is JobState.ERASED
            and self.passes_done == len(self.passes)
            and not self.errors
            and self.verification is not None
            and self.verification.passed
        )

    def failure_text(self) -> str | None:
        """Why the job did not erase, in the current language when the reason is coded; a job recorded before
        reasons had codes shows its words as written."""
        if self.failure_notice is not None:
            return self.failure_notice.translated()
        return render(self.failure_note, language()) if self.failure_note is not None else self.failure

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["disk"] = self.disk.to_dict() if self.disk else None
        data["failure_notice"] = self.failure_notice.to_dict() if self.failure_notice else None
        data["failure_note"] = self.failure_note.to_dict() if self.failure_note else None
        data["notes"] = [n.to_dict() if isinstance(n, Note) else n for n in self.notes]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EraseJob:
        values = dict(data)
        values["disk"] = Disk.from_dict(values["disk"]) if values.get("disk") else None
        values["state"] = JobState(values["state"])
        values["phase"] = Phase(values["phase"])
        values["errors"] = [IORange(**e) for e in values.get("errors", [])]
        values["verification"] = Verification(**values["verification"]) if values.get("verification") else None
        notice = values.get("failure_notice")
        values["failure_notice"] = Notice.from_dict(notice) if isinstance(notice, dict) else None
        note = values.get("failure_note")
        values["failure_note"] = Note.from_dict(note) if isinstance(note, dict) else None
        values["notes"] = [as_note(n) for n in values.get("notes") or []]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


def new_job_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(4)


def current_boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


class Journal:
    """Job records under `jobs/` of the data directory, one JSON file per job."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, job_id: str) -> Path:
        return self.directory / f"{job_id}.json"

    def save(self, job: EraseJob) -> None:
        atomic.write_text(self.path(job.job_id), json.dumps(job.to_dict(), indent=2, sort_keys=True) + "\n")

    def load(self, job_id: str) -> EraseJob:
        job = EraseJob.from_dict(json.loads(self.path(job_id).read_text()))
        return self._with_liveness(job)

    def all(self) -> list[EraseJob]:
        """Every readable job, oldest first; an unreadable record is skipped, not fatal."""
        jobs = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                jobs.append(self._with_liveness(EraseJob.from_dict(json.loads(path.read_text()))))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return jobs

    def mark_interrupted(self) -> list[EraseJob]:
        """Persist INTERRUPTED for jobs whose process died; called at start-up."""
        changed = []
        for job in self.all():
            if job.state is JobState.INTERRUPTED and job.ended is None:
                job.ended = now_iso()
                if job.failure is None:
                    job.failure_note = Note.of("erase.interrupted")
                    job.failure = job.failure_note.text()
                self.save(job)
                changed.append(job)
        return changed

    @staticmethod
    def _with_liveness(job: EraseJob) -> EraseJob:
        if job.state is JobState.RUNNING and not _alive(job.pid, job.boot_id):
            job.state = JobState.INTERRUPTED
        return job


def _alive(pid: int | None, boot_id: str | None) -> bool:
    if pid is None or boot_id != current_boot_id():
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        return b"station" in cmdline.read_bytes() or b"python" in cmdline.read_bytes()
    except OSError:
        return False
