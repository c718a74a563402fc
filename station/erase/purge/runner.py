"""Runs a drive's own erase command (SANITIZE, crypto erase, Format, SECURITY ERASE) as a job.

The drive's word is not proof: before the command, marker blocks are written at pseudo-random
LBAs (and the first and last); afterwards none may survive and the drive must have reported
success, or the job ends FAILED ("device reported success but data remained"). An HDD Purge runs
the host overwrite first, then the drive's SANITIZE overwrite. The label (Clear or Purge and the
IEEE 2883 technique) comes from what ran and was verified.
"""

from __future__ import annotations

from station.erase import markers, pattern
from station.erase.blockio import BlockTarget
from station.erase.engine import Cancelled, EraseRunner
from station.erase.jobs import JobState, Phase, Verification
from station.erase.purge import drive_commands as purge
from station.erase.purge.capabilities import PurgeCapabilities
from station.erase.purge.choose import TechniqueChoice
from station.notes import Note
from station.notice import Notice

MARKER_COUNT = 32


class SanitizeRunner(EraseRunner):
    """Same lifecycle as the overwrite engine (journal, cancel, abort, hidden areas); different middle."""

    poll_interval = 5.0  # seconds between two reads of the drive's own progress (sanitize log, REQUEST SENSE)

    def __init__(self, *args: object, choice: TechniqueChoice, caps: PurgeCapabilities | None = None,
                 **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.choice = choice
        self.caps = caps

    def _execute(self, target: BlockTarget) -> None:
        job = self.job
        for index, name in enumerate(job.passes):
            self._write_pass(target, index, pattern.make(name, self.seed, index))
            job.passes_done = index + 1
            self._save(force=True)
        target.flush()
        size, block = target.size, target.block_size
        marker_set = markers.write(job.target, size, block, int.from_bytes(self.seed[:8], "big"), MARKER_COUNT)
        target.close()  # the drive's command must not race our descriptor; markers are re-read with a fresh one
        job.phase, job.bytes_done = Phase.SANITIZING, 0
        self._emit(0, size)
        assert job.disk is not None
        outcome = purge.run(self.host, job.disk, self.choice, job,
                            lambda fraction: self._emit(int(fraction * size), size), self._stop, caps=self.caps,
                             poll_interval=self.poll_interval)
        job.notes.extend(outcome.messages)
        self._save(force=True)
        if outcome.cancelled:
            raise Cancelled()
        if outcome.frozen:
            reason = Notice.of("purge.frozen", advice=outcome.advice or Notice.of("purge.frozen-advice.fixed"))
            self._end(JobState.FAILED, Note.of("purge.frozen"), reason)
            return
        job.phase = Phase.VERIFYING
        self._emit(0, len(marker_set.lbas) * block)
        check = markers.check(job.target, marker_set)
        verdict = markers.judge(outcome.reported_success, check)
        job.verification = Verification(
            mode="markers", percent=round(100.0 * check.checked * block / size, 6),
            bytes_verified=check.checked * block, regions=check.checked, passed=verdict.passed,
            mismatch_offsets=[lba * block for lba in check.survivors[:16]], expected="drive-defined")
        if verdict.passed:
            self._end(JobState.ERASED, None)
        else:
            self._end(JobState.FAILED, verdict.reason)
