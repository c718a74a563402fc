"""`station wipe TARGET...`: plan, confirm, erase in parallel with live progress, certify."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any, TextIO

from station.commands.common import datadir_from_args, error_text, host_from_args
from station.detect import hotplug
from station.detect.hotplug import HotplugMonitor
from station.erase.blockio import open_target, throttled_opener
from station.erase.engine import Progress
from station.erase.jobs import JobState, Phase
from station.erase.plan import Execution
from station.hw import Host
from station.i18n import N_, _, ngettext
from station.notes import Note
from station.session import Outcome, Session

# job states and phases in words (translated where shown; JSON keeps the values)
STATE_WORDS = {JobState.PLANNED: N_("planned"), JobState.RUNNING: N_("running"), JobState.ERASED: N_("erased"),
               JobState.FAILED: N_("failed"), JobState.CANCELLED: N_("cancelled"),
               JobState.INTERRUPTED: N_("interrupted")}
PHASE_WORDS = {Phase.PREPARING: N_("preparing"), Phase.FLUSHING: N_("flushing"), Phase.SANITIZING: N_("sanitizing"),
               Phase.VERIFYING: N_("verifying"), Phase.DONE: N_("done")}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("wipe", help="erase drives or files (NIST SP 800-88), verify, and certify")
    p.add_argument("targets", nargs="+", metavar="TARGET", help="block device (/dev/sdX) or plain file")
    p.add_argument("--method", default="zero",
                   help="zero | random | random+zero (Clear by overwrite), or purge / a named Purge technique")
    p.add_argument("--verify", default="full", help="full | sample:P (NIST quick sampling of P percent)")
    p.add_argument("--rounds", type=int, default=1, help="repeat the overwrite passes N times (default 1, as NIST)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation (non-interactive use)")
    p.add_argument("--dry-run", action="store_true", help="print the plan and touch nothing")
    p.add_argument("--json", action="store_true", help="print one JSON result per target on stdout")
    p.add_argument("--throttle", type=float, metavar="MB/S", help="cap each target's throughput (demo, tests)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    host = host_from_args(args)
    opener = throttled_opener(args.throttle * 1e6) if args.throttle else open_target
    session = Session(datadir_from_args(args), host=host, opener=opener, lang=args.lang)
    if session.bay_problem:
        print("station: " + _("{error} (bays ignored)").format(error=session.bay_problem), file=sys.stderr)
    try:
        disks = session.resolve(args.targets)
        plan = session.plan(disks, args.method, args.verify, args.rounds)
    except (ValueError, ImportError) as exc:
        print(f"station wipe: {error_text(exc)}", file=sys.stderr)
        return 2
    print(plan.describe(), file=sys.stderr)
    if not plan.runnable:
        print(_("Nothing to erase: every target was refused."), file=sys.stderr)
        return 2
    if args.dry_run:
        return 0 if not plan.refused else 1
    if not args.yes and not confirm(len(plan.runnable)):
        print(_("Not confirmed: nothing was written."), file=sys.stderr)
        return 2
    display = ProgressDisplay(sys.stderr)
    execution = session.start(plan, on_progress=display.update)
    monitor = watch_removals(host, execution, [a.target for a in plan.runnable])
    try:
        jobs = execution.wait()
    except KeyboardInterrupt:
        execution.cancel_all(Note.of("erase.cancelled-by-operator"))
        jobs = execution.wait()
    finally:
        if monitor is not None:
            monitor.stop()
    display.close()
    outcomes = [session.outcomes[j.job_id] for j in jobs]
    for outcome in outcomes:
        print(line_for(outcome), file=sys.stderr)
        if args.json:
            print(json.dumps(result_dict(outcome), sort_keys=True))
    for action in plan.refused:
        if args.json:
            print(json.dumps({"target": action.target, "state": "refused", "erased": False,
                              "failure": action.refusal}, sort_keys=True))
    ok = all(o.job.erased for o in outcomes) and not plan.refused
    return 0 if ok else 1


def watch_removals(host: Host, execution: Execution, targets: list[str]) -> HotplugMonitor | None:
    """A drive pulled mid-job fails that job at once, even while no I/O is in flight (a drive command)."""
    if not host.is_live or not any(t.startswith("/dev/") for t in targets) or not hotplug.udev_running(host):
        return None
    monitor = HotplugMonitor(host, include_loops=True, identify=False)
    try:
        monitor.start()
    except OSError:
        return None

    def on_event(event: hotplug.HotplugEvent) -> None:
        if isinstance(event, hotplug.DiskRemoved) and event.devnode:
            execution.abort_device(event.devnode, Note.of("erase.drive-removed", devnode=event.devnode))

    monitor.run_in_thread(on_event)
    return monitor


def confirm(count: int) -> bool:
    """The technician types the number of targets (digits in every language); anything else erases nothing."""
    if not sys.stdin.isatty():
        print(_("Refusing to erase without confirmation: no terminal to ask on (use --yes)."), file=sys.stderr)
        return False
    answer = input(ngettext("All data on this target will be destroyed. Type {n} to confirm: ",
                            "All data on these {n} targets will be destroyed. Type {n} to confirm: ", count)
                   .format(n=count))
    return answer.strip() == str(count)


def state_word(state: JobState) -> str:
    return _(STATE_WORDS.get(state, state.value))


def line_for(outcome: Outcome) -> str:
    """One result line; the job's failure text is evidence, shown as recorded."""
    job = outcome.job
    verdict = _("ERASED and verified") if job.erased else f"{state_word(job.state).upper()}: {job.failure_text()}"
    where = f" -> {outcome.certificate}" if outcome.certificate else ""
    if outcome.error:
        where = " " + _("(no certificate: {error})").format(error=outcome.error)
    return f"{job.target}: {verdict}{where}"


def result_dict(outcome: Outcome) -> dict[str, Any]:
    job = outcome.job
    data = job.to_dict()
    data["erased"] = job.erased
    data["serial"] = job.disk.serial.value if job.disk else None
    data["certificate"] = str(outcome.certificate) if outcome.certificate else None
    data["pdf"] = str(outcome.pdf) if outcome.pdf else None
    data["certificate_error"] = outcome.error
    data.pop("disk", None)
    return data


class ProgressDisplay:
    """Live progress on stderr: a redrawn block on a terminal, a line per phase and 10 % otherwise."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = stream.isatty()
        self.latest: dict[str, Progress] = {}
        self.logged: dict[str, tuple[str, int]] = {}
        self.lock = threading.Lock()
        self.drawn = 0
        self.last_draw = 0.0

    def update(self, progress: Progress) -> None:
        with self.lock:
            self.latest[progress.target] = progress
            if self.tty:
                now = time.monotonic()
                if now - self.last_draw >= 0.25 or progress.state is not JobState.RUNNING:
                    self._redraw()
                    self.last_draw = now
                return
            key = (progress.phase.value, int(progress.fraction * 10))
            if self.logged.get(progress.target) != key:
                self.logged[progress.target] = key
                print(self._line(progress), file=self.stream, flush=True)

    def _line(self, p: Progress) -> str:
        step = (_("pass {index}/{count}").format(index=p.pass_index + 1, count=p.pass_count)
                if p.phase is Phase.WRITING else _(PHASE_WORDS.get(p.phase, p.phase.value)))
        eta = " " + _("ETA {seconds}s").format(seconds=int(p.eta_s)) if p.eta_s is not None else ""
        return f"{p.target}: {step} {p.fraction * 100:5.1f}% {p.rate / 1e6:8.1f} MB/s{eta}"

    def _redraw(self) -> None:
        if self.drawn:
            self.stream.write(f"\x1b[{self.drawn}F")
        lines = [self._line(p) for p in self.latest.values()]
        for line in lines:
            self.stream.write("\x1b[2K" + line + "\n")
        self.drawn = len(lines)
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            with self.lock:
                self._redraw()
