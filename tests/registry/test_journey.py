"""Device journeys derived from real signed records (built by station's own code from captured fixtures)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from station_lot import LAPTOP_SERIAL, NVME_SERIAL, build

from registry.lots import facts
from registry.lots.journey import Entry, Outcome, Stage, count, journeys


def test_facts_read_audit_and_certificates(tmp_path: Path) -> None:
    lot = build(tmp_path)
    a = facts.parse("audit", lot.audit_json)
    assert (a.kind, a.record_id, a.machine_serial) == ("audit", lot.audit_id, LAPTOP_SERIAL)
    assert a.verdict == "reuse-with-warnings"  # the T480 fixture's battery wear
    assert a.disk_serials == (NVME_SERIAL,) and a.machine_model == "ThinkPad T480"
    c = facts.parse("certificate", lot.erased.json_path.read_bytes())
    assert (c.drive_serial, c.host_serial, c.result, c.nist_category) == (NVME_SERIAL, LAPTOP_SERIAL, "erased", "clear")
    f = facts.parse("certificate", lot.failed.json_path.read_bytes())
    assert f.result == "failed" and f.host_serial is None


@pytest.mark.parametrize("data", [b"", b"[]", b'{"media": {}}', b"\xff"])
def test_facts_refuse_what_is_not_a_record(data: bytes) -> None:
    with pytest.raises(facts.FactsError):
        facts.parse("certificate", data)
    with pytest.raises(facts.FactsError):
        facts.parse("x", b"{}")


def _entries(tmp_path: Path) -> list[Entry]:
    lot = build(tmp_path)
    return [Entry(facts.parse("audit", lot.audit_json), 1),
            Entry(facts.parse("certificate", lot.erased.json_path.read_bytes()), 2),
            Entry(facts.parse("certificate", lot.failed.json_path.read_bytes()), 3, frozenset({"chain-gap"}))]


def test_audited_laptop_with_erased_drive_is_reused_and_failed_loose_drive_stands_out(tmp_path: Path) -> None:
    devices = journeys(_entries(tmp_path))
    assert len(devices) == 2
    laptop, loose = devices
    assert laptop.machine_serial == LAPTOP_SERIAL and laptop.verdict == "reuse-with-warnings"
    assert [(d.serial, d.result, d.ref) for d in laptop.drives] == [(NVME_SERIAL, "erased", 2)]
    assert (laptop.stage, laptop.outcome, laptop.attention) == (Stage.ERASED, Outcome.REUSE, False)
    assert (loose.stage, loose.outcome, loose.audit_id) == (Stage.BLOCKED, Outcome.NOT_ERASED, None)
    assert loose.attention and loose.flags == {"chain-gap"}
    c = count(devices)
    assert (c.devices, c.audited, c.erased, c.blocked, c.reuse, c.drives, c.drives_erased, c.drives_failed,
            c.flagged) == (2, 1, 1, 1, 1, 2, 1, 1, 1)


def test_audit_alone_waits_for_its_drives_and_a_retry_replaces_a_failure(tmp_path: Path) -> None:
    audit, erased, failed = _entries(tmp_path)
    [waiting] = journeys([audit])
    assert (waiting.stage, waiting.outcome) == (Stage.AUDITED, Outcome.PENDING)
    assert [(d.serial, d.result, d.ref) for d in waiting.drives] == [(NVME_SERIAL, "pending", None)]
    # the same drive failed first, then was erased: the newest certificate speaks (synthetic: facts altered)
    earlier = Entry(replace(erased.facts, record_id="C-0", result="failed", issued_at="2025-01-01T00:00:00Z"), 9)
    [device, _] = journeys([audit, earlier, erased, failed])
    assert device.drives[0].attempts == 2 and device.outcome is Outcome.REUSE
    later = Entry(replace(erased.facts, record_id="C-9", result="failed", issued_at="2099-01-01T00:00:00Z"), 10)
    [device, _] = journeys([audit, erased, later, failed])
    assert (device.stage, device.outcome) == (Stage.BLOCKED, Outcome.NOT_ERASED)


def test_verdicts_map_to_outcomes(tmp_path: Path) -> None:
    audit, erased, _ = _entries(tmp_path)
    for verdict, outcome in (("harvest-parts", Outcome.PARTS), ("recycle", Outcome.RECYCLE),
                             ("reuse", Outcome.REUSE)):
        [device] = journeys([Entry(replace(audit.facts, verdict=verdict), 1), erased])
        assert device.outcome is outcome
