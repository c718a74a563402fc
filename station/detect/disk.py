"""The Disk record: one whole drive (or a plain file standing in for one) as detection saw it.

Detection fills it; planning, the erase engine, certificates and the TUI read it. It carries the
provenance of the serial, because a certificate is only as good as the identity printed on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from station.detect.protect import Protection, Reason


class SerialSource(StrEnum):
    IDENTIFY = "drive-identify"  # the drive's own IDENTIFY / id-ctrl / VPD page 0x80, via smartctl
    UDEV = "udev"  # udev ID_SERIAL_SHORT / ID_SCSI_SERIAL as the kernel reported it
    BRIDGE = "usb-bridge"  # the USB enclosure's iSerial: identifies the enclosure, not the drive
    USER = "technician"  # typed or scanned from the label by the technician
    NONE = "none"


class DiskKind(StrEnum):
    HDD = "hdd"
    SSD = "ssd"
    NVME = "nvme"
    EMMC = "emmc"
    SD = "sd"
    USB_FLASH = "usb-flash"
    VIRTUAL = "virtual"
    FILE = "file"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SerialInfo:
    value: str | None
    source: SerialSource
    doubts: tuple[str, ...] = ()  # e.g. "junk-placeholder", "duplicate", "bridge-serial", "all-zeros"

    @property
    def trusted(self) -> bool:
        return bool(self.value) and self.source in (SerialSource.IDENTIFY, SerialSource.UDEV,
                                                     SerialSource.USER) and not self.doubts


@dataclass(frozen=True)
class Disk:
    name: str  # kernel name (sda, nvme0n1) or the file name for file-backed drives
    devnode: str  # /dev/sda, or the file path
    kind: DiskKind
    bus: str  # ata, nvme, scsi, usb, virtio, mmc, loop, file, unknown
    size_bytes: int
    serial: SerialInfo
    model: str | None = None
    vendor: str | None = None
    firmware: str | None = None
    wwn: str | None = None
    logical_block_size: int = 512
    physical_block_size: int = 512
    rotational: bool | None = None
    removable: bool = False
    devnum: str | None = None  # major:minor
    by_id: tuple[str, ...] = ()
    by_path: str | None = None
    id_path: str | None = None
    bay: str | None = None
    protections: tuple[Protection, ...] = ()
    hints: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # flat, string-valued: bridge ids, nsid, ...

    @property
    def protected(self) -> bool:
        return bool(self.protections)

    @property
    def identity(self) -> str:
        """Vendor and model as people name the drive, without the vendor twice when the model starts with it."""
        model, vendor = self.model or "", self.vendor or ""
        if vendor and model.upper().startswith(vendor.upper()):
            vendor = ""
        return " ".join(x for x in (vendor, model) if x) or self.kind.value

    @property
    def solid_state(self) -> bool | None:
        if self.kind in (DiskKind.NVME, DiskKind.SSD, DiskKind.EMMC, DiskKind.SD, DiskKind.USB_FLASH):
            return True
        if self.kind is DiskKind.HDD:
            return False
        return None if self.rotational is None else not self.rotational

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["protections"] = [{"reason": p.reason.value, "detail": p.detail} for p in self.protections]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Disk:
        values = dict(data)
        serial = values.pop("serial")
        values["serial"] = SerialInfo(serial.get("value"), SerialSource(serial["source"]),
                                      tuple(serial.get("doubts", ())))
        values["kind"] = DiskKind(values["kind"])
        values["protections"] = tuple(Protection(Reason(p["reason"]), p["detail"])
                                      for p in values.get("protections", ()))
        values["by_id"] = tuple(values.get("by_id", ()))
        values["hints"] = tuple(values.get("hints", ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})
