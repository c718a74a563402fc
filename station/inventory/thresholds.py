"""Verdict and health thresholds: packaged defaults, overridable key by key from the data dir.

Refurbishers disagree on what is "too old" or "too worn"; the numbers live in one JSON data file
(`station/data/thresholds.json`) so a workshop can tune them without touching code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

OUTCOMES = ("reuse", "reuse-with-warnings", "reuse-after-repair", "harvest-parts", "recycle")
CHECK_STATES = ("ok", "failed", "untested", "absent")  # absent: the machine has no such function
CHECKLIST_ITEMS = ("screen", "keyboard", "touchpad", "ports", "webcam", "audio", "wifi", "charger")


class ThresholdsError(ValueError):
    """The override file is unreadable or has a value of the wrong type."""


@dataclass(frozen=True)
class SmartThresholds:
    ata_warn_raw: dict[int, int]
    ata_fail_raw: dict[int, int]
    ata_names: dict[int, str]
    scsi_grown_defects_warn: int
    scsi_grown_defects_fail: int
    nvme_media_errors_warn: int
    nvme_media_errors_fail: int
    nvme_percentage_used_warn: int
    nvme_percentage_used_fail: int
    ssd_life_left_warn_percent: int
    power_on_hours_warn: int


@dataclass(frozen=True)
class BatteryThresholds:
    wear_warn_percent: float
    wear_replace_percent: float
    plausible_design_wh_min: float
    plausible_design_wh_max: float
    plausible_full_over_design_max: float


@dataclass(frozen=True)
class MachineThresholds:
    min_reuse_year: int
    recycle_before_year: int
    min_reuse_ram_mib: int
    min_reuse_cpu_threads: int
    require_64bit_cpu: bool


@dataclass(frozen=True)
class BenchThresholds:
    """What the laptop bench's results and grade do to the verdict (see the "bench" section)."""

    failed_outcome: dict[str, str]
    absent_outcome: dict[str, str]
    grade_outcome: dict[str, str]
    defect_outcome: dict[str, str]
    max_repairs: int


@dataclass(frozen=True)
class Thresholds:
    smart: SmartThresholds
    battery: BatteryThresholds
    machine: MachineThresholds
    checklist_failed_outcome: dict[str, str]
    bench: BenchThresholds | None = None
    source: str = "packaged"
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _num(section: dict[str, Any], key: str) -> float:
    value = section.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ThresholdsError(f"threshold {key!r} must be a number, got {value!r}")
    return float(value)


def _int_map(section: dict[str, Any], key: str) -> dict[int, int]:
    value = section.get(key)
    if not isinstance(value, dict):
        raise ThresholdsError(f"threshold {key!r} must be an object of attribute id -> count")
    try:
        return {int(k): int(v) for k, v in value.items()}
    except (TypeError, ValueError) as exc:
        raise ThresholdsError(f"threshold {key!r}: {exc}") from exc


def from_dict(data: dict[str, Any], source: str = "packaged") -> Thresholds:
    try:
        smart, battery, machine = data["smart"], data["battery"], data["machine"]
        failed = data["checklist"]["failed_outcome"]
    except (KeyError, TypeError) as exc:
        raise ThresholdsError(f"thresholds file lacks section {exc}") from exc
    if not isinstance(failed, dict) or any(v not in OUTCOMES for v in failed.values()):
        raise ThresholdsError(f"checklist.failed_outcome values must be one of {OUTCOMES}")
    names = smart.get("ata_names", {})
    bench = data.get("bench")
    return Thresholds(
        smart=SmartThresholds(
            ata_warn_raw=_int_map(smart, "ata_warn_raw"),
            ata_fail_raw=_int_map(smart, "ata_fail_raw"),
            ata_names={int(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {},
            scsi_grown_defects_warn=int(_num(smart, "scsi_grown_defects_warn")),
            scsi_grown_defects_fail=int(_num(smart, "scsi_grown_defects_fail")),
            nvme_media_errors_warn=int(_num(smart, "nvme_media_errors_warn")),
            nvme_media_errors_fail=int(_num(smart, "nvme_media_errors_fail")),
            nvme_percentage_used_warn=int(_num(smart, "nvme_percentage_used_warn")),
            nvme_percentage_used_fail=int(_num(smart, "nvme_percentage_used_fail")),
            ssd_life_left_warn_percent=int(_num(smart, "ssd_life_left_warn_percent")),
            power_on_hours_warn=int(_num(smart, "power_on_hours_warn")),
        ),
        battery=BatteryThresholds(
            wear_warn_percent=_num(battery, "wear_warn_percent"),
            wear_replace_percent=_num(battery, "wear_replace_percent"),
            plausible_design_wh_min=_num(battery, "plausible_design_wh_min"),
            plausible_design_wh_max=_num(battery, "plausible_design_wh_max"),
            plausible_full_over_design_max=_num(battery, "plausible_full_over_design_max"),
        ),
        machine=MachineThresholds(
            min_reuse_year=int(_num(machine, "min_reuse_year")),
            recycle_before_year=int(_num(machine, "recycle_before_year")),
            min_reuse_ram_mib=int(_num(machine, "min_reuse_ram_mib")),
            min_reuse_cpu_threads=int(_num(machine, "min_reuse_cpu_threads")),
            require_64bit_cpu=bool(machine.get("require_64bit_cpu", True)),
        ),
        checklist_failed_outcome={str(k): str(v) for k, v in failed.items()},
        bench=_bench(bench) if bench is not None else None,
        source=source,
        raw=data,
    )


def _outcomes(section: dict[str, Any], key: str) -> dict[str, str]:
    value = section.get(key, {})
    if not isinstance(value, dict) or any(v not in OUTCOMES for v in value.values()):
        raise ThresholdsError(f"bench.{key} values must be one of {OUTCOMES}")
    return {str(k): str(v) for k, v in value.items()}


def _bench(section: Any) -> BenchThresholds:
    if not isinstance(section, dict):
        raise ThresholdsError("thresholds 'bench' must be an object")
    return BenchThresholds(_outcomes(section, "failed_outcome"), _outcomes(section, "absent_outcome"),
                           _outcomes(section, "grade_outcome"), _outcomes(section, "defect_outcome"),
                           int(_num(section, "max_repairs")))


def packaged_dict() -> dict[str, Any]:
    text = resources.files("station").joinpath("data/thresholds.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def default() -> Thresholds:
    return from_dict(packaged_dict())


def load(override_file: Path | None = None) -> Thresholds:
    """Packaged defaults merged with `override_file` (e.g. `<data dir>/thresholds.json`) when it exists."""
    base = packaged_dict()
    if override_file is None or not override_file.exists():
        return from_dict(base)
    try:
        override = json.loads(override_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ThresholdsError(f"{override_file}: {exc}") from exc
    if not isinstance(override, dict):
        raise ThresholdsError(f"{override_file}: top level must be a JSON object")
    return from_dict(_merge(base, override), source=str(override_file))
