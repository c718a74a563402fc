"""SMART: real smartctl JSON (scrutiny, smartctl_exporter, telegraf testdata) through the health rules."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.hw import CommandResult, Host, ReplayRunner
from station.inventory import smart, thresholds

FIXTURES = Path(__file__).parent / "fixtures" / "smartctl"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def rule_ids(report: smart.SmartReport, severity: str | None = None) -> set[str]:
    return {r.id for r in report.rules if severity is None or r.severity == severity}


@pytest.mark.parametrize("name, health", [
    ("sat-wdc-wd140edfz-hdd-healthy.json", "ok"),
    ("sat-samsung-860evo-ssd-healthy-xall.json", "ok"),
    ("nvme-intel-ssdpeknw010t8-healthy.json", "ok"),
    ("nvme-sabrent-rocket4-healthy.json", "ok"),
    ("sat-usb-sandisk-pssd.json", "ok"),
    ("scsi-seagate-st1200mm0088-sas.json", "ok"),
    ("scsi-seagate-sas-smartctl74-extended.json", "ok"),
    ("sat-kingston-sa400m8120g-ssd-exit4.json", "ok"),
    ("sat-intel-ssdsc2kb240g7-ssd-4-reallocated.json", "warning"),
    ("nvme-samsung-970evo-media-errors.json", "warning"),
    ("nvme-intel-ssdpe2kx020t7-75pct-used.json", "warning"),
    ("sat+megaraid-seagate-st6000nm0115-exit4.json", "warning"),
    ("sat-seagate-st3500418as-hdd-304-reallocated.json", "failing"),
    ("scsi-seagate-st373453lc-260-grown-defects.json", "failing"),
    ("usbjmicron-hitachi-hds721050dle630-hdd-failed.json", "failing"),
    ("error-open-failed-exit2.json", "unknown"),
])
def test_fixture_health(name: str, health: str) -> None:
    report = smart.parse(load(name), "/dev/x")
    assert report.health == health
    assert report.raw_json == load(name)  # evidence kept byte for byte


def test_failed_hitachi_behind_jmicron() -> None:
    report = smart.parse(load("usbjmicron-hitachi-hds721050dle630-hdd-failed.json"), "/dev/sdc")
    assert report.exit_status == 216
    assert report.exit_bits == ("disk-failing", "prefail-attribute-at-threshold", "error-log-has-errors",
                                "self-test-log-has-errors")
    assert report.device_type == "usbjmicron" and report.smart_passed is False
    failing = {r.id: r for r in report.rules if r.severity == "failing"}
    assert {"smart.overall-failed", "smart.ata.5.prefail-at-threshold", "smart.ata.5.count"} <= set(failing)
    assert failing["smart.ata.5.count"].value == 1975 and failing["smart.ata.5.count"].threshold == 100
    pending = next(r for r in report.rules if r.id == "smart.ata.197.count")
    assert (pending.severity, pending.value) == ("warning", 8)
    # newest self-test passed, an older extended test hit a read failure
    assert "smart.self-test.earlier-failed" in rule_ids(report, "warning")
    assert report.power_on_hours == 65592


def test_reallocated_counts_graded() -> None:
    few = smart.parse(load("sat-intel-ssdsc2kb240g7-ssd-4-reallocated.json"), "/dev/sdd")
    many = smart.parse(load("sat-seagate-st3500418as-hdd-304-reallocated.json"), "/dev/sda")
    assert next(r for r in few.rules if r.id == "smart.ata.5.count").severity == "warning"
    assert next(r for r in many.rules if r.id == "smart.ata.5.count").severity == "failing"
    assert many.serial == "REDACTED"


def test_nvme_rules() -> None:
    worn = smart.parse(load("nvme-intel-ssdpe2kx020t7-75pct-used.json"), "/dev/nvme6")
    assert worn.nvme is not None and worn.nvme.percentage_used == 75
    assert "smart.nvme.percentage-used" not in rule_ids(worn)  # 75 < 80 warn threshold
    media = smart.parse(load("nvme-samsung-970evo-media-errors.json"), "/dev/nvme0")
    assert next(r for r in media.rules if r.id == "smart.nvme.media-errors").value == 7


def test_nvme_critical_warning_and_spare_from_modified_real_json() -> None:
    data = json.loads(load("nvme-sabrent-rocket4-healthy.json"))
    log = data["nvme_smart_health_information_log"]
    log["critical_warning"], log["available_spare"] = 0x04, 3  # synthetic edit: reliability degraded, spare low
    report = smart.parse(json.dumps(data).encode(), "/dev/nvme0")
    assert report.health == "failing"
    assert {"smart.nvme.critical-warning", "smart.nvme.available-spare"} <= rule_ids(report, "failing")
    log["critical_warning"], log["available_spare"] = 0x02, 100  # temperature only: a warning
    assert smart.parse(json.dumps(data).encode(), "/dev/nvme0").health == "warning"


def test_scsi_grown_defects() -> None:
    report = smart.parse(load("scsi-seagate-st373453lc-260-grown-defects.json"), "/dev/sdb")
    assert report.scsi_grown_defects == 260 and report.protocol == "SCSI"
    assert "smart.scsi.grown-defects" in rule_ids(report, "failing")


def test_exit_status_bit2_is_info_only() -> None:
    report = smart.parse(load("sat-kingston-sa400m8120g-ssd-exit4.json"), "/dev/sda")
    assert report.exit_bits == ("smart-command-failed",)
    assert rule_ids(report) == {"smart.command-failed"} and report.health == "ok"


def test_error_only_json_is_unknown_with_reason() -> None:
    report = smart.parse(load("error-open-failed-exit2.json"), "/dev/sda")
    assert report.health == "unknown" and report.exit_bits == ("device-open-failed",)
    assert report.error is not None and "Open failed" in report.error


def test_ata_security_from_identify_word() -> None:
    report = smart.parse(load("sat-samsung-860evo-ssd-healthy-xall.json"), "/dev/sda")
    sec = report.ata_security
    assert sec is not None and sec.state == 33
    assert (sec.supported, sec.enabled, sec.frozen, sec.locked, sec.enhanced_erase_supported) == (
        True, False, False, False, True)
    assert smart.parse(load("sat-wdc-wd140edfz-hdd-healthy.json"), "/dev/sdb").ata_security is None


def test_thresholds_override_changes_health(tmp_path: Path) -> None:
    override = tmp_path / "thresholds.json"
    override.write_text(json.dumps({"smart": {"ata_warn_raw": {"5": 10}, "power_on_hours_warn": 10**6}}))
    limits = thresholds.load(override)
    assert limits.smart.ata_warn_raw[187] == 1  # untouched keys keep the packaged defaults
    report = smart.parse(load("sat-intel-ssdsc2kb240g7-ssd-4-reallocated.json"), "/dev/sdd", limits=limits.smart)
    assert report.health == "ok"


def test_thresholds_file_cites_backblaze() -> None:
    text = json.dumps(thresholds.packaged_dict()["smart"])
    assert "Backblaze" in text and all(f'"{n}"' in text for n in ("5", "187", "188", "197", "198"))


def test_bad_override_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "thresholds.json"
    bad.write_text('{"battery": {"wear_warn_percent": "lots"}}')
    with pytest.raises(thresholds.ThresholdsError):
        thresholds.load(bad)
    bad.write_text("{not json")
    with pytest.raises(thresholds.ThresholdsError):
        thresholds.load(bad)


def runner_with(entries: dict[tuple[str, ...], bytes]) -> ReplayRunner:
    runner = ReplayRunner()
    for argv, out in entries.items():
        runner.add(list(argv), out.decode())
    return runner


def test_read_usb_uses_sat_first() -> None:
    argv = ("smartctl", "--json", "-x", "-d", "sat", "/dev/sdb")
    runner = runner_with({argv: load("sat-usb-sandisk-pssd.json")})
    report = smart.read(Host(root=Path("/nonexistent"), runner=runner, env={}), "/dev/sdb", "usb")
    assert report.health == "ok" and report.argv == argv and report.device_type == "sat"
    assert runner.calls == [argv]


def test_read_usb_falls_back_to_autodetect() -> None:
    sat = ("smartctl", "--json", "-x", "-d", "sat", "/dev/sdc")
    auto = ("smartctl", "--json", "-x", "/dev/sdc")
    runner = runner_with({sat: load("error-open-failed-exit2.json"),
                          auto: load("usbjmicron-hitachi-hds721050dle630-hdd-failed.json")})
    report = smart.read(Host(root=Path("/nonexistent"), runner=runner, env={}), "/dev/sdc", "usb")
    assert report.health == "failing" and report.argv == auto
    assert len(report.attempts) == 1 and report.attempts[0].startswith("smartctl --json -x -d sat")


def test_read_without_smartctl() -> None:
    class Absent:
        def run(self, argv: Sequence[str], timeout: float | None = None) -> CommandResult:
            return CommandResult(tuple(argv), 127, "", f"{argv[0]}: command not found")

    report = smart.read(Host(root=Path("/nonexistent"), runner=Absent(), env={}), "/dev/sda", "ata")
    assert report.health == "unknown" and report.error is not None and "smartmontools" in report.error


class ScriptedRunner:
    """Answers each argv with the next output from its list (a drive whose self-test progresses)."""

    def __init__(self, script: dict[str, list[str]]) -> None:
        self.script = script
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], timeout: float | None = None) -> CommandResult:
        self.calls.append(tuple(argv))
        queue = self.script.get(" ".join(argv))
        if not queue:
            return CommandResult(tuple(argv), 127, "", "not scripted")
        out = queue.pop(0) if len(queue) > 1 else queue[0]
        return CommandResult(tuple(argv), 0, out, "")


def test_short_self_test_waits_until_done() -> None:
    # both real: the WD capture was taken mid self-test (status 241 = 0xF1, "in progress, 10% remaining"),
    # the Samsung one after it finished (status 0)
    running = load("sat-wdc-wd140edfz-hdd-healthy.json").decode()
    done = load("sat-samsung-860evo-ssd-healthy-xall.json").decode()
    assert smart.self_test_in_progress(json.loads(running)) and not smart.self_test_in_progress(json.loads(done))
    runner = ScriptedRunner({"smartctl -t short /dev/sdb": ["started"],
                             "smartctl --json -x /dev/sdb": [running, running, done]})
    ticks = iter(range(0, 10_000, 15))
    run = smart.run_short_self_test(Host(root=Path("/nonexistent"), runner=runner, env={}), "/dev/sdb", "ata",
                                    sleep=lambda s: None, clock=lambda: float(next(ticks)))
    assert run.started and run.completed and run.polls == 3
    assert run.report is not None and run.report.health == "ok" and run.report.model == "Samsung SSD 860 EVO 500GB"


def test_short_self_test_times_out() -> None:
    running = load("sat-wdc-wd140edfz-hdd-healthy.json").decode()
    runner = ScriptedRunner({"smartctl -t short /dev/sdb": ["started"], "smartctl --json -x /dev/sdb": [running]})
    ticks = iter(range(0, 10_000, 100))
    run = smart.run_short_self_test(Host(root=Path("/nonexistent"), runner=runner, env={}), "/dev/sdb", "ata",
                                    max_wait_s=250, sleep=lambda s: None, clock=lambda: float(next(ticks)))
    assert run.started and not run.completed and run.error is not None and "still running" in run.error


def test_nvme_self_test_in_progress() -> None:
    data = json.loads(load("nvme-sabrent-rocket4-healthy.json"))
    assert not smart.self_test_in_progress(data)  # real: "No self-test in progress"
    data["nvme_self_test_log"]["current_self_test_operation"] = {"value": 1, "string": "Short self-test"}
    assert smart.self_test_in_progress(data)  # synthetic edit of the same field


# -- malformed input never crashes --------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30)
KEYS = ["smartctl", "device", "smart_status", "ata_smart_attributes", "nvme_smart_health_information_log",
        "power_on_time", "scsi_grown_defect_list", "ata_security", "ata_smart_self_test_log", "nvme_self_test_log",
        "ata_smart_data", "temperature", "user_capacity", "model_name", "serial_number"]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8))
def test_parse_random_structures(data: dict[str, Any]) -> None:
    report = smart.parse(json.dumps(data).encode(), "/dev/x")
    assert report.health in smart.HEALTH_VALUES


@given(st.sampled_from(sorted(p.name for p in FIXTURES.glob("*.json"))), st.data())
def test_parse_mutated_real_json(name: str, data: st.DataObject) -> None:
    doc: Any = json.loads(load(name))
    # replace one value somewhere in the real document with junk
    path = []
    node = doc
    while isinstance(node, dict | list) and node and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(node.keys()) if isinstance(node, dict) else range(len(node))))
        path.append(key)
        node = node[key]
    target = doc
    for key in path[:-1]:
        target = target[key]
    junk = data.draw(json_values)
    if path:
        target[path[-1]] = junk
    else:
        doc = junk
    report = smart.parse(json.dumps(doc).encode(), "/dev/x")
    assert report.health in smart.HEALTH_VALUES


@given(st.binary(max_size=300))
def test_parse_garbage_bytes(blob: bytes) -> None:
    report = smart.parse(blob, "/dev/x", returncode=2)
    assert report.health in smart.HEALTH_VALUES


def test_truncated_json_is_unknown() -> None:
    blob = load("sat-wdc-wd140edfz-hdd-healthy.json")[:500]
    report = smart.parse(blob, "/dev/sdb", returncode=0)
    assert report.health == "unknown" and report.error is not None and "JSON" in report.error
    assert replace(report, health="ok").health == "ok"  # frozen dataclass, replace works


# ---------------------------------------------------------------- drives behind a RAID HBA (MegaRAID, ...)

SCAN = "scan-json-megaraid-7-drives.json"


def test_scan_names_the_drives_behind_the_megaraid_controller() -> None:
    scanned = smart.parse_scan(load(SCAN).decode())
    assert not isinstance(scanned, smart.Unreadable)
    behind = [d for d in scanned if d.behind_raid_hba]
    assert [d.device_type for d in behind] == [f"megaraid,{n}" for n in range(8, 15)]
    assert {d.name for d in behind} == {"/dev/bus/6"}
    assert [d.name for d in scanned if not d.behind_raid_hba] == ["/dev/sda", "/dev/sdb", "/dev/sdc"]


@pytest.mark.parametrize(("dtype", "behind"), [
    ("megaraid,8", True), ("sat+megaraid,14", True), ("cciss,0", True), ("areca,1/1", True), ("3ware,2", True),
    ("aacraid,0,0,3", True), ("sat", False), ("nvme", False), ("scsi", False), ("usbjmicron", False)])
def test_raid_hba_device_types(dtype: str, behind: bool) -> None:
    assert smart.ScannedDevice("/dev/sg0", dtype, None, None).behind_raid_hba is behind


@pytest.mark.parametrize("text", ["", "[]", '{"devices": 5}', '{"devices": [{"name": "/dev/bus/0"}, 7, '
                                  '{"name": "x", "type": "megaraid,0"}, {"name": "/dev/bus/0", "type": "a b"}]}'])
def test_odd_scan_output_is_an_explicit_unknown_or_empty(text: str) -> None:
    scanned = smart.parse_scan(text)
    assert scanned == () or (isinstance(scanned, smart.Unreadable) and scanned.why)


def test_audit_reads_drives_behind_megaraid_instead_of_skipping_them(tmp_path: Path) -> None:
    """The real scan of a MegaRAID server and the real answer of its disk 14 (captured with `--all`, replayed
    here for `-x`): the audit lists all seven drives the kernel does not show, reads disk 14 through the
    controller with `-d megaraid,14`, and says why the six it has no answer for are unknown."""
    from station.inventory.machine import collect

    runner = ReplayRunner()
    runner.add(["smartctl", "--scan-open", "--json"], load(SCAN).decode())
    runner.add(["smartctl", "--json", "-x", "-d", "megaraid,14", "/dev/bus/6"],
               load("sat+megaraid-seagate-st6000nm0115-exit4.json").decode(), returncode=4)
    inventory = collect(Host(root=tmp_path, runner=runner, env={}), disks=[])
    raid = {d.name: d for d in inventory.disks if d.bus == "raid"}
    assert sorted(raid) == sorted(f"megaraid,{n}@/dev/bus/6" for n in range(8, 15))
    fourteen = raid["megaraid,14@/dev/bus/6"]
    assert fourteen.serial == "ZAD2C11G" and fourteen.model and fourteen.smart is not None
    assert fourteen.smart.health == "warning" and fourteen.smart.power_on_hours == 44316
    assert fourteen.smart.argv == ("smartctl", "--json", "-x", "-d", "megaraid,14", "/dev/bus/6")
    eight = raid["megaraid,8@/dev/bus/6"].smart
    assert eight is not None and eight.health == "unknown" and eight.error
    assert ("smartctl", "--json", "-x", "-d", "megaraid,8", "/dev/bus/6") in runner.calls
