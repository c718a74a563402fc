"""Drive health from `smartctl --json -x`: a typed report, named rules, and the raw JSON as evidence.

smartctl's JSON differs between ATA, NVMe and SCSI, between smartctl versions, and becomes partial
behind USB bridges or when a command fails. Parsing therefore checks every type it reads and turns
anything unexpected into "unknown" with a reason; the raw bytes are kept so the evidence can be
re-read later with better rules.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from station.hw import Host
from station.inventory.thresholds import SmartThresholds
from station.inventory.thresholds import default as default_thresholds
from station.untrusted import JsonError, Unreadable, digits_int, has_unreadable_characters, load_json

HEALTH_VALUES = ("ok", "warning", "failing", "unknown")

# smartctl(8) "RETURN VALUES": the exit status is a bit mask.
EXIT_BITS = (
    (0, "command-line-error"),
    (1, "device-open-failed"),
    (2, "smart-command-failed"),
    (3, "disk-failing"),
    (4, "prefail-attribute-at-threshold"),
    (5, "attribute-was-at-threshold"),
    (6, "error-log-has-errors"),
    (7, "self-test-log-has-errors"),
)

_WEAR_ATTRIBUTES = {"SSD_Life_Left", "Wear_Leveling_Count", "Media_Wearout_Indicator", "Percent_Lifetime_Remain",
                    "Remaining_Lifetime_Perc", "Percent_Life_Remaining"}
_NVME_SELFTEST_FAILED = {5, 6, 7}


def decode_exit_status(status: int | None) -> tuple[str, ...]:
    if status is None or status < 0:
        return ()
    return tuple(name for bit, name in EXIT_BITS if status & (1 << bit))


# -- defensive accessors: smartctl JSON is untrusted input ------------------------------------------

def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _what(value: Any) -> str:
    if isinstance(value, Unreadable):
        return value.why
    return {dict: "an object", list: "a list", str: "text", bool: "a boolean", float: "a fraction"}.get(
        type(value), type(value).__name__)


class _Odd:
    """The values smartctl printed that cannot be read as what they should be, each with the reason.

    A count that is negative, a number past 40 digits, a string where a count belongs or a list where
    an object belongs is unknown, never 0 and never "healthy": the report lists it, and health is
    "unknown" when such a value is one the rules judge and no rule fired on the rest.
    """

    def __init__(self) -> None:
        self.found: list[str] = []
        self.health = False

    def note(self, where: str, why: str, health: bool) -> None:
        self.found.append(f"{where}: {why}")
        self.health = self.health or health

    def section(self, data: dict[str, Any], key: str, health: bool = True) -> dict[str, Any]:
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            self.note(key, f"{_what(value)} where an object was expected", health)
        return _dict(value)

    def count(self, value: Any, where: str, health: bool = True) -> int | None:
        """A counter or a size: a non-negative integer."""
        number = _int(value)
        if value is None:
            return None
        if number is None:
            self.note(where, f"{_what(value)} where a count was expected", health)
        elif number < 0:
            self.note(where, f"negative count {number}", health)
            return None
        return number

    def text(self, value: Any, where: str) -> str | None:
        """An identity string (serial, model): text with characters that were not UTF-8 is not the drive's."""
        text = _str(value)
        if text is not None and has_unreadable_characters(text):
            self.note(where, f"unreadable characters in {text!r}", False)
            return None
        return text


@dataclass(frozen=True)
class SmartRule:
    """One fired health rule: which, how bad, the measured value and the threshold it crossed."""

    id: str
    severity: str  # "info" | "warning" | "failing"
    value: int | float | str | bool | None
    threshold: int | float | str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "value": self.value, "threshold": self.threshold,
                "message": self.message}


@dataclass(frozen=True)
class AtaAttribute:
    id: int
    name: str
    value: int | None
    worst: int | None
    thresh: int | None
    raw: int | None
    raw_string: str | None
    when_failed: str
    prefailure: bool


@dataclass(frozen=True)
class AtaSecurity:
    """ATA Security feature set, from smartctl's `ata_security` (IDENTIFY word 128 in `state`).

    smartctl's JSON carries no erase-time estimates (IDENTIFY words 89/90); those fields stay None
    unless a future smartctl adds them, and the Purge path should read them from `hdparm -I`.
    """

    state: int | None
    supported: bool | None
    enabled: bool | None
    locked: bool | None
    frozen: bool | None
    count_expired: bool | None
    enhanced_erase_supported: bool | None
    master_password_id: int | None
    erase_minutes: int | None = None
    enhanced_erase_minutes: int | None = None
    text: str | None = None


@dataclass(frozen=True)
class SelfTest:
    type: str | None
    status: str | None
    passed: bool | None
    lifetime_hours: int | None


@dataclass(frozen=True)
class NvmeHealth:
    critical_warning: int | None
    available_spare: int | None
    available_spare_threshold: int | None
    percentage_used: int | None
    media_errors: int | None
    error_log_entries: int | None
    unsafe_shutdowns: int | None
    data_units_written: int | None


@dataclass(frozen=True)
class SmartReport:
    devnode: str
    device_type: str | None  # the `-d` type smartctl used ("sat", "nvme", "scsi", "usbjmicron", ...)
    protocol: str | None  # ATA / NVMe / SCSI
    health: str  # one of HEALTH_VALUES
    rules: tuple[SmartRule, ...]
    exit_status: int | None
    exit_bits: tuple[str, ...]
    raw_json: bytes
    argv: tuple[str, ...] = ()
    model: str | None = None
    serial: str | None = None
    firmware: str | None = None
    capacity_bytes: int | None = None
    rotation_rate: int | None = None  # 0 = solid state
    smart_passed: bool | None = None
    power_on_hours: int | None = None
    temperature_c: int | None = None
    attributes: tuple[AtaAttribute, ...] = ()
    nvme: NvmeHealth | None = None
    scsi_grown_defects: int | None = None
    self_tests: tuple[SelfTest, ...] = ()
    ata_security: AtaSecurity | None = None
    messages: tuple[str, ...] = ()
    error: str | None = None  # why health is unknown, when it is
    odd: tuple[str, ...] = ()  # values present but unreadable (wrong type, negative count, ...), with why
    attempts: tuple[str, ...] = ()  # argv tried before this one, with why they were dropped

    def attribute(self, attr_id: int) -> AtaAttribute | None:
        return next((a for a in self.attributes if a.id == attr_id), None)

    def summary(self) -> dict[str, Any]:
        """Flat, JSON-ready summary for audit records (the raw JSON is stored separately)."""
        return {
            "devnode": self.devnode, "device_type": self.device_type, "protocol": self.protocol,
            "model": self.model, "serial": self.serial, "firmware": self.firmware,
            "capacity_bytes": self.capacity_bytes, "health": self.health,
            "smart_passed": self.smart_passed, "power_on_hours": self.power_on_hours,
            "temperature_c": self.temperature_c, "exit_status": self.exit_status,
            "exit_bits": list(self.exit_bits), "rules": [r.to_dict() for r in self.rules],
            "error": self.error, "odd": list(self.odd),
        }


def _raw_count(raw: dict[str, Any], odd: _Odd, where: str) -> int | None:
    """The event count of an attribute: vendors pack several counters in the 48-bit raw value
    (Seagate 188), smartctl prints the first counter first in `raw.string`."""
    text = _str(raw.get("string"))
    if text:
        head = text.split(maxsplit=1)[0] if text.split() else ""
        lead = head[:len(head) - len(head.lstrip("0123456789"))]
        if lead:
            count = digits_int(lead)
            if count is None:
                odd.note(f"{where}.raw.string", f"a count of {len(lead)} digits", True)
            return count
    return odd.count(raw.get("value"), f"{where}.raw.value")


def _parse_attributes(data: dict[str, Any], odd: _Odd) -> tuple[AtaAttribute, ...]:
    out: list[AtaAttribute] = []
    for entry in _list(odd.section(data, "ata_smart_attributes").get("table")):
        entry = _dict(entry)
        attr_id = _int(entry.get("id"))
        if attr_id is None:
            continue
        where = f"ata_smart_attributes.{attr_id}"
        raw = _dict(entry.get("raw"))
        out.append(AtaAttribute(
            id=attr_id, name=_str(entry.get("name")) or f"Attribute_{attr_id}",
            value=odd.count(entry.get("value"), f"{where}.value"), worst=odd.count(entry.get("worst"),
                                                                                    f"{where}.worst"),
            thresh=odd.count(entry.get("thresh"), f"{where}.thresh"),
            raw=_raw_count(raw, odd, where), raw_string=_str(raw.get("string")),
            when_failed=_str(entry.get("when_failed")) or "",
            prefailure=bool(_dict(entry.get("flags")).get("prefailure") is True)))
    return tuple(out)


def _parse_security(data: dict[str, Any], odd: _Odd) -> AtaSecurity | None:
    sec = data.get("ata_security")
    if not isinstance(sec, dict):
        return None
    state = odd.count(sec.get("state"), "ata_security.state", health=False)  # a negative mask is not "all set"

    def bit(n: int) -> bool | None:
        return None if state is None else bool(state & (1 << n))

    return AtaSecurity(
        state=state, supported=bit(0), enabled=_bool(sec.get("enabled")) if "enabled" in sec else bit(1),
        locked=_bool(sec.get("locked")) if "locked" in sec else bit(2),
        frozen=_bool(sec.get("frozen")) if "frozen" in sec else bit(3),
        count_expired=bit(4), enhanced_erase_supported=bit(5),
        master_password_id=_int(sec.get("master_password_id")), text=_str(sec.get("string")))


def _parse_self_tests(data: dict[str, Any]) -> tuple[SelfTest, ...]:
    tests: list[SelfTest] = []
    log = _dict(data.get("ata_smart_self_test_log"))
    for section in ("extended", "standard"):
        table = _list(_dict(log.get(section)).get("table"))
        if table:
            for entry in table:
                entry = _dict(entry)
                status = _dict(entry.get("status"))
                tests.append(SelfTest(_str(_dict(entry.get("type")).get("string")), _str(status.get("string")),
                                      _bool(status.get("passed")), _int(entry.get("lifetime_hours"))))
            break
    for entry in _list(_dict(data.get("nvme_self_test_log")).get("table")):
        entry = _dict(entry)
        result = _dict(entry.get("self_test_result"))
        code = _int(result.get("value"))
        passed = None if code is None else (code not in _NVME_SELFTEST_FAILED)
        tests.append(SelfTest(_str(_dict(entry.get("self_test_code")).get("string")), _str(result.get("string")),
                              passed, _int(entry.get("power_on_hours"))))
    return tuple(tests)


_NVME_FIELDS = {"critical_warning": "critical_warning", "available_spare": "available_spare",
                "available_spare_threshold": "available_spare_threshold", "percentage_used": "percentage_used",
                "media_errors": "media_errors", "error_log_entries": "num_err_log_entries",
                "unsafe_shutdowns": "unsafe_shutdowns", "data_units_written": "data_units_written"}


def _parse_nvme(data: dict[str, Any], odd: _Odd) -> NvmeHealth | None:
    key = "nvme_smart_health_information_log"
    if key not in data:
        return None
    log = odd.section(data, key)
    if not log:
        return None
    return NvmeHealth(**{name: odd.count(log.get(field), f"{key}.{field}") for name, field in _NVME_FIELDS.items()})


def evaluate(report: SmartReport, limits: SmartThresholds) -> tuple[SmartRule, ...]:
    """The health rules, in the order a technician would read them."""
    rules: list[SmartRule] = []

    def fire(rule_id: str, severity: str, value: int | float | str | bool | None,
             threshold: int | float | str | None, message: str) -> None:
        rules.append(SmartRule(rule_id, severity, value, threshold, message))

    if report.smart_passed is False:
        fire("smart.overall-failed", "failing", False, True, "the drive's own SMART overall assessment is FAILED")
    if "disk-failing" in report.exit_bits and report.smart_passed is not False:
        fire("smart.overall-failed", "failing", report.exit_status, "bit 3",
             "smartctl exit status says the disk is failing")
    for attr in report.attributes:
        at_threshold = (attr.thresh is not None and attr.thresh > 0 and attr.value is not None
                        and attr.value <= attr.thresh)
        if attr.prefailure and (at_threshold or attr.when_failed == "now"):
            fire(f"smart.ata.{attr.id}.prefail-at-threshold", "failing", attr.value, attr.thresh,
                 f"pre-failure attribute {attr.id} {attr.name} is at or below its threshold")
        elif attr.prefailure and attr.when_failed in ("past", "In_the_past"):
            fire(f"smart.ata.{attr.id}.prefail-was-at-threshold", "warning", attr.worst, attr.thresh,
                 f"pre-failure attribute {attr.id} {attr.name} was at its threshold in the past")
    for attr_id, warn_at in sorted(limits.ata_warn_raw.items()):
        counted = report.attribute(attr_id)
        if counted is None or counted.raw is None:
            continue
        name = limits.ata_names.get(attr_id, counted.name)
        fail_at = limits.ata_fail_raw.get(attr_id)
        if fail_at is not None and counted.raw >= fail_at:
            fire(f"smart.ata.{attr_id}.count", "failing", counted.raw, fail_at,
                 f"{name} = {counted.raw} (Backblaze failure predictor)")
        elif counted.raw >= warn_at:
            fire(f"smart.ata.{attr_id}.count", "warning", counted.raw, warn_at,
                 f"{name} = {counted.raw} (Backblaze failure predictor)")
    for attr in report.attributes:
        if attr.name in _WEAR_ATTRIBUTES and attr.value is not None and 0 <= attr.value <= 100 \
                and attr.value <= limits.ssd_life_left_warn_percent:
            fire(f"smart.ata.{attr.id}.ssd-life-left", "warning", attr.value, limits.ssd_life_left_warn_percent,
                 f"SSD life left ({attr.name}) is {attr.value} %")
    nvme = report.nvme
    if nvme is not None:
        if nvme.critical_warning:
            severity = "warning" if nvme.critical_warning == 0x02 else "failing"
            fire("smart.nvme.critical-warning", severity, nvme.critical_warning, 0,
                 f"NVMe critical warning bits 0x{nvme.critical_warning:02x}")
        if nvme.available_spare is not None and nvme.available_spare_threshold is not None \
                and nvme.available_spare < nvme.available_spare_threshold:
            fire("smart.nvme.available-spare", "failing", nvme.available_spare, nvme.available_spare_threshold,
                 "NVMe available spare is below the drive's threshold")
        if nvme.media_errors is not None:
            if nvme.media_errors >= limits.nvme_media_errors_fail:
                fire("smart.nvme.media-errors", "failing", nvme.media_errors, limits.nvme_media_errors_fail,
                     f"{nvme.media_errors} NVMe media and data integrity errors")
            elif nvme.media_errors >= limits.nvme_media_errors_warn:
                fire("smart.nvme.media-errors", "warning", nvme.media_errors, limits.nvme_media_errors_warn,
                     f"{nvme.media_errors} NVMe media and data integrity errors")
        if nvme.percentage_used is not None:
            if nvme.percentage_used >= limits.nvme_percentage_used_fail:
                fire("smart.nvme.percentage-used", "failing", nvme.percentage_used,
                     limits.nvme_percentage_used_fail, f"NVMe endurance {nvme.percentage_used} % used")
            elif nvme.percentage_used >= limits.nvme_percentage_used_warn:
                fire("smart.nvme.percentage-used", "warning", nvme.percentage_used,
                     limits.nvme_percentage_used_warn, f"NVMe endurance {nvme.percentage_used} % used")
    if report.scsi_grown_defects is not None:
        if report.scsi_grown_defects >= limits.scsi_grown_defects_fail:
            fire("smart.scsi.grown-defects", "failing", report.scsi_grown_defects, limits.scsi_grown_defects_fail,
                 f"{report.scsi_grown_defects} grown defects")
        elif report.scsi_grown_defects >= limits.scsi_grown_defects_warn:
            fire("smart.scsi.grown-defects", "warning", report.scsi_grown_defects, limits.scsi_grown_defects_warn,
                 f"{report.scsi_grown_defects} grown defects")
    if report.power_on_hours is not None and report.power_on_hours >= limits.power_on_hours_warn:
        fire("smart.power-on-hours", "warning", report.power_on_hours, limits.power_on_hours_warn,
             f"{report.power_on_hours} power-on hours")
    if report.self_tests:
        latest = report.self_tests[0]
        if latest.passed is False:
            fire("smart.self-test.last-failed", "failing", latest.status, "Completed without error",
                 f"the most recent self-test ended: {latest.status}")
        elif any(t.passed is False for t in report.self_tests[1:]):
            failed = next(t for t in report.self_tests[1:] if t.passed is False)
            fire("smart.self-test.earlier-failed", "warning", failed.status, "Completed without error",
                 f"an earlier self-test ended: {failed.status}")
    if "smart-command-failed" in report.exit_bits:
        fire("smart.command-failed", "info", report.exit_status, "bit 2",
             "smartctl could not run every SMART command; some data may be missing")
    if "error-log-has-errors" in report.exit_bits:
        fire("smart.error-log", "info", report.exit_status, "bit 6", "the drive's error log has entries")
    return tuple(rules)


def _health(rules: tuple[SmartRule, ...]) -> str:
    severities = {r.severity for r in rules}
    if "failing" in severities:
        return "failing"
    if "warning" in severities:
        return "warning"
    return "ok"


def parse(raw_json: bytes | str, devnode: str, argv: tuple[str, ...] = (), limits: SmartThresholds | None = None,
          returncode: int | None = None) -> SmartReport:
    """Turn smartctl JSON into a report. Never raises on bad input: it answers health "unknown"."""
    limits = limits or default_thresholds().smart
    raw = raw_json.encode("utf-8", "surrogateescape") if isinstance(raw_json, str) else raw_json
    try:
        data: Any = load_json(raw)
    except JsonError as exc:
        status = returncode if returncode is not None and returncode >= 0 else None
        return SmartReport(devnode, None, None, "unknown", (), status, decode_exit_status(status), raw, argv,
                           error=f"smartctl did not produce JSON: {str(exc)[:120]}")
    if not isinstance(data, dict):
        return SmartReport(devnode, None, None, "unknown", (), returncode, decode_exit_status(returncode), raw,
                           argv, error="smartctl JSON is not an object")
    odd = _Odd()
    tool = _dict(data.get("smartctl"))
    exit_status = odd.count(tool.get("exit_status"), "smartctl.exit_status", health=False)
    if exit_status is None:
        exit_status = returncode
    bits = decode_exit_status(exit_status)
    messages = tuple(m for m in (_str(_dict(m).get("string")) for m in _list(tool.get("messages"))) if m)
    device = _dict(data.get("device"))
    smart_status = odd.section(data, "smart_status")
    power_on = odd.section(data, "power_on_time")
    grown = data.get("scsi_grown_defect_list")
    model = odd.text(data.get("model_name"), "model_name") or _str(data.get("scsi_model_name")) or " ".join(
        s for s in (_str(data.get("scsi_vendor")) or _str(data.get("vendor")),
                    _str(data.get("scsi_product")) or _str(data.get("product"))) if s) or None
    report = SmartReport(
        devnode=devnode, device_type=_str(device.get("type")), protocol=_str(device.get("protocol")),
        health="unknown", rules=(), exit_status=exit_status, exit_bits=bits, raw_json=raw, argv=argv,
        model=model, serial=odd.text(data.get("serial_number"), "serial_number"),
        firmware=_str(data.get("firmware_version")) or _str(data.get("scsi_revision")),
        capacity_bytes=odd.count(_dict(data.get("user_capacity")).get("bytes"), "user_capacity.bytes", False),
        rotation_rate=odd.count(data.get("rotation_rate"), "rotation_rate", False),
        smart_passed=_bool(smart_status.get("passed")),
        power_on_hours=odd.count(power_on.get("hours"), "power_on_time.hours"),
        temperature_c=_int(_dict(data.get("temperature")).get("current")),
        attributes=_parse_attributes(data, odd), nvme=_parse_nvme(data, odd),
        scsi_grown_defects=odd.count(grown, "scsi_grown_defect_list") if not isinstance(grown, dict) else None,
        self_tests=_parse_self_tests(data), ata_security=_parse_security(data, odd), messages=messages)
    report = _replace(report, odd=tuple(odd.found))
    has_health_data = (report.smart_passed is not None or bool(report.attributes) or report.nvme is not None
                       or report.scsi_grown_defects is not None)
    if not has_health_data:
        why = "; ".join(messages) or ("device open failed" if "device-open-failed" in bits
                                      else "no SMART data in smartctl output")
        if odd.health:
            why = f"{why}; unreadable values: {'; '.join(odd.found)}"
        return _replace(report, error=why)
    rules = evaluate(report, limits)
    health = _health(rules)
    if health == "ok" and odd.health:
        return _replace(report, rules=rules, error=f"unreadable values: {'; '.join(odd.found)}")
    return _replace(report, rules=rules, health=health)


def _replace(report: SmartReport, **changes: Any) -> SmartReport:
    return dataclasses.replace(report, **changes)


# `-d` types that reach a physical drive behind a RAID HBA, which the kernel shows only as the
# controller's logical volume (if at all): `smartctl --scan-open` names them, e.g. "megaraid,8",
# "sat+megaraid,14", "cciss,0", "areca,1/1", "3ware,2", "aacraid,0,0,3".
RAID_HBA_TYPES = frozenset({"megaraid", "cciss", "areca", "3ware", "aacraid", "hpt", "sssraid"})


@dataclass(frozen=True)
class ScannedDevice:
    """One device `smartctl --scan-open --json` found: where to open it and the `-d` type that reaches it."""

    name: str  # /dev/sda, /dev/bus/6, /dev/sg2 ...
    device_type: str  # smartctl's -d argument: "sat", "nvme", "megaraid,8", "sat+megaraid,14" ...
    protocol: str | None
    info_name: str | None

    @property
    def behind_raid_hba(self) -> bool:
        """A drive the kernel does not show as a block device of its own: reached through its controller."""
        return any(part.split(",")[0] in RAID_HBA_TYPES for part in self.device_type.split("+"))

    @property
    def label(self) -> str:
        return f"{self.device_type}@{self.name}"


def parse_scan(text: str) -> tuple[ScannedDevice, ...] | Unreadable:
    """`smartctl --scan-open --json` (or `--scan --json`): every device with a name and a `-d` type;
    entries without one are left out, a document that is not a scan says why."""
    try:
        data = load_json(text)
    except JsonError as exc:
        return Unreadable(f"smartctl --scan-open did not print JSON: {exc}")
    devices = data.get("devices") if isinstance(data, dict) else None
    if not isinstance(devices, list):
        return Unreadable("smartctl --scan-open printed no device list")
    found = []
    for entry in devices:
        entry = _dict(entry)
        name, dtype = _str(entry.get("name")), _str(entry.get("type"))
        if name and dtype and name.startswith("/dev/") and not has_unreadable_characters(name + dtype) \
                and " " not in dtype:
            found.append(ScannedDevice(name, dtype, _str(entry.get("protocol")), _str(entry.get("info_name"))))
    return tuple(found)


def scan_raid_drives(host: Host, timeout: float = 60.0) -> tuple[tuple[ScannedDevice, ...], str | None]:
    """Drives behind RAID HBAs, as `smartctl --scan-open` names them, and why the list may be incomplete."""
    result = host.run(["smartctl", "--scan-open", "--json"], timeout=timeout)
    if result.returncode == 127 and not result.stdout.strip():
        return (), "smartctl --scan-open not available: drives behind a RAID controller are not listed"
    scanned = parse_scan(result.stdout)
    if isinstance(scanned, Unreadable):
        return (), scanned.why
    return tuple(d for d in scanned if d.behind_raid_hba), None


def device_type_candidates(bus_hint: str | None, device_type: str | None = None) -> list[tuple[str, ...]]:
    """`-d` options to try, in order. A drive behind a RAID HBA has exactly one (its scan entry's). USB
    bridges hide ATA behind SCSI; `-d sat` (SAT passthrough) reaches most of them, smartctl's own
    autodetection knows a few others (JMicron, Cypress...)."""
    if device_type:
        return [("-d", device_type)]
    if bus_hint == "usb":
        return [("-d", "sat"), ()]
    if bus_hint == "nvme":
        return [()]
    return [()]


def read(host: Host, disk_devnode: str, bus_hint: str | None = None, limits: SmartThresholds | None = None,
         timeout: float = 60.0, device_type: str | None = None) -> SmartReport:
    """Run `smartctl --json -x` for one disk and judge it. A missing smartctl, a refused open (not
    root) or an unreadable bridge yields health "unknown" with the reason in `.error`. `device_type`
    is the `-d` type of a drive behind a RAID HBA (from `scan_raid_drives`)."""
    attempts: list[str] = []
    report: SmartReport | None = None
    for dtype in device_type_candidates(bus_hint, device_type):
        argv = ("smartctl", "--json", "-x", *dtype, disk_devnode)
        result = host.run(list(argv), timeout=timeout)
        if result.returncode == 127 and not result.stdout.strip():
            why = result.stderr.strip() or "smartctl: command not found"
            if "not found" in why:
                why = "smartctl is not installed (package smartmontools)"
            return SmartReport(disk_devnode, None, None, "unknown", (), None, (), b"", argv, error=why,
                               attempts=tuple(attempts))
        report = parse(result.stdout, disk_devnode, argv, limits, returncode=result.returncode)
        if report.health != "unknown":
            break
        attempts.append(f"{' '.join(argv)}: {report.error}")
    assert report is not None
    if report.health == "unknown" and report.error and "device-open-failed" in report.exit_bits \
            and "ermission" in report.error + " ".join(report.messages):
        report = _replace(report, error=f"{report.error} (needs root)")
    return _replace(report, attempts=tuple(attempts[:-1] if report.health == "unknown" else attempts))


def self_test_in_progress(data: dict[str, Any]) -> bool:
    """ATA: self-test execution status nibble 0xF; NVMe: a current self-test operation is set."""
    status = _int(_dict(_dict(_dict(data.get("ata_smart_data")).get("self_test")).get("status")).get("value"))
    if status is not None and (status >> 4) == 0xF:
        return True
    current = _int(_dict(_dict(data.get("nvme_self_test_log")).get("current_self_test_operation")).get("value"))
    return bool(current)


@dataclass
class SelfTestRun:
    started: bool
    completed: bool
    waited_s: float
    report: SmartReport | None
    error: str | None = None
    polls: int = 0
    log: list[str] = field(default_factory=list)


def run_short_self_test(host: Host, disk_devnode: str, bus_hint: str | None = None,
                        limits: SmartThresholds | None = None, max_wait_s: float = 600.0,
                        poll_s: float = 15.0, sleep: Callable[[float], None] = time.sleep,
                        clock: Callable[[], float] = time.monotonic) -> SelfTestRun:
    """Start a short self-test, wait for it to finish, and return the report read afterwards."""
    dtype = device_type_candidates(bus_hint)[0]
    start = host.run(["smartctl", "-t", "short", *dtype, disk_devnode], timeout=60)
    if start.returncode == 127:
        return SelfTestRun(False, False, 0.0, None, "smartctl is not installed")
    if start.returncode & 0b11:
        return SelfTestRun(False, False, 0.0, None,
                           f"smartctl -t short failed (exit {start.returncode}): {start.stderr.strip()[:200]}")
    began = clock()
    polls = 0
    while True:
        sleep(poll_s)
        polls += 1
        argv = ("smartctl", "--json", "-x", *dtype, disk_devnode)
        result = host.run(list(argv), timeout=60)
        try:
            data = load_json(result.stdout)
        except JsonError:
            data = None
        waited = clock() - began
        if isinstance(data, dict) and not self_test_in_progress(data):
            return SelfTestRun(True, True, waited, parse(result.stdout, disk_devnode, argv, limits,
                                                         result.returncode), polls=polls)
        if waited >= max_wait_s:
            report = parse(result.stdout, disk_devnode, argv, limits, result.returncode)
            return SelfTestRun(True, False, waited, report, f"self-test still running after {int(waited)} s",
                               polls=polls)
