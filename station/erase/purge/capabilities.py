"""What a drive can do to erase itself (Purge), as its own identify data says.

Read through the Host boundary from `hdparm -I` (ATA security and SANITIZE feature sets),
`hdparm --sanitize-status`, `nvme id-ctrl -H` or `-o json` (SANICAP, FNA, OACS), `nvme
sanitize-log`, and `sg_opcodes` (SCSI SANITIZE service actions). When a question cannot be
answered (USB bridge blocking pass-through, tool missing, virtual disk), the answer is None with
the reason in words, never a guess: the plan must be able to say *why* it falls back to Clear.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from station.detect.disk import Disk, DiskKind
from station.hw import CommandResult, Host
from station.untrusted import JsonError, Unreadable, digits_int, load_json


class UnknownReason(StrEnum):
    TOOL_MISSING = "tool-missing"
    USB_BRIDGE = "usb-bridge"  # the enclosure does not pass ATA/NVMe commands through
    VIRTUAL = "virtual-disk"  # virtio, loop, file: no drive behind it to command
    NOT_A_DRIVE_BUS = "unsupported-bus"  # eMMC/SD and anything Station has no command set for
    COMMAND_FAILED = "command-failed"
    UNPARSEABLE = "unparseable"


@dataclass(frozen=True)
class AtaSecurity:
    supported: bool
    enabled: bool
    locked: bool
    frozen: bool
    count_expired: bool
    enhanced_erase_supported: bool
    erase_minutes: int | None  # the drive's own estimate for SECURITY ERASE UNIT
    enhanced_erase_minutes: int | None


@dataclass(frozen=True)
class AtaSanitize:
    supported: bool
    block_erase: bool
    crypto_scramble: bool
    overwrite: bool
    antifreeze_lock: bool
    frozen: bool | None = None  # from --sanitize-status (SD1); None when not asked or not answered


@dataclass(frozen=True)
class AtaIdentify:
    """The parts of `hdparm -I` that matter for Purge and hidden areas."""

    security: AtaSecurity | None
    sanitize: AtaSanitize
    hpa_feature: bool
    dco_feature: bool
    solid_state: bool | None
    lba48_sectors: int | None


@dataclass(frozen=True)
class NvmeCaps:
    format_supported: bool  # OACS bit 1
    sanicap: int
    fna: int
    namespaces: int | None  # NN: how many namespaces a controller-wide command touches

    @property
    def sanitize_crypto(self) -> bool:
        return bool(self.sanicap & 0x1)

    @property
    def sanitize_block(self) -> bool:
        return bool(self.sanicap & 0x2)

    @property
    def sanitize_overwrite(self) -> bool:
        return bool(self.sanicap & 0x4)

    @property
    def no_deallocate_allowed(self) -> bool:
        """SANICAP bit 29 (NDI) set means the No-Deallocate After Sanitize bit is refused."""
        return not self.sanicap & (1 << 29)

    @property
    def format_crypto_erase(self) -> bool:
        return bool(self.fna & 0x4)

    @property
    def format_all_namespaces(self) -> bool:
        return bool(self.fna & 0x1)


class SanitizeState(StrEnum):
    NEVER = "never"
    SUCCEEDED = "succeeded"
    IN_PROGRESS = "in-progress"
    FAILED = "failed"
    SUCCEEDED_NO_DEALLOCATE = "succeeded-no-deallocate"
    UNKNOWN = "unknown"


_SSTAT = {0: SanitizeState.NEVER, 1: SanitizeState.SUCCEEDED, 2: SanitizeState.IN_PROGRESS,
          3: SanitizeState.FAILED, 4: SanitizeState.SUCCEEDED_NO_DEALLOCATE}


@dataclass(frozen=True)
class NvmeSanitizeLog:
    sprog: int
    sstat: int
    scdw10: int

    @property
    def state(self) -> SanitizeState:
        return _SSTAT.get(self.sstat & 0x7, SanitizeState.UNKNOWN)

    @property
    def fraction(self) -> float:
        """SPROG is a numerator over 65536 while running; 65535 means no operation in progress."""
        if self.state is SanitizeState.IN_PROGRESS:
            return min(self.sprog / 65536, 1.0)
        return 1.0 if self.state in (SanitizeState.SUCCEEDED, SanitizeState.SUCCEEDED_NO_DEALLOCATE) else 0.0

    @property
    def global_data_erased(self) -> bool:
        return bool(self.sstat & 0x100)

    @property
    def sanact(self) -> int:
        return self.scdw10 & 0x7


@dataclass(frozen=True)
class ScsiSanitize:
    overwrite: bool
    block_erase: bool
    crypto_erase: bool


@dataclass(frozen=True)
class PurgeCapabilities:
    device: str
    family: str  # "ata", "nvme", "scsi", or "none"
    ata: AtaIdentify | None = None
    nvme: NvmeCaps | None = None
    nvme_sanitize_log: NvmeSanitizeLog | None = None
    scsi: ScsiSanitize | None = None
    unknown: UnknownReason | None = None  # set when the drive's capabilities could not be read
    detail: str = ""  # the reason in words, with the tool's own message
    notes: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return self.unknown is None

    @property
    def frozen(self) -> bool:
        """ATA security frozen, or the SANITIZE feature set frozen (SD1) by the BIOS."""
        if self.ata is None:
            return False
        sec = self.ata.security
        return bool(sec and sec.frozen) or self.ata.sanitize.frozen is True

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)


def to_dict(caps: PurgeCapabilities) -> dict[str, Any]:
    """Plain JSON-able form for `station drives --json`; NVMe bits are decoded for readers."""
    data = asdict(caps)
    if caps.nvme is not None:
        data["nvme"].update(
            sanitize_crypto=caps.nvme.sanitize_crypto, sanitize_block=caps.nvme.sanitize_block,
            sanitize_overwrite=caps.nvme.sanitize_overwrite,
            no_deallocate_allowed=caps.nvme.no_deallocate_allowed,
            format_crypto_erase=caps.nvme.format_crypto_erase,
            format_all_namespaces=caps.nvme.format_all_namespaces)
    if caps.nvme_sanitize_log is not None:
        data["nvme_sanitize_log"]["state"] = caps.nvme_sanitize_log.state.value
    data["frozen"] = caps.frozen
    data["unknown"] = caps.unknown.value if caps.unknown else None
    return data


# ---------------------------------------------------------------- parsers (pure, tested on real text)

_FEATURE_LINE = re.compile(r"^\s*(\*?)\s*(\S.*?)\s*$")
_ERASE_TIME = re.compile(r"(>?)([0-9]+)min for (ENHANCED )?SECURITY ERASE UNIT")


def _section(text: str, header: str) -> list[str]:
    """Lines of an `hdparm -I` section: from its unindented header to the next unindented line."""
    lines = text.splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        if line.strip() == "":
            continue
        if not line[0].isspace():
            if inside:
                break
            inside = line.rstrip().startswith(header)
            continue
        if inside:
            out.append(line)
    return out


def parse_hdparm_identify(text: str) -> AtaIdentify | None:
    """Parse `hdparm -I`; None when the text holds no identify data (error, bridge, wrong tool)."""
    if "Commands/features:" not in text and "Security:" not in text:
        return None
    features = set()
    for line in _section(text, "Commands/features:"):
        m = _FEATURE_LINE.match(line)
        if m and not m.group(2).startswith("Enabled"):
            features.add(m.group(2))
    security = _parse_security(_section(text, "Security:")) if "Security:" in text else None
    sanitize = AtaSanitize(
        supported="SANITIZE feature set" in features,
        block_erase="BLOCK_ERASE_EXT command" in features,
        crypto_scramble="CRYPTO_SCRAMBLE_EXT command" in features,
        overwrite="OVERWRITE_EXT command" in features,
        antifreeze_lock="SANITIZE_ANTIFREEZE_LOCK_EXT command" in features,
    )
    rate = re.search(r"Nominal Media Rotation Rate:\s*(.+)", text)
    solid: bool | None = None  # IDENTIFY word 217: "Solid State Device", an rpm, or unreported/reserved
    if rate and "Solid State" in rate.group(1):
        solid = True
    elif rate:
        rpm = digits_int(rate.group(1).split()[0] if rate.group(1).split() else "")
        solid = False if rpm is not None and 0x401 <= rpm <= 0xFFFE else None
    lba48 = re.search(r"LBA48\s+user addressable sectors:\s*([0-9]+)", text)
    return AtaIdentify(
        security=security, sanitize=sanitize,
        hpa_feature="Host Protected Area feature set" in features,
        dco_feature="Device Configuration Overlay feature set" in features,
        solid_state=solid, lba48_sectors=digits_int(lba48.group(1)) if lba48 else None,
    )


def _parse_security(lines: list[str]) -> AtaSecurity:
    flags: dict[str, bool] = {}
    erase = enhanced = None
    for line in lines:
        words = line.split()
        if not words:
            continue
        for m in _ERASE_TIME.finditer(line):
            minutes = digits_int(m.group(2))
            if m.group(3):
                enhanced = minutes
            else:
                erase = minutes
        negated = words[0] == "not"
        key = " ".join(words[1:] if negated else words)
        if key in ("supported", "enabled", "locked", "frozen", "expired: security count",
                   "supported: enhanced erase"):
            flags[key] = not negated
    return AtaSecurity(
        supported=flags.get("supported", False), enabled=flags.get("enabled", False),
        locked=flags.get("locked", False), frozen=flags.get("frozen", False),
        count_expired=flags.get("expired: security count", False),
        enhanced_erase_supported=flags.get("supported: enhanced erase", False),
        erase_minutes=erase, enhanced_erase_minutes=enhanced,
    )


class AtaSanitizeStatus(StrEnum):
    IDLE = "SD0"
    FROZEN = "SD1"
    IN_PROGRESS = "SD2"
    FAILED = "SD3"
    SUCCEEDED = "SD4"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class AtaSanitizeReport:
    state: AtaSanitizeStatus
    fraction: float | None
    last_completed_ok: bool  # "Last Sanitize Operation Completed Without Error"
    last_failed: bool
    antifreeze: bool


def parse_hdparm_sanitize_status(text: str) -> AtaSanitizeReport | None:
    """Parse `hdparm --sanitize-status` (hdparm 9.65 wording); None when no status block."""
    m = re.search(r"State:\s*(SD[0-4])", text)
    if not m:
        return None
    state = AtaSanitizeStatus(m.group(1))
    prog = re.search(r"Progress:\s*0x([0-9a-fA-F]+)", text)
    value = digits_int(prog.group(1), base=16) if prog else None
    fraction = None if value is None else min(value / 65536, 1.0)
    return AtaSanitizeReport(
        state=state, fraction=fraction,
        last_completed_ok="Completed Without Error" in text,
        last_failed=state is AtaSanitizeStatus.FAILED or "completed unsuccessfully" in text,
        antifreeze="Antifreeze bit set" in text,
    )


@dataclass(frozen=True)
class ScsiProgress:
    """REQUEST SENSE's sense-key-specific progress indication (SANITIZE, FORMAT UNIT running)."""

    in_progress: bool
    fraction: float | None  # 0..1 while in progress


_SG_PROGRESS = re.compile(r"Progress indication:\s*([0-9]{1,3})\.([0-9]{2})%\s*done")


def parse_sg_progress(text: str) -> ScsiProgress:
    """Parse what `sg_requests --progress` printed after a REQUEST SENSE that went through (exit 0; the
    caller checks): sg3-utils 1.46 prints "Progress indication: %d.%02d%% done" while an operation runs,
    and nothing at all otherwise (seen on QEMU's scsi-hd; "No progress indication found, iteration %d"
    only with --num above 1). No progress line means no operation in progress."""
    found = _SG_PROGRESS.findall(text)
    if not found:
        return ScsiProgress(False, None)
    whole, hundredths = found[-1]
    return ScsiProgress(True, min((int(whole) + int(hundredths) / 100) / 100, 1.0))


_IDCTRL_FIELD = re.compile(r"^([a-z0-9_]+)\s*:\s*(\S+)", re.MULTILINE)


class _FieldError(ValueError):
    """One register of an NVMe answer cannot be read; the message names it and says why."""


def _register(fields: dict[str, Any], name: str, width: int = 32) -> int:
    """An NVMe register or count: an unsigned integer of `width` bits, as JSON number, decimal or 0x text.

    A negative value or one wider than the register is not the drive's answer: read as a bit mask it
    would say "every technique supported", so it is refused with the reason instead.
    """
    if name not in fields:
        raise _FieldError(f"no {name} field")
    value = fields[name]
    if isinstance(value, bool | Unreadable):
        number = None
    elif isinstance(value, int):
        number = value
    else:
        number = digits_int(str(value), base=0) if isinstance(value, str) else None
    if number is None:
        raise _FieldError(f"{name} is not a number ({str(value)[:40]!r})")
    if not 0 <= number < (1 << width):
        raise _FieldError(f"{name} = {number} is outside a {width}-bit register")
    return number


def _nvme_fields(text: str) -> dict[str, Any] | Unreadable:
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return {m.group(1): m.group(2) for m in _IDCTRL_FIELD.finditer(text)}
    try:
        data = load_json(stripped)
    except JsonError as exc:
        return Unreadable(f"not JSON: {exc}")
    return data if isinstance(data, dict) else Unreadable("JSON is not an object")


def read_nvme_id_ctrl(text: str) -> NvmeCaps | Unreadable:
    """`nvme id-ctrl -H` (top-level `name : value` lines) or `-o json`, or why it cannot be read."""
    fields = _nvme_fields(text)
    if isinstance(fields, Unreadable):
        return fields
    try:
        oacs = _register(fields, "oacs", 16)
        sanicap = _register(fields, "sanicap") if "sanicap" in fields else 0
        fna = _register(fields, "fna", 8)
        nn = _register(fields, "nn") if "nn" in fields else None
    except _FieldError as exc:
        return Unreadable(str(exc))
    return NvmeCaps(format_supported=bool(oacs & 0x2), sanicap=sanicap, fna=fna, namespaces=nn)


def read_nvme_sanitize_log(text: str) -> NvmeSanitizeLog | Unreadable:
    """`nvme sanitize-log` as nvme-cli 2.3 prints it (SPROG decimal, SSTAT/SCDW10 hex) or as JSON
    (top level, or under the device name), or why it cannot be read."""
    fields: dict[str, Any] = {}
    if text.lstrip().startswith("{"):
        data = _nvme_fields(text)
        if isinstance(data, Unreadable):
            return data
        inner = data if "sprog" in data else next(iter(data.values()), None)
        fields = inner if isinstance(inner, dict) else {}
    else:
        for name in ("SPROG", "SSTAT", "SCDW10"):
            m = re.search(rf"\({name}\)\s*:\s*(\S+)", text)
            if m:
                fields[name.lower()] = m.group(1)
    try:
        return NvmeSanitizeLog(_register(fields, "sprog", 16), _register(fields, "sstat", 16),
                               _register(fields, "scdw10"))
    except _FieldError as exc:
        return Unreadable(str(exc))


def parse_nvme_sanitize_log(text: str) -> NvmeSanitizeLog | None:
    """Parse `nvme sanitize-log`; None when it cannot be read (read_nvme_sanitize_log says why)."""
    log = read_nvme_sanitize_log(text)
    return None if isinstance(log, Unreadable) else log


def parse_sg_opcodes(text: str) -> ScsiSanitize | None:
    """Parse `sg_opcodes` listing: SANITIZE (0x48) service actions the device reports."""
    if "Opcode" not in text and "Sanitize" not in text:
        return None
    return ScsiSanitize(
        overwrite="Sanitize, overwrite" in text,
        block_erase="Sanitize, block erase" in text,
        crypto_erase="Sanitize, cryptographic erase" in text,
    )


# ---------------------------------------------------------------- probing through the Host boundary


def _failure(res: CommandResult) -> tuple[UnknownReason, str]:
    msg = (res.stderr or res.stdout).strip().splitlines()
    text = msg[-1] if msg else f"exit status {res.returncode}"
    if res.returncode == 127:
        return UnknownReason.TOOL_MISSING, f"{res.argv[0]} is not available: {text}"
    return UnknownReason.COMMAND_FAILED, f"{' '.join(res.argv)} failed ({res.returncode}): {text}"


def probe(host: Host, disk: Disk) -> PurgeCapabilities:
    """Ask the drive what it supports; every unanswered question carries its reason."""
    dev = disk.devnode
    if disk.kind in (DiskKind.FILE, DiskKind.VIRTUAL) or disk.bus in ("file", "loop", "virtio"):
        return PurgeCapabilities(dev, "none", unknown=UnknownReason.VIRTUAL,
                                 detail=f"{disk.bus} disk: there is no drive behind it to send erase commands to")
    if disk.bus in ("mmc", "sd") or disk.kind in (DiskKind.EMMC, DiskKind.SD):
        return PurgeCapabilities(dev, "none", unknown=UnknownReason.NOT_A_DRIVE_BUS,
                                 detail="eMMC/SD: Station has no SANITIZE path for this bus")
    if disk.bus == "nvme" or disk.kind is DiskKind.NVME:
        return _probe_nvme(host, disk)
    if disk.bus == "scsi":
        return _probe_scsi(host, disk)
    return _probe_ata(host, disk)


def _probe_ata(host: Host, disk: Disk) -> PurgeCapabilities:
    dev = disk.devnode
    res = host.run(["hdparm", "-I", dev])
    ident = parse_hdparm_identify(res.stdout) if res.ok else None
    if ident is None:
        if disk.bus == "usb":
            return PurgeCapabilities(
                dev, "none", unknown=UnknownReason.USB_BRIDGE,
                detail="the USB enclosure does not pass ATA commands through (hdparm -I: "
                       f"{(res.stderr or res.stdout).strip()[:200] or res.returncode})")
        if res.ok:
            return PurgeCapabilities(dev, "ata", unknown=UnknownReason.UNPARSEABLE,
                                     detail="hdparm -I answered without identify data")
        reason, detail = _failure(res)
        return PurgeCapabilities(dev, "ata", unknown=reason, detail=detail)
    notes: list[str] = []
    if disk.bus == "usb":
        notes.append("behind a USB bridge: identify data passes, erase commands may still be blocked")
    if ident.sanitize.supported:
        st = host.run(["hdparm", "--sanitize-status", dev])
        report = parse_hdparm_sanitize_status(st.stdout) if st.ok else None
        if report is not None:
            ident = _with_sanitize_frozen(ident, report.state is AtaSanitizeStatus.FROZEN)
        else:
            notes.append("sanitize status not readable: " + (_failure(st)[1] if not st.ok else "no status"))
    if ident.security is None:
        notes.append("no ATA security feature set in identify data")
    return PurgeCapabilities(dev, "ata", ata=ident, notes=tuple(notes))


def _with_sanitize_frozen(ident: AtaIdentify, frozen: bool) -> AtaIdentify:
    s = ident.sanitize
    return AtaIdentify(ident.security, AtaSanitize(s.supported, s.block_erase, s.crypto_scramble,
                                                   s.overwrite, s.antifreeze_lock, frozen),
                       ident.hpa_feature, ident.dco_feature, ident.solid_state, ident.lba48_sectors)


def _probe_nvme(host: Host, disk: Disk) -> PurgeCapabilities:
    dev = disk.devnode
    res = host.run(["nvme", "id-ctrl", "-H", dev])
    read = read_nvme_id_ctrl(res.stdout) if res.ok else None
    caps = read if isinstance(read, NvmeCaps) else None
    if caps is None:
        if disk.bus == "usb":
            return PurgeCapabilities(dev, "none", unknown=UnknownReason.USB_BRIDGE,
                                     detail="NVMe behind a USB bridge: admin commands are not passed through")
        if isinstance(read, Unreadable):
            return PurgeCapabilities(dev, "nvme", unknown=UnknownReason.UNPARSEABLE,
                                     detail=f"nvme id-ctrl answer unreadable: {read.why}")
        reason, detail = _failure(res)
        return PurgeCapabilities(dev, "nvme", unknown=reason, detail=detail)
    notes: list[str] = []
    log: NvmeSanitizeLog | None = None
    if caps.sanicap:
        lres = host.run(["nvme", "sanitize-log", dev])
        read_log = read_nvme_sanitize_log(lres.stdout) if lres.ok else None
        log = read_log if isinstance(read_log, NvmeSanitizeLog) else None
        if log is None:
            why = read_log.why if isinstance(read_log, Unreadable) else _failure(lres)[1]
            notes.append(f"sanitize log not readable: {why}")
    if caps.namespaces and caps.namespaces > 1:
        notes.append(f"controller has {caps.namespaces} namespaces: Sanitize erases all of them")
    return PurgeCapabilities(dev, "nvme", nvme=caps, nvme_sanitize_log=log, notes=tuple(notes))


def _probe_scsi(host: Host, disk: Disk) -> PurgeCapabilities:
    dev = disk.devnode
    res = host.run(["sg_opcodes", "--no-inquiry", dev])
    caps = parse_sg_opcodes(res.stdout) if res.ok else None
    if caps is None:
        reason, detail = _failure(res) if not res.ok else (UnknownReason.UNPARSEABLE, "no opcode list")
        if reason is UnknownReason.COMMAND_FAILED:
            detail += " (the device does not report its supported commands; SANITIZE support unknown)"
        return PurgeCapabilities(dev, "scsi", unknown=reason, detail=detail)
    return PurgeCapabilities(dev, "scsi", scsi=caps)

