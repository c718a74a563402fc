"""The whole-machine inventory an audit is built from: identity, CPU, memory, GPUs, network,
displays, batteries and per-disk SMART, plus what could not be read and why.

Everything goes through the `Host` boundary so an inventory can be collected from a recorded machine
profile. Slow steps (dmidecode, one smartctl per disk) run in parallel to keep a full audit short.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from station.detect.disk import Disk
from station.detect.drives import detect_disks
from station.detect.protect import Reason
from station.hw import Host
from station.inventory import battery, dmi, smart
from station.inventory import cpu_ram_pci as hardware
from station.inventory.thresholds import Thresholds
from station.inventory.thresholds import default as default_thresholds
from station.untrusted import digits_int

_SKIP_BLOCK = ("loop", "ram", "zram", "dm-", "md", "sr", "fd", "nbd", "zd")


@dataclass(frozen=True)
class OperatorSerial:
    """A serial typed or scanned by the technician from the machine's label."""

    value: str
    entered_by: str | None
    entered_at: str


@dataclass(frozen=True)
class Missing:
    """A part of the audit that could not be done, and why (not root, tool absent, no data)."""

    what: str
    why: str


@dataclass(frozen=True)
class DiskAudit:
    name: str
    devnode: str
    bus: str
    model: str | None
    serial: str | None
    size_bytes: int | None
    smart: smart.SmartReport | None
    self_test: str | None = None  # "completed", "timed out after N s", error text, or None when not asked

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "devnode": self.devnode, "bus": self.bus, "model": self.model,
                "serial": self.serial, "size_bytes": self.size_bytes,
                "smart": self.smart.summary() if self.smart else None, "self_test": self.self_test}


@dataclass
class Inventory:
    collected_at: str
    live: bool
    root: bool | None
    dmi: dmi.DmiInfo
    cpu: hardware.Cpu
    memory: hardware.Memory
    pci: list[hardware.PciDevice]
    net: list[hardware.NetInterface]
    displays: list[hardware.Display]
    batteries: list[battery.Battery]
    disks: list[DiskAudit]
    missing: list[Missing] = field(default_factory=list)
    duration_s: float = 0.0
    operator_serial: OperatorSerial | None = None  # typed or scanned from the label, see machine_serial

    @property
    def partial(self) -> bool:
        return bool(self.missing)

    def to_dict(self) -> dict[str, Any]:
        info = self.dmi
        identity = {name: getattr(info, name).to_dict() for name in (
            "manufacturer", "product", "version", "serial", "uuid", "family", "sku", "board_manufacturer",
            "board_product", "board_serial", "chassis_manufacturer", "chassis_serial", "chassis_asset_tag")}
        return {
            "collected_at": self.collected_at, "live": self.live, "root": self.root,
            "identity": identity, "model_name": info.model_name, "form_factor": info.form_factor,
            "chassis_type": info.chassis_type,
            "bios": {"vendor": info.bios_vendor, "version": info.bios_version, "date": info.bios_date},
            "year_estimate": asdict(info.year),
            "cpu": asdict(self.cpu), "memory": {"total_mib": self.memory.total_mib,
                                                 "slots": info.memory_slots,
                                                 "modules": [asdict(m) for m in info.memory]},
            "pci": [asdict(d) for d in self.pci], "net": [asdict(n) for n in self.net],
            "displays": [asdict(d) for d in self.displays], "batteries": [asdict(b) for b in self.batteries],
            "dmi_batteries": [asdict(b) for b in info.batteries],
            "disks": [d.to_dict() for d in self.disks],
            "missing": [asdict(m) for m in self.missing], "duration_s": round(self.duration_s, 3),
            "operator_serial": asdict(self.operator_serial) if self.operator_serial else None,
        }


def _bus_of(host: Host, name: str) -> str:
    path = host.realpath(f"/sys/block/{name}")
    if name.startswith("nvme"):
        return "nvme"
    if "/usb" in path:
        return "usb"
    if name.startswith("mmcblk"):
        return "mmc"
    if name.startswith("vd") or "/virtio" in path:
        return "virtio"
    if "/ata" in path:
        return "ata"
    return "scsi" if name.startswith("sd") else "unknown"


def block_disks(host: Host) -> list[tuple[str, str, str, int | None]]:
    """Fallback when detection's Disk list is not given: whole disks from /sys/block as
    (name, devnode, bus, size_bytes)."""
    out = []
    for name in host.listdir("/sys/block"):
        if name.startswith(_SKIP_BLOCK) or "boot" in name or "rpmb" in name:
            continue
        sectors = host.read_attr(f"/sys/block/{name}/size")
        count = digits_int(sectors)
        size = count * 512 if count is not None and count >= 0 else None
        if size == 0:
            continue
        out.append((name, f"/dev/{name}", _bus_of(host, name), size))
    return out


def _detected(host: Host) -> tuple[list[Disk] | None, str | None]:
    """Disks as detection sees them; on a detection failure the audit falls back to /sys/block
    rather than losing the whole audit, and says so."""
    try:
        return detect_disks(host), None
    except Exception as exc:  # a detection bug must not cost the technician the whole audit
        return None, f"disk detection failed ({type(exc).__name__}: {exc}); disks listed from /sys/block"


def _is_root(host: Host) -> bool | None:
    return os.geteuid() == 0 if host.is_live else None


def collect(host: Host, disks: Sequence[Disk] | None = None, smart_test: str | None = None,
            thresholds: Thresholds | None = None) -> Inventory:
    """Audit the machine behind `host`. Never raises for missing tools or rights: the inventory
    lists them in `.missing`. `smart_test="short"` runs and waits for a short self-test per disk."""
    if smart_test not in (None, "short"):
        raise ValueError(f"unsupported self-test {smart_test!r} (only 'short')")
    started = time.monotonic()
    limits = thresholds or default_thresholds()
    missing: list[Missing] = []
    if disks is None:
        disks, problem = _detected(host)
        if problem:
            missing.append(Missing("detection", problem))
    targets: list[tuple[str, str, str, int | None, str | None, str | None]] = (
        [(d.name, d.devnode, d.bus, d.size_bytes, d.model, d.serial.value) for d in disks
         if not any(p.reason is Reason.BOOT_MEDIUM for p in d.protections)]
        if disks is not None else
        [(n, dev, bus, size, None, None) for n, dev, bus, size in block_disks(host)])
    # drives behind a MegaRAID/Smart Array/Areca... HBA have no block device of their own: read them
    # through the controller with the -d type smartctl's scan names, instead of leaving them out
    raid_drives, raid_problem = smart.scan_raid_drives(host)
    if raid_problem and host.is_live:
        missing.append(Missing("raid-scan", raid_problem))
    raid_types = {d.label: d.device_type for d in raid_drives}
    targets += [(d.label, d.name, "raid", None, None, None) for d in raid_drives]

    def audit_disk(target: tuple[str, str, str, int | None, str | None, str | None]) -> DiskAudit:
        name, devnode, bus, size, model, serial = target
        test_note = None
        dtype = raid_types.get(name)
        if smart_test == "short" and dtype is None:
            run = smart.run_short_self_test(host, devnode, bus, limits.smart)
            report = run.report or smart.read(host, devnode, bus, limits.smart)
            test_note = "completed" if run.completed else (run.error or "not completed")
        else:
            report = smart.read(host, devnode, bus, limits.smart, device_type=dtype)
            if smart_test == "short":
                test_note = "not run: a drive behind a RAID controller is read, not tested"
        return DiskAudit(name, devnode, bus, report.model or model, report.serial or serial,
                         report.capacity_bytes or size, report, test_note)

    with ThreadPoolExecutor(max_workers=max(2, min(8, len(targets) + 1))) as pool:
        dmi_future = pool.submit(dmi.read, host)
        disk_futures = [pool.submit(audit_disk, t) for t in targets]
        cpu = hardware.read_cpu(host)
        memory = hardware.read_memory(host)
        pci = hardware.read_pci(host)
        net = hardware.read_net(host)
        displays = hardware.read_displays(host)
        batteries = battery.read_all(host, limits.battery)
        info = dmi_future.result()
        disk_audits = [f.result() for f in disk_futures]

    missing.extend(Missing(*entry.split(": ", 1)) if ": " in entry else Missing(entry, "")
                   for entry in info.missing)
    root = _is_root(host)
    if root is False:
        missing.append(Missing("root", "not running as root: serial numbers, dmidecode and SMART are partial"))
    if cpu.model is None:
        missing.append(Missing("cpu", "/proc/cpuinfo unreadable or without a model name"))
    if memory.total_mib is None:
        missing.append(Missing("memory", "/proc/meminfo unreadable"))
    if not targets:
        missing.append(Missing("disks", "no disk found under /sys/block"))
    for disk_audit in disk_audits:
        report = disk_audit.smart
        if report is not None and report.health == "unknown":
            missing.append(Missing(f"smart:{disk_audit.name}", report.error or "no SMART data"))
    return Inventory(
        collected_at=datetime.now(UTC).replace(microsecond=0).isoformat(), live=host.is_live, root=root,
        dmi=info, cpu=cpu, memory=memory, pci=pci, net=net, displays=displays, batteries=batteries,
        disks=disk_audits, missing=missing, duration_s=time.monotonic() - started)
