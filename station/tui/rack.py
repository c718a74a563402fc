"""The rack's state, one row per drive, and how each row reads in 80 columns of plain text.

Kept apart from the widgets so the formatting (progress bar, speed, ETA, verdicts) is plain
functions of plain data: ASCII glyphs only, because the station runs on the Linux console.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from station.disk import Disk
from station.erase import Progress
from station.i18n import _
from station.jobs import JobState, Phase
from station.plan import human_size
from station.session import Outcome

BAR_WIDTH = 6


@dataclass
class RackRow:
    disk: Disk
    health: str | None = None  # None while SMART is being read
    progress: Progress | None = None
    outcome: Outcome | None = None
    selected: bool = False
    removed: bool = False  # pulled while a job ran: kept on screen as FAILED
    failure: str | None = None  # why the job failed, when known before its outcome arrives

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
        return not self.disk.protected and not self.busy and not self.removed


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


def identity(disk: Disk) -> str:
    """Vendor and model, without the vendor twice when the model already starts with it."""
    model, vendor = disk.model or "", disk.vendor or ""
    if vendor and model.upper().startswith(vendor.upper()):
        vendor = ""
    return " ".join(x for x in (vendor, model) if x) or disk.kind.value


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


def detail_lines(row: RackRow) -> list[str]:
    """The highlighted drive in full: identity, serial provenance, and why it is locked or failed."""
    d = row.disk
    lines = [f"{d.devnode}  {identity(d)}  {d.kind.value}/{d.bus}  {human_size(d.size_bytes)}"]
    serial = d.serial.value or _("unknown")
    source = _("source: {source}").format(source=d.serial.source.value)
    doubts = (" - " + _("doubtful: {doubts}").format(doubts=", ".join(d.serial.doubts))) if d.serial.doubts else ""
    lines.append(_("Serial: {serial}").format(serial=serial) + f" ({source}){doubts}")
    if d.protected:
        reasons = "; ".join(p.message() for p in d.protections)
        lines.append(_("Locked, never written: {reasons}").format(reasons=reasons))
    elif row.outcome is not None:
        job = row.outcome.job
        if job.erased:
            lines.append(_("Erased and verified."))
        else:
            lines.append(_("Not erased: {why}").format(why=job.failure or job.state.value))
        if row.outcome.certificate is not None:
            lines.append(_("Record: {path}").format(path=row.outcome.pdf or row.outcome.certificate))
        if row.outcome.error:
            lines.append(row.outcome.error)
    elif row.failure is not None:
        lines.append(_("Not erased: {why}").format(why=row.failure))
    elif row.progress is not None:
        p = row.progress
        lines.append(_("{phase}: {done} of {total} at {rate}/s, {eta} left").format(
            phase=phase_label(p), done=human_size(p.bytes_done), total=human_size(p.bytes_total),
            rate=human_size(int(p.rate)), eta=duration(p.eta_s)))
    return lines
