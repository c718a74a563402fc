"""No traceback on odd input: every parser of tool output or files answers a value or an explicit unknown
with the reason, whatever it is given.

Property tests mutate the real captures (tests/fixtures, ../shared/fixtures) and generate from scratch
(strategies in odd_input.py; every input they make is synthetic). Each class of input that broke a parser
has its own regression test beside the property that would also find it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cert_helpers import issue_two
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from odd_input import HUGE, dumps, fixture_files, json_values, mutated_json, mutated_text

from station.certify import check, keys, lot
from station.detect import drives
from station.detect.disk import DiskKind, SerialInfo, SerialSource
from station.erase import hidden_area
from station.erase.purge import capabilities as caps
from station.hw import Host, ReplayRunner
from station.inventory import battery, dmi, smart
from station.inventory import cpu_ram_pci as hardware
from station.store.datadir import DataDir
from station.untrusted import MAX_DIGITS, JsonError, Unreadable, digits_int, load_json

FIXTURES = Path(__file__).parent / "fixtures"
SMARTCTL = fixture_files("smartctl", "purge/qemu-rack", suffix=".json")
DMIDECODE = [p for p in fixture_files("dmidecode", suffix=".txt") if "stderr" not in p.name]
HDPARM = fixture_files("hdparm", "purge/hdparm", "purge/qemu-rack", suffix=".txt")
IDCTRL = fixture_files("nvme", "purge/nvme", suffix=".txt")
SANITIZE_LOG = fixture_files("purge/nvme-sanitize-log", suffix=".txt")
PROFILES = sorted(p for p in (FIXTURES / "profiles").iterdir() if (p / "root").is_dir())
SLOW = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_real_captures_are_found() -> None:
    """The properties below run on every real capture; an empty list would make them prove nothing."""
    assert len(SMARTCTL) >= 15 and len(DMIDECODE) >= 5 and len(HDPARM) >= 4 and len(IDCTRL) >= 3
    assert len(SANITIZE_LOG) >= 3 and len(PROFILES) >= 6


# ------------------------------------------------------------------ the untrusted-input readers themselves

@given(st.text(max_size=60))
def test_digits_int_is_total(text: str) -> None:
    for base in (10, 16, 0):
        value = digits_int(text, base=base)
        assert value is None or len(str(abs(value))) <= 2 * MAX_DIGITS


@given(json_values)
def test_load_json_reads_what_json_writes(value: Any) -> None:
    assert load_json(json.dumps(value)) == value


@given(st.binary(max_size=200))
def test_load_json_bytes_is_a_value_or_a_json_error(blob: bytes) -> None:
    try:
        load_json(blob)
    except JsonError as exc:
        assert str(exc)


def test_load_json_keeps_the_rest_of_a_document_with_a_huge_number() -> None:
    data = load_json('{"a": ' + HUGE + ', "b": 2, "c": NaN, "d": 1e400}')
    assert isinstance(data["a"], Unreadable) and "5000 digits" in data["a"].why
    assert data["b"] == 2 and isinstance(data["c"], Unreadable) and isinstance(data["d"], Unreadable)


def test_load_json_refuses_deep_nesting_and_non_utf8() -> None:
    for raw, why in ((b"[" * 100_000 + b"]" * 100_000, "nested"), (b"[" * 70 + b"]" * 70, "deeper than 64"),
                     (b'{"a": "\xff"}', "not UTF-8"), ('{"a": 1}'.encode("utf-16"), "not UTF-8")):
        with pytest.raises(JsonError, match=why):
            load_json(raw)


# ------------------------------------------------------------------ smartctl --json -x

def _smart_is_explicit(report: smart.SmartReport) -> None:
    assert report.health in smart.HEALTH_VALUES
    if report.health == "unknown":
        assert report.error
    counts = [report.power_on_hours, report.scsi_grown_defects, report.capacity_bytes, report.rotation_rate]
    counts += [a.raw for a in report.attributes] + [a.value for a in report.attributes]
    if report.nvme is not None:
        counts += [report.nvme.media_errors, report.nvme.percentage_used, report.nvme.critical_warning,
                   report.nvme.available_spare]
    assert all(c is None or c >= 0 for c in counts), "a negative count was read as a reading"
    assert report.serial is None or "\ufffd" not in report.serial
    json.dumps(report.summary())


@SLOW
@given(st.sampled_from(SMARTCTL), st.data())
def test_smartctl_mutated_real_json(path: Path, data: st.DataObject) -> None:
    text = data.draw(mutated_json(json.loads(path.read_text())))
    _smart_is_explicit(smart.parse(text.encode(), "/dev/x"))


@SLOW
@given(st.sampled_from(SMARTCTL), st.data())
def test_smartctl_real_json_with_odd_counts(path: Path, data: st.DataObject) -> None:
    text = data.draw(mutated_json(json.loads(path.read_text()), numbers=True))
    _smart_is_explicit(smart.parse(text.encode(), "/dev/x"))


@given(st.sampled_from(SMARTCTL), st.data())
def test_smartctl_mutated_real_text(path: Path, data: st.DataObject) -> None:
    _smart_is_explicit(smart.parse(data.draw(mutated_text(path.read_text())), "/dev/x", returncode=4))


@given(st.dictionaries(st.sampled_from(["smartctl", "device", "smart_status", "power_on_time",
                                        "ata_smart_attributes", "nvme_smart_health_information_log",
                                        "scsi_grown_defect_list", "serial_number", "rotation_rate",
                                        "ata_security", "user_capacity"]), json_values, max_size=6))
def test_smartctl_from_scratch(doc: dict[str, Any]) -> None:
    _smart_is_explicit(smart.parse(json.dumps(doc), "/dev/x"))


def _nvme_doc(**log: Any) -> str:
    doc = json.loads((FIXTURES / "smartctl" / "nvme-sabrent-rocket4-healthy.json").read_text())
    doc["nvme_smart_health_information_log"].update(log)
    return dumps(doc)


def test_negative_nvme_counters_are_unknown_not_healthy() -> None:
    """Synthetic: a real healthy NVMe capture with its media error count turned negative."""
    healthy = smart.parse(_nvme_doc(), "/dev/nvme0")
    assert healthy.health == "ok"
    report = smart.parse(_nvme_doc(media_errors=-5), "/dev/nvme0")
    assert report.health == "unknown" and report.nvme is not None and report.nvme.media_errors is None
    assert "media_errors: negative count -5" in (report.error or "")


def test_negative_count_beside_a_failing_rule_stays_failing() -> None:
    report = smart.parse(_nvme_doc(media_errors=-5, critical_warning=4), "/dev/nvme0")
    assert report.health == "failing" and report.odd


def test_huge_numbers_in_smartctl_json_leave_the_rest_readable() -> None:
    """Synthetic: a real capture with a 5000-digit power-on count and a 5000-digit raw string."""
    doc = json.loads((FIXTURES / "smartctl" / "sat-wdc-wd140edfz-hdd-healthy.json").read_text())
    doc["power_on_time"]["hours"] = __import__("odd_input").RawToken(HUGE)
    doc["ata_smart_attributes"]["table"][0]["raw"]["string"] = HUGE + " (0 0)"
    report = smart.parse(dumps(doc), "/dev/sda")
    assert report.power_on_hours is None and report.model == doc["model_name"]
    assert report.health == "unknown" and "5000 digits" in (report.error or "")


def test_wrong_types_in_smartctl_json_are_named() -> None:
    doc = json.loads((FIXTURES / "smartctl" / "sat-wdc-wd140edfz-hdd-healthy.json").read_text())
    doc["power_on_time"] = {"hours": "12"}
    doc["smart_status"] = [True]
    report = smart.parse(json.dumps(doc), "/dev/sda")
    assert report.power_on_hours is None and report.smart_passed is None
    assert any("power_on_time.hours: text where a count was expected" in o for o in report.odd)
    assert any("smart_status: a list where an object was expected" in o for o in report.odd)
    assert report.health == "unknown"


def test_negative_security_state_is_not_all_bits_set() -> None:
    doc = json.loads((FIXTURES / "smartctl" / "sat-wdc-wd140edfz-hdd-healthy.json").read_text())
    doc["ata_security"] = {"state": -1}
    report = smart.parse(json.dumps(doc), "/dev/sda")
    assert report.ata_security is not None and report.ata_security.frozen is None
    assert report.ata_security.supported is None


def test_serial_with_replacement_characters_is_not_read_as_the_serial() -> None:
    doc = json.loads((FIXTURES / "smartctl" / "sat-wdc-wd140edfz-hdd-healthy.json").read_text())
    doc["serial_number"] = "9MG\ufffd\ufffdK2"
    report = smart.parse(json.dumps(doc), "/dev/sda")
    assert report.serial is None and any("serial_number: unreadable characters" in o for o in report.odd)
    assert report.health == "ok"  # an unreadable serial does not make the drive's health unknown


# ------------------------------------------------------------------ smartctl --json -i (detection)

@given(st.sampled_from(SMARTCTL), st.data())
def test_identify_mutated_real_json(path: Path, data: st.DataObject) -> None:
    ident = drives.parse_identify(0, data.draw(mutated_json(json.loads(path.read_text()))))
    if ident is not None:
        assert ident.rotation_rate is None or ident.rotation_rate >= 0
        for size in (ident.logical_block_size, ident.physical_block_size):
            assert size is None or 512 <= size <= 65536
        assert isinstance(ident.messages, tuple)


def test_identify_with_messages_of_the_wrong_type() -> None:
    for text in ('{"smartctl": {"messages": 5, "exit_status": -3}}', '{"smartctl": [], "device": []}',
                 '{"rotation_rate": ' + HUGE + ', "wwn": {"naa": -5, "oui": 1, "id": 2}}', "[" * 100_000):
        ident = drives.parse_identify(0, text)
        assert ident is None or (ident.rotation_rate is None and ident.wwn is None)


@pytest.mark.parametrize("value", ["AB\ufffdCD1234", "WD-\x1b[2JWX12", "\ufffd\ufffd\ufffd\ufffd"])
def test_serial_with_unreadable_characters_is_not_trusted(value: str) -> None:
    doubts = drives.serial_doubts(value)
    assert "unreadable-characters" in doubts
    assert not SerialInfo(value, SerialSource.IDENTIFY, doubts).trusted


# ------------------------------------------------------------------ dmidecode and DMI dates

def _dmi_host(text: str) -> Host:
    runner = ReplayRunner()
    runner.add(["dmidecode"], text)
    return Host(root=Path("/nonexistent-profile"), runner=runner, env={})


@given(st.sampled_from(DMIDECODE), st.data())
def test_dmidecode_mutated_real_text(path: Path, data: st.DataObject) -> None:
    info = dmi.read(_dmi_host(data.draw(mutated_text(path.read_text()))))
    assert info.year.year is None or info.year.year >= 1985
    assert info.year.year is not None or info.year.note
    for module in info.memory:
        assert module.size_mib is None or module.size_mib >= 0
    assert not info.best_serial.usable or "\ufffd" not in (info.best_serial.value or "")


@pytest.mark.parametrize("text", ["01/01/0000", "0000-01-01", "00/00/00", "02/30/2019", "13/01/2019", "٠١/٠١/٢٠١٩"])
def test_bios_date_that_is_no_date_is_unknown(text: str) -> None:
    assert dmi.parse_dmi_date(text) is None


def test_bios_date_year_zero_gives_an_unknown_year_with_the_reason() -> None:
    """Synthetic: the real OptiPlex dmidecode with its BIOS release date set to year 0."""
    real = (FIXTURES / "dmidecode" / "desktop-dell-optiplex-7050.txt").read_text()
    assert "Release Date: " in real
    text = "\n".join("\tRelease Date: 00/00/0000" if line.startswith("\tRelease Date:") else line
                     for line in real.splitlines())
    info = dmi.read(_dmi_host(text))
    assert info.year.year is None and "00/00/0000" in info.year.note


def test_dmidecode_huge_numbers_are_unknown() -> None:
    text = (f"Handle 0x0001, DMI type {HUGE}, 4 bytes\nX\n\tA: b\n"
            f"Handle 0x0002, DMI type 17, 40 bytes\nMemory Device\n\tSize: {HUGE} MB\n\tSpeed: {HUGE} MT/s\n")
    records = dmi.parse_dmidecode(text)
    assert records[0].type == -1
    info = dmi.read(_dmi_host(text))
    assert info.memory == () and info.memory_slots == 1


def test_dmi_value_with_replacement_characters_is_not_usable() -> None:
    judged = dmi.assess("PF1\ufffdBCD", serial=True)
    assert not judged.usable and judged.doubts == ("unreadable-characters",)


# ------------------------------------------------------------------ hdparm -I, -N, --dco-identify

@given(st.sampled_from(HDPARM), st.data())
def test_hdparm_identify_mutated_real_text(path: Path, data: st.DataObject) -> None:
    ident = caps.parse_hdparm_identify(data.draw(mutated_text(path.read_text())))
    if ident is not None:
        assert ident.lba48_sectors is None or ident.lba48_sectors >= 0
        if ident.security is not None:
            for minutes in (ident.security.erase_minutes, ident.security.enhanced_erase_minutes):
                assert minutes is None or minutes >= 0


@given(st.text(max_size=80), st.integers(0, 2**64), st.integers(0, 2**64))
def test_hdparm_n_from_scratch(junk: str, current: int, native: int) -> None:
    for text in (junk, f" max sectors   = {current}/{native}, HPA is {junk}", junk + f"max sectors = {HUGE}/1"):
        parsed = hidden_area.parse_hdparm_n(text)
        assert parsed is None or 0 <= parsed[0] <= parsed[1]
        dco = hidden_area.parse_dco_identify(text)
        assert dco is None or dco >= 0


def test_hdparm_huge_numbers_are_unknown() -> None:
    real = (FIXTURES / "purge" / "hdparm" / "sata-hdd-hgst-huh721212ale600-not-frozen-sanitize-crypto-overwrite.txt")
    text = real.read_text()
    assert "LBA48  user addressable sectors:" in text
    import re

    ident = caps.parse_hdparm_identify(re.sub(r"(LBA48\s+user addressable sectors:\s*)[0-9]+", r"\g<1>" + HUGE, text))
    assert ident is not None and ident.lba48_sectors is None
    assert hidden_area.parse_hdparm_n(f" max sectors   = {HUGE}/{HUGE}, HPA is disabled") is None
    assert hidden_area.parse_hdparm_n(" max sectors   = 200/100, HPA is disabled") is None  # current above native
    assert hidden_area.parse_dco_identify(f"Real max sectors: {HUGE}") is None
    report = caps.parse_hdparm_sanitize_status("State: SD2\nProgress: 0x" + "f" * 5000)
    assert report is not None and report.fraction is None


# ------------------------------------------------------------------ nvme id-ctrl, sanitize-log, sg_requests

@given(st.sampled_from(IDCTRL), st.data())
def test_nvme_id_ctrl_mutated_real_text(path: Path, data: st.DataObject) -> None:
    read = caps.read_nvme_id_ctrl(data.draw(mutated_text(path.read_text())))
    if isinstance(read, Unreadable):
        assert read.why
    else:
        assert 0 <= read.sanicap < 2**32 and 0 <= read.fna < 256
        assert read.namespaces is None or read.namespaces >= 0


@given(st.sampled_from(IDCTRL), st.data())
def test_nvme_id_ctrl_json_mutated(path: Path, data: st.DataObject) -> None:
    """The -o json form, built from a real -H capture's own register values, then mutated."""
    fields = {m.group(1): int(m.group(2), 0) for m in caps._IDCTRL_FIELD.finditer(path.read_text())
              if m.group(1) in ("oacs", "sanicap", "fna", "nn", "vid") and m.group(2)[:1].isdigit()}
    read = caps.read_nvme_id_ctrl(data.draw(mutated_json(fields)))
    assert isinstance(read, Unreadable) or 0 <= read.sanicap < 2**32


@pytest.mark.parametrize(("text", "why"), [
    ("oacs : 0x6\nsanicap : -1\nfna : 0x4\nnn : 1\n", "sanicap = -1"),
    ('{"oacs": 6, "sanicap": -1, "fna": 0}', "sanicap = -1"),
    ('{"oacs": 6, "sanicap": 3, "fna": -4}', "fna = -4"),
    ('{"oacs": "x", "sanicap": 3, "fna": 0}', "oacs is not a number"),
    ('{"oacs": 6, "sanicap": [1], "fna": 0}', "sanicap is not a number"),
    ('{"oacs": 6, "sanicap": ' + HUGE + ', "fna": 0}', "sanicap is not a number"),
    ('{"oacs": 6, "sanicap": 4294967296, "fna": 0}', "outside a 32-bit register"),
    ('{"oacs": ' + "[" * 100_000, "not JSON"),
], ids=["text-negative", "json-negative", "negative-fna", "string", "list", "huge", "wide", "deep"])
def test_negative_or_odd_capability_mask_is_refused_not_all_supported(text: str, why: str) -> None:
    read = caps.read_nvme_id_ctrl(text)
    assert isinstance(read, Unreadable) and why in read.why


def test_negative_sanicap_probes_as_unknown_and_plans_clear() -> None:
    from station.detect.disk import Disk
    from station.erase.purge import choose

    runner = ReplayRunner()
    runner.add(["nvme", "id-ctrl", "-H", "/dev/nvme0n1"], "oacs : 0x17\nsanicap : -1\nfna : 0x4\nnn : 1\n")
    disk = Disk("nvme0n1", "/dev/nvme0n1", DiskKind.NVME, "nvme", 10**12, SerialInfo("S1", SerialSource.IDENTIFY))
    probed = caps.probe(Host(root=Path("/nonexistent"), runner=runner, env={}), disk)
    assert probed.unknown is caps.UnknownReason.UNPARSEABLE and "sanicap = -1" in probed.detail
    chosen = choose.choose(disk, probed, "purge")
    assert chosen.technique is choose.Technique.HOST_OVERWRITE and chosen.nist_category == "clear"


@given(st.sampled_from(SANITIZE_LOG), st.data())
def test_nvme_sanitize_log_mutated_real_text(path: Path, data: st.DataObject) -> None:
    read = caps.read_nvme_sanitize_log(data.draw(mutated_text(path.read_text())))
    if isinstance(read, Unreadable):
        assert read.why
    else:
        assert 0.0 <= read.fraction <= 1.0 and read.sstat >= 0


@given(json_values)
def test_nvme_sanitize_log_json_from_scratch(value: Any) -> None:
    for doc in (value, {"sprog": value, "sstat": 1, "scdw10": 2}, {"nvme0": {"sprog": 1, "sstat": value}}):
        read = caps.read_nvme_sanitize_log(json.dumps(doc))
        assert isinstance(read, Unreadable | caps.NvmeSanitizeLog)


def test_sanitize_log_huge_and_negative_values_are_unknown() -> None:
    for text in (f"(SPROG) : {HUGE}\n(SSTAT) : 0x101\n(SCDW10) : 0x2", "(SPROG) : 1\n(SSTAT) : -1\n(SCDW10) : 0x2",
                 '{"sprog": -1, "sstat": -1, "scdw10": -1}', "[1]"):
        read = caps.read_nvme_sanitize_log(text)
        assert isinstance(read, Unreadable) and read.why


@given(st.text(max_size=80))
def test_sg_progress_from_scratch(junk: str) -> None:
    for text in (junk, f"Progress indication: {junk}% done", f"Progress indication: {HUGE}.00% done"):
        progress = caps.parse_sg_progress(text)
        assert progress.fraction is None or 0.0 <= progress.fraction <= 1.0


# ------------------------------------------------------------------ sysfs and recorded profiles

@dataclass
class OddHost(Host):
    """A recorded profile whose sysfs/procfs attributes the test may mutate as they are read."""

    mutate: Callable[[str, str], str] = field(default=lambda path, text: text)

    def read_text(self, absolute: str) -> str | None:
        text = super().read_text(absolute)
        return None if text is None else self.mutate(absolute, text)


def _odd_host(profile: Path, data: st.DataObject) -> OddHost:
    base = Host.recorded(profile)

    def mutate(path: str, text: str) -> str:
        if data.draw(st.integers(0, 4), label=f"mutate {path}?") == 0:
            return data.draw(mutated_text(text, rounds=1), label=path)
        return text

    return OddHost(root=base.root, runner=base.runner, env={}, mutate=mutate)


@SLOW
@given(st.sampled_from(PROFILES), st.data())
def test_detection_on_mutated_profiles(profile: Path, data: st.DataObject) -> None:
    host = _odd_host(profile, data)
    for disk in drives.detect(host, include_loops=True).disks:
        assert disk.size_bytes >= 0 and disk.logical_block_size > 0
        if disk.serial.value and "\ufffd" in disk.serial.value:
            assert not disk.serial.trusted


@SLOW
@given(st.sampled_from([*PROFILES, FIXTURES / "power_supply"]), st.data())
def test_inventory_readers_on_mutated_profiles(profile: Path, data: st.DataObject) -> None:
    host = _odd_host(profile, data)
    if profile.name == "power_supply":
        root = Path(tempfile.mkdtemp(prefix="station-odd-"))
        try:
            shutil.copytree(profile / "procfs-thinkpad-lgc-45n1-sysfs", root / "sys/class/power_supply")
            host = OddHost(root=root, env={}, mutate=host.mutate)
            bats = battery.read_all(host)
        finally:
            shutil.rmtree(root)
    else:
        bats = battery.read_all(host)
    for bat in bats:
        assert bat.cycle_count is None or bat.cycle_count > 0
        assert bat.wear_percent is None or 0.0 <= bat.wear_percent <= 100.0
    cpu = hardware.read_cpu(host)
    assert cpu.threads is None or cpu.threads > 0
    assert hardware.read_memory(host).total_mib is None or hardware.read_memory(host).total_mib >= 0
    hardware.read_pci(host)
    dmi.read(host, run_dmidecode=False)


def test_cpu_frequency_with_unicode_digits_is_unknown(tmp_path: Path) -> None:
    cpu = tmp_path / "sys/devices/system/cpu/cpu0/cpufreq"
    cpu.mkdir(parents=True)
    (cpu / "cpuinfo_max_freq").write_text("²\n")
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/meminfo").write_text(f"MemTotal: {HUGE} kB\n")
    host = Host(root=tmp_path, env={})
    assert hardware.read_cpu(host).max_mhz is None
    assert hardware.read_memory(host).total_mib is None


def test_recorded_output_that_is_not_utf8_is_read_as_the_live_runner_reads_it(tmp_path: Path) -> None:
    """Synthetic: a recorded smartctl -i whose serial bytes are not UTF-8, as a broken bridge answers."""
    real = (FIXTURES / "smartctl" / "sat-wdc-wd140edfz-hdd-healthy.json").read_bytes()
    serial = json.loads(real)["serial_number"].encode()
    (tmp_path / "out.json").write_bytes(real.replace(serial, serial[:3] + b"\xff\xfe" + serial[3:]))
    (tmp_path / "commands.json").write_text(json.dumps([
        {"argv": ["smartctl", "--json", "-i", "/dev/sda"], "stdout_file": "out.json"},
        {"argv": "not a list"}, {"argv": ["x"], "returncode": HUGE[:50]}, 7]))
    runner = ReplayRunner.from_file(tmp_path / "commands.json")
    assert len(runner.problems) == 3
    ident = drives.smartctl_identify(Host(root=tmp_path, runner=runner, env={}), "/dev/sda")
    assert ident is not None and ident.serial is not None and "\ufffd" in ident.serial
    assert "unreadable-characters" in drives.serial_doubts(ident.serial)


@pytest.mark.parametrize("content", [b"\xff\xfe[", b"{", b"[" * 100_000, b'{"argv": 1}'],
                         ids=["not-utf8", "cut", "deep", "not-a-list"])
def test_unreadable_commands_json_answers_not_recorded_with_the_reason(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "commands.json").write_bytes(content)
    runner = ReplayRunner.from_file(tmp_path / "commands.json")
    answer = runner.run(["smartctl", "--json", "-i", "/dev/sda"])
    assert answer.returncode == 127 and "commands.json" in answer.stderr


# ------------------------------------------------------------------ certificates and manifests (station verify)

@pytest.fixture(scope="module")
def issued() -> Iterator[tuple[Path, keys.PublicKey, Path]]:
    """Two real certificates and a lot report signed by a fresh station key, in a scratch data directory."""
    base = Path(tempfile.mkdtemp(prefix="station-odd-certs-"))
    try:
        datadir = DataDir(base / "data", "option").ensure()
        first, _ = issue_two(datadir)
        key = keys.load_or_create(datadir)
        report = lot.report(datadir, "LOT-2025-01", "fr", base / "lot", key, "banc-1")
        yield first.json_path, key.public, report.manifest_path
    finally:
        shutil.rmtree(base, ignore_errors=True)


@SLOW
@given(data=st.data())
def test_mutated_certificate_is_invalid_with_reasons(issued: tuple[Path, keys.PublicKey, Path],
                                                     data: st.DataObject) -> None:
    path, key, _ = issued
    original = path.read_bytes()
    text = data.draw(mutated_json(json.loads(original)))
    outcome = check.check_record(path, text.encode(), path.with_name(path.name + ".sig").read_bytes(), key, None)
    assert outcome.status is check.Status.INVALID and outcome.reasons
    json.dumps(outcome.to_dict())


@given(data=st.data())
def test_mutated_certificate_bytes_are_invalid_with_reasons(issued: tuple[Path, keys.PublicKey, Path],
                                                           data: st.DataObject) -> None:
    path, key, _ = issued
    text = data.draw(mutated_text(path.read_text(encoding="utf-8")))
    outcome = check.check_record(path, text.encode("utf-8", "surrogateescape"), None, key, None)
    assert outcome.status is check.Status.INVALID and outcome.reasons


@SLOW
@given(data=st.data())
def test_mutated_manifest_is_invalid_with_reasons(issued: tuple[Path, keys.PublicKey, Path],
                                                  data: st.DataObject) -> None:
    _, key, manifest = issued
    original = manifest.read_bytes()
    copy = manifest.with_name("odd.manifest.json")
    shutil.copy(manifest.with_name(manifest.name + ".sig"), copy.with_name(copy.name + ".sig"))
    copy.write_text(data.draw(mutated_json(json.loads(original))))
    outcome = check.verify_file(copy, key)
    assert outcome.status is check.Status.INVALID and outcome.reasons


@pytest.mark.parametrize(("content", "why"), [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"sequence": ' + HUGE.encode() + b"}", "schema"),
    (b"\xff\xfe{}", "not UTF-8"),
    ('{"certificate_id": "x"}'.encode("utf-16"), "not UTF-8"),
    (b'{"sequence": NaN}', "schema"),
], ids=["deep", "huge", "not-utf8", "utf16", "nan"])
def test_odd_certificate_files_are_invalid_not_a_traceback(tmp_path: Path, content: bytes, why: str) -> None:
    for name in ("odd.json", "odd.manifest.json"):
        (tmp_path / name).write_bytes(content)
        outcome = check.verify_file(tmp_path / name)
        assert outcome.status is check.Status.INVALID
        assert any(why in r for r in outcome.reasons), outcome.reasons


@pytest.mark.parametrize("name", ["9" * 5000, "../../../../etc/passwd", "/etc/passwd", "a\u0000b", ""],
                         ids=["too-long", "outside", "absolute", "nul", "empty"])
def test_manifest_naming_a_file_outside_its_folder_or_no_file_is_invalid(
        issued: tuple[Path, keys.PublicKey, Path], name: str) -> None:
    _, key, manifest = issued
    record = json.loads(manifest.read_bytes())
    record["report"]["file"] = name
    copy = manifest.with_name("named.manifest.json")
    copy.write_text(json.dumps(record))
    outcome = check.verify_file(copy, key)
    assert outcome.status is check.Status.INVALID
    # the schema's file pattern refuses names outside the folder; a name it allows but no file system can
    # hold (past NAME_MAX) is missing, not an OSError
    assert any(r.startswith("schema: report/file") or (r.startswith("report: ") and "missing" in r)
               for r in outcome.reasons), outcome.reasons
