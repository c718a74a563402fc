"""Machine identity from SMBIOS/DMI: sysfs `/sys/class/dmi/id` first, `dmidecode` text for the rest.

Vendors often leave placeholders ("To Be Filled By O.E.M.", "Default string", all zeros) in the
serial and product fields; an audit record or certificate must not present those as an identity.
Every identity value therefore carries a confidence and the reasons for doubt, so the TUI can ask
the technician to type or scan the label instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from station.hw import Host
from station.untrusted import REPLACEMENT, digits_int

DMI_SYSFS = "/sys/class/dmi/id"

_PLACEHOLDERS = {
    "to be filled by o.e.m.", "to be filled by oem", "default string", "system serial number",
    "system product name", "system version", "system manufacturer", "system name", "chassis serial number",
    "chassis manufacture", "chassis version", "base board serial number", "base board product name",
    "baseboard serial number", "board serial number", "not specified", "not applicable", "not available",
    "none", "n/a", "na", "oem", "o.e.m.", "default", "invalid", "unknown", "sku", "type1productconfigid",
    "type2 - board serial number", "type1 - serial number", "123456789", "0123456789", "1234567890",
    "serial", "empty", "null", "no asset tag", "no asset information", "asset-1234567890",
    "all series", "to be filled", "default_string", "xxxxxxxxxxxx",
}

CHASSIS_TYPES = {
    1: "Other", 2: "Unknown", 3: "Desktop", 4: "Low Profile Desktop", 5: "Pizza Box", 6: "Mini Tower",
    7: "Tower", 8: "Portable", 9: "Laptop", 10: "Notebook", 11: "Hand Held", 12: "Docking Station",
    13: "All in One", 14: "Sub Notebook", 15: "Space-saving", 16: "Lunch Box", 17: "Main Server Chassis",
    18: "Expansion Chassis", 19: "Sub Chassis", 20: "Bus Expansion Chassis", 21: "Peripheral Chassis",
    22: "RAID Chassis", 23: "Rack Mount Chassis", 24: "Sealed-case PC", 25: "Multi-system", 26: "CompactPCI",
    27: "AdvancedTCA", 28: "Blade", 29: "Blade Enclosure", 30: "Tablet", 31: "Convertible", 32: "Detachable",
    33: "IoT Gateway", 34: "Embedded PC", 35: "Mini PC", 36: "Stick PC",
}
_PORTABLE = {"Portable", "Laptop", "Notebook", "Sub Notebook", "Hand Held", "Tablet", "Convertible",
             "Detachable"}
_SERVER = {"Main Server Chassis", "Rack Mount Chassis", "Blade", "Blade Enclosure", "Multi-system"}


@dataclass(frozen=True)
class DmiValue:
    """One identity string with how much it can be trusted (0.0 placeholder .. 1.0 plausible)."""

    value: str | None
    confidence: float
    doubts: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return self.value is not None and self.confidence >= 0.5

    def to_dict(self) -> dict[str, object]:
        return {"value": self.value, "confidence": self.confidence, "doubts": list(self.doubts)}


def assess(raw: str | None, serial: bool = False) -> DmiValue:
    """Judge a DMI string. `serial=True` applies the stricter rules that serial numbers need."""
    if raw is None:
        return DmiValue(None, 0.0, ("absent",))
    value = " ".join(raw.replace("\x00", "").split())
    if not value:
        return DmiValue(None, 0.0, ("empty",))
    low = value.lower()
    if REPLACEMENT in value:  # bytes that were not UTF-8: not the firmware's own text
        return DmiValue(value, 0.0, ("unreadable-characters",))
    if set(value) <= {"-"}:
        return DmiValue(value, 0.0, ("redacted",))
    if low in _PLACEHOLDERS or low.startswith(("to be filled", "default string", "system serial")):
        return DmiValue(value, 0.0, ("junk-placeholder",))
    compact = re.sub(r"[\s\-_.:]", "", low)
    if compact and set(compact) <= {"0"}:
        return DmiValue(value, 0.0, ("all-zeros",))
    if compact and set(compact) <= {"f"} and len(compact) >= 4:
        return DmiValue(value, 0.0, ("all-ones",))
    if compact and len(set(compact)) == 1 and len(compact) >= 4:
        return DmiValue(value, 0.1, ("repeated-character",))
    if serial and len(compact) < 4:
        return DmiValue(value, 0.3, ("too-short",))
    if not value.isprintable():
        return DmiValue(value, 0.3, ("unprintable",))
    return DmiValue(value, 1.0)


@dataclass(frozen=True)
class DmiRecord:
    """One `dmidecode` structure: handle, type, title, `Key: value` fields and indented list fields."""

    handle: str
    type: int
    title: str
    fields: dict[str, str]
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)


_HANDLE = re.compile(r"^Handle (0x[0-9A-Fa-f]+), DMI type ([0-9]+),")


def parse_dmidecode(text: str) -> list[DmiRecord]:
    """Parse `dmidecode` text output. Unknown layouts are skipped, never fatal."""
    records: list[DmiRecord] = []
    handle: str | None = None
    dtype = -1
    title = ""
    fields: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    current_list: str | None = None

    def flush() -> None:
        if handle is not None:
            records.append(DmiRecord(handle, dtype, title, dict(fields),
                                     {k: tuple(v) for k, v in lists.items()}))

    for line in text.splitlines():
        match = _HANDLE.match(line)
        if match:
            flush()
            type_number = digits_int(match.group(2))
            handle, dtype, title = match.group(1), -1 if type_number is None else type_number, ""
            fields, lists, current_list = {}, {}, None
            continue
        if handle is None or not line.strip():
            continue
        if not line.startswith("\t"):
            if not title:
                title = line.strip()
            continue
        if line.startswith("\t\t"):
            if current_list is not None:
                lists[current_list].append(line.strip())
            continue
        key, sep, value = line.strip().partition(":")
        if not sep:
            continue
        value = value.strip()
        if value:
            fields[key] = value
            current_list = None
        else:
            current_list = key
            lists[key] = []
    flush()
    return records


@dataclass(frozen=True)
class MemoryModule:
    slot: str | None
    size_mib: int | None
    type: str | None
    speed_mts: int | None
    manufacturer: str | None
    part_number: str | None
    form_factor: str | None


@dataclass(frozen=True)
class DmiProcessor:
    socket: str | None
    version: str | None
    cores: int | None
    threads: int | None
    max_speed_mhz: int | None
    populated: bool


@dataclass(frozen=True)
class DmiBattery:
    manufacturer: str | None
    name: str | None
    design_capacity_mwh: int | None
    chemistry: str | None
    manufacture_date: str | None


@dataclass(frozen=True)
class YearEstimate:
    """Year of production, estimated: the BIOS release date, cross-checked with dated parts."""

    year: int | None
    basis: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class DmidecodeRun:
    """What `dmidecode` answered, kept as audit evidence like smartctl's JSON: its text even when it
    failed (the tables it could not read say why), its exit status, and why the tables are missing."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    why_missing: str | None  # None when the SMBIOS tables were read and parsed

    @property
    def parsed(self) -> bool:
        return self.why_missing is None


@dataclass(frozen=True)
class DmiInfo:
    manufacturer: DmiValue
    product: DmiValue
    version: DmiValue
    serial: DmiValue
    uuid: DmiValue
    family: DmiValue
    sku: DmiValue
    board_manufacturer: DmiValue
    board_product: DmiValue
    board_serial: DmiValue
    chassis_type: str | None
    chassis_manufacturer: DmiValue
    chassis_serial: DmiValue
    chassis_asset_tag: DmiValue
    bios_vendor: str | None
    bios_version: str | None
    bios_date: str | None
    year: YearEstimate
    memory: tuple[MemoryModule, ...] = ()
    memory_slots: int | None = None
    processors: tuple[DmiProcessor, ...] = ()
    batteries: tuple[DmiBattery, ...] = ()
    sources: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    dmidecode: DmidecodeRun | None = None  # None when dmidecode was not asked for

    @property
    def form_factor(self) -> str:
        """laptop / desktop / server / unknown, from the chassis type."""
        if self.chassis_type in _PORTABLE:
            return "laptop"
        if self.chassis_type in _SERVER:
            return "server"
        if self.chassis_type in (None, "Other", "Unknown"):
            return "unknown"
        return "desktop"

    @property
    def best_serial(self) -> DmiValue:
        """System serial, else chassis, else board: whichever is plausible, in that order."""
        for candidate in (self.serial, self.chassis_serial, self.board_serial):
            if candidate.usable:
                return candidate
        return self.serial

    @property
    def model_name(self) -> str | None:
        """Human model name: Lenovo puts "ThinkPad T480" in Version and a type number in Product."""
        if self.manufacturer.value and self.manufacturer.value.upper().startswith("LENOVO") \
                and self.version.usable:
            return self.version.value
        if self.product.usable:
            return self.product.value
        if self.board_product.usable:
            return self.board_product.value
        return None


def _int_prefix(text: str | None) -> int | None:
    if not text:
        return None
    match = re.match(r"\s*([0-9]+)", text)
    return digits_int(match.group(1)) if match else None


def _size_mib(text: str | None) -> int | None:
    if not text:
        return None
    match = re.match(r"\s*([0-9]+)\s*(KB|kB|MB|GB|TB)\b", text)
    number = digits_int(match.group(1)) if match else None
    if match is None or number is None:
        return None
    unit = match.group(2).upper()
    return {"KB": number // 1024, "MB": number, "GB": number * 1024, "TB": number * 1024 * 1024}[unit]


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return None if assess(text).confidence == 0.0 else text


_DATE_PATTERNS = (
    (re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$"), ("m", "d", "y")),
    (re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{2})$"), ("m", "d", "yy")),
    (re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$"), ("y", "m", "d")),
)


def parse_dmi_date(text: str | None) -> date | None:
    """DMI dates: BIOS uses mm/dd/yyyy (old firmware mm/dd/yy), SBDS batteries use yyyy-mm-dd.
    None when the text is no such date, including year 0000 (placeholder firmware) and 02/30."""
    if not text:
        return None
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(text.strip())
        if not match:
            continue
        parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
        year = parts["y"] if "y" in parts else (1900 + parts["yy"] if parts["yy"] >= 80 else 2000 + parts["yy"])
        try:
            return date(year, parts["m"], parts["d"])
        except ValueError:
            return None
    return None


def estimate_year(bios_date: str | None, part_dates: dict[str, str | None], today: date | None = None
                  ) -> YearEstimate:
    """The earliest plausible dated source. A BIOS update moves the BIOS date later, a dated part
    (battery) made before assembly is earlier, so the minimum is the better bound."""
    today = today or date.today()
    candidates: list[tuple[date, str]] = []
    parsed = parse_dmi_date(bios_date)
    if parsed is not None and 1985 <= parsed.year <= today.year:
        candidates.append((parsed, f"bios-date:{bios_date}"))
    for name, text in part_dates.items():
        when = parse_dmi_date(text)
        if when is not None and 1985 <= when.year <= today.year:
            candidates.append((when, f"{name}:{text}"))
    if not candidates:
        why = f" (BIOS date {bios_date!r} is not a plausible date)" if bios_date else ""
        return YearEstimate(None, (), f"no plausible date in DMI{why}")
    earliest = min(candidates)
    note = ("BIOS release date; a BIOS update makes this later than production" if len(candidates) == 1
            else "earliest of the dated sources")
    return YearEstimate(earliest[0].year, tuple(c[1] for c in sorted(candidates)), note)


def _first(records: list[DmiRecord], dtype: int) -> dict[str, str]:
    for record in records:
        if record.type == dtype:
            return record.fields
    return {}


def read(host: Host, run_dmidecode: bool = True) -> DmiInfo:
    """Read DMI identity. sysfs serials need root; dmidecode needs root and the tool; what is
    unavailable is listed in `missing` with the reason instead of failing."""
    missing: list[str] = []
    sources: list[str] = []

    def sysfs(name: str) -> str | None:
        return host.read_attr(f"{DMI_SYSFS}/{name}")

    have_sysfs = bool(host.listdir(DMI_SYSFS))
    if have_sysfs:
        sources.append("sysfs")
    else:
        missing.append("dmi-sysfs: /sys/class/dmi/id absent (no SMBIOS tables, e.g. a VM without them or ARM)")

    records: list[DmiRecord] = []
    run: DmidecodeRun | None = None
    if run_dmidecode:
        result = host.run(["dmidecode"], timeout=20)
        why: str | None = None
        if result.ok and "Handle 0x" in result.stdout:
            records = parse_dmidecode(result.stdout)
            sources.append("dmidecode")
        elif result.returncode == 127:
            why = "tool not installed or not recorded; memory modules and DMI batteries unknown"
        else:
            reason = (result.stderr.strip().splitlines() or ["no SMBIOS data"])[-1]
            hint = "; needs root" if "ermission" in result.stderr else ""
            why = f"exit {result.returncode} ({reason}){hint}"
        if why is not None:
            missing.append(f"dmidecode: {why}")
        run = DmidecodeRun(tuple(result.argv), result.returncode, result.stdout, result.stderr, why)

    bios, system = _first(records, 0), _first(records, 1)
    board, chassis = _first(records, 2), _first(records, 3)

    def pick(sys_name: str, rec: dict[str, str], key: str, serial: bool = False) -> DmiValue:
        value = sysfs(sys_name) if have_sysfs else None
        if value is None:
            value = rec.get(key)
        return assess(value, serial=serial)

    if have_sysfs and sysfs("product_serial") is None and "Serial Number" not in system:
        missing.append("system-serial: /sys/class/dmi/id/product_serial is readable by root only")

    chassis_type: str | None = None
    raw_type = sysfs("chassis_type") if have_sysfs else None
    type_number = digits_int(raw_type)
    if type_number is not None and type_number >= 0:
        chassis_type = CHASSIS_TYPES.get(type_number & 0x7F, f"type {raw_type}")
    elif chassis.get("Type"):
        chassis_type = chassis["Type"]

    modules: list[MemoryModule] = []
    slots = 0
    for record in records:
        if record.type != 17:
            continue
        slots += 1
        size = _size_mib(record.fields.get("Size"))
        if size is None:
            continue
        speed = record.fields.get("Configured Memory Speed") or record.fields.get("Speed")
        modules.append(MemoryModule(
            slot=record.fields.get("Locator"), size_mib=size, type=_clean(record.fields.get("Type")),
            speed_mts=_int_prefix(speed), manufacturer=_clean(record.fields.get("Manufacturer")),
            part_number=_clean(record.fields.get("Part Number")),
            form_factor=_clean(record.fields.get("Form Factor"))))

    processors = tuple(
        DmiProcessor(socket=r.fields.get("Socket Designation"), version=_clean(r.fields.get("Version")),
                     cores=_int_prefix(r.fields.get("Core Count")),
                     threads=_int_prefix(r.fields.get("Thread Count")),
                     max_speed_mhz=_int_prefix(r.fields.get("Max Speed")),
                     populated="Populated" in r.fields.get("Status", "") and "Unpopulated"
                     not in r.fields.get("Status", ""))
        for r in records if r.type == 4)
    batteries = tuple(
        DmiBattery(manufacturer=_clean(r.fields.get("Manufacturer")), name=_clean(r.fields.get("Name")),
                   design_capacity_mwh=_int_prefix(r.fields.get("Design Capacity")),
                   chemistry=_clean(r.fields.get("SBDS Chemistry") or r.fields.get("Chemistry")),
                   manufacture_date=_clean(r.fields.get("SBDS Manufacture Date")
                                           or r.fields.get("Manufacture Date")))
        for r in records if r.type == 22)

    bios_date = (sysfs("bios_date") if have_sysfs else None) or bios.get("Release Date")
    part_dates = {f"battery{i}": b.manufacture_date for i, b in enumerate(batteries)}
    return DmiInfo(
        manufacturer=pick("sys_vendor", system, "Manufacturer"),
        product=pick("product_name", system, "Product Name"),
        version=pick("product_version", system, "Version"),
        serial=pick("product_serial", system, "Serial Number", serial=True),
        uuid=pick("product_uuid", system, "UUID", serial=True),
        family=pick("product_family", system, "Family"),
        sku=pick("product_sku", system, "SKU Number"),
        board_manufacturer=pick("board_vendor", board, "Manufacturer"),
        board_product=pick("board_name", board, "Product Name"),
        board_serial=pick("board_serial", board, "Serial Number", serial=True),
        chassis_type=chassis_type,
        chassis_manufacturer=pick("chassis_vendor", chassis, "Manufacturer"),
        chassis_serial=pick("chassis_serial", chassis, "Serial Number", serial=True),
        chassis_asset_tag=pick("chassis_asset_tag", chassis, "Asset Tag"),
        bios_vendor=(sysfs("bios_vendor") if have_sysfs else None) or bios.get("Vendor"),
        bios_version=(sysfs("bios_version") if have_sysfs else None) or bios.get("Version"),
        bios_date=bios_date,
        year=estimate_year(bios_date, part_dates),
        memory=tuple(modules),
        memory_slots=slots or None,
        processors=processors,
        batteries=batteries,
        sources=tuple(sources),
        missing=tuple(missing),
        dmidecode=run,
    )


@dataclass(frozen=True)
class HostIdentity:
    """The computer a drive was erased in, from DMI: the NIST 'media source'."""

    manufacturer: str | None
    product: str | None
    serial: str | None
    serial_trusted: bool  # False for junk DMI serials ("To Be Filled By O.E.M.", "0123456789")


def host_identity(host: Host, info: DmiInfo | None = None) -> HostIdentity:
    """The machine a drive was erased in, for certificates. Placeholder serials are not trusted."""
    info = info or read(host)
    serial = info.best_serial
    return HostIdentity(
        manufacturer=info.manufacturer.value if info.manufacturer.usable else None,
        product=info.model_name,
        serial=serial.value if serial.usable else None,
        serial_trusted=serial.usable,
    )
