"""The guided laptop flow: audit -> function tests -> cosmetic grade -> erase the internal drives ->
certificates -> verdict -> label, one step after the other, each skippable with a reason.

This object is the flow's logic; the TUI's laptop screen only renders `steps` and dispatches keys to
it, and `station laptop` drives the same object from the command line, so a whole laptop can be
processed and tested without a terminal. Nothing is erased here without a plan the caller got from
`erase_plan()` and handed back to `erase()`: the confirmation stays the caller's (the plan screen in
the TUI, --yes on the command line).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from station.certify import keys, label
from station.detect.disk import Disk
from station.detect.drives import detect_disks
from station.erase.jobs import JobState
from station.erase.plan import ErasePlan
from station.functest import battery_run, camera, radios
from station.functest.bench import Bench
from station.functest.grade import Grade
from station.functest.result import FUNCTIONS, FunctionResult, skipped
from station.hw import Host
from station.inventory import record as audit
from station.inventory import thresholds
from station.inventory.machine import Inventory, collect
from station.inventory.verdict import Checklist, Verdict, decide
from station.session import Outcome, Session
from station.store import atomic, config, outbox
from station.store.datadir import DataDir

STEPS = ("audit", "functions", "grade", "erase", "certificates", "verdict", "label")
# need the technician, in the order the flow runs them (the TUI opens one screen after the other)
INTERACTIVE = ("keyboard", "display", "pointer", "audio", "usb", "battery")
AUTOMATIC = ("camera", "ethernet", "wifi", "bluetooth")  # measured without anyone


class FlowError(RuntimeError):
    """A step asked out of order (e.g. the verdict before the audit)."""


ERASE_METHOD = "purge"  # the laptop flow's erase, CLI and TUI alike: the best Purge each drive offers, else Clear

@dataclass
class Step:
    name: str
    status: str = "pending"  # pending, done, skipped, failed
    note: str = ""  # the reason of a skip, or what the step produced


@dataclass
class LaptopFlow:
    host: Host
    datadir: DataDir
    tester: str | None = None
    layout: str = "azerty-fr"
    lang: str = "fr"
    session: Session | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC).replace(microsecond=0))
    steps: dict[str, Step] = field(default_factory=lambda: {name: Step(name) for name in STEPS})
    inventory: Inventory | None = None
    bench: Bench = field(default_factory=Bench)
    outcomes: list[Outcome] = field(default_factory=list)
    verdict: Verdict | None = None
    record_path: Path | None = None
    label_path: Path | None = None
    keys_pressed: int = 0  # keys the technician pressed in the flow (the TUI counts them)
    battery_seconds: float = battery_run.RUN_SECONDS  # the timed discharge run, charger pulled
    monotonic: Callable[[], float] = time.monotonic  # what timed runs measure with (a test's clock advances fast)

    def __post_init__(self) -> None:
        self.bench = replace(self.bench, layout=self.layout)

    # --- progress ---------------------------------------------------------------------------

    @property
    def current(self) -> str | None:
        """The first step neither done nor skipped."""
        return next((s.name for s in self.steps.values() if s.status in ("pending", "failed")), None)

    @property
    def finished(self) -> bool:
        return self.current is None

    def progress(self) -> list[Step]:
        return list(self.steps.values())

    def skip(self, step: str, reason: str) -> None:
        if step not in self.steps:
            raise FlowError(f"unknown step {step!r}; steps: {', '.join(STEPS)}")
        if not reason.strip():
            raise FlowError(f"skipping {step} needs a reason")
        self.steps[step].status, self.steps[step].note = "skipped", reason.strip()

    def _done(self, step: str, note: str, status: str = "done") -> None:
        self.steps[step].status, self.steps[step].note = status, note

    # --- audit -------------------------------------------------------------------------------

    def audit(self, disks: Sequence[Disk] | None = None) -> Inventory:
        self.inventory = collect(self.host, disks)
        info = self.inventory.dmi
        self._done("audit", f"{info.model_name or '?'} ({info.form_factor})")
        return self.inventory

    # --- function tests ------------------------------------------------------------------------

    def record(self, result: FunctionResult) -> None:
        """A test's result (run again: the new one replaces the old)."""
        self.bench = self.bench.with_result(result)

    def run_automatic(self) -> list[FunctionResult]:
        """The tests that need nobody: camera frame, Ethernet link, Wi-Fi and Bluetooth adapters."""
        results = [camera.camera(self.host), radios.ethernet(self.host), radios.wifi(self.host),
                   radios.bluetooth(self.host)]
        for result in results:
            self.record(result)
        return results

    def next_interactive(self, after: str | None = None) -> str | None:
        """The interactive test that follows `after` (the first one for None); None once all have run."""
        index = 0 if after is None else INTERACTIVE.index(after) + 1
        return INTERACTIVE[index] if index < len(INTERACTIVE) else None

    def finish_functions(self) -> None:
        """Close the step: a function never tested is recorded as skipped, so the record says so."""
        for function in FUNCTIONS:
            if self.bench.result(function) is None:
                self.record(skipped(function, "not run in this session"))
        counts = {status: sum(1 for r in self.bench.results if r.status == status)
                  for status in ("pass", "fail", "absent", "skipped")}
        self._done("functions", ", ".join(f"{n} {status}" for status, n in counts.items() if n))

    # --- grade ---------------------------------------------------------------------------------

    def grade(self, grade: Grade) -> None:
        self.bench = replace(self.bench, grade=grade)
        self._done("grade", grade.letter + (f" ({', '.join(grade.defects)})" if grade.defects else ""))

    # --- erase and certificates ----------------------------------------------------------------

    def _session(self) -> Session:
        if self.session is None:
            self.session = Session(self.datadir, self.host, lang=self.lang)
        return self.session

    def internal_disks(self) -> list[Disk]:
        """The machine's own drives: not on USB, not the boot key (the plan refuses protected ones anyway)."""
        return [d for d in detect_disks(self.host) if d.bus != "usb" and not d.removable]

    def erase_plan(self, disks: Sequence[Disk] | None = None, verify: str = "full") -> ErasePlan:
        """Best Purge each drive offers, else Clear by overwrite (plan_purge says why per drive)."""
        return self._session().plan(list(disks) if disks is not None else self.internal_disks(), ERASE_METHOD,
                                    verify)

    def erase(self, plan: ErasePlan) -> list[Outcome]:
        """Run a plan the technician confirmed; certificates are issued as each job ends."""
        if not plan.runnable:
            raise FlowError("nothing to erase in this plan")
        self.outcomes = self._session().run(plan)
        erased = sum(1 for o in self.outcomes if o.job.state is JobState.ERASED and o.certificate)
        self._done("erase", f"{erased}/{len(self.outcomes)} drive(s) erased",
                   "done" if erased == len(self.outcomes) else "failed")
        self.certificates()
        return self.outcomes

    def certificates(self) -> list[Path]:
        paths = [o.certificate for o in self.outcomes if o.certificate is not None]
        errors = [o.error for o in self.outcomes if o.error]
        if errors:
            self._done("certificates", "; ".join(e for e in errors if e), "failed")
        else:
            self._done("certificates", f"{len(paths)} certificate(s)")
        return paths

    # --- verdict and label -------------------------------------------------------------------

    def decide(self, key_passphrase: bytes | None = None) -> Path:
        """The verdict with the bench, and the signed audit record (+ PDF) in the data dir, queued for upload."""
        if self.inventory is None:
            raise FlowError("the verdict needs the audit first")
        settings = config.load(self.datadir)
        limits = thresholds.load(self.datadir.root / "thresholds.json")
        checklist = Checklist(tester=self.tester or settings.operator or None).with_bench(self.bench)
        self.verdict = decide(self.inventory, checklist, limits, bench=self.bench)
        key = keys.load_or_create(self.datadir, key_passphrase)
        record = audit.build(self.inventory, self.verdict, checklist,
                             responsible=audit.Responsible(settings.organisation, settings.location,
                                                           settings.operator),
                             station_name=settings.station_name, key_fingerprint=key.fingerprint,
                             created=self.clock(), lang=self.lang, bench=self.bench)
        files = audit.write(record, self.inventory, self.datadir.audits, key, self.lang)
        outbox.enqueue(self.datadir, record["audit_id"], "audit", settings.lot or None)  # to the registry
        self.record_path = files.json_path
        self._done("verdict", self.verdict.outcome)
        return files.json_path

    def label(self, size: str = "roll62") -> Path:
        if self.record_path is None:
            raise FlowError("the label needs the signed audit record (verdict step) first")
        settings = config.load(self.datadir)
        made = label.from_record(json.loads(self.record_path.read_bytes()),
                                 label.load_certificates(self.datadir.certificates),
                                 settings.certificate_page or None)
        out = self.record_path.with_name(f"{made.audit_id}.label-{size}.pdf")
        atomic.write_bytes(out, label.render([made], size, self.lang))
        self.label_path = out
        self._done("label", f"{out.name}: {label.erasure_text(made.erasure, self.lang)}")
        return out
