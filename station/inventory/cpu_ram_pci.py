"""CPU, memory, PCI graphics and network adapters, and displays (EDID), from procfs and sysfs.

These need no root and no external tool, so they are always present in an audit; names for PCI
ids come from the pci.ids database when the host has one, the numeric ids are kept regardless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from station.hw import Host
from station.untrusted import digits_int

PCI_IDS_PATHS = ("/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids")


@dataclass(frozen=True)
class Cpu:
    model: str | None
    vendor: str | None
    sockets: int | None
    cores: int | None
    threads: int | None
    max_mhz: int | None
    is_64bit: bool | None


@dataclass(frozen=True)
class Memory:
    total_mib: int | None  # what the kernel sees (MemTotal), a little below the installed size


@dataclass(frozen=True)
class PciDevice:
    address: str
    kind: str  # "gpu" | "network"
    vendor_id: str
    device_id: str
    vendor: str | None
    name: str | None
    driver: str | None


@dataclass(frozen=True)
class NetInterface:
    name: str
    mac: str | None
    wireless: bool
    pci_address: str | None
    driver: str | None


@dataclass(frozen=True)
class Display:
    connector: str
    manufacturer_id: str | None
    product_code: int | None
    serial: int | None
    name: str | None
    year: int | None
    width_cm: int | None
    height_cm: int | None
    diagonal_inch: float | None


def read_cpu(host: Host) -> Cpu:
    text = host.read_text("/proc/cpuinfo") or ""
    model = vendor = None
    processors = 0
    physical: set[str] = set()
    core_keys: set[tuple[str, str]] = set()
    flags: set[str] = set()
    current_phys = "0"
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "processor":
            processors += 1
        elif key == "model name" and model is None:
            model = " ".join(value.split())
        elif key == "vendor_id" and vendor is None:
            vendor = value
        elif key == "physical id":
            physical.add(value)
            current_phys = value
        elif key == "core id":
            core_keys.add((current_phys, value))
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
        elif key == "CPU implementer" and vendor is None:
            vendor = f"arm-implementer-{value}"
    online = host.read_attr("/sys/devices/system/cpu/online")
    threads = _count_cpu_list(online) if online else (processors or None)
    max_khz = 0
    for name in host.listdir("/sys/devices/system/cpu"):
        if re.fullmatch(r"cpu\d+", name):
            freq = host.read_attr(f"/sys/devices/system/cpu/{name}/cpufreq/cpuinfo_max_freq")
            khz = digits_int(freq)
            if khz is not None and khz > 0:
                max_khz = max(max_khz, khz)
    if max_khz == 0 and model:
        match = re.search(r"@\s*([0-9]{1,3}(?:\.[0-9]{1,4})?)\s*GHz", model)
        if match:
            max_khz = int(float(match.group(1)) * 1e6)
    is_64 = ("lm" in flags) if flags and vendor and not vendor.startswith("arm") else None
    return Cpu(model=model, vendor=vendor, sockets=len(physical) or None, cores=len(core_keys) or None,
               threads=threads, max_mhz=max_khz // 1000 or None, is_64bit=is_64)


def _count_cpu_list(text: str) -> int | None:
    """`0-3,6`: how many CPUs a sysfs cpu list names; None when it is not such a list."""
    count = 0
    for part in text.split(","):
        lo, sep, hi = part.partition("-")
        first, last = digits_int(lo), digits_int(hi) if sep else digits_int(lo)
        if first is None or last is None or first < 0 or last < first:
            return None
        count += last - first + 1
    return count or None


def read_memory(host: Host) -> Memory:
    for line in (host.read_text("/proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            match = re.search(r"([0-9]+)\s*kB", line)
            kib = digits_int(match.group(1)) if match else None
            if kib is not None:
                return Memory(kib // 1024)
    return Memory(None)


class PciNames:
    """Lazy pci.ids lookup: only the vendors asked for are parsed out of the (large) file."""

    def __init__(self, host: Host) -> None:
        self._text: str | None = None
        self._host = host
        self._loaded = False

    def _load(self) -> str:
        if not self._loaded:
            self._loaded = True
            for path in PCI_IDS_PATHS:
                self._text = self._host.read_text(path)
                if self._text:
                    break
        return self._text or ""

    def lookup(self, vendor_id: str, device_id: str) -> tuple[str | None, str | None]:
        text = self._load()
        match = re.search(rf"^{vendor_id}  (.+)$", text, re.MULTILINE)
        if not match:
            return None, None
        vendor = match.group(1).strip()
        block_end = re.search(r"^[0-9a-f]{4}  ", text[match.end():], re.MULTILINE)
        block = text[match.end(): match.end() + block_end.start()] if block_end else text[match.end():]
        dev = re.search(rf"^\t{device_id}  (.+)$", block, re.MULTILINE)
        return vendor, dev.group(1).strip() if dev else None


def read_pci(host: Host, names: PciNames | None = None) -> list[PciDevice]:
    names = names or PciNames(host)
    devices = []
    for address in host.listdir("/sys/bus/pci/devices"):
        base = f"/sys/bus/pci/devices/{address}"
        pci_class = host.read_attr(f"{base}/class") or ""
        if pci_class.startswith("0x03"):
            kind = "gpu"
        elif pci_class.startswith("0x02"):
            kind = "network"
        else:
            continue
        vendor_id = (host.read_attr(f"{base}/vendor") or "").removeprefix("0x").lower()
        device_id = (host.read_attr(f"{base}/device") or "").removeprefix("0x").lower()
        vendor, name = names.lookup(vendor_id, device_id) if vendor_id and device_id else (None, None)
        driver_link = host.realpath(f"{base}/driver")
        driver = driver_link.rsplit("/", 1)[-1] if "/drivers/" in driver_link else None
        devices.append(PciDevice(address, kind, vendor_id, device_id, vendor, name, driver))
    return devices


def read_net(host: Host) -> list[NetInterface]:
    """Physical interfaces only (those with a `device` link); MACs identify the adapters."""
    out = []
    for name in host.listdir("/sys/class/net"):
        base = f"/sys/class/net/{name}"
        if not host.path(f"{base}/device").exists():
            continue
        device = host.realpath(f"{base}/device")
        pci = device.rsplit("/", 1)[-1] if "/pci" in device else None
        driver_link = host.realpath(f"{base}/device/driver")
        driver = driver_link.rsplit("/", 1)[-1] if "/drivers/" in driver_link else None
        wireless = host.path(f"{base}/wireless").exists() or host.path(f"{base}/phy80211").exists()
        out.append(NetInterface(name, host.read_attr(f"{base}/address"), wireless, pci, driver))
    return out


def parse_edid(blob: bytes, connector: str = "") -> Display | None:
    """EDID 1.x base block: PNP manufacturer id, product code, serial, year, size, monitor name."""
    if len(blob) < 128 or blob[:8] != b"\x00\xff\xff\xff\xff\xff\xff\x00":
        return None
    word = (blob[8] << 8) | blob[9]
    letters = [((word >> shift) & 0x1F) for shift in (10, 5, 0)]
    manufacturer = "".join(chr(ord("A") + n - 1) for n in letters) if all(1 <= n <= 26 for n in letters) else None
    product = blob[10] | (blob[11] << 8)
    serial = int.from_bytes(blob[12:16], "little") or None
    year = 1990 + blob[17] if blob[17] not in (0, 0xFF) else None
    width, height = blob[21] or None, blob[22] or None
    diagonal = round(((width or 0) ** 2 + (height or 0) ** 2) ** 0.5 / 2.54, 1) if width and height else None
    name = None
    for offset in (54, 72, 90, 108):
        desc = blob[offset:offset + 18]
        if desc[:3] == b"\x00\x00\x00" and desc[3] == 0xFC:
            name = desc[5:18].split(b"\n")[0].decode("ascii", "replace").strip() or None
    return Display(connector, manufacturer, product, serial, name, year, width, height, diagonal)


def read_displays(host: Host) -> list[Display]:
    out = []
    for connector in host.listdir("/sys/class/drm"):
        if "-" not in connector:
            continue
        try:
            blob = host.path(f"/sys/class/drm/{connector}/edid").read_bytes()
        except OSError:
            continue
        display = parse_edid(blob, connector.split("-", 1)[1])
        if display is not None:
            out.append(display)
    return out
