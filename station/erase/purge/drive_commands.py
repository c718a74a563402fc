"""Running a drive's own erase command (SANITIZE, SECURITY ERASE, Format) through the Host boundary.

What this module reports is what the drive *said*: its exit status, its sanitize status or log,
its security state before and after. It never decides "erased": that takes marker verification
(station.markers). Drives lie (QEMU's AHCI disk aborts SECURITY ERASE while hdparm exits 0), so
every command is followed by a re-read of the drive's own state. An ATA password set for SECURITY
ERASE is always cleared afterwards, on every path, and if that fails the password is in the job's
notes so a technician can unlock the drive.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from station.detect.disk import Disk
from station.erase.jobs import EraseJob
from station.erase.purge import capabilities
from station.erase.purge.capabilities import AtaSanitizeStatus, AtaSecurity, PurgeCapabilities, SanitizeState
from station.erase.purge.choose import TECHNIQUES, Technique, TechniqueChoice, frozen_for
from station.hw import CommandResult, Host
from station.i18n import N_
from station.notes import Note, Param
from station.notice import Notice, define

Progress = Callable[[float], None]
YES = "--yes-i-know-what-i-am-doing"
ABORT_SIGNS = ("bad/missing sense data", "Input/output error", "Invalid argument", "ABRT",
               "is not supported", "Invalid opcode", "Invalid Command Opcode", "Illegal request")
PASSWORD_NOTE = "ATA temporary user password set by Station: "

define({
    "purge.frozen-advice.replug": N_("The drive is frozen by the computer's firmware. Unplug it from the rack bay "
                                     "and plug it back in: a drive plugged after boot is not frozen. Then re-check."),
    "purge.frozen-advice.laptop": N_("The drive is frozen by the laptop's firmware. Suspend the laptop and wake it "
                                     "(close and open the lid, or press the power button briefly), which usually "
                                     "unfreezes it, then re-check."),
    "purge.frozen-advice.fixed": N_("The drive is frozen by the computer's firmware. Hot-plug it (if the port "
                                    "allows), or move it to the rack, or suspend and resume the machine, then "
                                    "re-check. It cannot be purged while frozen."),
    "purge.frozen": N_("the drive is frozen; the command was not sent. {advice}"),
})


@dataclass(frozen=True)
class CommandRecord:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


@dataclass
class PurgeOutcome:
    technique: str
    reported_success: bool = False  # the drive's own answer; never "erased" by itself
    messages: list[Note] = field(default_factory=list)
    commands: list[CommandRecord] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    frozen: bool = False
    advice: Notice | None = None
    cancelled: bool = False
    sent: bool = False  # whether the erase command itself reached the drive
    security_left_enabled: bool | None = None  # ATA SECURITY ERASE: password still set afterwards
    security_left_locked: bool | None = None

    @property
    def success(self) -> bool:
        return self.reported_success

    @property
    def seconds(self) -> float:
        return max(0.0, self.ended - self.started)


class _Session:
    """One run: records every command and its timing, so the certificate can cite them."""

    def __init__(self, host: Host, outcome: PurgeOutcome):
        self.host = host
        self.outcome = outcome

    def run(self, argv: list[str], timeout: float | None = 120.0) -> CommandResult:
        t0 = time.monotonic()
        res = self.host.run(argv, timeout)
        self.outcome.commands.append(CommandRecord(res.argv, res.returncode, res.stdout[-2000:],
                                                   res.stderr[-2000:], time.monotonic() - t0))
        return res

    def say(self, code: str, **params: Param) -> None:
        """What the drive said, as a coded note: it goes into the signed record's notes."""
        self.outcome.messages.append(Note.of(code, **params))


def _aborted(res: CommandResult) -> bool:
    text = res.stdout + res.stderr
    return not res.ok or any(sign in text for sign in ABORT_SIGNS)


def _tail(res: CommandResult) -> str:
    lines = (res.stderr.strip() or res.stdout.strip()).splitlines()
    return f"exit {res.returncode}" + (f": {lines[-1]}" if lines else "")


def frozen_advice(host: Host, disk: Disk) -> Notice:
    """What the technician can do about a frozen drive, depending on where it is plugged; a code, so the
    technician reads it in their own language and the job record keeps it whatever the language."""
    if disk.bay or disk.bus == "usb" or disk.removable:
        return Notice.of("purge.frozen-advice.replug")
    laptop = any((host.read_attr(f"/sys/class/power_supply/{n}/type") or "") == "Battery"
                 for n in host.listdir("/sys/class/power_supply"))
    return Notice.of("purge.frozen-advice.laptop" if laptop else "purge.frozen-advice.fixed")


def run(host: Host, disk: Disk, choice: TechniqueChoice, job: EraseJob, progress: Progress,
        cancel: threading.Event, *, poll_interval: float = 5.0, max_wait: float = 48 * 3600.0,
        caps: PurgeCapabilities | None = None) -> PurgeOutcome:
    """Run the chosen drive command and report what the drive said, with timings and every command."""
    technique = choice.technique
    outcome = PurgeOutcome(technique.value, started=time.time())
    session = _Session(host, outcome)
    try:
        if technique is Technique.HOST_OVERWRITE:
            session.say("drive.not-a-drive-command")
            return outcome
        if cancel.is_set():
            outcome.cancelled = True
            session.say("drive.cancelled-before-sent")
            return outcome
        caps = caps or capabilities.probe(host, disk)
        if frozen_for(caps, technique):
            outcome.frozen = True
            outcome.advice = frozen_advice(host, disk)
            session.say("drive.frozen-not-sent")
            return outcome
        family = TECHNIQUES[technique].family
        runner = {
            "ata-sanitize": _ata_sanitize, "ata-security": _ata_security_erase,
            "nvme-sanitize": _nvme_sanitize, "nvme-format": _nvme_format,
            "scsi-sanitize": _scsi, "scsi-format": _scsi,
        }[family]
        runner(session, disk, technique, job, progress, cancel, poll_interval, max_wait, caps)
        if outcome.reported_success:
            progress(1.0)
        return outcome
    finally:
        outcome.ended = time.time()


# ---------------------------------------------------------------- ATA SANITIZE


_ATA_SANITIZE_ARGS = {
    Technique.ATA_SANITIZE_BLOCK: ["--sanitize-block-erase"],
    Technique.ATA_SANITIZE_CRYPTO: ["--sanitize-crypto-scramble"],
    Technique.ATA_SANITIZE_OVERWRITE: ["--sanitize-overwrite-passes", "1", "--sanitize-overwrite", "hex:00000000"],
}


def _ata_sanitize(s: _Session, disk: Disk, technique: Technique, job: EraseJob, progress: Progress,
                  cancel: threading.Event, interval: float, max_wait: float, caps: PurgeCapabilities) -> None:
    dev = disk.devnode
    before = s.run(["hdparm", "--sanitize-status", dev])
    report = capabilities.parse_hdparm_sanitize_status(before.stdout) if before.ok else None
    if report is not None and report.state is AtaSanitizeStatus.FROZEN:
        s.outcome.frozen = True
        s.outcome.advice = frozen_advice(s.host, disk)
        s.say("drive.sanitize-frozen-not-sent")
        return
    if report is not None and report.state is AtaSanitizeStatus.IN_PROGRESS:
        s.say("drive.ata-sanitize-resumed")
    else:
        res = s.run(["hdparm", YES, *_ATA_SANITIZE_ARGS[technique], dev], timeout=600.0)
        if _aborted(res):
            s.say("drive.sanitize-refused", tool=_tail(res))
            return
        s.outcome.sent = True
        s.say("drive.sanitize-accepted")
    _poll_ata(s, dev, progress, cancel, interval, max_wait)


def _poll_ata(s: _Session, dev: str, progress: Progress, cancel: threading.Event, interval: float,
              max_wait: float) -> None:
    deadline = time.monotonic() + max_wait
    idle_without_result = 0
    while True:
        res = s.run(["hdparm", "--sanitize-status", dev])
        report = capabilities.parse_hdparm_sanitize_status(res.stdout) if res.ok else None
        if report is None:
            s.say("drive.sanitize-status-unreadable", tool=_tail(res))
            return
        if report.state is AtaSanitizeStatus.IN_PROGRESS:
            if report.fraction is not None:
                progress(min(report.fraction, 0.999))
        elif report.state is AtaSanitizeStatus.FAILED or report.last_failed:
            s.say("drive.ata-sanitize-failed")
            return
        elif report.last_completed_ok or report.state is AtaSanitizeStatus.SUCCEEDED:
            s.outcome.reported_success = True
            s.say("drive.ata-sanitize-completed")
            return
        elif report.state is AtaSanitizeStatus.FROZEN:
            s.say("drive.ata-sanitize-frozen")
            return
        else:
            idle_without_result += 1
            if idle_without_result >= 3:
                s.say("drive.ata-sanitize-idle")
                return
        if _wait(s, cancel, interval, deadline):
            return


def _wait(s: _Session, cancel: threading.Event, interval: float, deadline: float) -> bool:
    """Sleep one poll interval; True when polling must stop (cancelled or too long)."""
    if cancel.wait(interval):
        s.outcome.cancelled = True
        s.say("drive.cancelled-while-sanitizing")
        return True
    if time.monotonic() > deadline:
        s.say("drive.gave-up-waiting")
        return True
    return False


# ---------------------------------------------------------------- ATA SECURITY ERASE


def _security(s: _Session, dev: str) -> AtaSecurity | None:
    res = s.run(["hdparm", "-I", dev])
    ident = capabilities.parse_hdparm_identify(res.stdout) if res.ok else None
    return ident.security if ident else None


def _ata_security_erase(s: _Session, disk: Disk, technique: Technique, job: EraseJob, progress: Progress,
                        cancel: threading.Event, interval: float, max_wait: float,
                        caps: PurgeCapabilities) -> None:
    dev = disk.devnode
    sec = _security(s, dev)
    if sec is None or not sec.supported:
        s.say("drive.no-ata-security")
        return
    if sec.frozen:
        s.outcome.frozen = True
        s.outcome.advice = frozen_advice(s.host, disk)
        s.say("drive.security-frozen-not-sent")
        return
    enhanced = technique is Technique.ATA_SECURE_ERASE_ENHANCED
    known = _known_passwords(job)
    password = known[-1] if (sec.enabled or sec.locked) and known else "st" + secrets.token_hex(6)
    try:
        if sec.enabled or sec.locked:
            if not known:
                s.say("drive.foreign-password")
                return
            s.say("drive.password-reused")
        else:
            job.notes.append(Note.of("purge.ata-password-set", password=password))
            res = s.run(["hdparm", "--user-master", "u", "--security-set-pass", password, dev])
            after = _security(s, dev)
            if _aborted(res) or after is None or not after.enabled:
                s.say("drive.password-refused" if after and after.enabled else "drive.password-refused-disabled",
                      tool=_tail(res))
                return
        minutes = sec.enhanced_erase_minutes if enhanced else sec.erase_minutes
        estimate = (minutes or 120) * 60.0
        verb = "--security-erase-enhanced" if enhanced else "--security-erase"
        ticker = _Ticker(progress, estimate)
        try:
            s.outcome.sent = True
            res = s.run(["hdparm", "--user-master", "u", verb, password, dev],
                        timeout=min(max_wait, estimate * 2 + 1800.0))
        finally:
            ticker.stop()
        after = _security(s, dev)
        if _aborted(res):
            s.say("drive.security-erase-failed", tool=_tail(res))
        elif after is None:
            s.say("drive.security-erase-unknown")
        elif after.enabled:
            s.say("drive.security-erase-did-not-run")
        else:
            s.outcome.reported_success = True
            s.say("drive.security-erase-completed")
    finally:
        _leave_unlocked(s, dev, password)


def _known_passwords(job: EraseJob) -> list[str]:
    """From this job's notes; a job journaled before notes had codes holds the note as its English words."""
    found = []
    for note in job.notes:
        if isinstance(note, Note) and note.code == "purge.ata-password-set":
            found.append(str(note.params["password"]))
        elif isinstance(note, str) and note.startswith(PASSWORD_NOTE) and note[len(PASSWORD_NOTE):].split():
            found.append(note[len(PASSWORD_NOTE):].split()[0])
    return found


def _leave_unlocked(s: _Session, dev: str, password: str) -> None:
    """Always try to return the drive unlocked and without password, whatever happened before."""
    sec = _security(s, dev)
    if sec is None:
        s.outcome.security_left_enabled = None
        s.outcome.security_left_locked = None
        s.say("drive.security-unreadable", password=password)
        return
    if sec.locked:
        res = s.run(["hdparm", "--user-master", "u", "--security-unlock", password, dev])
        if res.ok:
            s.say("drive.unlock-sent")
        else:
            s.say("drive.unlock-failed", tool=_tail(res))
    if sec.enabled or sec.locked:
        res = s.run(["hdparm", "--user-master", "u", "--security-disable", password, dev])
        if res.ok:
            s.say("drive.disable-sent")
        else:
            s.say("drive.disable-failed", tool=_tail(res))
        sec = _security(s, dev)
    s.outcome.security_left_enabled = None if sec is None else sec.enabled
    s.outcome.security_left_locked = None if sec is None else sec.locked
    if sec is None or sec.enabled or sec.locked:
        s.say("drive.may-be-locked", password=password, dev=dev)


class _Ticker:
    """Time-based progress for commands that give none (SECURITY ERASE blocks until done)."""

    def __init__(self, progress: Progress, estimate: float):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, args=(progress, estimate), daemon=True)
        self._thread.start()

    def _tick(self, progress: Progress, estimate: float) -> None:
        t0 = time.monotonic()
        while not self._stop.wait(2.0):
            progress(min((time.monotonic() - t0) / max(estimate, 1.0), 0.99))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# ---------------------------------------------------------------- NVMe


_SANACT = {Technique.NVME_SANITIZE_BLOCK: 2, Technique.NVME_SANITIZE_OVERWRITE: 3,
           Technique.NVME_SANITIZE_CRYPTO: 4}


def _nvme_log(s: _Session, dev: str) -> capabilities.NvmeSanitizeLog | None:
    res = s.run(["nvme", "sanitize-log", dev])
    return capabilities.parse_nvme_sanitize_log(res.stdout) if res.ok else None


def _nvme_sanitize(s: _Session, disk: Disk, technique: Technique, job: EraseJob, progress: Progress,
                   cancel: threading.Event, interval: float, max_wait: float, caps: PurgeCapabilities) -> None:
    dev = disk.devnode
    sanact = _SANACT[technique]
    deadline = time.monotonic() + max_wait
    log = _nvme_log(s, dev)
    if log is not None and log.state is SanitizeState.IN_PROGRESS:
        s.say("drive.nvme-sanitize-resumed", action=log.sanact)
        if not _poll_nvme(s, dev, progress, cancel, interval, deadline, log.sanact):
            return
        if log.sanact == sanact:
            return
    argv = ["nvme", "sanitize", dev, f"--sanact={sanact}"]
    if caps.nvme is None or caps.nvme.no_deallocate_allowed:
        argv.append("--no-dealloc")
    else:
        s.say("drive.nvme-no-deallocate-refused")
    if technique is Technique.NVME_SANITIZE_OVERWRITE:
        argv += ["--owpass=1", "--ovrpat=0"]
    res = s.run(argv, timeout=600.0)
    if _aborted(res):
        s.say("drive.nvme-sanitize-refused", tool=_tail(res))
        return
    s.outcome.sent = True
    s.say("drive.nvme-sanitize-accepted")
    _poll_nvme(s, dev, progress, cancel, interval, deadline, sanact)


def _poll_nvme(s: _Session, dev: str, progress: Progress, cancel: threading.Event, interval: float,
               deadline: float, sanact: int) -> bool:
    """Poll the sanitize log until the operation ends; True when it ended (success or failure)."""
    while True:
        log = _nvme_log(s, dev)
        if log is None:
            s.say("drive.nvme-sanitize-log-unreadable")
            return False
        if log.state is SanitizeState.IN_PROGRESS:
            progress(min(log.fraction, 0.999))
        elif log.state is SanitizeState.FAILED:
            s.say("drive.nvme-sanitize-failed", sstat=f"{log.sstat:#x}")
            return True
        elif log.state in (SanitizeState.SUCCEEDED, SanitizeState.SUCCEEDED_NO_DEALLOCATE):
            if log.sanact != sanact:
                s.say("drive.nvme-sanitize-other-action", action=log.sanact, expected=sanact)
                return True
            s.outcome.reported_success = True
            s.say("drive.nvme-sanitize-completed-global" if log.global_data_erased else
                  "drive.nvme-sanitize-completed", sstat=f"{log.sstat:#x}")
            return True
        else:
            s.say("drive.nvme-sanitize-none", sstat=f"{log.sstat:#x}")
            return True
        if _wait(s, cancel, interval, deadline):
            return False


def _nvme_format(s: _Session, disk: Disk, technique: Technique, job: EraseJob, progress: Progress,
                 cancel: threading.Event, interval: float, max_wait: float, caps: PurgeCapabilities) -> None:
    ses = 2 if technique is Technique.NVME_FORMAT_CRYPTO else 1
    if caps.nvme and caps.nvme.namespaces and caps.nvme.namespaces > 1 and caps.nvme.format_all_namespaces:
        s.say("drive.nvme-format-all-namespaces", count=caps.nvme.namespaces)
    s.outcome.sent = True
    res = s.run(["nvme", "format", disk.devnode, f"--ses={ses}", "--force"], timeout=min(max_wait, 6 * 3600.0))
    if _aborted(res):
        s.say("drive.nvme-format-failed", tool=_tail(res))
        return
    s.outcome.reported_success = True
    s.say("drive.nvme-format-succeeded", ses=ses, output=" ".join(res.stdout.strip().splitlines()[-1:]))
    if ses == 2 and caps.nvme and not caps.nvme.format_crypto_erase:
        s.say("drive.nvme-crypto-format-unexpected")


# ---------------------------------------------------------------- SCSI


_SCSI_ARGS = {
    Technique.SCSI_SANITIZE_BLOCK: ["sg_sanitize", "--quick", "--early", "--block"],
    Technique.SCSI_SANITIZE_CRYPTO: ["sg_sanitize", "--quick", "--early", "--crypto"],
    Technique.SCSI_SANITIZE_OVERWRITE: ["sg_sanitize", "--quick", "--early", "--overwrite", "--zero"],
    Technique.SCSI_FORMAT_UNIT: ["sg_format", "--format", "--quick", "--early"],
}


def _scsi_progress(s: _Session, dev: str) -> tuple[capabilities.ScsiProgress | None, CommandResult]:
    res = s.run(["sg_requests", "--progress", dev])
    report = capabilities.parse_sg_progress(res.stdout)
    # a progress line is the device's own word whatever the exit status; silence only counts after exit 0
    return (report if report.in_progress or res.ok else None), res


def _scsi(s: _Session, disk: Disk, technique: Technique, job: EraseJob, progress: Progress,
          cancel: threading.Event, interval: float, max_wait: float, caps: PurgeCapabilities) -> None:
    """SANITIZE / FORMAT UNIT with IMMED set (--early): the tool returns once the device accepted the
    command, and the device's own progress indication (REQUEST SENSE) is polled, as sg_sanitize itself
    does, so the technician sees it move. No more progress indication means the operation is over; TEST
    UNIT READY then says whether the device came back ready or failed (SANITIZE COMMAND FAILED)."""
    dev = disk.devnode
    deadline = time.monotonic() + max_wait
    running, _ = _scsi_progress(s, dev)
    if running is not None and running.in_progress:
        s.say("drive.scsi-resumed")
        if running.fraction is not None:
            progress(min(running.fraction, 0.999))
        if not _poll_scsi(s, dev, progress, cancel, interval, deadline):
            return
    res = s.run([*_SCSI_ARGS[technique], dev], timeout=600.0)
    if _aborted(res):
        s.say("drive.scsi-refused", command=technique.value, tool=_tail(res))
        return
    s.outcome.sent = True
    s.say("drive.scsi-accepted", command=technique.value)
    if not _poll_scsi(s, dev, progress, cancel, interval, deadline):
        return
    ready = s.run(["sg_turs", dev])
    if not ready.ok:
        s.say("drive.scsi-not-ready", command=technique.value, tool=_tail(ready))
        return
    s.outcome.reported_success = True
    s.say("drive.scsi-ready", command=technique.value)


def _poll_scsi(s: _Session, dev: str, progress: Progress, cancel: threading.Event, interval: float,
               deadline: float) -> bool:
    """Feed the device's progress indication until it has none; False when polling had to stop."""
    while True:
        report, res = _scsi_progress(s, dev)
        if report is None:
            s.say("drive.scsi-progress-unreadable", tool=_tail(res))
            return False
        if not report.in_progress:
            return True
        if report.fraction is not None:
            progress(min(report.fraction, 0.999))
        if _wait(s, cancel, interval, deadline):
            return False
