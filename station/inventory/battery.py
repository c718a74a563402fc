"""Batteries from `/sys/class/power_supply`: energy (µWh) and charge (µAh) units, wear, cycles.

Drivers report either `energy_*` or `charge_*` (the latter needs the design voltage to become Wh);
some expose only `uevent`. A design capacity that is absent, zero, or implausible makes the wear
"unknown" instead of a misleading 0 % or 100 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from station.hw import Host
from station.inventory.thresholds import BatteryThresholds
from station.inventory.thresholds import default as default_thresholds

POWER_SUPPLY = "/sys/class/power_supply"


@dataclass(frozen=True)
class Battery:
    name: str
    present: bool | None
    manufacturer: str | None
    model: str | None
    serial: str | None
    technology: str | None
    status: str | None
    units: str  # "energy" | "charge" | "none"
    design_wh: float | None
    full_wh: float | None
    now_wh: float | None
    design_mah: float | None
    full_mah: float | None
    voltage_min_design_v: float | None
    cycle_count: int | None  # None when the driver reports 0 ("not reported") or nothing
    wear_percent: float | None  # 1 - full/design, None when unknown
    health_percent: float | None  # full/design, capped at 100 for display, None when unknown
    capacity_percent: int | None
    doubts: tuple[str, ...] = ()


def _uevent(text: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith("POWER_SUPPLY_"):
            out[key[len("POWER_SUPPLY_"):].lower()] = value.strip()
    return out


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _attr(host: Host, base: str, uevent: dict[str, str], name: str) -> str | None:
    value = host.read_attr(f"{base}/{name}")
    if value is None:
        value = uevent.get(name)
    return value


def is_battery(host: Host, name: str) -> bool:
    base = f"{POWER_SUPPLY}/{name}"
    kind = host.read_attr(f"{base}/type") or _uevent(host.read_text(f"{base}/uevent")).get("type")
    if kind is not None:
        return kind == "Battery"
    return name.upper().startswith("BAT")


def _scope_is_device(host: Host, base: str) -> bool:
    """Wireless mice and keyboards report batteries with scope "Device"; they are not the laptop's."""
    return (host.read_attr(f"{base}/scope") or "").lower() == "device"


def read_battery(host: Host, name: str, limits: BatteryThresholds | None = None) -> Battery:
    limits = limits or default_thresholds().battery
    base = f"{POWER_SUPPLY}/{name}"
    uevent = _uevent(host.read_text(f"{base}/uevent"))

    def num(attr: str) -> float | None:
        return _number(_attr(host, base, uevent, attr))

    def text(attr: str) -> str | None:
        value = _attr(host, base, uevent, attr)
        value = value.strip() if value is not None else None
        return value or None

    doubts: list[str] = []
    present_raw = num("present")
    present = None if present_raw is None else present_raw != 0
    voltage = num("voltage_min_design")
    voltage_v = voltage / 1e6 if voltage and voltage > 0 else None
    design_mah = full_mah = None
    if num("energy_full_design") is not None or num("energy_full") is not None:
        units = "energy"
        design_raw, full_raw, now_raw = num("energy_full_design"), num("energy_full"), num("energy_now")
        design = design_raw / 1e6 if design_raw is not None else None
        full = full_raw / 1e6 if full_raw is not None else None
        now = now_raw / 1e6 if now_raw is not None else None
    elif num("charge_full_design") is not None or num("charge_full") is not None:
        units = "charge"
        design_c, full_c, now_c = num("charge_full_design"), num("charge_full"), num("charge_now")
        design_mah = design_c / 1e3 if design_c is not None else None
        full_mah = full_c / 1e3 if full_c is not None else None
        if voltage_v is None:
            doubts.append("no-design-voltage: charge cannot be converted to Wh")
        factor = voltage_v / 1e3 if voltage_v else None
        design = design_mah * factor if design_mah is not None and factor else None
        full = full_mah * factor if full_mah is not None and factor else None
        now = now_c / 1e3 * factor if now_c is not None and factor else None
    else:
        units, design, full, now = "none", None, None, None
        doubts.append("no-capacity: the driver reports neither energy_* nor charge_*")

    wear = health = None
    design_ref = design if design is not None else (design_mah if units == "charge" else None)
    full_ref = full if design is not None else (full_mah if units == "charge" else None)
    if design_ref is None or design_ref <= 0:
        doubts.append("design-capacity-unknown")
    elif design is not None and not (limits.plausible_design_wh_min <= design <= limits.plausible_design_wh_max):
        doubts.append(f"design-capacity-implausible: {design:.1f} Wh")
    elif full_ref is None or full_ref < 0:
        doubts.append("full-capacity-unknown")
    elif full_ref / design_ref > limits.plausible_full_over_design_max:
        doubts.append(f"full-over-design-implausible: {full_ref / design_ref:.2f}")
    else:
        ratio = full_ref / design_ref
        if ratio > 1.0:
            doubts.append(f"full-above-design: {ratio:.2f} (new battery or recalibration; wear counted as 0)")
        health = round(min(ratio, 1.0) * 100.0, 1)
        wear = round(max(0.0, 1.0 - ratio) * 100.0, 1)

    cycles_raw = num("cycle_count")
    cycles = int(cycles_raw) if cycles_raw is not None and 0 < cycles_raw < 1e9 else None
    if cycles_raw == 0:
        doubts.append("cycle-count-not-reported")
    elif cycles_raw is not None and cycles is None:
        doubts.append(f"cycle-count-implausible: {cycles_raw:g}")
    capacity = num("capacity")
    return Battery(
        name=name, present=present, manufacturer=text("manufacturer"), model=text("model_name"),
        serial=text("serial_number"), technology=text("technology"), status=text("status"), units=units,
        design_wh=round(design, 2) if design is not None else None,
        full_wh=round(full, 2) if full is not None else None, now_wh=round(now, 2) if now is not None else None,
        design_mah=design_mah, full_mah=full_mah, voltage_min_design_v=voltage_v, cycle_count=cycles,
        wear_percent=wear, health_percent=health,
        capacity_percent=int(capacity) if capacity is not None and 0 <= capacity <= 100 else None,
        doubts=tuple(doubts))


def read_all(host: Host, limits: BatteryThresholds | None = None) -> list[Battery]:
    """Every system battery (not peripherals'), including absent ones (present=0) so a missing or
    dead battery shows in the audit."""
    out = []
    for name in host.listdir(POWER_SUPPLY):
        base = f"{POWER_SUPPLY}/{name}"
        if is_battery(host, name) and not _scope_is_device(host, base):
            out.append(read_battery(host, name, limits))
    return out
