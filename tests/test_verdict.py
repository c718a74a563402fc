"""Reuse verdict: each rule can move the outcome, and names the value and threshold that did it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from audit_helpers import disk, inventory, thinkpad_battery, thinkpad_dmi

from station.inventory import dmi, thresholds
from station.inventory.machine import Missing
from station.inventory.verdict import Checklist, decide

ALL_OK = Checklist.from_pairs(["all=ok"], tester="Camille")


def ids(verdict_findings: object) -> set[str]:
    return {f.id for f in verdict_findings}  # type: ignore[attr-defined]


def test_healthy_tested_laptop_is_reuse_with_worn_battery_warning(tmp_path: Path) -> None:
    verdict = decide(inventory(tmp_path), ALL_OK)
    # the real 42T4977 battery is 34.5 % worn: above the 30 % warning, below 50 % replace
    assert verdict.outcome == "reuse-with-warnings"
    worn = next(f for f in verdict.findings if f.id == "battery.worn")
    assert worn.value == pytest.approx(34.5, abs=0.1) and worn.threshold == 30


def test_clean_machine_is_reuse(tmp_path: Path) -> None:
    fresh = replace(thinkpad_battery(tmp_path), wear_percent=5.0)
    verdict = decide(inventory(tmp_path, batteries=[fresh]), ALL_OK)
    assert verdict.outcome == "reuse" and verdict.findings == ()


def test_failing_disk_is_a_warning_naming_the_rules(tmp_path: Path) -> None:
    fresh = replace(thinkpad_battery(tmp_path), wear_percent=5.0)
    bad = disk("sdc", "usbjmicron-hitachi-hds721050dle630-hdd-failed.json")
    verdict = decide(inventory(tmp_path, disks=[bad], batteries=[fresh]), ALL_OK)
    assert verdict.outcome == "reuse-with-warnings"
    finding = next(f for f in verdict.findings if f.id == "disk.failing")
    assert finding.subject == "disk:sdc" and "smart.overall-failed" in finding.message


def test_badly_worn_battery_must_be_replaced(tmp_path: Path) -> None:
    worn = thinkpad_battery(tmp_path, "uevent-BAT0-charge-lgc-42t4865-i3status-288.txt")
    verdict = decide(inventory(tmp_path, batteries=[worn]), ALL_OK)
    assert "battery.replace" in ids(verdict.findings)


def test_unknown_wear_is_stated(tmp_path: Path) -> None:
    unknown = replace(thinkpad_battery(tmp_path), wear_percent=None, doubts=("design-capacity-unknown",))
    verdict = decide(inventory(tmp_path, batteries=[unknown]), ALL_OK)
    assert "battery.wear-unknown" in ids(verdict.findings)


def test_broken_screen_harvests_parts(tmp_path: Path) -> None:
    checklist = Checklist.from_pairs(["all=ok", "screen=failed"])
    verdict = decide(inventory(tmp_path), checklist)
    assert verdict.outcome == "harvest-parts" and "function.screen.failed" in ids(verdict.findings)


def test_untested_functions_block_reconditionne(tmp_path: Path) -> None:
    checklist = Checklist.from_pairs(["screen=ok"])
    verdict = decide(inventory(tmp_path), checklist)
    assert not checklist.all_tested
    assert "function.webcam.untested" in ids(verdict.findings) and "function.screen.untested" not in ids(
        verdict.findings)


def test_absent_function_counts_as_tested() -> None:
    checklist = Checklist.from_pairs(["all=ok", "touchpad=absent", "webcam=absent"])
    assert checklist.all_tested


def test_old_machine_recycled(tmp_path: Path) -> None:
    old = replace(thinkpad_dmi(tmp_path), year=dmi.estimate_year("03/15/2006", {}))
    verdict = decide(inventory(tmp_path, info=old), ALL_OK)
    assert verdict.outcome == "recycle"
    finding = next(f for f in verdict.findings if f.id == "machine.too-old-recycle")
    assert (finding.value, finding.threshold) == (2006, 2008)


def test_32bit_cpu_harvested(tmp_path: Path) -> None:
    verdict = decide(inventory(tmp_path, is_64bit=False), ALL_OK)
    assert verdict.outcome == "harvest-parts" and "cpu.not-64bit" in ids(verdict.findings)


def test_junk_serial_asks_for_label(tmp_path: Path) -> None:
    junk = thinkpad_dmi(tmp_path, serial="To Be Filled By O.E.M.")
    verdict = decide(inventory(tmp_path, info=junk), ALL_OK)
    finding = next(f for f in verdict.findings if f.id == "identity.serial-unusable")
    assert finding.threshold == "junk-placeholder"


def test_partial_audit_is_a_warning(tmp_path: Path) -> None:
    verdict = decide(inventory(tmp_path, missing=[Missing("dmidecode", "tool not installed")]), ALL_OK)
    assert "audit.partial" in ids(verdict.findings) and verdict.outcome != "reuse"


def test_refurbisher_override_moves_the_outcome(tmp_path: Path) -> None:
    override = tmp_path / "thresholds.json"
    override.write_text(json.dumps({"machine": {"min_reuse_year": 2020},
                                    "checklist": {"failed_outcome": {"webcam": "harvest-parts"}}}))
    limits = thresholds.load(override)
    verdict = decide(inventory(tmp_path), ALL_OK, limits)
    assert verdict.outcome == "harvest-parts" and verdict.thresholds_source == str(override)
    assert next(f for f in verdict.findings if f.id == "machine.too-old-reuse").threshold == 2020


def test_checklist_rejects_unknown_items_and_states() -> None:
    with pytest.raises(ValueError):
        Checklist.from_pairs(["screen=broken"])
    with pytest.raises(ValueError):
        Checklist.from_pairs(["floppy=ok"])
    with pytest.raises(ValueError):
        Checklist.from_pairs(["screen"])


def test_bad_outcome_in_override_rejected(tmp_path: Path) -> None:
    override = tmp_path / "thresholds.json"
    override.write_text(json.dumps({"checklist": {"failed_outcome": {"screen": "throw-away"}}}))
    with pytest.raises(thresholds.ThresholdsError):
        thresholds.load(override)
