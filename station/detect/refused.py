"""Drives the kernel refused to attach: present in the machine, absent from /sys/block.

An NVMe controller whose identity duplicates another's (same serial, hence the same subsystem NQN
on drives that do not declare multi-controller support) is rejected by the kernel's nvme driver:
"nvme nvme1: Duplicate cntlid 0 with nvme0, subsys nqn...., rejecting", then "Removing after probe
failure". The PCI function stays, with no driver bound and no block device. Without this module
such a drive is silently absent; a technician who slid two drives in sees one and may certify a lot
as complete. The kernel log is read through the Host (`dmesg`, recorded in machine profiles) and each
refusal is kept only while the PCI function is still there without a driver: a drive pulled since,
or re-probed successfully (the kernel reuses the name nvme1 for the next controller), is not listed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from station.hw import Host
from station.i18n import N_
from station.notice import Notice, define

define({
    "refused.nvme": N_("the kernel refused this NVMe controller, so it has no block device and cannot be erased "
                       "here: {kernel}"),
    "refused.duplicate-advice": N_("it carries the same identity (serial, subsystem NQN) as a drive already "
                                   "attached: erase that one, take it out, then re-plug this one (or rescan PCI)"),
})

# "[   25.457399] " (dmesg) or "<3>[   25.457399] " (dmesg -r) before the message
_PREFIX = r"^(?:<\d+>)?(?:\[\s*[\d.]+\]\s*)?"
_PCI_ADDRESS = r"([0-9a-fA-F]{4,}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])"
_PROBE = re.compile(_PREFIX + r"nvme (nvme\d+): pci function " + _PCI_ADDRESS + r"\s*$")
_FAILED = re.compile(_PREFIX + r"nvme (nvme\d+): (.*(?:rejecting|duplicate subnqn|does not support multiple "
                     r"controllers|probe failure).*?)\s*$", re.IGNORECASE)
_DUPLICATE = re.compile(r"duplicate|multiple controllers", re.IGNORECASE)


NO_DMESG = "dmesg is not available"


@dataclass(frozen=True)
class RefusedDrive:
    """A PCI function the kernel would not attach a drive driver to, with the kernel's own words."""

    address: str  # PCI address, e.g. 0000:05:00.0
    controller: str | None  # the name the kernel tried (nvme1); reused by the next controller, so not an id
    kernel_messages: tuple[str, ...]
    vendor_device: str | None = None  # e.g. 1b36:0010

    @property
    def duplicate(self) -> bool:
        return any(_DUPLICATE.search(m) for m in self.kernel_messages)

    def notice(self) -> Notice:
        return Notice.of("refused.nvme", kernel=self.kernel_messages[0] if self.kernel_messages else "?")

    def advice(self) -> Notice | None:
        return Notice.of("refused.duplicate-advice") if self.duplicate else None

    def to_dict(self) -> dict[str, object]:
        advice = self.advice()
        return {"address": self.address, "controller": self.controller, "vendor_device": self.vendor_device,
                "kernel_messages": list(self.kernel_messages), "reason": self.notice().text(),
                "advice": advice.text() if advice else None, "selectable": False}


@dataclass(frozen=True)
class KernelRefusals:
    drives: tuple[RefusedDrive, ...]
    problem: str | None = None  # why the kernel log could not be read: refusals unknown, not "none"
    log_missing: bool = False  # no dmesg at all (a recorded profile without a kernel log): nothing to warn about


def parse_kernel_log(text: str) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """PCI address -> (controller name, the failure messages of its last probe), for probes that failed."""
    names: dict[str, str] = {}  # controller name -> PCI address of its latest probe
    probes: dict[str, tuple[str | None, list[str]]] = {}
    for line in text.splitlines():
        probe = _PROBE.match(line)
        if probe is not None:
            name, address = probe.group(1), probe.group(2).lower()
            names[name] = address
            probes[address] = (name, [])  # a new probe of this function: earlier failures are history
            continue
        failed = _FAILED.match(line)
        if failed is not None and failed.group(1) in names:
            probes[names[failed.group(1)]][1].append(failed.group(2))
    return {address: (name, tuple(messages)) for address, (name, messages) in probes.items() if messages}


def read_kernel_log(host: Host) -> tuple[str | None, str | None]:
    """(log text, None) or (None, why it could not be read)."""
    result = host.run(["dmesg"], timeout=30)
    if result.returncode == 127:
        return None, NO_DMESG
    if not result.ok:
        return None, (result.stderr.strip() or f"dmesg exited with {result.returncode}")
    return result.stdout, None


def scan(host: Host, log_text: str | None = None) -> KernelRefusals:
    """Refused drives still in the machine: failed in the kernel log, and their PCI function without a driver."""
    problem = None
    if log_text is None:
        log_text, problem = read_kernel_log(host)
    if log_text is None:
        return KernelRefusals((), problem, problem == NO_DMESG)
    found = []
    for address, (name, messages) in sorted(parse_kernel_log(log_text).items()):
        base = f"/sys/bus/pci/devices/{address}"
        if not host.path(base).exists() or host.path(f"{base}/driver").exists():
            continue  # pulled since, or attached by a later probe
        found.append(RefusedDrive(address, name, messages, _vendor_device(host, base)))
    return KernelRefusals(tuple(found), problem)


def _vendor_device(host: Host, base: str) -> str | None:
    ids: Mapping[str, str | None] = {k: host.read_attr(f"{base}/{k}") for k in ("vendor", "device")}
    if not ids["vendor"] or not ids["device"]:
        return None
    return f"{ids['vendor'].removeprefix('0x')}:{ids['device'].removeprefix('0x')}"
