"""The rack's state, one row per drive, and how each row reads in 80 columns of plain text.

Kept apart from the widgets so the formatting (progress bar, speed, ETA, verdicts) is plain
functions of plain data: ASCII glyphs only, because the station runs on the Linux console.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from station.detect.disk import Disk, DiskKind, SerialInfo, SerialSource
from station.detect.drivelock import Holder
from station.detect.refused import RefusedDrive
from station.erase.engine import Progress
from station.erase.jobs import EraseJob, JobState, Phase
from station.erase.plan import human_size
from station.i18n import N_, _
from station.session import Outcome

BAR_WIDTH = 6

# station.detect.drives's hint codes, in words short enough for one 80-column line (`station drives` has the long text).
HINT_WORDS = {
    "behind-intel-vmd": N_("behind Intel VMD (RST): drives missing? set the controller to AHCI"),
    "raid-metadata": N_("firmware RAID metadata (RST/DDF): erasing destroys the array"),
    "usb-bridge-no-passthrough": N_("USB bridge blocks ATA commands: no Purge, enclosure's serial"),
    "usb-bridge-passthrough-unchecked": N_("USB drive: pass-through not checked, enclosure's serial"),
    "usb-bridge-passthrough": N_("USB bridge passes ATA commands: the drive's own identity"),
    "block-size-assumed": N_("sector size not published by the kernel: 512 bytes assumed"),
    "intel-raid-mode-may-hide-nvme": N_("Intel RAID/VMD mode: NVMe drives may be hidden, set AHCI in the BIOS"),
}
# Hints that are good news: shown in the details, not marked on the row.
QUIET_HINTS = frozenset({"usb-bridge-passthrough"})
# SerialInfo.doubts and SerialSource values, in words.
DOUBT_WORDS = {
    "all-zeros": N_("all zeros"), "repeated-character": N_("one repeated character"),
    "mostly-zeros": N_("mostly zeros"), "placeholder": N_("firmware placeholder"), "too-short": N_("too short"),
    "bridge-serial": N_("the USB enclosure's serial"), "duplicate": N_("same serial on another drive"),
}
SOURCE_WORDS = {
    "drive-identify": N_("the drive itself"), "udev": N_("the kernel"), "usb-bridge": N_("the USB enclosure"),
    "technician": N_("typed by the technician"), "none": N_("none"),
}


@dataclass
class RackRow:
    disk: Disk
    health: str | None = None  # None while SMART is being read
    progress: Progress | None = None
    outcome: Outcome | None = None
    selected: bool = False
    removed: bool = False  # pulled while a job ran: kept on screen as FAILED
    failure: str | None = None  # why the job failed, when known before its outcome arrives
    interrupted: EraseJob | None = None  # a job on this drive stopped by a power loss or crash, not yet restarted
    elsewhere: Holder | None = None  # another process (a CLI beside the TUI) is erasing this drive now
    refused: RefusedDrive | None = None  # in the machine, but the kernel refused it: no block device, shown only

    @property
    def devnode(self) -> str:
        return self.disk.devnode

    @property
    def running(self) -> bool:
        return self.outcome is None and self.failure is None and self.progress is not None \
            and not self.progress.state.final

    @property
    def busy(self) -> bool:
        """A job is planned or running on this drive: it cannot be selected again."""
        return self.running or (self.progress is not None and self.outcome is None and self.failure is None)

    @property
    def selectable(self) -> bool:
        return not self.disk.protected and not self.busy and not self.removed and self.elsewhere is None \
            and self.refused is None


@dataclass
class Rack:
    rows: dict[str, RackRow] = field(default_factory=dict)

    def ordered(self) -> list[RackRow]:
        return sorted(self.rows.values(), key=lambda r: (r.disk.bay or "~", r.devnode))

    def selected(self) -> list[RackRow]:
        return [r for r in self.ordered() if r.selected and r.selectable]

    def selectable(self) -> list[RackRow]:
        return [r for r in self.ordered() if r.selectable]


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = max(0, min(width, int(fraction * width + 1e-9)))
    return "#" * filled + "-" * (width - filled)


def speed(rate: float) -> str:
    mb = rate / 1e6
    if mb >= 1000:
        return f"{mb / 1000:.1f}G"
    return f"{mb:.0f}M"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def phase_label(p: Progress) -> str:
    if p.phase is Phase.WRITING:
        return _("W{n}/{count}").format(n=p.pass_index + 1, count=p.pass_count)
    return {
        Phase.PREPARING: _("prep"),
        Phase.FLUSHING: _("sync"),
        Phase.SANITIZING: _("PRG"),
        Phase.VERIFYING: _("VER"),
        Phase.DONE: _("end"),
    }[p.phase]


def result_label(state: JobState) -> str:
    return {
        JobState.ERASED: _("ERASED"),
        JobState.FAILED: _("FAILED"),
        JobState.CANCELLED: _("CANCELLED"),
        JobState.INTERRUPTED: _("INTERRUPTED"),
        JobState.PLANNED: _("planned"),
        JobState.RUNNING: _("running"),
    }[state]


def status_cell(row: RackRow) -> str:
    """What the drive is doing, or how it ended, in at most 25 characters."""
    if row.refused is not None:
        return _("REFUSED by the kernel")
    if row.outcome is not None:
        job = row.outcome.job
        label = _("ERASED") if job.erased else result_label(job.state if job.state.final else JobState.FAILED)
        if not job.erased:
            label += " " + failure_tag(row)
        if row.outcome.error:
            label += " " + _("no cert")
        return label
    if row.failure is not None:
        return _("FAILED") + " " + row.failure[:16]
    if row.disk.protected:
        return _("LOCKED")
    p = row.progress
    if p is None and row.elsewhere is not None:
        return _("BUSY") + " " + _("pid {pid}").format(pid=row.elsewhere.pid or "?")
    if p is None and row.interrupted is not None:
        return _("INTERRUPTED") + " " + _("(r: restart)")
    if p is None:
        return _("ready")
    return f"{phase_label(p)} {bar(p.fraction)} {p.fraction * 100:3.0f}% {speed(p.rate)} {duration(p.eta_s)}"


def failure_tag(row: RackRow) -> str:
    """A word on why a job did not erase, for the row; the detail line has the whole reason."""
    job = row.outcome.job if row.outcome else None
    if row.removed:
        return _("removed")
    if job is None:
        return ""
    if job.errors:
        return _("I/O errors")
    if job.verification is not None and not job.verification.passed and job.state is JobState.FAILED:
        return _("verify")
    return ""


def health_cell(health: str | None) -> str:
    if health is None:
        return "..."
    return {"ok": _("ok"), "warning": _("warn"), "failing": _("FAIL"), "unknown": "?"}.get(health, "?")


def serial_cell(disk: Disk, width: int = 10) -> str:
    """The serial, marked with a trailing '?' that survives truncation when its provenance is doubtful."""
    value = disk.serial.value or _("none")
    return value if disk.serial.trusted else value[:width - 1] + "?"


def model_cell(disk: Disk) -> str:
    return disk.model or disk.vendor or disk.kind.value


def size_cell(disk: Disk) -> str:
    """Decimal size in at most 5 characters: 67.1M, 500G, 1.00T."""
    value = float(disk.size_bytes)
    for unit in ("B", "k", "M", "G", "T", "P"):
        if value < 999.5 or unit == "P":
            break
        value /= 1000
    if unit == "B":
        return f"{int(value)}B"
    return f"{value:.3g}{unit}" if value >= 1 else f"{value:.2f}{unit}"


def refused_row(drive: RefusedDrive) -> RackRow:
    """A row for a drive without a block device: named by its PCI address, never selectable."""
    disk = Disk(name=drive.address, devnode=f"pci:{drive.address}", kind=DiskKind.NVME, bus="nvme", size_bytes=0,
                serial=SerialInfo(None, SerialSource.NONE, ("empty",)),
                model=f"NVMe {drive.vendor_device}" if drive.vendor_device else "NVMe")
    return RackRow(disk, health="unknown", refused=drive)


def hint_text(code: str) -> str:
    """A detection hint in the current language; an unknown code (a newer detector) is shown as is."""
    words = HINT_WORDS.get(code)
    return _(words) if words else code


def flagged_hints(disk: Disk) -> list[str]:
    return [h for h in disk.hints if h not in QUIET_HINTS]


def hint_lines(disk: Disk) -> list[str]:
    """Warnings first: with a few lines of room, the one to act on must not be cut."""
    ordered = [*flagged_hints(disk), *(h for h in disk.hints if h in QUIET_HINTS)]
    return ["! " + hint_text(h) for h in ordered]


def serial_line(disk: Disk) -> str:
    serial = disk.serial.value or _("unknown")
    origin = SOURCE_WORDS.get(disk.serial.source.value)
    source = _("source: {source}").format(source=_(origin) if origin else disk.serial.source.value)
    words = [_(DOUBT_WORDS[d]) if d in DOUBT_WORDS else d for d in disk.serial.doubts]
    doubts = (" - " + _("doubtful: {doubts}").format(doubts=", ".join(words))) if words else ""
    return _("Serial: {serial}").format(serial=serial) + f" ({source}){doubts}"


def detail_lines(row: RackRow) -> list[str]:
    """The highlighted drive in full: identity, serial provenance, why it is locked or failed, detection hints."""
    d = row.disk
    if row.refused is not None:
        advice = row.refused.advice()
        return [f"{d.devnode}  {d.identity}", row.refused.notice().translated(),
                *([advice.translated()] if advice else [])]
    lines = [f"{d.devnode}  {d.identity}  {d.kind.value}/{d.bus}  {human_size(d.size_bytes)}", serial_line(d)]
    if d.protected:
        reasons = "; ".join(p.translated() for p in d.protections)
        lines.append(_("Locked, never written: {reasons}").format(reasons=reasons))
    elif row.outcome is not None:
        job = row.outcome.job
        if job.erased:
            lines.append(_("Erased and verified."))
        else:
            lines.append(_("Not erased: {why}").format(why=job.failure_text() or job.state.value))
        if row.outcome.certificate is not None:
            lines.append(_("Record: {path}").format(path=row.outcome.pdf or row.outcome.certificate))
        if row.outcome.error:
            lines.append(row.outcome.error)
    elif row.failure is not None:
        lines.append(_("Not erased: {why}").format(why=row.failure))
    elif row.progress is None and row.elsewhere is not None:
        lines.append(row.elsewhere.notice().translated())
    elif row.progress is not None:
        p = row.progress
        lines.append(_("{phase}: {done} of {total} at {rate}/s, {eta} left").format(
            phase=phase_label(p), done=human_size(p.bytes_done), total=human_size(p.bytes_total),
            rate=human_size(int(p.rate)), eta=duration(p.eta_s)))
    elif row.interrupted is not None:
        job = row.interrupted
        lines.append(_("Erase {job} ({method}) was interrupted: not erased. Press r to restart it.").format(
            job=job.job_id, method=job.method))
    return lines + hint_lines(d)
