"""Batteries: real /sys/class/power_supply trees and uevent dumps, energy_* and charge_* units."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.hw import Host
from station.inventory import battery

FIXTURES = Path(__file__).parent / "fixtures" / "power_supply"
PS = "sys/class/power_supply"


def tree_host(tmp_path: Path) -> Host:
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "procfs-thinkpad-lgc-45n1-sysfs", root / PS)
    return Host(root=root, env={})


def uevent_host(tmp_path: Path, fixture: str, name: str = "BAT0") -> Host:
    root = tmp_path / "root"
    (root / PS / name).mkdir(parents=True)
    shutil.copy(FIXTURES / fixture, root / PS / name / "uevent")
    return Host(root=root, env={})


def test_energy_tree_full_above_design(tmp_path: Path) -> None:
    bats = battery.read_all(tree_host(tmp_path))
    assert [b.name for b in bats] == ["BAT0"]  # AC (type Mains) is not a battery
    bat = bats[0]
    assert bat.units == "energy" and bat.manufacturer == "LGC" and bat.model == "LNV-45N1"
    assert bat.design_wh == 47.52 and bat.full_wh == 50.06  # attribute files win over the stale uevent
    assert bat.wear_percent == 0.0 and bat.health_percent == 100.0
    assert any(d.startswith("full-above-design") for d in bat.doubts)
    assert bat.cycle_count is None and "cycle-count-not-reported" in bat.doubts
    assert bat.present is True and bat.technology == "Li-ion"


def test_energy_uevent_only(tmp_path: Path) -> None:
    bat = battery.read_battery(uevent_host(tmp_path, "uevent-BAT0-energy-smp-42t4977-i3status-186.txt"), "BAT0")
    assert bat.units == "energy" and bat.design_wh == 38.92 and bat.full_wh == 25.5
    assert bat.wear_percent == pytest.approx(34.5, abs=0.1)
    assert bat.serial == "973"  # leading spaces in the driver's string are dropped


def test_charge_uevent_converted_with_design_voltage(tmp_path: Path) -> None:
    bat = battery.read_battery(uevent_host(tmp_path, "uevent-BAT0-charge-lgc-42t4865-i3status-288.txt"), "BAT0")
    assert bat.units == "charge" and bat.design_mah == 5600 and bat.full_mah == 1802
    assert bat.voltage_min_design_v == pytest.approx(11.1)
    assert bat.design_wh == pytest.approx(62.16, abs=0.01)
    assert bat.wear_percent == pytest.approx(67.8, abs=0.1)


def test_charge_without_voltage_still_gives_wear(tmp_path: Path) -> None:
    # synthetic: the real charge uevent with the design-voltage line removed
    text = (FIXTURES / "uevent-BAT0-charge-lgc-42t4865-i3status-288.txt").read_text()
    root = tmp_path / "root"
    (root / PS / "BAT1").mkdir(parents=True)
    (root / PS / "BAT1" / "uevent").write_text(
        "\n".join(line for line in text.splitlines() if "VOLTAGE_MIN_DESIGN" not in line))
    bat = battery.read_battery(Host(root=root, env={}), "BAT1")
    assert bat.design_wh is None and bat.wear_percent == pytest.approx(67.8, abs=0.1)
    assert any(d.startswith("no-design-voltage") for d in bat.doubts)


def write_attrs(root: Path, name: str, attrs: dict[str, str]) -> Host:
    base = root / PS / name
    base.mkdir(parents=True, exist_ok=True)
    for key, value in attrs.items():
        (base / key).write_text(value + "\n")
    return Host(root=root, env={})


def test_dead_battery_design_zero_is_unknown_not_zero(tmp_path: Path) -> None:
    # synthetic-dead: what a dead pack looks like on many ACPI firmwares (present, all capacities 0)
    host = write_attrs(tmp_path, "BAT0", {"type": "Battery", "present": "1", "energy_full_design": "0",
                                          "energy_full": "0", "energy_now": "0", "status": "Unknown"})
    bat = battery.read_all(host)[0]
    assert bat.wear_percent is None and bat.health_percent is None
    assert "design-capacity-unknown" in bat.doubts


def test_absent_battery_reported(tmp_path: Path) -> None:
    host = write_attrs(tmp_path, "BAT0", {"type": "Battery", "present": "0"})
    bat = battery.read_all(host)[0]
    assert bat.present is False and bat.wear_percent is None and bat.units == "none"


def test_implausible_design_is_unknown(tmp_path: Path) -> None:
    host = write_attrs(tmp_path, "BAT0", {"type": "Battery", "energy_full_design": "1000",  # 1 mWh
                                          "energy_full": "900"})
    bat = battery.read_all(host)[0]
    assert bat.wear_percent is None and any(d.startswith("design-capacity-implausible") for d in bat.doubts)


def test_full_far_above_design_is_unknown(tmp_path: Path) -> None:
    host = write_attrs(tmp_path, "BAT0", {"type": "Battery", "energy_full_design": "40000000",
                                          "energy_full": "80000000"})
    assert battery.read_all(host)[0].wear_percent is None


def test_peripheral_batteries_skipped(tmp_path: Path) -> None:
    host = write_attrs(tmp_path, "hidpp_battery_0", {"type": "Battery", "scope": "Device", "capacity": "80"})
    assert battery.read_all(host) == []


@given(st.dictionaries(
    st.sampled_from(["present", "energy_full_design", "energy_full", "energy_now", "charge_full_design",
                     "charge_full", "charge_now", "voltage_min_design", "cycle_count", "capacity", "type",
                     "uevent", "manufacturer"]),
    st.one_of(st.text(max_size=30), st.integers(min_value=-10**12, max_value=10**12).map(str),
              st.sampled_from(["nan", "inf", "-0", "1e400", ""])),
    max_size=10))
def test_random_sysfs_values_never_crash(tmp_path_factory: pytest.TempPathFactory, attrs: dict[str, str]) -> None:
    root = tmp_path_factory.mktemp("r")
    base = root / PS / "BAT0"
    base.mkdir(parents=True)
    for key, value in attrs.items():
        (base / key).write_text(value.replace("\x00", ""), errors="surrogateescape")
    for bat in battery.read_all(Host(root=root, env={})):
        assert bat.wear_percent is None or 0.0 <= bat.wear_percent <= 100.0
        assert bat.health_percent is None or 0.0 <= bat.health_percent <= 100.0
