"""Which drives are attached, who they are, and whether Station may touch them.

Enumeration reads the kernel's and udev's own records through a `Host`: `/sys/block` for the
whole disks, `/run/udev/data/b<maj>:<min>` for udev properties (the udev database format), sysfs
attributes for sizes and flags. The same files exist on a recorded profile and on the live
machine, so one code path serves tests, the demo and real hardware.

The serial printed on a certificate carries its provenance: the drive's own IDENTIFY answer (via
`smartctl --json -i`), udev's view, or only a USB enclosure's iSerial. Junk, placeholder and
duplicate serials are flagged, never silently trusted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from station.detect.disk import Disk, DiskKind, SerialInfo, SerialSource
from station.detect.protect import protections_for_disk
from station.hw import Host
from station.store import atomic
from station.untrusted import JsonError, digits_int, has_unreadable_characters, load_json

BAYS_FILE = "bays.json"

# Kernel name prefixes that are never erasable drives (RAM disks, optical, floppy, stacks, zvols).
SKIPPED_PREFIXES = ("ram", "zram", "sr", "fd", "md", "dm-", "nbd", "mtdblock", "zd", "drbd", "rbd")

# Serial strings firmware writers leave in place of a real serial (compared case-insensitively).
PLACEHOLDER_SERIALS = frozenset(s.casefold() for s in (
    "To Be Filled By O.E.M.", "To be filled by O.E.M.", "Default string", "0123456789", "123456789",
    "1234567890", "None", "Not Specified", "Not Available", "N/A", "NA", "System Serial Number",
    "Serial", "SerialNumber", "Unknown", "XXXXXXXX", "0x00000000", "Default", "Empty",
))
MIN_SERIAL_LENGTH = 4

# Short hint codes stored on Disk.hints / HostHint.code, with the text shown to the technician.
HINTS: dict[str, tuple[str, str]] = {
    "behind-intel-vmd": (
        "Disque NVMe derrière un contrôleur Intel VMD (mode RST) : si des disques manquent, passer le "
        "contrôleur en AHCI dans le BIOS.",
        "NVMe drive behind an Intel VMD controller (RST mode): if drives are missing, switch the "
        "controller to AHCI in the firmware setup."),
    "raid-metadata": (
        "Le disque porte des métadonnées RAID du BIOS (Intel RST/DDF) : l'effacement détruira la grappe.",
        "The drive carries firmware RAID metadata (Intel RST/DDF): erasing it destroys the array."),
    "usb-bridge-no-passthrough": (
        "Boîtier USB sans transmission des commandes ATA : pas de Purge possible, le numéro de série "
        "est celui du boîtier. Brancher le disque en SATA si possible.",
        "USB enclosure does not pass ATA commands through: no Purge, the serial is the enclosure's. "
        "Connect the drive over SATA if possible."),
    "usb-bridge-passthrough-unchecked": (
        "Disque USB : transmission ATA non vérifiée (smartctl absent), numéro de série du boîtier.",
        "USB drive: ATA pass-through not checked (smartctl missing), serial is the enclosure's."),
    "usb-bridge-passthrough": (
        "Boîtier USB qui transmet les commandes ATA : identité du disque lue directement.",
        "USB enclosure passes ATA commands through: the drive's own identity was read."),
    "block-size-assumed": (
        "Taille de secteur non publiée par le noyau : 512 octets supposés.",
        "Sector size not published by the kernel: 512 bytes assumed."),
    "intel-raid-mode-may-hide-nvme": (
        "Contrôleur Intel en mode RAID/VMD sans pilote vmd actif : des disques NVMe peuvent être "
        "cachés. Passer en AHCI dans le BIOS.",
        "Intel controller in RAID/VMD mode without an active vmd driver: NVMe drives may be hidden. "
        "Switch to AHCI in the firmware setup."),
}


def hint_text(code: str, lang: str = "fr") -> str:
    texts = HINTS.get(code)
    if texts is None:
        return code
    return texts[0] if lang == "fr" else texts[1]


class BayConfigError(ValueError):
    """bays.json exists but cannot be used; the message says why and where."""


@dataclass(frozen=True)
class HostHint:
    """A finding about the machine rather than one disk (e.g. NVMe hidden by RAID mode)."""

    code: str
    detail: str


@dataclass(frozen=True)
class Identify:
    """What `smartctl --json -i` said about a device: the drive's own identity when pass-through works."""

    returncode: int
    serial: str | None
    model: str | None
    firmware: str | None
    wwn: str | None
    protocol: str | None  # "ATA", "NVMe", "SCSI" or None when smartctl could not talk to the drive
    device_type: str | None  # smartctl's -d type: sat, usbjmicron, nvme, scsi, ...
    rotation_rate: int | None  # 0 = solid state, >0 = rpm
    logical_block_size: int | None
    physical_block_size: int | None
    messages: tuple[str, ...]
    raw: str

    @property
    def passthrough(self) -> bool:
        """True when the answer came from the drive itself (ATA IDENTIFY / NVMe Identify)."""
        return self.protocol in ("ATA", "NVMe") and bool(self.serial)


@dataclass(frozen=True)
class Detection:
    disks: tuple[Disk, ...]
    hints: tuple[HostHint, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (kernel name, reason) for what was left out
    evidence: Mapping[str, str] = field(default_factory=dict)  # kernel name -> smartctl -i JSON text


@dataclass(frozen=True)
class UdevRecord:
    properties: Mapping[str, str]
    links: tuple[str, ...]  # /dev/... symlinks (by-id, by-path, ...)


def udev_record(host: Host, devnum: str | None) -> UdevRecord:
    """Parse udev's database entry for a block device (E: properties, S: symlinks); empty when absent."""
    props: dict[str, str] = {}
    links: list[str] = []
    if devnum and re.fullmatch(r"[0-9]{1,10}:[0-9]{1,10}", devnum):
        for line in (host.read_text(f"/run/udev/data/b{devnum}") or "").splitlines():
            if line.startswith("E:") and "=" in line:
                key, value = line[2:].split("=", 1)
                props[key] = value
            elif line.startswith("S:"):
                links.append("/dev/" + line[2:])
    return UdevRecord(props, tuple(links))


def _decode_udev(value: str | None) -> str | None:
    r"""Decode udev's \xNN escapes (ID_MODEL_ENC) and trim padding."""
    if value is None:
        return None
    decoded = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), value).strip()
    return decoded or None


def _int(value: str | None) -> int | None:
    """A sysfs or udev count: a non-negative decimal of at most 40 digits, else unknown."""
    number = digits_int(value)
    return number if number is not None and number >= 0 else None


def _count(value: Any) -> int | None:
    """A JSON count: a non-negative integer (not a boolean, not a number past 40 digits)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _block_size(value: Any) -> int | None:
    """A sector size as a drive reports it: a power of two from 512 B to 64 KiB, else unknown."""
    size = _count(value)
    return size if size is not None and 512 <= size <= 65536 and size & (size - 1) == 0 else None


def serial_doubts(value: str | None) -> tuple[str, ...]:
    """Why a serial cannot identify a drive on its own; empty tuple when it looks genuine."""
    text = (value or "").strip()
    if not text:
        return ("empty",)
    doubts: list[str] = []
    compact = text.replace(" ", "")
    if set(compact) <= {"0"}:
        doubts.append("all-zeros")
    elif len(set(compact.casefold())) == 1:
        doubts.append("repeated-character")
    elif len(compact) >= 8 and compact.count("0") >= 0.75 * len(compact):
        doubts.append("mostly-zeros")
    if text.casefold() in PLACEHOLDER_SERIALS:
        doubts.append("placeholder")
    if len(compact) < MIN_SERIAL_LENGTH:
        doubts.append("too-short")
    if has_unreadable_characters(text):  # U+FFFD: bytes that were not UTF-8, not the drive's serial
        doubts.append("unreadable-characters")
    return tuple(doubts)


def parse_identify(returncode: int, text: str) -> Identify | None:
    """Read smartctl's JSON; None when there is no JSON to read (tool missing, garbage output).
    Fields of the wrong type, negative counts and numbers past 40 digits read as unknown (None)."""
    try:
        data = load_json(text)
    except JsonError:
        return None
    if not isinstance(data, dict):
        return None

    def s(key: str) -> str | None:
        value = data.get(key)
        return value.strip() or None if isinstance(value, str) else None

    device = data.get("device") if isinstance(data.get("device"), dict) else {}
    assert isinstance(device, dict)
    wwn_data = data.get("wwn")
    wwn = None
    if isinstance(wwn_data, dict):
        naa, oui, wid = (_count(wwn_data.get(k)) for k in ("naa", "oui", "id"))
        if naa is not None and oui is not None and wid is not None:
            wwn = f"0x{naa:x}{oui:06x}{wid:09x}"
    smartctl = data.get("smartctl") if isinstance(data.get("smartctl"), dict) else {}
    assert isinstance(smartctl, dict)
    listed = smartctl.get("messages")
    messages = tuple(str(m.get("string", "")) for m in (listed if isinstance(listed, list) else [])
                     if isinstance(m, dict))
    status = _count(smartctl.get("exit_status"))
    rc = status if status is not None else returncode
    protocol = device.get("protocol") if isinstance(device.get("protocol"), str) else None
    if rc & 0b11:  # bit 0: command line/unknown device type, bit 1: open failed -> no drive answer
        protocol = None
    return Identify(
        returncode=rc,
        serial=s("serial_number"),
        model=s("model_name") or s("scsi_model_name"),
        firmware=s("firmware_version") or s("scsi_revision"),
        wwn=wwn,
        protocol=protocol,
        device_type=device.get("type") if isinstance(device.get("type"), str) else None,
        rotation_rate=_count(data.get("rotation_rate")),
        logical_block_size=_block_size(data.get("logical_block_size")),
        physical_block_size=_block_size(data.get("physical_block_size")),
        messages=messages,
        raw=text,
    )


def smartctl_identify(host: Host, devnode: str) -> Identify | None:
    """Ask the drive who it is. None when smartctl is missing or printed no JSON."""
    result = host.run(["smartctl", "--json", "-i", devnode], timeout=60)
    if result.returncode == 127 or not result.stdout.strip():
        return None
    return parse_identify(result.returncode, result.stdout)


def load_bays(path: Path) -> dict[str, str]:
    """Read bays.json ({"<udev ID_PATH>": "<bay label>"} or {"bays": {...}}); {} when absent."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise BayConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        data = load_json(text)
    except JsonError as exc:
        raise BayConfigError(f"{path}: not valid JSON: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("bays"), dict):
        data = data["bays"]
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise BayConfigError(f'{path}: expected an object mapping udev ID_PATH to a bay label, e.g. '
                             '{"pci-0000:00:17.0-ata-1": "Baie 1"}')
    return dict(data)


def bay_for(id_path: str | None, bays: Mapping[str, str]) -> str | None:
    """Bay label for a udev ID_PATH; tolerates the "-ata-1" / "-ata-1.0" spelling change of newer udev."""
    if not id_path or not bays:
        return None
    if id_path in bays:
        return bays[id_path]
    alt = re.sub(r"(-ata-\d+)\.0$", r"\1", id_path)
    alt = alt if alt != id_path else re.sub(r"(-ata-\d+)$", r"\1.0", id_path)
    return bays.get(alt)


def skip_reason(host: Host, name: str, include_loops: bool = False) -> str | None:
    """Why the block device `name` is not listed as a drive, or None when it is one."""
    base = f"/sys/class/block/{name}"
    if not host.path(base).exists():
        return "gone"
    if host.path(f"{base}/partition").exists():
        return "partition"
    if name.startswith(SKIPPED_PREFIXES):
        return "not a drive (ram, optical, floppy, RAID/device-mapper stack)"
    if re.fullmatch(r"mmcblk\d+(boot\d+|rpmb)", name):
        return "eMMC hardware boot/RPMB area (erased with its eMMC)"
    if name.startswith("loop") and not include_loops:
        return "loop device (use --all-loops)"
    if host.read_attr(f"{base}/hidden") == "1":
        return "hidden NVMe multipath path"
    if (_int(host.read_attr(f"{base}/size")) or 0) == 0:
        return "no medium (size 0)"
    return None


def _usb_device(host: Host, name: str) -> dict[str, str] | None:
    """The USB device (enclosure, stick, reader) a block device hangs off: idVendor, idProduct, serial."""
    path = host.realpath(f"/sys/class/block/{name}")
    while path.startswith("/sys/devices/") and path.count("/") > 3:
        if host.path(f"{path}/idVendor").exists():
            found = {"idVendor": host.read_attr(f"{path}/idVendor") or "",
                     "idProduct": host.read_attr(f"{path}/idProduct") or ""}
            serial = host.read_attr(f"{path}/serial")
            if serial:
                found["serial"] = serial
            return found
        path = os.path.dirname(path)
    return None


def _bus_and_kind(name: str, props: Mapping[str, str], devpath: str, mmc_type: str | None) -> tuple[str, DiskKind]:
    if name.startswith("loop"):
        return "loop", DiskKind.VIRTUAL
    if name.startswith("nvme"):
        return "nvme", DiskKind.NVME
    if name.startswith("mmcblk"):
        return "mmc", {"MMC": DiskKind.EMMC, "SD": DiskKind.SD}.get(mmc_type or "", DiskKind.UNKNOWN)
    if name.startswith("vd"):
        return "virtio", DiskKind.VIRTUAL
    if name.startswith("xvd"):
        return "xen", DiskKind.VIRTUAL
    bus = props.get("ID_BUS")
    if bus not in ("ata", "usb", "scsi"):
        bus = "usb" if "/usb" in devpath else "ata" if re.search(r"/ata\d+/", devpath) else "scsi"
    return bus, DiskKind.UNKNOWN


def spins(rotation_rate: int | None) -> bool | None:
    """A nominal rotation rate as smartctl reports ATA IDENTIFY word 217 or SCSI VPD B1 (0: solid state,
    else rpm): True for a spinning drive, False for flash, None when unreported or not a rate at all
    (ACS-4 and SBC-4 reserve 0002h-0400h and FFFFh; a negative or absurd value is no answer)."""
    if rotation_rate is None:
        return None
    if rotation_rate == 0:
        return False
    return True if 0x401 <= rotation_rate <= 0xFFFE else None


def vpd_b1_spins(page: bytes | None) -> bool | None:
    """SCSI Block Device Characteristics VPD page (B1h, the kernel's `device/vpd_pgb1`): MEDIUM ROTATION RATE
    in bytes 4-5, 0001h non-rotating, 0401h-FFFEh rpm, 0000h not reported (libata fills it from IDENTIFY
    word 217 for SATA drives)."""
    if page is None or len(page) < 6 or page[1] != 0xB1:
        return None
    rate = int.from_bytes(page[4:6], "big")
    return False if rate == 1 else spins(rate) if rate else None


def _rotational(host: Host, name: str, props: Mapping[str, str], ident: Identify | None, bus: str) -> bool | None:
    """Spinning or not, from the drive's own answer first (its nominal rotation rate: ATA IDENTIFY word 217
    through smartctl or udev's ata_id, SCSI VPD B1), the kernel's rotational flag last: USB bridges report
    rotational=1 for everything, and many SAS/SATA HBAs leave it at the default. Behind a USB bridge only an
    answer that came through ATA pass-through is the drive's."""
    drive_answered = ident is not None and (ident.passthrough if bus == "usb" else ident.protocol is not None)
    if ident is not None and drive_answered:
        own = spins(ident.rotation_rate)
        if own is not None:
            return own
    if bus != "usb":
        page = vpd_b1_spins(host.read_bytes(f"/sys/class/block/{name}/device/vpd_pgb1"))
        if page is not None:
            return page
    rpm = _int(props.get("ID_ATA_ROTATION_RATE_RPM"))
    if rpm is not None and (rpm == 0 or spins(rpm) is not None):
        return rpm > 0
    if bus == "usb":
        return None
    flag = host.read_attr(f"/sys/class/block/{name}/queue/rotational")
    return {"1": True, "0": False}.get(flag or "")


def _choose_serial(name: str, bus: str, props: Mapping[str, str], ident: Identify | None,
                   usb: dict[str, str] | None, sysfs_serial: str | None) -> SerialInfo:
    if ident is not None and ident.serial and (bus != "usb" or ident.passthrough):
        doubts = serial_doubts(ident.serial)
        if usb and usb.get("serial") == ident.serial:
            doubts += ("bridge-serial",)
        return SerialInfo(ident.serial, SerialSource.IDENTIFY, doubts)
    if bus == "usb":
        iserial = (usb or {}).get("serial")
        scsi = props.get("ID_SCSI_SERIAL")
        if scsi and scsi not in (iserial, props.get("ID_SERIAL_SHORT")):
            return SerialInfo(scsi, SerialSource.UDEV, serial_doubts(scsi))
        # For usb-storage, udev's usb_id builtin copies the USB iSerial into ID_SERIAL_SHORT.
        value = props.get("ID_SERIAL_SHORT") or iserial
        if not value:
            return SerialInfo(None, SerialSource.NONE, ("empty",))
        return SerialInfo(value, SerialSource.BRIDGE, (*serial_doubts(value), "bridge-serial"))
    value = props.get("ID_SERIAL_SHORT") or props.get("ID_SCSI_SERIAL") or sysfs_serial
    if name.startswith("mmcblk") and not value:
        value = props.get("ID_SERIAL")
    if not value or not value.strip():
        return SerialInfo(None, SerialSource.NONE, ("empty",))
    return SerialInfo(value.strip(), SerialSource.UDEV, serial_doubts(value))


def _evidence_path(evidence_dir: Path, name: str, serial: str | None, text: str) -> Path:
    tag = re.sub(r"[^A-Za-z0-9._-]", "_", serial or "no-serial")
    path = evidence_dir / f"smartctl-i-{name}-{tag}.json"
    atomic.write_text(path, text)
    return path


def read_disk(host: Host, name: str, *, bays: Mapping[str, str] | None = None, identify: bool = True,
              evidence_dir: Path | None = None, evidence: dict[str, str] | None = None) -> Disk:
    """Build the Disk record for the whole disk `name` (no eligibility check: see skip_reason)."""
    base = f"/sys/class/block/{name}"
    devnum = host.read_attr(f"{base}/dev")
    record = udev_record(host, devnum)
    props = record.properties
    devpath = host.realpath(base)
    devnode = f"/dev/{name}"
    mmc_type = host.read_attr(f"{base}/device/type") if name.startswith("mmcblk") else None
    bus, kind = _bus_and_kind(name, props, devpath, mmc_type)
    ident = smartctl_identify(host, devnode) if identify and bus not in ("loop", "virtio") else None
    if ident is not None and evidence is not None:
        evidence[name] = ident.raw
    usb = _usb_device(host, name) if bus == "usb" else None
    sysfs_serial = host.read_attr(f"{base}/serial") or host.read_attr(f"{base}/device/serial")
    serial = _choose_serial(name, bus, props, ident, usb, sysfs_serial)
    rotational = _rotational(host, name, props, ident, bus)
    removable = host.read_attr(f"{base}/removable") == "1"
    if kind is DiskKind.UNKNOWN and bus != "mmc":
        if bus == "usb" and removable:
            kind = DiskKind.USB_FLASH
        elif rotational is not None:
            kind = DiskKind.HDD if rotational else DiskKind.SSD

    hints: list[str] = []
    extra: dict[str, str] = {}
    if re.search(r"/pci1[0-9a-f]{4}:[0-9a-f]{2}/", devpath):
        hints.append("behind-intel-vmd")
    if props.get("ID_FS_TYPE") in ("isw_raid_member", "ddf_raid_member"):
        hints.append("raid-metadata")
    if bus == "usb":
        if ident is None:
            hints.append("usb-bridge-passthrough-unchecked")
        elif ident.passthrough:
            hints.append("usb-bridge-passthrough")
        else:
            hints.append("usb-bridge-no-passthrough")
        if usb:
            extra["usb_id"] = f"{usb['idVendor']}:{usb['idProduct']}"
            if usb.get("serial"):
                extra["usb_serial"] = usb["serial"]
    if ident is not None:
        if ident.device_type:
            extra["smartctl_device_type"] = ident.device_type
        if ident.messages and not ident.passthrough:
            extra["smartctl_message"] = ident.messages[0]
        if evidence_dir is not None:
            extra["smartctl_json"] = str(_evidence_path(evidence_dir, name, serial.value, ident.raw))
    udev_serial = props.get("ID_SERIAL_SHORT")
    if serial.source is SerialSource.IDENTIFY and udev_serial and udev_serial != serial.value:
        extra["udev_serial"] = udev_serial
    if name.startswith("nvme"):
        controller = os.path.basename(os.path.dirname(devpath))
        extra["controller"] = controller
        if host.read_attr(f"{base}/nsid"):
            extra["nsid"] = host.read_attr(f"{base}/nsid") or ""
    if name.startswith("loop"):
        backing = host.read_attr(f"{base}/loop/backing_file")
        if backing:
            extra["backing_file"] = backing

    logical = _int(host.read_attr(f"{base}/queue/logical_block_size"))
    physical = _int(host.read_attr(f"{base}/queue/physical_block_size"))
    if ident is not None and ident.passthrough:
        logical = logical or ident.logical_block_size
        physical = physical or ident.physical_block_size
    if logical is None:
        hints.append("block-size-assumed")

    def from_ident(attr: str) -> str | None:
        value = getattr(ident, attr) if ident is not None and ident.passthrough else None
        return value if isinstance(value, str) else None

    vendor = _decode_udev(props.get("ID_VENDOR_ENC")) or _decode_udev(props.get("ID_VENDOR"))
    id_path = props.get("ID_PATH")
    return Disk(
        name=name,
        devnode=devnode,
        kind=kind,
        bus=bus,
        size_bytes=(_int(host.read_attr(f"{base}/size")) or 0) * 512,
        serial=serial,
        model=from_ident("model") or _decode_udev(props.get("ID_MODEL_ENC"))
        or _decode_udev(props.get("ID_MODEL", "").replace("_", " ")) or _decode_udev(props.get("ID_NAME"))
        or host.read_attr(f"{base}/device/model"),
        vendor=None if vendor == "ATA" or (bus == "usb" and from_ident("model")) else vendor,
        firmware=from_ident("firmware") or props.get("ID_REVISION") or host.read_attr(
            f"{base}/device/firmware_rev"),
        wwn=from_ident("wwn") or props.get("ID_WWN_WITH_EXTENSION") or props.get("ID_WWN")
        or host.read_attr(f"{base}/wwid"),
        logical_block_size=logical or 512,
        physical_block_size=physical or logical or 512,
        rotational=rotational,
        removable=removable,
        devnum=devnum,
        by_id=tuple(link for link in record.links if link.startswith("/dev/disk/by-id/")),
        by_path=next((link for link in record.links if link.startswith("/dev/disk/by-path/")), None),
        id_path=id_path,
        bay=bay_for(id_path, bays or {}),
        protections=tuple(protections_for_disk(host, name)),
        hints=tuple(hints),
        extra=extra,
    )


def mark_duplicates(disks: Iterable[Disk]) -> list[Disk]:
    """Flag serials shared by different drives (namespaces of one NVMe controller are one drive)."""
    items = list(disks)
    owners: dict[str, set[str]] = {}
    for disk in items:
        if disk.serial.value:
            physical = disk.extra.get("controller", disk.name)
            owners.setdefault(disk.serial.value.strip().casefold(), set()).add(physical)
    out = []
    for disk in items:
        value = disk.serial.value
        shared = bool(value) and len(owners.get((value or "").strip().casefold(), set())) > 1
        doubts = tuple(d for d in disk.serial.doubts if d != "duplicate")
        if shared:
            doubts += ("duplicate",)
        out.append(disk if doubts == disk.serial.doubts else replace(disk, serial=replace(disk.serial,
                                                                                          doubts=doubts)))
    return out


def controller_hints(host: Host, disks: Iterable[Disk]) -> list[HostHint]:
    """Machine-level findings: an Intel RAID-mode/VMD controller the vmd driver does not handle hides NVMe."""
    found = []
    has_nvme = any(d.kind is DiskKind.NVME for d in disks)
    for addr in host.listdir("/sys/bus/pci/devices"):
        base = f"/sys/bus/pci/devices/{addr}"
        vendor, cls = host.read_attr(f"{base}/vendor"), host.read_attr(f"{base}/class") or ""
        if vendor != "0x8086" or not cls.startswith("0x0104"):
            continue
        driver = os.path.basename(host.realpath(f"{base}/driver")) if host.path(f"{base}/driver").exists() else None
        if driver == "vmd":
            continue
        detail = (f"{addr} 8086:{(host.read_attr(f'{base}/device') or '?').removeprefix('0x')} "
                  f"class {cls}, driver {driver or 'none'}, NVMe visible: {'yes' if has_nvme else 'no'}")
        found.append(HostHint("intel-raid-mode-may-hide-nvme", detail))
    return found


def detect(host: Host, *, include_loops: bool = False, bays: Mapping[str, str] | None = None,
           identify: bool = True, evidence_dir: Path | None = None) -> Detection:
    """Every erasable whole disk with identity, serial provenance, protections and hints."""
    disks: list[Disk] = []
    skipped: list[tuple[str, str]] = []
    evidence: dict[str, str] = {}
    for name in host.listdir("/sys/block"):
        reason = skip_reason(host, name, include_loops)
        if reason is not None:
            skipped.append((name, reason))
            continue
        disks.append(read_disk(host, name, bays=bays, identify=identify, evidence_dir=evidence_dir,
                               evidence=evidence))
    marked = mark_duplicates(disks)
    return Detection(tuple(marked), tuple(controller_hints(host, marked)), tuple(skipped), evidence)


def detect_disks(host: Host, *, include_loops: bool = False, bays: Mapping[str, str] | None = None,
                 identify: bool = True) -> list[Disk]:
    return list(detect(host, include_loops=include_loops, bays=bays, identify=identify).disks)
