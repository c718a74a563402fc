"""Builds Inventory objects from the real fixtures, for the verdict and audit tests."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from station.hw import Host, ReplayRunner
from station.inventory import battery, dmi, smart
from station.inventory.cpu_ram_pci import Cpu, Memory
from station.inventory.machine import DiskAudit, Inventory, Missing

FIXTURES = Path(__file__).parent / "fixtures"


def thinkpad_dmi(tmp_path: Path, serial: str | None = "PF1ABCDE") -> dmi.DmiInfo:
    runner = ReplayRunner()
    runner.add(["dmidecode"], (FIXTURES / "dmidecode" / "laptop-lenovo-thinkpad-t480-battery-sbds.txt").read_text())
    root = tmp_path / "dmiroot"
    root.mkdir(exist_ok=True)
    info = dmi.read(Host(root=root, runner=runner, env={}))
    # the dump's serial is redacted ("--"); a laptop label serial stands in for the real one
    return replace(info, serial=dmi.assess(serial, serial=True), missing=())


def thinkpad_battery(tmp_path: Path, fixture: str = "uevent-BAT0-energy-smp-42t4977-i3status-186.txt"
                     ) -> battery.Battery:
    root = tmp_path / "batroot"
    (root / "sys/class/power_supply/BAT0").mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "power_supply" / fixture, root / "sys/class/power_supply/BAT0/uevent")
    return battery.read_battery(Host(root=root, env={}), "BAT0")


def disk(name: str, fixture: str) -> DiskAudit:
    report = smart.parse((FIXTURES / "smartctl" / fixture).read_bytes(), f"/dev/{name}",
                         ("smartctl", "--json", "-x", f"/dev/{name}"))
    return DiskAudit(name, f"/dev/{name}", "nvme" if name.startswith("nvme") else "ata", report.model,
                     report.serial, report.capacity_bytes, report)


def inventory(tmp_path: Path, *, disks: list[DiskAudit] | None = None, batteries: list[battery.Battery] | None = None,
              info: dmi.DmiInfo | None = None, missing: list[Missing] | None = None, ram_mib: int = 24000,
              is_64bit: bool = True) -> Inventory:
    return Inventory(
        collected_at="2025-01-01T00:00:00+00:00", live=False, root=None,
        dmi=info or thinkpad_dmi(tmp_path),
        cpu=Cpu("Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz", "GenuineIntel", 1, 4, 8, 3400, is_64bit),
        memory=Memory(ram_mib), pci=[], net=[], displays=[],
        batteries=batteries if batteries is not None else [thinkpad_battery(tmp_path)],
        disks=disks if disks is not None else [disk("nvme0n1", "nvme-intel-ssdpeknw010t8-healthy.json")],
        missing=missing or [])


JUNK_DMI = FIXTURES / "dmidecode" / "desktop-asus-prime-b450m-a-ii-default-string.txt"


def recorded_profile(tmp_path: Path, dmidecode_stdout: Path | None = JUNK_DMI, returncode: int = 0,
                     stderr: str = "", base: str = "laptop-nvme-usbkey") -> Path:
    """A recorded machine profile (real udev/sysfs tree of `base`) whose `dmidecode` answers with a
    recorded dump: by default the ASUS board whose system, chassis and board serials are all junk.
    `dmidecode_stdout=None` leaves dmidecode unrecorded (the tool is absent)."""
    profile = tmp_path / "profile"
    shutil.copytree(FIXTURES / "profiles" / base, profile, symlinks=True)
    if dmidecode_stdout is not None:
        (profile / "outputs").mkdir(exist_ok=True)
        shutil.copy(dmidecode_stdout, profile / "outputs" / "dmidecode.txt")
        (profile / "commands.json").write_text(json.dumps([
            {"argv": ["dmidecode"], "returncode": returncode, "stdout_file": "outputs/dmidecode.txt",
             "stderr": stderr}]))
    return profile
