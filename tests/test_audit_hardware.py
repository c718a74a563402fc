"""CPU/memory/EDID readers and `inventory.collect` on a composed machine root (real fixtures + this
host's /proc files), including the partial-audit reasons."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from station.hw import Host, ReplayRunner
from station.inventory import cpu_ram_pci as hardware
from station.inventory.machine import collect

FIXTURES = Path(__file__).parent / "fixtures"
PROFILES = FIXTURES / "profiles"


def live_proc(root: Path) -> None:
    (root / "proc").mkdir(parents=True, exist_ok=True)
    for name in ("cpuinfo", "meminfo"):
        (root / "proc" / name).write_text(Path(f"/proc/{name}").read_text())


def test_cpu_and_memory_from_this_hosts_proc(tmp_path: Path) -> None:
    live_proc(tmp_path)
    cpu = hardware.read_cpu(Host(root=tmp_path, env={}))
    processors = Path("/proc/cpuinfo").read_text().count("\nprocessor") + \
        Path("/proc/cpuinfo").read_text().startswith("processor")
    assert cpu.threads == processors and cpu.model
    mem = hardware.read_memory(Host(root=tmp_path, env={}))
    assert mem.total_mib is not None and mem.total_mib > 0


def synthetic_edid() -> bytes:
    """synthetic-edid: a 128-byte EDID 1.4 block built here (manufacturer LEN, product 0x40a0,
    serial 1234, 2017, 31x17 cm, monitor name descriptor "TEST PANEL")."""
    blob = bytearray(128)
    blob[0:8] = b"\x00\xff\xff\xff\xff\xff\xff\x00"
    word = ((ord("L") - 64) << 10) | ((ord("E") - 64) << 5) | (ord("N") - 64)
    blob[8], blob[9] = word >> 8, word & 0xFF
    blob[10], blob[11] = 0xA0, 0x40
    blob[12:16] = (1234).to_bytes(4, "little")
    blob[17] = 2017 - 1990
    blob[18], blob[19] = 1, 4
    blob[21], blob[22] = 31, 17
    blob[72:77] = b"\x00\x00\x00\xfc\x00"
    blob[77:90] = b"TEST PANEL\n  "
    return bytes(blob)


def test_parse_edid() -> None:
    display = hardware.parse_edid(synthetic_edid(), "eDP-1")
    assert display is not None
    assert (display.manufacturer_id, display.product_code, display.serial, display.year) == ("LEN", 0x40A0, 1234, 2017)
    assert display.name == "TEST PANEL" and display.diagonal_inch == pytest.approx(13.9, abs=0.1)
    assert hardware.parse_edid(b"\x00" * 128) is None and hardware.parse_edid(b"") is None


def test_displays_from_drm(tmp_path: Path) -> None:
    conn = tmp_path / "sys/class/drm/card0-eDP-1"
    conn.mkdir(parents=True)
    (conn / "edid").write_bytes(synthetic_edid())
    (tmp_path / "sys/class/drm/card0-HDMI-A-1").mkdir()
    (tmp_path / "sys/class/drm/card0-HDMI-A-1/edid").write_bytes(b"")  # nothing plugged in
    displays = hardware.read_displays(Host(root=tmp_path, env={}))
    assert [d.connector for d in displays] == ["eDP-1"]


def test_collect_composed_laptop(tmp_path: Path) -> None:
    root = tmp_path / "root"
    live_proc(root)
    shutil.copytree(FIXTURES / "power_supply/procfs-thinkpad-lgc-45n1-sysfs", root / "sys/class/power_supply")
    runner = ReplayRunner()
    runner.add(["dmidecode"], (FIXTURES / "dmidecode/laptop-lenovo-thinkpad-t480-battery-sbds.txt").read_text())
    inv = collect(Host(root=root, runner=runner, env={}), disks=[])
    assert inv.dmi.model_name == "ThinkPad T480" and inv.dmi.year.year == 2018
    assert [b.name for b in inv.batteries] == ["BAT0"]
    assert inv.cpu.threads and inv.memory.total_mib
    # no /sys/class/dmi/id and no disk: both said, nothing crashed
    whats = {m.what for m in inv.missing}
    assert "dmi-sysfs" in whats and "disks" in whats
    assert json.dumps(inv.to_dict())  # JSON-ready


def test_collect_profile_with_recorded_smartctl(tmp_path: Path) -> None:
    profile = tmp_path / "laptop"
    shutil.copytree(PROFILES / "laptop-nvme-usbkey", profile, symlinks=True)
    smart_out = (FIXTURES / "smartctl/nvme-samsung-970evo-media-errors.json").read_text()
    (profile / "commands.json").write_text(json.dumps([
        {"argv": ["smartctl", "--json", "-x", "/dev/nvme0n1"], "returncode": 0, "stdout": smart_out}]))
    inv = collect(Host.recorded(profile))
    nvme = next(d for d in inv.disks if d.name == "nvme0n1")
    assert nvme.smart is not None and nvme.smart.health == "warning"
    assert nvme.smart.raw_json == smart_out.encode()
    others = [d for d in inv.disks if d.name != "nvme0n1"]
    assert all(d.smart is not None and d.smart.health == "unknown" for d in others)  # nothing recorded for them
    assert {f"smart:{d.name}" for d in others} <= {m.what for m in inv.missing}


def test_collect_rejects_unknown_self_test(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        collect(Host(root=tmp_path, env={}), disks=[], smart_test="long")
