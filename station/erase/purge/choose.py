"""Which erase technique a drive gets, and the honest NIST/IEEE 2883 label for it.

NIST SP 800-88 Rev.2 defers to IEEE 2883-2022: Purge is the drive's SANITIZE (block erase,
crypto erase, overwrite); ATA SECURITY ERASE, NVMe Format and SCSI FORMAT UNIT are Clear, like a
host overwrite. A flash drive whose SANITIZE cannot be used falls back to Clear with the reason
shown before confirmation; an HDD gets the host overwrite, plus SANITIZE overwrite when the
refurbisher asks for Purge. The category here is what the technique *can* reach; the printed label
still depends on it having run and been verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from station.detect.disk import Disk
from station.erase.purge.capabilities import PurgeCapabilities
from station.i18n import N_
from station.notice import Notice, define


class Technique(StrEnum):
    HOST_OVERWRITE = "host-overwrite"  # the erase engine's own overwrite passes (Clear)
    ATA_SANITIZE_BLOCK = "ata-sanitize-block"
    ATA_SANITIZE_CRYPTO = "ata-sanitize-crypto"
    ATA_SANITIZE_OVERWRITE = "ata-sanitize-overwrite"
    ATA_SECURE_ERASE = "ata-secure-erase"
    ATA_SECURE_ERASE_ENHANCED = "ata-secure-erase-enhanced"
    NVME_SANITIZE_BLOCK = "nvme-sanitize-block"
    NVME_SANITIZE_CRYPTO = "nvme-sanitize-crypto"
    NVME_SANITIZE_OVERWRITE = "nvme-sanitize-overwrite"
    NVME_FORMAT_USER_DATA = "nvme-format-user-data"
    NVME_FORMAT_CRYPTO = "nvme-format-crypto"
    SCSI_SANITIZE_BLOCK = "scsi-sanitize-block"
    SCSI_SANITIZE_CRYPTO = "scsi-sanitize-crypto"
    SCSI_SANITIZE_OVERWRITE = "scsi-sanitize-overwrite"
    SCSI_FORMAT_UNIT = "scsi-format-unit"


@dataclass(frozen=True)
class TechniqueInfo:
    family: str  # command family: host, ata-sanitize, ata-security, nvme-sanitize, nvme-format, scsi-...
    bus_family: str  # "ata", "nvme", "scsi", or "any"
    nist_category: str  # "clear" or "purge"
    ieee2883: str  # the technique name printed on the certificate


TECHNIQUES: dict[Technique, TechniqueInfo] = {
    Technique.HOST_OVERWRITE: TechniqueInfo("host", "any", "clear", "overwrite"),
    Technique.ATA_SANITIZE_BLOCK: TechniqueInfo("ata-sanitize", "ata", "purge", "block-erase"),
    Technique.ATA_SANITIZE_CRYPTO: TechniqueInfo("ata-sanitize", "ata", "purge", "crypto-erase"),
    Technique.ATA_SANITIZE_OVERWRITE: TechniqueInfo("ata-sanitize", "ata", "purge", "overwrite"),
    Technique.ATA_SECURE_ERASE: TechniqueInfo("ata-security", "ata", "clear", "security-erase"),
    Technique.ATA_SECURE_ERASE_ENHANCED: TechniqueInfo("ata-security", "ata", "clear", "security-erase-enhanced"),
    Technique.NVME_SANITIZE_BLOCK: TechniqueInfo("nvme-sanitize", "nvme", "purge", "block-erase"),
    Technique.NVME_SANITIZE_CRYPTO: TechniqueInfo("nvme-sanitize", "nvme", "purge", "crypto-erase"),
    Technique.NVME_SANITIZE_OVERWRITE: TechniqueInfo("nvme-sanitize", "nvme", "purge", "overwrite"),
    Technique.NVME_FORMAT_USER_DATA: TechniqueInfo("nvme-format", "nvme", "clear", "format-user-data-erase"),
    Technique.NVME_FORMAT_CRYPTO: TechniqueInfo("nvme-format", "nvme", "clear", "format-crypto-erase"),
    Technique.SCSI_SANITIZE_BLOCK: TechniqueInfo("scsi-sanitize", "scsi", "purge", "block-erase"),
    Technique.SCSI_SANITIZE_CRYPTO: TechniqueInfo("scsi-sanitize", "scsi", "purge", "crypto-erase"),
    Technique.SCSI_SANITIZE_OVERWRITE: TechniqueInfo("scsi-sanitize", "scsi", "purge", "overwrite"),
    Technique.SCSI_FORMAT_UNIT: TechniqueInfo("scsi-format", "scsi", "clear", "format-unit"),
}

NAMED = tuple(t.value for t in Technique if t is not Technique.HOST_OVERWRITE)

# Why a technique was chosen, what to watch, why a named one cannot apply: codes for records and JSON,
# English templates translated where shown.
define({
    "purge.clear-requested": N_("Clear requested: overwrite every addressable sector"),
    "purge.capability-note": N_("note: {note}"),
    "purge.hdd-sanitize-overwrite": N_("HDD, Purge requested: host overwrite, then the drive's SANITIZE overwrite "
                                       "(also reaches reallocated sectors)"),
    "purge.hdd-purge-impossible": N_("Purge requested but not possible on this HDD: {why}; Clear by overwrite "
                                     "instead"),
    "purge.hdd-clear": N_("HDD: Clear by overwrite"),
    "purge.media-unknown": N_("media type unknown: treated as flash (host overwrite cannot reach spare blocks)"),
    "purge.sanitize-overwrite-wears-flash": N_("SANITIZE overwrite wears flash; no block or crypto erase is "
                                               "offered"),
    "purge.nvme-all-namespaces": N_("NVMe Sanitize erases all {namespaces} namespaces of the controller"),
    "purge.usb-bridge-may-block": N_("behind a USB bridge: if the bridge blocks the command, the job fails, "
                                     "it is never reported as Purge"),
    "purge.strongest": N_("strongest Purge the drive supports: {technique}"),
    "purge.flash-purge-impossible": N_("Purge not possible: {why}. Clear only: a host overwrite cannot reach the "
                                       "flash's spare and remapped blocks"),
    "purge.nvme-format-available": N_("NVMe Format is available by name (nvme-format-user-data); it is also "
                                      "Clear"),
    "purge.fallback-clear": N_("fallback to Clear: {why}"),
    "purge.why-unreadable": N_("the drive's SANITIZE support could not be read ({unknown}: {detail})"),
    "purge.why-frozen": N_("the drive is frozen by the computer's firmware (replug it in the rack, or "
                           "suspend/resume the laptop, then re-check)"),
    "purge.why-unsupported": N_("the drive does not support any SANITIZE operation"),
    "purge.unknown-technique": N_("unknown erase technique {technique}; choose one of: purge, clear, {named}"),
    "purge.wrong-command-set": N_("{technique} is a {family} command; {disk} speaks {speaks}"),
    "purge.cannot-send": N_("{technique} cannot be sent to {disk}: {detail}"),
    "purge.not-advertised": N_("{disk} does not advertise {technique} (it offers: {offers}): refused; choose "
                               "purge for the strongest technique it supports, or clear"),
    "purge.support-unknown": N_("the drive's support for {technique} is unknown; marker verification decides"),
    "purge.frozen-named": N_("the drive is frozen: the command will be refused until it is replugged or the "
                             "laptop is suspended and resumed"),
    "purge.named-is-clear": N_("{technique} counts as Clear under IEEE 2883 / NIST SP 800-88 Rev.2, not Purge"),
    "purge.flash-overwrite": N_("overwrite on flash does not reach spare blocks unless done by the drive's "
                                "SANITIZE"),
    "purge.named": N_("technique named by the operator: {technique}"),
})


class PlanError(ValueError):
    """A named technique that cannot apply to this drive at all (wrong command set, unknown name)."""

    def __init__(self, notice: Notice):
        super().__init__(notice.text())
        self.notice = notice


@dataclass(frozen=True)
class TechniqueChoice:
    technique: Technique
    nist_category: str  # what the technique reaches once it ran and was verified
    command_family: str
    warnings: tuple[Notice, ...]
    reason: Notice  # why this technique, shown before confirmation
    host_overwrite_first: bool = False  # HDD Purge: Clear overwrite, then the drive's SANITIZE overwrite

    @property
    def ieee2883(self) -> str:
        return TECHNIQUES[self.technique].ieee2883

    @property
    def drive_command(self) -> bool:
        return self.technique is not Technique.HOST_OVERWRITE


def _make(technique: Technique, reason: Notice, warnings: list[Notice],
          overwrite_first: bool = False) -> TechniqueChoice:
    info = TECHNIQUES[technique]
    return TechniqueChoice(technique, info.nist_category, info.family, tuple(warnings), reason, overwrite_first)


def supported(caps: PurgeCapabilities, technique: Technique) -> bool | None:
    """True/False as the drive advertises it; None when the drive could not be asked."""
    if technique is Technique.HOST_OVERWRITE:
        return True
    info = TECHNIQUES[technique]
    if not caps.known or caps.family != info.bus_family:
        return None
    if caps.ata is not None:
        s, sec = caps.ata.sanitize, caps.ata.security
        return {
            Technique.ATA_SANITIZE_BLOCK: s.supported and s.block_erase,
            Technique.ATA_SANITIZE_CRYPTO: s.supported and s.crypto_scramble,
            Technique.ATA_SANITIZE_OVERWRITE: s.supported and s.overwrite,
            Technique.ATA_SECURE_ERASE: bool(sec and sec.supported),
            Technique.ATA_SECURE_ERASE_ENHANCED: bool(sec and sec.supported and sec.enhanced_erase_supported),
        }.get(technique)
    if caps.nvme is not None:
        n = caps.nvme
        return {
            Technique.NVME_SANITIZE_BLOCK: n.sanitize_block,
            Technique.NVME_SANITIZE_CRYPTO: n.sanitize_crypto,
            Technique.NVME_SANITIZE_OVERWRITE: n.sanitize_overwrite,
            Technique.NVME_FORMAT_USER_DATA: n.format_supported,
            Technique.NVME_FORMAT_CRYPTO: n.format_supported and n.format_crypto_erase,
        }.get(technique)
    if caps.scsi is not None:
        return {
            Technique.SCSI_SANITIZE_BLOCK: caps.scsi.block_erase,
            Technique.SCSI_SANITIZE_CRYPTO: caps.scsi.crypto_erase,
            Technique.SCSI_SANITIZE_OVERWRITE: caps.scsi.overwrite,
            Technique.SCSI_FORMAT_UNIT: None,  # FORMAT UNIT is mandatory; whether it erases is unknowable
        }.get(technique)
    return None


_PURGE_ORDER_FLASH = {
    "ata": (Technique.ATA_SANITIZE_BLOCK, Technique.ATA_SANITIZE_CRYPTO, Technique.ATA_SANITIZE_OVERWRITE),
    "nvme": (Technique.NVME_SANITIZE_BLOCK, Technique.NVME_SANITIZE_CRYPTO, Technique.NVME_SANITIZE_OVERWRITE),
    "scsi": (Technique.SCSI_SANITIZE_BLOCK, Technique.SCSI_SANITIZE_CRYPTO, Technique.SCSI_SANITIZE_OVERWRITE),
}
_HDD_SANITIZE = {"ata": Technique.ATA_SANITIZE_OVERWRITE, "scsi": Technique.SCSI_SANITIZE_OVERWRITE}


def frozen_for(caps: PurgeCapabilities, technique: Technique) -> bool:
    """SECURITY ERASE is blocked by a security freeze, ATA SANITIZE by a sanitize freeze lock (SD1)."""
    if caps.ata is None:
        return False
    family = TECHNIQUES[technique].family
    if family == "ata-security":
        return bool(caps.ata.security and caps.ata.security.frozen)
    if family == "ata-sanitize":
        return caps.ata.sanitize.frozen is True
    return False


def _why_not(caps: PurgeCapabilities) -> Notice:
    if not caps.known:
        return Notice.of("purge.why-unreadable", unknown=str(caps.unknown), detail=str(caps.detail))
    if caps.ata is not None and caps.ata.sanitize.supported and caps.ata.sanitize.frozen:
        return Notice.of("purge.why-frozen")
    return Notice.of("purge.why-unsupported")


def _notes(caps: PurgeCapabilities) -> list[Notice]:
    return [Notice.of("purge.capability-note", note=n) for n in caps.notes]


def choose(disk: Disk, caps: PurgeCapabilities, want: str) -> TechniqueChoice:
    """Pick a technique for `want` = "purge" (automatic), "clear", or a named technique."""
    if want == "clear":
        return _make(Technique.HOST_OVERWRITE, Notice.of("purge.clear-requested"), [])
    if want == "purge":
        return _auto_purge(disk, caps)
    try:
        technique = Technique(want)
    except ValueError:
        raise PlanError(Notice.of("purge.unknown-technique", technique=repr(want), named=", ".join(NAMED))) from None
    return _named(disk, caps, technique)


def solid_state(disk: Disk, caps: PurgeCapabilities) -> bool | None:
    """Flash or spinning: detection's answer, else the drive's own IDENTIFY word 217 read by `hdparm -I`
    (a drive behind a bridge or an HBA that hid its rotation rate from detection still answers it)."""
    if disk.solid_state is not None:
        return disk.solid_state
    return caps.ata.solid_state if caps.ata is not None else None


def _auto_purge(disk: Disk, caps: PurgeCapabilities) -> TechniqueChoice:
    warnings = _notes(caps)
    family = caps.family
    solid = solid_state(disk, caps)
    if solid is False:  # HDD: overwrite reaches the media; SANITIZE overwrite adds the rest
        technique = _HDD_SANITIZE.get(family)
        if technique and supported(caps, technique) and not frozen_for(caps, technique):
            return _make(technique, Notice.of("purge.hdd-sanitize-overwrite"), warnings, overwrite_first=True)
        warnings.append(Notice.of("purge.hdd-purge-impossible", why=_why_not(caps)))
        return _make(Technique.HOST_OVERWRITE, Notice.of("purge.hdd-clear"), warnings)
    if solid is None:
        warnings.append(Notice.of("purge.media-unknown"))
    for technique in _PURGE_ORDER_FLASH.get(family, ()):
        if supported(caps, technique) and not frozen_for(caps, technique):
            if technique.endswith("overwrite"):
                warnings.append(Notice.of("purge.sanitize-overwrite-wears-flash"))
            if family == "nvme" and caps.nvme and (caps.nvme.namespaces or 1) > 1:
                warnings.append(Notice.of("purge.nvme-all-namespaces", namespaces=caps.nvme.namespaces or 1))
            if disk.bus == "usb":
                warnings.append(Notice.of("purge.usb-bridge-may-block"))
            return _make(technique, Notice.of("purge.strongest", technique=TECHNIQUES[technique].ieee2883),
                         warnings)
    reason = _why_not(caps)
    warnings.append(Notice.of("purge.flash-purge-impossible", why=reason))
    if caps.nvme and caps.nvme.format_supported:
        warnings.append(Notice.of("purge.nvme-format-available"))
    return _make(Technique.HOST_OVERWRITE, Notice.of("purge.fallback-clear", why=reason), warnings)


def _named(disk: Disk, caps: PurgeCapabilities, technique: Technique) -> TechniqueChoice:
    info = TECHNIQUES[technique]
    if info.bus_family != "any" and caps.family not in (info.bus_family, "none"):
        raise PlanError(Notice.of("purge.wrong-command-set", technique=technique.value,
                                  family=info.bus_family.upper(), disk=disk.name, speaks=caps.family.upper()))
    if caps.family == "none":
        raise PlanError(Notice.of("purge.cannot-send", technique=technique.value, disk=disk.name,
                                  detail=str(caps.detail or caps.unknown)))
    sup = supported(caps, technique)
    if sup is False:  # the drive said no: a success answer to a command it lacks would prove nothing
        offers = [t.value for t in Technique if t is not Technique.HOST_OVERWRITE and supported(caps, t)]
        raise PlanError(Notice.of("purge.not-advertised", technique=technique.value, disk=disk.name,
                                  offers=", ".join(offers) or "none"))
    warnings = _notes(caps)
    if sup is None:
        warnings.append(Notice.of("purge.support-unknown", technique=technique.value))
    if frozen_for(caps, technique):
        warnings.append(Notice.of("purge.frozen-named"))
    if info.nist_category == "clear" and technique is not Technique.HOST_OVERWRITE:
        warnings.append(Notice.of("purge.named-is-clear", technique=technique.value))
    if solid_state(disk, caps) and technique.endswith("overwrite"):
        warnings.append(Notice.of("purge.flash-overwrite"))
    return _make(technique, Notice.of("purge.named", technique=technique.value), warnings)
