"""DMI identity: real dmidecode dumps (linuxhw/DMI), sysfs precedence, junk detection, year estimate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.hw import Host, ReplayRunner
from station.inventory import dmi

FIXTURES = Path(__file__).parent / "fixtures" / "dmidecode"


def host_with(tmp_path: Path, dmidecode: str | None = None, sysfs: dict[str, str] | None = None) -> Host:
    runner = ReplayRunner()
    if dmidecode is not None:
        runner.add(["dmidecode"], (FIXTURES / dmidecode).read_text())
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    for name, value in (sysfs or {}).items():
        path = root / "sys/class/dmi/id" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n")
    return Host(root=root, runner=runner, env={})


def test_thinkpad_t480_laptop(tmp_path: Path) -> None:
    info = dmi.read(host_with(tmp_path, "laptop-lenovo-thinkpad-t480-battery-sbds.txt"))
    assert info.manufacturer.value == "LENOVO" and info.manufacturer.usable
    assert info.model_name == "ThinkPad T480"  # Lenovo keeps the model in Version, the type number in Product
    assert info.product.value == "20L50000MC"
    assert info.form_factor == "laptop" and info.chassis_type == "Notebook"
    assert [(m.slot, m.size_mib, m.type, m.speed_mts) for m in info.memory] == [
        ("ChannelA-DIMM0", 8192, "DDR4", 2133), ("ChannelB-DIMM0", 16384, "DDR4", 2133)]
    assert info.memory_slots == 2
    assert info.processors[0].cores == 4 and info.processors[0].threads == 8
    assert [b.name for b in info.batteries] == ["01AV489", "01AV424"]
    assert info.batteries[0].design_capacity_mwh == 23940 and info.batteries[0].chemistry == "LiP"
    # BIOS 01/03/2023 is an update; the batteries are dated 2018-12 and 2019-01: the earliest wins
    assert info.bios_date == "01/03/2023"
    assert info.year.year == 2018
    assert "battery1:2018-12-07" in info.year.basis
    # linuxhw replaced serials with "--": redacted, never an identity
    assert info.serial.doubts == ("redacted",) and not info.best_serial.usable
    assert "dmidecode" in info.sources


def test_asus_default_strings_flagged(tmp_path: Path) -> None:
    info = dmi.read(host_with(tmp_path, "desktop-asus-prime-b450m-a-ii-default-string.txt"))
    assert info.product.doubts == ("junk-placeholder",)  # "System Product Name"
    assert info.version.doubts == ("junk-placeholder",)  # "System Version"
    assert info.chassis_manufacturer.doubts == ("junk-placeholder",)  # "Default string"
    assert info.family.confidence == 0.0  # "To be filled by O.E.M."
    assert info.model_name == "PRIME B450M-A II"  # falls back to the real baseboard name
    assert info.form_factor == "desktop"
    assert info.year.year == 2022


def test_server_r710_slots_and_sockets(tmp_path: Path) -> None:
    info = dmi.read(host_with(tmp_path, "server-dell-poweredge-r710.txt"))
    assert info.form_factor == "server"
    assert info.memory_slots == 18 and len(info.memory) == 18
    assert len(info.processors) == 2


def test_optiplex_sizes_in_mb(tmp_path: Path) -> None:
    # the dump has 4 type-17 entries, all "4096 MB" (the shared SOURCES note "4 of 8" is not what the file holds)
    info = dmi.read(host_with(tmp_path, "desktop-dell-optiplex-7050.txt"))
    assert info.memory_slots == 4
    assert [m.size_mib for m in info.memory] == [4096] * 4
    assert info.model_name == "OptiPlex 7050" and info.form_factor == "desktop"


def test_sysfs_preferred_and_serial_kept(tmp_path: Path) -> None:
    host = host_with(tmp_path, "laptop-dell-xps15-9550-battery.txt", {
        "sys_vendor": "Dell Inc.", "product_name": "XPS 15 9550", "product_serial": "5XJ2KC2",
        "chassis_type": "10", "bios_date": "07/12/2016"})
    info = dmi.read(host)
    assert info.serial.value == "5XJ2KC2" and info.serial.usable
    assert info.chassis_type == "Notebook"
    assert info.sources == ("sysfs", "dmidecode")
    assert info.year.year == 2016


def test_not_root_and_no_dmidecode_is_partial(tmp_path: Path) -> None:
    # sysfs readable but product_serial absent (root-only), dmidecode not available
    info = dmi.read(host_with(tmp_path, None, {"sys_vendor": "LENOVO", "product_name": "20L50000MC"}))
    assert any(m.startswith("dmidecode:") for m in info.missing)
    assert any(m.startswith("system-serial:") for m in info.missing)
    assert info.serial.value is None and not info.serial.usable


def test_no_dmi_at_all(tmp_path: Path) -> None:
    info = dmi.read(host_with(tmp_path))
    assert info.year.year is None and info.model_name is None and info.form_factor == "unknown"
    assert any(m.startswith("dmi-sysfs:") for m in info.missing)


@pytest.mark.parametrize("raw, doubt", [
    ("To Be Filled By O.E.M.", "junk-placeholder"), ("Default string", "junk-placeholder"),
    ("System Serial Number", "junk-placeholder"), ("0123456789", "junk-placeholder"),
    ("00000000-0000-0000-0000-000000000000", "all-zeros"), ("0000000", "all-zeros"),
    ("FFFFFFFF", "all-ones"), ("AAAAAAAA", "repeated-character"), ("--", "redacted"), ("  ", "empty"),
])
def test_junk_values(raw: str, doubt: str) -> None:
    judged = dmi.assess(raw, serial=True)
    assert doubt in judged.doubts and not judged.usable


def test_plausible_serial_and_short_serial() -> None:
    assert dmi.assess("PF1ABCDE", serial=True).confidence == 1.0
    short = dmi.assess("X1", serial=True)
    assert short.doubts == ("too-short",) and not short.usable
    assert dmi.assess("X1").usable  # a short product name is fine


@pytest.mark.parametrize("text, expected", [
    ("01/03/2023", date(2023, 1, 3)), ("12/31/99", date(1999, 12, 31)), ("06/01/12", date(2012, 6, 1)),
    ("2019-01-10", date(2019, 1, 10)), ("13/45/2020", None), ("garbage", None), (None, None),
])
def test_dmi_dates(text: str | None, expected: date | None) -> None:
    assert dmi.parse_dmi_date(text) == expected


def test_year_ignores_future_and_prehistoric_dates() -> None:
    estimate = dmi.estimate_year("01/01/2099", {"battery0": "1970-01-01"}, today=date(2025, 1, 1))
    assert estimate.year is None


def test_host_identity_junk_serial_not_trusted(tmp_path: Path) -> None:
    host = host_with(tmp_path, None, {"sys_vendor": "ASUS", "product_name": "System Product Name",
                                      "product_serial": "System Serial Number", "board_name": "PRIME B450M-A II"})
    identity = dmi.host_identity(host)
    assert identity.serial is None and identity.serial_trusted is False
    assert identity.manufacturer == "ASUS" and identity.product == "PRIME B450M-A II"


def test_host_identity_good_serial(tmp_path: Path) -> None:
    host = host_with(tmp_path, None, {"sys_vendor": "LENOVO", "product_name": "20L50000MC",
                                      "product_version": "ThinkPad T480", "product_serial": "PF1ABCDE"})
    identity = dmi.host_identity(host)
    assert (identity.serial, identity.serial_trusted, identity.product) == ("PF1ABCDE", True, "ThinkPad T480")


@given(st.text())
def test_parse_dmidecode_never_crashes(text: str) -> None:
    for record in dmi.parse_dmidecode(text):
        assert isinstance(record.type, int)


@given(st.lists(st.sampled_from([
    "Handle 0x0001, DMI type 17, 40 bytes", "Memory Device", "\tSize: 8 GB", "\tSize: No Module Installed",
    "\tSize: 99999999999 TB", "\tSpeed: fast", "\tLocator:", "\t\tlisted", "Handle 0x0002, DMI type 22, 26 bytes",
    "\tDesign Capacity: -5 mWh", "\tSBDS Manufacture Date: 2019-02-30", "Handle 0x0003, DMI type 0, 24 bytes",
    "\tRelease Date: 99/99/9999", "Handle 0x0004, DMI type 4, 48 bytes", "\tCore Count: x", "", "junk"]),
    max_size=40))
def test_dmi_read_on_mangled_dmidecode(tmp_path_factory: pytest.TempPathFactory, lines: list[str]) -> None:
    runner = ReplayRunner()
    runner.add(["dmidecode"], "\n".join(lines))
    info = dmi.read(Host(root=tmp_path_factory.mktemp("r"), runner=runner, env={}))
    assert info.year.year is None or info.year.year >= 1985
    assert all(m.size_mib is not None for m in info.memory)


@given(st.one_of(st.none(), st.text()), st.booleans())
def test_assess_total(raw: str | None, serial: bool) -> None:
    judged = dmi.assess(raw, serial)
    assert 0.0 <= judged.confidence <= 1.0
    assert judged.usable == (judged.value is not None and judged.confidence >= 0.5)
