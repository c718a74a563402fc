"""Battery discharge measured over a short timed run, charger pulled.

The firmware's wear figure (full / design) can be stale or invented by a cheap replacement pack; the
energy actually drawn over a few minutes on battery is a measurement. Samples come from the existing
battery reader (energy_now, or charge_now times the design voltage); the rate gives an estimated
runtime at the station's load, compared with `min_runtime_minutes`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from station.functest.result import FunctionResult, noted
from station.hw import Host
from station.inventory import battery
from station.notes import Note

MIN_RUNTIME_MINUTES = 60
RUN_SECONDS = 120.0  # long enough for most fuel gauges to update twice


@dataclass(frozen=True)
class Sample:
    seconds: float
    status: str | None
    now_wh: float | None
    full_wh: float | None


def sample(host: Host, name: str, clock: Callable[[], float] = time.monotonic) -> Sample:
    bat = battery.read_battery(host, name)
    return Sample(clock(), bat.status, bat.now_wh, bat.full_wh)


def judge(name: str, samples: list[Sample], min_runtime_minutes: float = MIN_RUNTIME_MINUTES) -> FunctionResult:
    """The result from samples taken over the run (first and last are compared)."""
    if len(samples) < 2:
        return noted("battery", "skipped", Note.of("fn.battery.few-samples"), device=name)
    first, last = samples[0], samples[-1]
    elapsed = last.seconds - first.seconds
    measured: dict[str, str | int | float | bool | None] = {
        "seconds": round(elapsed, 1), "start_wh": first.now_wh, "end_wh": last.now_wh, "full_wh": last.full_wh,
        "status": last.status}
    if any(s.status != "Discharging" for s in samples):
        seen = ", ".join(sorted({s.status or "unknown" for s in samples}))
        return noted("battery", "skipped", Note.of("fn.battery.not-discharging", seen=seen), measured=measured,
                     device=name)
    if first.now_wh is None or last.now_wh is None:
        return noted("battery", "skipped", Note.of("fn.battery.no-level"), measured=measured, device=name)
    drawn = first.now_wh - last.now_wh
    if elapsed <= 0 or drawn <= 0:
        return noted("battery", "skipped", Note.of("fn.battery.no-drop", seconds=f"{elapsed:.0f}"),
                     measured=measured, device=name)
    watts = drawn / elapsed * 3600
    runtime = last.now_wh / watts * 60
    measured.update({"drawn_wh": round(drawn, 3), "watts": round(watts, 2), "runtime_min": round(runtime),
                     "min_runtime_min": min_runtime_minutes})
    if last.full_wh:
        measured["runtime_full_min"] = round(last.full_wh / watts * 60)
    if runtime < min_runtime_minutes:
        return noted("battery", "fail", Note.of("fn.battery.short-runtime", minutes=f"{runtime:.0f}",
                                                 watts=f"{watts:.1f}", minimum=str(min_runtime_minutes)),
                     measured=measured, device=name)
    return FunctionResult("battery", "pass", None, measured, name)


def laptop_battery(host: Host) -> str | None:
    """The machine's own battery (a wireless mouse's is not one), the first of two; None without any."""
    return next((b.name for b in battery.read_all(host) if b.present is not False), None)


def absent() -> FunctionResult:
    return noted("battery", "absent", Note.of("fn.battery.none"))


@dataclass
class DischargeRun:
    """A timed run its caller ticks (the TUI's timer, `run` below). It starts at the first sample taken on
    battery, so the technician pulls the charger when told instead of before, and lasts `seconds` from there."""

    host: Host
    name: str
    seconds: float = RUN_SECONDS
    clock: Callable[[], float] = time.monotonic
    samples: list[Sample] = field(default_factory=list)
    latest: Sample | None = None  # the last read, before the run starts too (the screen shows its status)

    def tick(self) -> Sample:
        taken = sample(self.host, self.name, self.clock)
        self.latest = taken
        if self.samples or taken.status == "Discharging":
            self.samples.append(taken)
        return taken

    @property
    def started(self) -> bool:
        return bool(self.samples)

    @property
    def elapsed(self) -> float:
        return self.samples[-1].seconds - self.samples[0].seconds if self.samples else 0.0

    @property
    def done(self) -> bool:
        return self.started and self.elapsed >= self.seconds

    def result(self) -> FunctionResult:
        """The judgement of what was sampled so far (the technician may end the run early)."""
        if not self.samples:
            status = self.latest.status if self.latest else None
            return noted("battery", "skipped", Note.of("fn.battery.never-on-battery", status=status or "unknown"),
                         measured={"status": status}, device=self.name)
        return judge(self.name, self.samples)


def run(host: Host, name: str, seconds: float = RUN_SECONDS, every: float = 1.0,
        sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> FunctionResult:
    """Sample every `every` seconds until the run is done; a charger never pulled gives up after `seconds`."""
    test = DischargeRun(host, name, seconds, clock)
    test.tick()
    waited = 0.0
    while not test.done and (test.started or waited < seconds):
        sleep(every)
        waited += every
        test.tick()
    return test.result()
