"""The technician's TUI: renders the rack and dispatches keys; every action goes through the library.

Engine callbacks and hot-plug events arrive on worker threads; they are only queued here
(`JobFeed`) and applied on the event loop by a short timer, so the interface never blocks and a
burst of progress from eight drives costs one redraw per tick, not one per chunk.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.screen import Screen
from textual.scrollbar import ScrollBarRender

from station import i18n
from station.detect.disk import Disk
from station.detect.drivelock import Holder
from station.detect.drives import HostHint
from station.detect.hotplug import DiskAdded, DiskRemoved
from station.detect.refused import RefusedDrive
from station.erase.engine import Progress
from station.erase.jobs import EraseJob, JobState, Phase
from station.erase.plan import ErasePlan, Execution
from station.hw import Host
from station.i18n import _
from station.inventory import dmi
from station.notes import Note
from station.session import Outcome, Session
from station.store import config
from station.tui.face import StationFace, StationScreen
from station.tui.rack import Rack, RackRow, refused_row
from station.tui.screens.rack_screen import RackScreen
from station.tui.source import DriveEvent, DriveSource
from station.tui.widgets import MessageLine

log = logging.getLogger(__name__)

TICK_S = 0.2
BUSY_POLL_S = 2.0  # how often drives erased by another process (a CLI beside the TUI) are looked for
REFUSED_POLL_S = 10.0  # how often the kernel log is read again for drives it refused (a hot-plugged twin)
REMOVED = "removed"  # the row's word for a drive pulled mid-job (the engine records erase.drive-removed)


@dataclass(frozen=True)
class Started:
    """Marks the end of the initial drives in the event stream."""


@dataclass
class FeedBatch:
    progress: dict[str, Progress] = field(default_factory=dict)
    finished: list[Outcome] = field(default_factory=list)
    events: list[DriveEvent | Started] = field(default_factory=list)
    healths: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.progress or self.finished or self.events or self.healths)


class JobFeed:
    """Thread-safe inbox between the worker threads and the event loop; keeps only the latest progress."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._batch = FeedBatch()

    def on_progress(self, progress: Progress) -> None:
        with self._lock:
            self._batch.progress[progress.target] = progress

    def on_finished(self, outcome: Outcome) -> None:
        with self._lock:
            self._batch.finished.append(outcome)

    def on_event(self, event: DriveEvent | Started) -> None:
        with self._lock:
            self._batch.events.append(event)

    def on_health(self, devnode: str, health: str) -> None:
        with self._lock:
            self._batch.healths[devnode] = health

    def drain(self) -> FeedBatch:
        with self._lock:
            batch, self._batch = self._batch, FeedBatch()
        return batch


class StationApp(App[int]):
    """Rack view at home; plan, certificates, settings and host audit one key away."""

    TITLE = "Station"
    SCREENS: ClassVar[dict[str, Callable[[], Screen[Any]]]] = {"rack": RackScreen}  # the home screen, kept
    CSS = """
    Screen { background: $background; }
    .title { height: 1; background: $primary; color: $text; text-style: bold; }
    Input, Input:focus { height: 1; border: none; padding: 0 1; background: $boost; }
    """

    @staticmethod
    def console_safe_scrollbars() -> None:
        """The Linux console's fonts lack the eighth-block glyphs Textual draws scrollbar ends with:
        draw them as plain coloured cells instead."""
        ScrollBarRender.VERTICAL_BARS = [" "] * len(ScrollBarRender.VERTICAL_BARS)
        ScrollBarRender.HORIZONTAL_BARS = [" "] * len(ScrollBarRender.HORIZONTAL_BARS)

    def __init__(self, session: Session, source: DriveSource, settings: config.Settings | None = None,
                 language: str | None = None, audit_host: Host | None = None,
                 tick: float = TICK_S, storage_warning: str | None = None, busy_poll: float = BUSY_POLL_S,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__()
        self.console_safe_scrollbars()
        self.session = session
        self.source = source
        self.settings = settings if settings is not None else config.load(session.datadir)
        i18n.set_language(language or i18n.choose_language(None, self.settings.language))
        self.audit_host = audit_host or session.host  # the demo audits the laptop it runs on, read-only
        self.tick = tick
        self.busy_poll = busy_poll
        self._polling_busy = False
        self.storage_warning = storage_warning  # the data partition is missing, read-only or full
        self.clock = clock  # "today" on the certificates screen; tests fix it
        self.host_hints: list[HostHint] = []  # e.g. NVMe hidden by a RAID-mode controller: on the title line
        self.interrupted: list[EraseJob] = []  # jobs a power loss or crash stopped, offered for restart
        self.rack = Rack()
        self.feed = JobFeed()
        self.executions: dict[str, Execution] = {}
        self.outcomes: list[Outcome] = []
        self.started = False
        self.version = 0  # bumped whenever the set of rows changes, so tables know to rebuild

    # lifecycle
    def on_mount(self) -> None:
        self.push_screen("rack")
        self.run_worker(self._load_initial, thread=True, name="initial drives")
        self.set_interval(self.tick, self.apply_feed, name="feed")
        self.set_interval(self.busy_poll, self.poll_busy, name="busy elsewhere")
        self.set_interval(REFUSED_POLL_S, self.poll_refused, name="refused by the kernel")

    def _offer_laptop_bench(self) -> None:
        """On a laptop (DMI chassis type from sysfs: no dmidecode run), say that b opens the guided flow."""
        try:
            laptop = dmi.read(self.audit_host, run_dmidecode=False).form_factor == "laptop"
        except Exception:  # advice only: never stops the rack
            log.exception("reading the chassis type failed")
            return
        if laptop:
            self.call_from_thread(self.say, _("This machine is a laptop: press b for the laptop bench "
                                              "(tests, grade, erase, verdict, label)."))

    def _load_initial(self) -> None:
        try:
            interrupted = self.session.restartable()
        except Exception as exc:  # an unreadable journal must be visible, not a crash
            log.exception("reading the job journal failed")
            self.call_from_thread(self.say, _("Could not read the job journal: {error}").format(error=exc))
            interrupted = []
        self.call_from_thread(self._show_interrupted, interrupted)
        try:
            disks = self.source.initial()
        except Exception as exc:  # a broken detection must be visible, not a crash
            log.exception("drive detection failed")
            self.call_from_thread(self.say, _("Drive detection failed: {error}").format(error=exc))
            disks = []
        try:
            hints = self.source.host_hints(disks)
        except Exception:  # a hint is advice: its failure must not stop the rack
            log.exception("host hints failed")
            hints = []
        if hints:
            self.call_from_thread(self._show_host_hints, hints)
        self._offer_laptop_bench()
        for disk in disks:
            self.feed.on_event(DiskAdded(disk))
        self._read_refused()
        self.feed.on_event(Started())
        self.source.start(self.feed.on_event)

    def _show_interrupted(self, jobs: list[EraseJob]) -> None:
        self.interrupted = jobs
        self.mark_interrupted()
        if jobs:
            self.say(_("{n} erase(s) were interrupted (power loss or crash): select the drive and press r.")
                     .format(n=len(jobs)))
        self.refresh_views()

    def mark_interrupted(self) -> None:
        """Put each interrupted job on the row of the drive the session finds for it (by every identity it
        recorded, not its old device name); a job no drive can be taken for stays on the row at its old
        name, where r shows why the restart is refused."""
        rows = self.rack.rows
        marks: dict[str, EraseJob] = {}
        disks = [r.disk for r in rows.values() if r.refused is None]
        for job in self.interrupted:  # oldest first: the newest job on a drive wins
            match = self.session.restart_match(job, disks)
            devnode = match.disk.devnode if match.disk is not None else job.target
            if devnode in rows:
                marks[devnode] = job
        for devnode, row in rows.items():
            row.interrupted = marks.get(devnode)

    def _show_host_hints(self, hints: list[HostHint]) -> None:
        self.host_hints = hints
        self.refresh_views()

    def on_unmount(self) -> None:
        self.source.stop()

    # the feed, applied on the event loop
    def apply_feed(self) -> None:
        batch = self.feed.drain()
        if not batch:
            return
        rows = self.rack.rows
        for event in batch.events:
            self._apply_event(event)
        for devnode, health in batch.healths.items():
            if devnode in rows:
                rows[devnode].health = health
        for devnode, progress in batch.progress.items():
            row = rows.get(devnode)
            if row is not None and row.outcome is None:
                row.progress = progress
        for outcome in batch.finished:
            self.outcomes.append(outcome)
            row = rows.get(outcome.job.target)
            if row is not None:
                row.outcome = outcome
            self.executions.pop(outcome.job.target, None)
        self.refresh_views()

    def _apply_event(self, event: DriveEvent | Started) -> None:
        rows = self.rack.rows
        if isinstance(event, Started):
            self.started = True  # the initial drives are in: later additions are hot-plugged
            return
        if isinstance(event, DiskRemoved):
            if event.devnode is None:
                return
            row = rows.get(event.devnode)
            execution = self.executions.get(event.devnode)
            if execution is not None:
                execution.abort_device(event.devnode, Note.of("erase.drive-removed", devnode=event.devnode))
            if row is None:
                return
            if row.busy:
                row.removed, row.failure, row.selected = True, _(REMOVED), False
                self.say(_("{devnode} was removed during its erase: FAILED").format(devnode=event.devnode))
            else:
                del rows[event.devnode]
                self.version += 1
                if self.interrupted:
                    self.mark_interrupted()
            return
        disk = event.disk
        current = rows.get(disk.devnode)
        if current is not None and current.busy and not current.removed:
            current.disk = disk  # a change event on a drive being erased: keep its job on screen
            return
        rows[disk.devnode] = RackRow(disk)
        if self.interrupted:
            self.mark_interrupted()  # a drive came: a job may be its, or no longer tell two drives apart
        self.version += 1
        if isinstance(event, DiskAdded) and current is None and self.started:
            self.say(_("New drive: {devnode}").format(devnode=disk.devnode))
        self.run_worker(lambda d=disk: self._read_health(d), thread=True, name=f"health {disk.devnode}")

    def _read_health(self, disk: Disk) -> None:
        try:
            health = self.source.health(disk)
        except Exception:  # SMART is advisory on the rack: unknown, never a crash
            log.exception("SMART read failed for %s", disk.devnode)
            health = "unknown"
        self.feed.on_health(disk.devnode, health)

    def poll_refused(self) -> None:
        self.run_worker(self._read_refused, thread=True, name="refused by the kernel")

    def _read_refused(self) -> None:
        """Runs on a worker thread: the kernel log may be long."""
        try:
            drives = self.source.refused_drives()
        except Exception:  # advice for the screen: a failure to read it must not stop the rack
            log.exception("reading the kernel's refused drives failed")
            return
        self.call_from_thread(self._apply_refused, drives)

    def _apply_refused(self, drives: list[RefusedDrive]) -> None:
        """Rows for drives the kernel refused (shown, never selectable); rows of those since gone are dropped."""
        rows = self.rack.rows
        wanted = {row.devnode: row for row in map(refused_row, drives)}
        stale = [k for k, r in rows.items() if r.refused is not None and k not in wanted]
        fresh = [k for k in wanted if k not in rows or rows[k].refused != wanted[k].refused]
        for key in stale:
            del rows[key]
        for key in fresh:
            rows[key] = wanted[key]
        if stale or fresh:
            self.version += 1
            self.refresh_views()

    def poll_busy(self) -> None:
        """Ask the session, off the event loop, which drives another process is erasing now."""
        if self._polling_busy or not self.rack.rows:
            return
        self._polling_busy = True
        disks = [row.disk for row in self.rack.rows.values() if row.refused is None]

        def work() -> None:
            try:
                found = self.session.busy_elsewhere(disks)
            except Exception:  # the lock table is advice for the screen; the engine takes the lock itself
                log.exception("reading drive locks failed")
                found = {}
            self.call_from_thread(self._apply_busy, found)

        self.run_worker(work, thread=True, name="busy elsewhere")

    def _apply_busy(self, found: dict[str, Holder]) -> None:
        self._polling_busy = False
        changed = False
        for devnode, row in self.rack.rows.items():
            holder = found.get(devnode)
            if holder != row.elsewhere:
                row.elsewhere, changed = holder, True
                if holder is not None:
                    row.selected = False
        if changed:
            self.refresh_views()

    def refresh_views(self) -> None:
        if isinstance(self.screen, StationScreen):
            self.screen.refresh_rack()

    def say(self, text: str) -> None:
        for line in self.screen.query(MessageLine):
            line.say(text)

    # actions the screens dispatch
    def start_plan(self, plan: ErasePlan, restart_of: EraseJob | None = None) -> None:
        """Mark the drives busy now, then start the execution off the event loop.

        `restart_of`: the plan runs an interrupted job again (Session.start_restart links the new job to it).
        """
        for action in plan.runnable:
            row = self.rack.rows.get(action.target)
            if row is not None:
                row.selected, row.outcome, row.failure, row.removed = False, None, None, False
                row.interrupted = None
                row.progress = Progress("", action.target, JobState.PLANNED, Phase.PREPARING, 0,
                                        len(action.passes), 0, action.disk.size_bytes, 0.0, None)
        if restart_of is not None:
            self.interrupted = [j for j in self.interrupted if j.job_id != restart_of.job_id]
        self.refresh_views()
        self.run_worker(lambda: self._start(plan, restart_of), thread=True, name="start erase")

    def _start(self, plan: ErasePlan, restart_of: EraseJob | None = None) -> None:
        try:
            if restart_of is not None:
                execution = self.session.start_restart(restart_of, plan, on_progress=self.feed.on_progress,
                                                       on_finished=self.feed.on_finished)
            else:
                execution = self.session.start(plan, on_progress=self.feed.on_progress,
                                               on_finished=self.feed.on_finished)
        except Exception as exc:
            log.exception("could not start the erase")
            message = _("Could not start: {error}").format(error=exc)
            self.call_from_thread(self._start_failed, plan, message)
            return
        self.call_from_thread(self._started, plan, execution)

    def _started(self, plan: ErasePlan, execution: Execution) -> None:
        for action in plan.runnable:
            self.executions[action.target] = execution
            row = self.rack.rows.get(action.target)
            if row is not None and row.removed:
                execution.abort_device(action.target, Note.of("erase.drive-removed", devnode=action.target))

    def _start_failed(self, plan: ErasePlan, message: str) -> None:
        for action in plan.runnable:
            row = self.rack.rows.get(action.target)
            if row is not None:
                row.progress, row.failure = None, message
        self.say(message)
        self.refresh_views()

    def stop_job(self, devnode: str) -> bool:
        execution = self.executions.get(devnode)
        return execution is not None and execution.cancel(devnode)

    def running_count(self) -> int:
        return sum(1 for r in self.rack.rows.values() if r.busy)

    def cancel_all(self) -> None:
        for execution in list(self.executions.values()):
            execution.cancel_all()  # idempotent: an execution shared by several drives is cancelled twice

    def set_language(self, lang: str) -> None:
        i18n.set_language(lang)
        self.settings = replace(self.settings, language=lang)
        self.run_worker(lambda s=self.settings: self.save_settings(s), thread=True, name="save language")
        for screen in self.screen_stack:
            if isinstance(screen, StationScreen):
                screen.retranslate()

    def save_settings(self, settings: config.Settings) -> None:
        """Runs on a worker thread: the data directory may be a slow USB key."""
        try:
            config.save(self.session.datadir, settings)
        except OSError as exc:
            self.call_from_thread(self.say, _("Could not save the settings: {error}").format(error=exc))


if TYPE_CHECKING:  # mypy checks here that the app offers everything the screens ask of it
    _FACE: type[StationFace] = StationApp
