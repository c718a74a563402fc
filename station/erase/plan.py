"""Plan first, then execute: a selection of drives becomes a list of planned erase actions.

The plan is both the confirmation screen and the dry run: it says what will be destroyed, by which
technique, Clear or Purge, with which warnings, and which targets are refused and why. Nothing
touches a disk until `execute` runs the plan, one worker per target, all in parallel.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from station.detect import drivelock
from station.detect import drives as detect
from station.detect.disk import Disk, DiskKind, SerialInfo, SerialSource
from station.detect.protect import protections_for_path
from station.erase import pattern
from station.erase.blockio import Opener, open_target
from station.erase.engine import EraseRunner, ProgressCallback, VerifySpec, passes_for
from station.erase.jobs import EraseJob, Journal, new_job_id
from station.erase.purge import capabilities
from station.erase.purge import choose as purge_plan
from station.erase.purge.capabilities import PurgeCapabilities
from station.erase.purge.choose import TechniqueChoice
from station.erase.purge.runner import SanitizeRunner
from station.erase.shared_stream import StreamGroup
from station.hw import Host
from station.i18n import N_, _, ngettext
from station.notes import Note
from station.notice import Notice, define

OVERWRITE_METHODS = tuple(pattern.METHODS)

define({
    "plan.ssd-overwrite-is-clear": N_("solid-state drive: a host overwrite is NIST Clear, not Purge (spare and "
                                      "remapped blocks are out of reach); use a Purge technique where the drive "
                                      "supports one"),
    "plan.serial-uncertain": N_("the drive's serial is not certain ({why}): the certificate will say so"),
    "plan.serial-source": N_("source: {source}"),
    "plan.hidden-areas": N_("hidden areas (HPA/DCO) are restored to the factory size before erasing; if that "
                            "fails the job fails"),
})


@dataclass(frozen=True)
class PlannedAction:
    disk: Disk
    method: str
    passes: tuple[str, ...]
    verify: str
    nist_category: str  # "clear" or "purge"
    technique: str  # IEEE 2883 name
    warnings: tuple[Notice, ...] = ()
    refusals: tuple[Notice, ...] = ()  # why the target must not be written; empty when it may
    choice: TechniqueChoice | None = None  # a drive command (Purge, Format, SECURITY ERASE); None: host overwrite
    caps: PurgeCapabilities | None = None

    @property
    def target(self) -> str:
        return self.disk.devnode

    @property
    def refusal(self) -> str | None:
        """The refusal in English (JSON output, errors), or None when the target may be written."""
        return "; ".join(n.text() for n in self.refusals) or None

    def translated_refusal(self) -> str | None:
        return "; ".join(n.translated() for n in self.refusals) or None

    @property
    def runnable(self) -> bool:
        return not self.refusals


@dataclass(frozen=True)
class ErasePlan:
    actions: tuple[PlannedAction, ...]

    @property
    def runnable(self) -> list[PlannedAction]:
        return [a for a in self.actions if a.runnable]

    @property
    def refused(self) -> list[PlannedAction]:
        return [a for a in self.actions if not a.runnable]

    def describe(self) -> str:
        """The plan as the CLI prints it (dry run and confirmation), in the technician's language."""
        return "\n".join(("    " if line.indented else "") + line.text for line in plan_lines(self))


@dataclass(frozen=True)
class PlanLine:
    """One line of the plan as people read it; `kind` lets each face style it (the TUI colours refusals)."""

    kind: str  # "total", "drive", "how", "refused", "warning"
    text: str

    @property
    def indented(self) -> bool:
        return self.kind not in ("total", "drive")


def plan_lines(plan: ErasePlan) -> list[PlanLine]:
    """The plan in the technician's language: what will be destroyed, how, Clear or Purge, what is refused.

    The one rendering of a plan: `station wipe` prints it and the TUI's plan screen shows it."""
    runnable = plan.runnable
    total = human_size(sum(a.disk.size_bytes for a in runnable))
    lines = [PlanLine("total", ngettext("Plan: erase {n} drive, {size} of data will be destroyed.",
                                        "Plan: erase {n} drives, {size} of data will be destroyed.",
                                        len(runnable)).format(n=len(runnable), size=total))]
    for action in plan.actions:
        d = action.disk
        lines.append(PlanLine("drive", f"{d.devnode}  {d.identity}  {d.serial.value or _('serial unknown')}  "
                                       f"{human_size(d.size_bytes)}"))
        if action.refusals:
            lines.append(PlanLine("refused", _("REFUSED: {why}").format(why=action.translated_refusal())))
            continue
        if action.choice is not None:
            how = (_("host overwrite, then drive command {method}, proven by marker blocks") if action.passes else
                   _("drive command {method}, proven by marker blocks")).format(method=action.method)
        else:
            how = _("{method} ({passes}), verify {verify}").format(
                method=action.method, passes=" + ".join(action.passes), verify=action.verify)
        category = {"clear": _("CLEAR"), "purge": _("PURGE")}.get(action.nist_category,
                                                                  action.nist_category.upper())
        lines.append(PlanLine("how", _("{category} by {technique}: {how}").format(
            category=category, technique=action.technique, how=how)))
        lines += [PlanLine("warning", _("warning: {text}").format(text=w.translated())) for w in action.warnings]
    return lines


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def file_disk(path: str) -> Disk:
    """A plain file as a target (tests, the demo): no serial, it is not a drive."""
    size = os.stat(path).st_size
    return Disk(name=os.path.basename(path), devnode=path, kind=DiskKind.FILE, bus="file", size_bytes=size,
                serial=SerialInfo(None, SerialSource.NONE))


def resolve_disk(host: Host, target: str, bays: Mapping[str, str] | None = None) -> Disk:
    """The Disk record for a path given on the command line: detection's view of a block device, or a file.

    `bays` is the station's bay map (bays.json), so the record, and the certificate made from it, names the
    bay `station drives` shows.
    """
    try:
        st = os.stat(target)
    except OSError as exc:
        if host.is_live or not target.startswith("/dev/"):
            raise ValueError(f"{target}: {exc.strerror}") from exc
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        return file_disk(target)
    if not host.is_live:  # a recorded machine profile: its /dev is not this machine's, the kernel name says
        name = os.path.basename(target)
        if not host.path(f"/sys/class/block/{name}").exists():
            raise ValueError(f"{target}: no such drive in this machine profile")
    elif st is None or not stat.S_ISBLK(st.st_mode):
        raise ValueError(f"{target} is neither a block device nor a regular file")
    else:
        name = os.path.basename(host.realpath(f"/sys/dev/block/{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"))
    if host.path(f"/sys/class/block/{name}/partition").exists():
        raise ValueError(f"{target} is a partition: Station erases and certifies whole drives")
    for disk in detect.detect(host, include_loops=True, bays=bays).disks:
        if disk.name == name:
            return disk
    return detect.read_disk(host, name, bays=bays)


def plan_overwrite(host: Host, disks: Sequence[Disk], method: str, verify: str, rounds: int = 1) -> ErasePlan:
    """Plan a Clear by overwrite for each disk; protected disks are kept in the plan as refused."""
    passes = tuple(passes_for(method, rounds))
    VerifySpec.parse(verify)
    actions = []
    for disk in disks:
        actions.append(PlannedAction(disk, method, passes, verify, "clear", "overwrite",
                                     tuple(overwrite_warnings(disk)), _refusals(host, disk)))
    return ErasePlan(tuple(actions))


def plan_purge(host: Host, disks: Sequence[Disk], want: str, verify: str) -> ErasePlan:
    """Purge (auto: the strongest technique the drive supports) or a named technique, per drive.

    Where the drive offers no usable Purge the plan falls back to Clear by overwrite and says why;
    the label printed later comes from what actually ran and was verified.
    """
    actions = []
    for disk in disks:
        refusals = _refusals(host, disk)
        if refusals:
            actions.append(PlannedAction(disk, want, (), verify, "clear", want, (), refusals))
            continue
        caps = capabilities.probe(host, disk)
        try:
            choice = purge_plan.choose(disk, caps, want)
        except purge_plan.PlanError as exc:
            actions.append(PlannedAction(disk, want, (), verify, "clear", want, (), (exc.notice,)))
            continue
        notes = (choice.reason, *choice.warnings)
        if not choice.drive_command:
            actions.append(PlannedAction(disk, "zero", ("zero",), verify, "clear", "overwrite",
                                         (*notes, *overwrite_warnings(disk)), (), None, caps))
            continue
        passes = ("zero",) if choice.host_overwrite_first else ()
        actions.append(PlannedAction(disk, choice.technique.value, passes, "markers", choice.nist_category,
                                     choice.ieee2883, notes, (), choice, caps))
    return ErasePlan(tuple(actions))


def _refusals(host: Host, disk: Disk) -> tuple[Notice, ...]:
    """Protections (read again on the live machine), and a job already erasing the drive in any process."""
    live = protections_for_path(host, disk.devnode) if host.is_live else []
    found = [p.notice() for p in (live or list(disk.protections))]
    holder = drivelock.holder_of(host, disk)
    if holder is not None:
        found.append(holder.notice())
    return tuple(found)


def overwrite_warnings(disk: Disk) -> list[Notice]:
    warnings = []
    if disk.solid_state:
        warnings.append(Notice.of("plan.ssd-overwrite-is-clear"))
    if disk.kind is not DiskKind.FILE and not disk.serial.trusted:
        why: Notice | str = ", ".join(disk.serial.doubts) or Notice.of("plan.serial-source",
                                                                         source=disk.serial.source.value)
        warnings.append(Notice.of("plan.serial-uncertain", why=why))
    if disk.bus in ("ata", "sata", "usb"):
        warnings.append(Notice.of("plan.hidden-areas"))
    return warnings


def job_for(action: PlannedAction, restart_of: str | None = None) -> EraseJob:
    return EraseJob(job_id=new_job_id(), target=action.target, method=action.method, verify=action.verify,
                    passes=list(action.passes), nist_category=action.nist_category, technique=action.technique,
                    disk=action.disk, restart_of=restart_of, bytes_total=action.disk.size_bytes)


@dataclass
class Execution:
    """A running plan: one thread per target. Keeps the runners so a removal can abort the right job."""

    runners: dict[str, EraseRunner] = field(default_factory=dict)
    threads: list[threading.Thread] = field(default_factory=list)

    def abort_device(self, devnode: str, reason: Note | str) -> bool:
        runner = self.runners.get(devnode)
        if runner is None:
            return False
        runner.abort(reason)
        return True

    def cancel(self, devnode: str, reason: Note | str | None = None) -> bool:
        """Stop one drive's job at the technician's request (it ends CANCELLED); False when none runs there."""
        runner = self.runners.get(devnode)
        if runner is None:
            return False
        runner.cancel(reason)
        return True

    def cancel_all(self, reason: Note | str | None = None) -> None:
        for runner in self.runners.values():
            runner.cancel(reason)

    def wait(self) -> list[EraseJob]:
        for thread in self.threads:
            thread.join()
        return [runner.job for runner in self.runners.values()]


def execute(plan: ErasePlan, journal: Journal, host: Host | None = None, opener: Opener = open_target,
            on_progress: ProgressCallback | None = None,
            on_finished: Callable[[EraseJob], None] | None = None,
            jobs: Sequence[EraseJob] | None = None) -> Execution:
    """Start every runnable action in its own thread and return at once."""
    host = host or Host()
    execution = Execution()
    runnable = plan.runnable
    prepared = list(jobs) if jobs is not None else [job_for(a) for a in runnable]
    choices = {a.target: a for a in runnable}
    # drives started together share each random pass's keystream (station.erase.shared_stream)
    sharing = sum("random" in job.passes for job in prepared)
    group = StreamGroup(members=sharing) if sharing > 1 else None
    for job in prepared:
        action = choices.get(job.target)
        runner: EraseRunner
        if action is not None and action.choice is not None:
            runner = SanitizeRunner(job, host=host, journal=journal, opener=opener, on_progress=on_progress,
                                    choice=action.choice, caps=action.caps, group=group)
        else:
            runner = EraseRunner(job, host=host, journal=journal, opener=opener, on_progress=on_progress,
                                 group=group)
        journal.save(job)
        execution.runners[job.target] = runner

        def work(r: EraseRunner = runner) -> None:
            finished = r.run()
            if on_finished is not None:
                on_finished(finished)

        thread = threading.Thread(target=work, name=f"erase {job.target}", daemon=False)
        execution.threads.append(thread)
    for thread in execution.threads:
        thread.start()
    return execution
