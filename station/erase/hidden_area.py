"""Hidden areas of an ATA drive: HPA / AMA (current vs native max) and DCO (factory max).

A host overwrite only reaches the sectors the drive exposes; an HPA, a reduced Accessible Max
Address or a DCO hides the rest. Station reads them (`hdparm -N`, `hdparm --dco-identify`),
removes them before an erase when the drive allows it, and records the values before and after,
so a certificate can say exactly which sectors were (not) reachable.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from station.detect.disk import Disk
from station.hw import Host
from station.untrusted import digits_int

YES = "--yes-i-know-what-i-am-doing"


@dataclass(frozen=True)
class HiddenArea:
    current_max: int | None  # sectors the host can address now
    native_max: int | None  # sectors without HPA / AMA reduction
    hpa_enabled: bool | None
    mechanism: str | None  # "hpa" or "ama" (ACS-3 Accessible Max Address), when hdparm says which
    dco_real_max: int | None  # "Real max sectors" from DCO IDENTIFY: the factory size
    reason: str = ""  # why a value is None (not ATA, tool missing, command refused ...)

    @property
    def hidden_by_hpa(self) -> int | None:
        if self.current_max is None or self.native_max is None:
            return None
        return max(0, self.native_max - self.current_max)

    @property
    def hidden_by_dco(self) -> int | None:
        if self.dco_real_max is None or self.native_max is None:
            return None
        return max(0, self.dco_real_max - self.native_max)

    @property
    def hidden_sectors(self) -> int | None:
        """Sectors a host overwrite cannot reach; None when unknown (never assumed zero)."""
        if self.hidden_by_hpa is None:
            return None
        return self.hidden_by_hpa + (self.hidden_by_dco or 0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class HiddenAreaRemoval:
    before: HiddenArea
    after: HiddenArea
    actions: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def removed(self) -> bool:
        """True only when the drive now reports nothing hidden."""
        return self.after.hidden_sectors == 0

    def certificate_note(self) -> str | None:
        """The sentence a certificate must carry when hidden sectors stayed out of reach."""
        if self.removed:
            return None
        hidden = self.after.hidden_sectors
        what = f"{hidden} hidden sectors" if hidden is not None else "an unknown number of hidden sectors"
        return f"{what} (HPA/DCO) were not erased: {'; '.join(self.messages) or self.after.reason}"


_MAX = re.compile(r"max sectors\s*=\s*([0-9]+)/([0-9]+)(?:,\s*(HPA is|ACCESSIBLE MAX ADDRESS) (enabled|disabled))?")
_DCO_MAX = re.compile(r"Real max sectors:\s*([0-9]+)")


def parse_hdparm_n(text: str) -> tuple[int, int, bool | None, str | None] | None:
    """`hdparm -N`: ' max sectors   = cur/native, HPA is enabled' or ', ACCESSIBLE MAX ADDRESS enabled'.

    None when there is no such line or it cannot be a drive's answer (a number past 40 digits, a current
    max above the native max): "nothing hidden" must never be read out of garbage.
    """
    m = _MAX.search(text)
    if not m:
        return None
    current, native = digits_int(m.group(1)), digits_int(m.group(2))
    if current is None or native is None or current > native:
        return None
    enabled = None if m.group(4) is None else m.group(4) == "enabled"
    mechanism = None if m.group(3) is None else ("hpa" if m.group(3) == "HPA is" else "ama")
    return current, native, enabled, mechanism


def parse_dco_identify(text: str) -> int | None:
    m = _DCO_MAX.search(text)
    return digits_int(m.group(1)) if m else None


def detect(host: Host, disk: Disk) -> HiddenArea:
    if disk.bus not in ("ata", "sata", "usb"):
        return HiddenArea(None, None, None, None, None, reason=f"{disk.bus} drive: HPA/DCO are ATA features")
    n = host.run(["hdparm", "-N", disk.devnode])
    parsed = parse_hdparm_n(n.stdout) if n.ok else None
    if parsed is None:
        why = (n.stderr.strip() or n.stdout.strip() or f"exit {n.returncode}").splitlines()[-1]
        return HiddenArea(None, None, None, None, None, reason=f"hdparm -N gave no max sectors: {why}")
    current, native, enabled, mechanism = parsed
    d = host.run(["hdparm", "--dco-identify", disk.devnode])
    dco = parse_dco_identify(d.stdout) if d.ok else None
    reason = "" if dco is not None else "DCO IDENTIFY not answered (no DCO, or frozen): DCO size unknown"
    return HiddenArea(current, native, enabled, mechanism, dco, reason=reason)


def remove(host: Host, disk: Disk, before: HiddenArea | None = None) -> HiddenAreaRemoval:
    """Restore the factory size: DCO restore first (it may reveal more), then set max to native.

    The kernel keeps the old capacity until the device is rescanned; the engine must re-read the
    size before it overwrites.
    """
    before = before or detect(host, disk)
    result = HiddenAreaRemoval(before, before)
    if before.hidden_sectors is None:
        result.messages.append("hidden areas unknown: " + before.reason)
        return result
    if before.hidden_by_dco:
        res = host.run(["hdparm", YES, "--dco-restore", disk.devnode])
        result.actions.append(f"dco-restore: exit {res.returncode}")
        if not res.ok:
            result.messages.append(f"DCO restore refused ({(res.stderr or res.stdout).strip()[-200:]})")
    mid = detect(host, disk)
    if mid.hidden_by_hpa and mid.native_max is not None:
        res = host.run(["hdparm", YES, "-N", f"p{mid.native_max}", disk.devnode])
        result.actions.append(f"set max to native p{mid.native_max}: exit {res.returncode}")
        if not res.ok:
            result.messages.append(f"HPA/AMA removal refused ({(res.stderr or res.stdout).strip()[-200:]})")
    result.after = detect(host, disk)
    if result.after.hidden_sectors:
        result.messages.append(f"{result.after.hidden_sectors} sectors still hidden after removal attempts")
    return result


def prepare(host: Host, disk: Disk) -> tuple[str, str | None]:
    """Before an erase: restore the factory size where something is hidden, then tell the job record
    what it may claim: ("none" | "removed" | "present-not-erased" | "not-checked", detail)."""
    before = detect(host, disk)
    if disk.bus not in ("ata", "sata", "usb"):
        return "none", before.reason
    hidden = before.hidden_sectors
    if hidden is None:
        return "not-checked", before.reason
    kernel_sectors = disk.size_bytes // max(1, disk.logical_block_size)
    if before.current_max != kernel_sectors:
        # a bridge or an emulation that does not pass ATA commands answers hdparm with garbage
        return "not-checked", (f"hdparm -N reports {before.current_max} addressable sectors but the kernel sees "
                               f"{kernel_sectors}: the answer is not the drive's, HPA/DCO unknown")
    if hidden == 0:
        detail = f"max sectors {before.current_max} = native {before.native_max}"
        return "none", f"{detail}; {before.reason}" if before.reason else detail
    removal = remove(host, disk, before)
    if not removal.removed:
        return "present-not-erased", removal.certificate_note() or "; ".join(removal.messages)
    rescan = host.path(f"/sys/class/block/{disk.name}/device/rescan")
    try:
        rescan.write_text("1")  # the kernel re-reads the capacity before the engine opens the drive
    except OSError as exc:
        return "present-not-erased", f"hidden area removed but the kernel could not rescan the drive: {exc}"
    return "removed", (f"{hidden} hidden sectors restored: max {before.current_max} -> "
                       f"{removal.after.current_max}; " + "; ".join(removal.actions))
