"""One technician's working session: plan, run and certify erasures.

The CLI, the TUI and the demo all go through here, so the sequence detect -> plan -> execute ->
certify -> outbox is written once. Certificates are issued as each job ends, whatever its result:
an erased job gets a certificate, anything else a failure report that never reads as one.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from station.detect import drivelock, identity
from station.detect import drives as detect
from station.detect.disk import Disk, DiskKind
from station.detect.drivelock import Holder
from station.detect.identity import Match
from station.erase import plan as planning
from station.erase.blockio import Opener, open_target
from station.erase.engine import ProgressCallback
from station.erase.jobs import EraseJob, JobState, Journal
from station.erase.purge import capabilities
from station.erase.purge import choose as purge_choice
from station.hw import Host
from station.inventory import dmi
from station.inventory.dmi import HostIdentity
from station.notice import Notice
from station.store import config
from station.store.datadir import DataDir

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    job: EraseJob
    certificate: Path | None = None  # the signed JSON (certificate or failure report)
    pdf: Path | None = None
    error: str | None = None  # why no record could be issued


@dataclass
class Session:
    datadir: DataDir
    host: Host = field(default_factory=Host)
    opener: Opener = open_target
    lang: str | None = None
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # read once per session: the machine does not change between jobs, and dmidecode costs up to a second
    _host_read: bool = field(default=False, init=False)
    _host: HostIdentity | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.datadir.ensure()
        self.journal = Journal(self.datadir.jobs)
        self.interrupted = self.journal.mark_interrupted()
        self.bays, self.bay_problem = self._read_bays()

    def _read_bays(self) -> tuple[dict[str, str], str | None]:
        """The bay map `station drives` reads (bays.json in the data dir): jobs and certificates name the same
        bay. A broken file is reported (`bay_problem`) and ignored, never fatal: the bay is then unknown."""
        try:
            return detect.load_bays(self.datadir.root / detect.BAYS_FILE), None
        except detect.BayConfigError as exc:
            return {}, str(exc)

    def resolve(self, targets: Sequence[str]) -> list[Disk]:
        """The Disk records for paths the technician named (block devices or files), with their bays."""
        return [planning.resolve_disk(self.host, t, self.bays) for t in targets]

    def plan(self, disks: Sequence[Disk], method: str, verify: str, rounds: int = 1) -> planning.ErasePlan:
        if method in planning.OVERWRITE_METHODS:
            return planning.plan_overwrite(self.host, disks, method, verify, rounds)
        if method != "purge" and method not in purge_choice.NAMED:
            raise ValueError(f"unknown method {method!r}: choose {', '.join(planning.OVERWRITE_METHODS)}, "
                             f"purge, or a named technique ({', '.join(purge_choice.NAMED)})")
        return planning.plan_purge(self.host, disks, method, verify)

    def start(self, plan: planning.ErasePlan, on_progress: ProgressCallback | None = None,
              on_finished: Callable[[Outcome], None] | None = None,
              jobs: Sequence[EraseJob] | None = None) -> planning.Execution:
        if not self.host.is_live and self.opener is open_target:
            devices = [a.target for a in plan.runnable if a.disk.kind is not DiskKind.FILE]
            if devices:  # the profile's /dev/sda is a record; this machine's /dev/sda is somebody's drive
                raise ValueError(f"{devices[0]} belongs to a recorded machine profile, not to this machine: "
                                 "refusing to write this machine's device of that name")

        def finished(job: EraseJob) -> None:
            outcome = self.certify(job)
            if on_finished is not None:
                on_finished(outcome)

        return planning.execute(plan, self.journal, self.host, self.opener, on_progress, finished, jobs)

    def run(self, plan: planning.ErasePlan, on_progress: ProgressCallback | None = None) -> list[Outcome]:
        execution = self.start(plan, on_progress)
        jobs = execution.wait()
        return [self.outcomes[j.job_id] for j in jobs]

    def certify(self, job: EraseJob) -> Outcome:
        """Issue the signed record for a finished job; a failure to issue is reported, never hidden."""
        outcome = Outcome(job)
        try:
            # the signing stack (issue, keys, chain: 30-40 ms of import) waits for the first job's end: `station
            # drives` and `station jobs` load this module and never issue anything
            from station.certify import issue

            settings = config.load(self.datadir)
            evidence = {"job-journal.json": json.dumps(job.to_dict(), indent=2, sort_keys=True).encode()}
            issued = issue.issue(job, self.datadir, settings, self._host_identity(), evidence,
                                 config.document_language(settings, self.lang))
            outcome.certificate, outcome.pdf = issued.json_path, issued.pdf_path
        except Exception as exc:  # the job record stays; the operator must see why there is no certificate
            log.exception("could not issue the record for job %s", job.job_id)
            outcome.error = f"could not issue the certificate: {exc}"
        with self._lock:
            self.outcomes[job.job_id] = outcome
        return outcome

    def _host_identity(self) -> HostIdentity | None:
        with self._lock:
            if not self._host_read:
                self._host, self._host_read = self._read_host_identity(), True
            return self._host

    def _read_host_identity(self) -> HostIdentity | None:
        try:
            return dmi.host_identity(self.host)
        except Exception:  # no DMI (a rack, a VM) is normal: the certificate says unknown
            return None

    def busy_elsewhere(self, disks: Sequence[Disk]) -> dict[str, Holder]:
        """Drives another process (a CLI beside the TUI, a second TUI) is erasing now, by device node.

        Read from the kernel's lock table without taking any lock; this process's own jobs are left out
        (the TUI shows their progress)."""
        found = {}
        for disk in disks:
            holder = drivelock.holder_of(self.host, disk)
            if holder is not None and holder.pid != os.getpid():
                found[disk.devnode] = holder
        return found

    def restartable(self) -> list[EraseJob]:
        """Interrupted jobs (power loss, kill -9) not yet run again: what the technician is offered to restart."""
        jobs = self.journal.all()
        restarted = {j.restart_of for j in jobs if j.restart_of}
        return [j for j in jobs if j.state is JobState.INTERRUPTED and j.job_id not in restarted]

    def restart_plan(self, job_id: str, present: Sequence[Disk] | None = None) -> tuple[EraseJob, planning.ErasePlan]:
        """The old job and the plan to run it again from the beginning, with the same method and verification.

        The drive is found by every identity the job recorded (serial, WWN, model, size, bay or port), not by
        its old device name: a renamed or moved drive is found, an ambiguous one (two drives with one serial)
        or a different drive now in its place is refused with the reason (station.detect.identity). The plan
        goes through the same protection checks as a new wipe and is shown for confirmation the same way.
        `present`: the drives the caller shows (the TUI's rack, file-backed ones included); detection otherwise.
        """
        old = self.journal.load(job_id)
        if not old.state.final:
            raise ValueError(f"job {job_id} is still {old.state.value}")
        if old.erased:
            raise ValueError(f"job {job_id} already erased its target; nothing to restart")
        if present is None and (old.disk is None or old.disk.kind is DiskKind.FILE or os.path.isfile(old.target)):
            current = planning.resolve_disk(self.host, old.target, self.bays)
            if current.kind is DiskKind.FILE and old.disk is not None:
                current = old.disk  # a file-backed drive (demo, tests) keeps the identity it was planned with
        else:
            if present is None:
                present = detect.detect(self.host, include_loops=True, bays=self.bays).disks
            match = self.restart_match(old, present)
            if match.disk is None:
                assert match.refusal is not None
                raise identity.IdentityError(match.refusal)
            current = match.disk
        return old, self.plan([current], old.method, old.verify)

    def restart_match(self, old: EraseJob, present: Sequence[Disk]) -> Match:
        """The present drive the interrupted job was erasing, or why none may be taken for it."""
        if old.disk is None:
            return identity.Match(None, Notice.of("identity.not-found", wanted=old.target))
        return identity.find_drive(old.disk, present, grown_ok=old.hidden_area == "removed")

    def start_restart(self, old: EraseJob, plan: planning.ErasePlan, on_progress: ProgressCallback | None = None,
                      on_finished: Callable[[Outcome], None] | None = None) -> planning.Execution:
        """Start a confirmed restart plan: a new job, linked to the old one."""
        if plan.refused or len(plan.runnable) != 1:
            raise ValueError(plan.refused[0].refusal or "refused" if plan.refused else "a restart erases one drive")
        job = planning.job_for(plan.runnable[0], restart_of=old.job_id)
        job.passes = list(old.passes)
        return self.start(plan, on_progress, on_finished, jobs=[job])

    def restart(self, job_id: str, on_progress: ProgressCallback | None = None) -> Outcome:
        """Run an interrupted, failed or cancelled job again from the beginning (the CLI: plan, start, wait)."""
        old, plan = self.restart_plan(job_id)
        [job] = self.start_restart(old, plan, on_progress).wait()
        return self.outcomes[job.job_id]


def purge_options(host: Host, disk: Disk) -> dict[str, Any]:
    """What the drive can do by itself and what `wipe --method purge` would run on it, as `station drives --json`
    prints it: the faces ask here rather than probing the drive and choosing a technique themselves."""
    caps = capabilities.probe(host, disk)
    try:
        choice = purge_choice.choose(disk, caps, "purge")
        chosen: dict[str, Any] = {"technique": choice.technique.value, "ieee2883": choice.ieee2883,
                                  "nist_category": choice.nist_category, "reason": choice.reason.text(),
                                  "warnings": [w.text() for w in choice.warnings],
                                  "reason_notice": choice.reason.to_dict(),
                                  "warning_notices": [w.to_dict() for w in choice.warnings]}
    except purge_choice.PlanError as exc:
        chosen = {"technique": None, "ieee2883": None, "nist_category": None, "reason": str(exc), "warnings": [],
                  "reason_notice": exc.notice.to_dict(), "warning_notices": []}
    return {**chosen, "capabilities": caps.to_dict()}
