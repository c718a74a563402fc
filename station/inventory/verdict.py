"""Reuse verdict: reuse / reuse-with-warnings / harvest-parts / recycle, with the rules that led there.

Each rule names its id, the subject (machine, disk, battery, function), the measured value and the
threshold from `thresholds.json`, so the technician and an inspector can see why a laptop was
refurbished, stripped or sent to WEEE (DEEE) recycling. The outcome is the worst rule's outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from station.functest.bench import CHECKLIST_OF, Bench
from station.inventory.machine import Inventory
from station.inventory.machine_serial import machine_serial
from station.inventory.thresholds import CHECK_STATES, CHECKLIST_ITEMS, OUTCOMES, Thresholds
from station.inventory.thresholds import default as default_thresholds
from station.inventory.verdict_text import Param, describe
from station.notes import Note


@dataclass(frozen=True)
class Checklist:
    """The functional tests the technician ticked; décret 2022-190 requires all functions tested."""

    items: dict[str, str] = field(default_factory=lambda: {item: "untested" for item in CHECKLIST_ITEMS})
    tester: str | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        for item, state in self.items.items():
            if item not in CHECKLIST_ITEMS:
                raise ValueError(f"unknown checklist item {item!r}; known: {', '.join(CHECKLIST_ITEMS)}")
            if state not in CHECK_STATES:
                raise ValueError(f"checklist {item}: state must be one of {CHECK_STATES}, not {state!r}")

    def state(self, item: str) -> str:
        return self.items.get(item, "untested")

    @property
    def all_tested(self) -> bool:
        return all(self.state(item) != "untested" for item in CHECKLIST_ITEMS)

    @classmethod
    def from_pairs(cls, pairs: list[str], tester: str | None = None) -> Checklist:
        """`["screen=ok", "webcam=failed"]`, as typed on the command line; `all=ok` sets every item."""
        items = {item: "untested" for item in CHECKLIST_ITEMS}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep:
                raise ValueError(f"checklist entry {pair!r} must look like item=state")
            if key == "all":
                items = {item: value for item in CHECKLIST_ITEMS}
            else:
                items[key] = value
        return cls(items, tester)

    def with_bench(self, bench: Bench) -> Checklist:
        """The items the bench measured take its states; the others stay as ticked."""
        return Checklist({**{item: self.state(item) for item in CHECKLIST_ITEMS}, **bench.checklist_items()},
                         self.tester, self.notes)

    def to_dict(self) -> dict[str, Any]:
        return {"items": {item: self.state(item) for item in CHECKLIST_ITEMS}, "all_tested": self.all_tested,
                "tester": self.tester, "notes": self.notes}


@dataclass(frozen=True)
class Finding:
    """One fired rule. `id`, `value`, `threshold` and `params` are the data; `message` is the English
    sentence kept for readers without the catalogs; `verdict_text.describe` renders it in any language."""

    id: str
    outcome: str  # the outcome this rule alone would give
    subject: str
    value: Param
    threshold: Param
    message: str
    params: dict[str, Param] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()  # a bench finding's reason as the function test stated it (FunctionResult.notes)

    def text(self, lang: str | None = None) -> str:
        """The sentence in `lang` (None: the current UI language)."""
        return describe(self.id, self.params, lang, fallback=self.message, reason=self.notes)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "outcome": self.outcome, "subject": self.subject,
                                "value": self.value, "threshold": self.threshold, "params": dict(self.params),
                                "message": self.message}
        if self.notes:  # left out otherwise, as records made before notes have it
            data["notes"] = [n.to_dict() for n in self.notes]
        return data


@dataclass(frozen=True)
class Verdict:
    outcome: str
    findings: tuple[Finding, ...]
    thresholds_source: str

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "findings": [f.to_dict() for f in self.findings],
                "thresholds_source": self.thresholds_source}


def _worst(outcomes: list[str]) -> str:
    return max(outcomes, key=OUTCOMES.index) if outcomes else "reuse"


# the part a technician swaps when a function fails; catalog words (station/tui/words.py)
REPAIR_PART = {"keyboard": "keyboard", "pointer": "touchpad", "pointing_stick": "pointing stick",
               "display": "screen", "audio": "speakers",
               "microphone": "microphone", "camera": "webcam", "ethernet": "Ethernet port", "wifi": "Wi-Fi card",
               "bluetooth": "Bluetooth module", "usb": "USB port", "battery": "battery",
               "screen": "screen", "case": "case", "hinge": "hinge"}


def decide(inventory: Inventory, checklist: Checklist, thresholds: Thresholds | None = None,
           bench: Bench | None = None) -> Verdict:
    """The outcome is the worst fired rule's. With a `bench`, its function results replace the
    checklist items they cover (CHECKLIST_OF) and its grade and defects count."""
    limits = thresholds or default_thresholds()
    machine = limits.machine
    found: list[Finding] = []
    warn = "reuse-with-warnings"

    def add(rule_id: str, outcome: str, subject: str, value: Param, threshold: Param, notes: tuple[Note, ...] = (),
            **params: Param) -> None:
        """`params` fill the rule's sentence (verdict_text); the English one is kept as `message`."""
        found.append(Finding(rule_id, outcome, subject, value, threshold,
                             describe(rule_id, params, "en"), dict(params), notes))

    info = inventory.dmi
    year = info.year.year
    if year is None:
        add("machine.year-unknown", warn, "machine", None, machine.min_reuse_year)
    elif year < machine.recycle_before_year:
        add("machine.too-old-recycle", "recycle", "machine", year, machine.recycle_before_year,
            year=year, limit=machine.recycle_before_year)
    elif year < machine.min_reuse_year:
        add("machine.too-old-reuse", "harvest-parts", "machine", year, machine.min_reuse_year,
            year=year, limit=machine.min_reuse_year)

    cpu = inventory.cpu
    if machine.require_64bit_cpu and cpu.is_64bit is False:
        add("cpu.not-64bit", "harvest-parts", "cpu", False, True)
    if cpu.threads is not None and cpu.threads < machine.min_reuse_cpu_threads:
        add("cpu.threads", "harvest-parts", "cpu", cpu.threads, machine.min_reuse_cpu_threads,
            threads=cpu.threads, limit=machine.min_reuse_cpu_threads)
    ram = inventory.memory.total_mib
    if ram is not None and ram < machine.min_reuse_ram_mib * 0.9:  # MemTotal hides firmware-reserved memory
        add("memory.too-small", warn, "memory", ram, machine.min_reuse_ram_mib, ram=ram)

    serial = machine_serial(inventory)
    dmi_shown = serial.dmi.value if serial.dmi.value is not None else ",".join(serial.dmi.doubts) or None
    if serial.source == "operator":
        add("identity.serial-from-label", "reuse", "machine", serial.value, None, serial=serial.value,
            operator=serial.entered_by or "?", dmi=dmi_shown)
    elif serial.value is None:
        add("identity.serial-unusable", warn, "machine", serial.dmi.value, ",".join(serial.dmi.doubts) or None,
            dmi=dmi_shown)

    for disk in inventory.disks:
        report = disk.smart
        subject = f"disk:{disk.name}"
        if report is None or report.health == "unknown":
            add("disk.health-unknown", warn, subject, None, None, devnode=disk.devnode,
                reason=(report.error if report else None) or "not read")
        elif report.health == "failing":
            rules = ", ".join(r.id for r in report.rules if r.severity == "failing")
            add("disk.failing", warn, subject, "failing", "ok", devnode=disk.devnode, rules=rules)
        elif report.health == "warning":
            rules = ", ".join(r.id for r in report.rules if r.severity == "warning")
            add("disk.warning", warn, subject, "warning", "ok", devnode=disk.devnode, rules=rules)
        if disk.self_test not in (None, "completed"):
            add("disk.self-test-incomplete", warn, subject, disk.self_test, "completed", devnode=disk.devnode,
                state=disk.self_test)
    if not inventory.disks:
        add("disk.none", warn, "disks", 0, 1)

    battery_limits = limits.battery
    if info.form_factor == "laptop" and not inventory.batteries:
        add("battery.none", warn, "battery", 0, 1)
    for bat in inventory.batteries:
        subject = f"battery:{bat.name}"
        if bat.present is False:
            add("battery.absent", warn, subject, False, True, battery=bat.name)
        elif bat.wear_percent is None:
            add("battery.wear-unknown", warn, subject, None, None, battery=bat.name,
                reason=", ".join(bat.doubts) or "no capacity data")
        elif bat.wear_percent >= battery_limits.wear_replace_percent:
            add("battery.replace", warn, subject, bat.wear_percent, battery_limits.wear_replace_percent,
                battery=bat.name, wear=bat.wear_percent)
        elif bat.wear_percent >= battery_limits.wear_warn_percent:
            add("battery.worn", warn, subject, bat.wear_percent, battery_limits.wear_warn_percent,
                battery=bat.name, wear=bat.wear_percent)

    covered = set(CHECKLIST_OF[r.function] for r in bench.results if r.function in CHECKLIST_OF) if bench else set()
    for item in CHECKLIST_ITEMS:
        if item in covered:
            continue  # the bench measured it: its own rules below
        state = checklist.state(item)
        if state == "failed":
            outcome = limits.checklist_failed_outcome.get(item, warn)
            add(f"function.{item}.failed", outcome, f"function:{item}", "failed", "ok", item=item)
        elif state == "untested":
            add(f"function.{item}.untested", warn, f"function:{item}", "untested", "tested", item=item)

    if bench is not None:
        _bench_rules(bench, info.form_factor == "laptop", limits, add)

    for gap in inventory.missing:
        if gap.what.startswith("smart:"):
            continue  # already a disk.health-unknown finding
        add("audit.partial", warn, gap.what, None, None, what=gap.what, why=gap.why)

    return Verdict(_worst([f.outcome for f in found]), tuple(found), limits.source)


def _bench_rules(bench: Bench, laptop: bool, limits: Thresholds,
                 add: Callable[..., None]) -> None:
    """Function results, grade and defects. Each repair names its part; too many repairs, or too
    many on a machine graded E, is not worth the work: parts, or WEEE recycling."""
    rules = limits.bench or default_thresholds().bench
    assert rules is not None  # the packaged thresholds always carry the bench section
    warn = "reuse-with-warnings"
    repairs: list[str] = []

    def repair(rule_id: str, outcome: str, subject: str, value: Param, threshold: Param, part_key: str,
               notes: tuple[Note, ...] = (), **params: Param) -> None:
        part = REPAIR_PART.get(part_key, part_key)
        if outcome == "reuse-after-repair" and part not in repairs:
            repairs.append(part)
        add(rule_id, outcome, subject, value, threshold, notes, part=part, **params)

    for result in bench.results:
        subject = f"bench:{result.function}"
        if result.status == "fail":
            repair(f"bench.{result.function}.fail", rules.failed_outcome.get(result.function, warn), subject,
                   "fail", "pass", result.function, notes=result.notes, reason=result.reason)
        elif result.status == "skipped":
            add(f"bench.{result.function}.skipped", warn, subject, "skipped", "pass", notes=result.notes,
                function=result.function, reason=result.reason)
        elif result.status == "absent" and laptop and result.function in rules.absent_outcome:
            repair(f"bench.{result.function}.absent", rules.absent_outcome[result.function], subject, "absent",
                   "present", result.function)
    grade = bench.grade
    if grade is None:
        add("bench.grade-missing", warn, "grade", None, "A-E")
    else:
        outcome = rules.grade_outcome.get(grade.letter, warn)
        if outcome != "reuse":
            add(f"bench.grade.{grade.letter}", outcome, "grade", grade.letter, "A-B", grade=grade.letter,
                note=grade.note or "-")
        for defect in grade.defects:
            repair(f"bench.defect.{defect}", rules.defect_outcome.get(defect, warn), f"defect:{defect}", defect,
                   None, defect)
    if len(repairs) >= rules.max_repairs:
        parts = ", ".join(repairs)
        if grade is not None and grade.letter == "E":
            add("bench.beyond-repair", "recycle", "machine", len(repairs), rules.max_repairs, count=len(repairs),
                parts=parts)
        else:
            add("bench.too-many-repairs", "harvest-parts", "machine", len(repairs), rules.max_repairs,
                count=len(repairs), parts=parts, limit=rules.max_repairs)
