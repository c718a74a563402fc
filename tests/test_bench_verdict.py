"""The laptop bench in the verdict and the signed audit record: function results and the cosmetic grade
move the outcome (reuse, reuse after repair naming the part, parts, WEEE recycling), each by a named rule;
the record carries them (schema extended) and an audit record written before the bench still verifies.

Keyboard and pointer results come from the real QEMU captures (tests/fixtures/functest); the other
results are FunctionResult values built here, as a technician's bench would produce them."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from audit_helpers import inventory, thinkpad_battery
from pypdf import PdfReader

from station.certify import keys, pdf
from station.functest import evdev, keyboard, layouts, pointer
from station.functest.bench import Bench
from station.functest.grade import Grade
from station.functest.result import FunctionResult
from station.inventory import record as audit
from station.inventory.verdict import Checklist, decide
from station.store.datadir import DataDir

CAPTURES = Path(__file__).parent / "fixtures" / "functest"
OLD_RECORD = Path(__file__).parent / "fixtures" / "audit" / "station-audit-1-before-bench"
WHEN = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
ALL_OK = Checklist.from_pairs(["all=ok"], tester="Camille")


def real_input_results() -> list[FunctionResult]:
    kbd = keyboard.KeyboardTest(layouts.AZERTY_FR)
    kbd.feed(evdev.parse((CAPTURES / "qemu-i8042-azerty-all-keys.evdev").read_bytes()))
    mouse = pointer.PointerTest()
    mouse.feed(evdev.parse((CAPTURES / "qemu-ps2-mouse-moves-clicks.evdev").read_bytes()))
    return [kbd.result(), mouse.result()]


GRADE_A = Grade("A", graded_by="Camille")


def bench(*extra: FunctionResult, grade: Grade | None = GRADE_A) -> Bench:
    passed = [FunctionResult(f, "pass") for f in ("display", "audio", "microphone", "camera", "wifi", "usb")]
    results = {r.function: r for r in [*real_input_results(), *passed, *extra]}
    return Bench(tuple(results.values()), grade, "azerty-fr")


def fresh(tmp_path: Path) -> object:
    return inventory(tmp_path, batteries=[replace(thinkpad_battery(tmp_path), wear_percent=5.0)])


def test_all_passed_grade_a_is_reuse(tmp_path: Path) -> None:
    verdict = decide(fresh(tmp_path), ALL_OK, bench=bench())  # type: ignore[arg-type]
    assert verdict.outcome == "reuse" and verdict.findings == ()


def test_failed_keyboard_is_reuse_after_repair_naming_the_part(tmp_path: Path) -> None:
    dead = FunctionResult("keyboard", "fail", "1 key(s) never pressed: A")
    verdict = decide(fresh(tmp_path), ALL_OK, bench=bench(dead))  # type: ignore[arg-type]
    assert verdict.outcome == "reuse-after-repair"
    finding = next(f for f in verdict.findings if f.id == "bench.keyboard.fail")
    assert finding.params["part"] == "keyboard"
    assert finding.text("fr") == "clavier : test échoué (1 key(s) never pressed: A)"
    assert finding.text("en") == "keyboard: test failed (1 key(s) never pressed: A)"


def test_bench_replaces_the_checklist_items_it_measured(tmp_path: Path) -> None:
    untested = Checklist()  # nothing ticked by hand
    verdict = decide(fresh(tmp_path), untested, bench=bench())  # type: ignore[arg-type]
    untested_ids = {f.id for f in verdict.findings if f.id.startswith("function.")}
    assert untested_ids == {"function.charger.untested"}  # the one item the bench does not measure
    merged = untested.with_bench(bench(FunctionResult("camera", "fail", "no frame")))
    assert merged.state("webcam") == "failed" and merged.state("keyboard") == "ok"
    assert merged.state("charger") == "untested"


def test_skipped_test_is_a_warning_with_its_reason(tmp_path: Path) -> None:
    skipped = FunctionResult("usb", "skipped", "no device was plugged into any port")
    verdict = decide(fresh(tmp_path), ALL_OK, bench=bench(skipped))  # type: ignore[arg-type]
    assert verdict.outcome == "reuse-with-warnings"
    assert any(f.id == "bench.usb.skipped" and "no device" in f.text("en") for f in verdict.findings)


def test_laptop_without_wifi_needs_a_card(tmp_path: Path) -> None:
    gone = FunctionResult("wifi", "absent", "no wifi adapter")
    verdict = decide(fresh(tmp_path), ALL_OK, bench=bench(gone))  # type: ignore[arg-type]
    assert verdict.outcome == "reuse-after-repair"
    finding = next(f for f in verdict.findings if f.id == "bench.wifi.absent")
    assert finding.text("fr") == "carte Wi-Fi introuvable : à installer"
    camera_gone = decide(fresh(tmp_path), ALL_OK,  # type: ignore[arg-type]
                         bench=bench(FunctionResult("camera", "absent", "no V4L2 capture device")))
    assert camera_gone.outcome == "reuse"  # a laptop without a webcam is still sold


def test_grade_and_defects(tmp_path: Path) -> None:
    worn = decide(fresh(tmp_path), ALL_OK, bench=bench(grade=Grade("C", note="scratches")))  # type: ignore[arg-type]
    assert worn.outcome == "reuse-with-warnings" and worn.findings[0].id == "bench.grade.C"
    hinge = decide(fresh(tmp_path), ALL_OK,  # type: ignore[arg-type]
                   bench=bench(grade=Grade("B", defects=("hinge",))))
    assert hinge.outcome == "reuse-after-repair"
    assert next(f for f in hinge.findings if f.id == "bench.defect.hinge").text("fr") == "défaut esthétique : charnière"
    ungraded = decide(fresh(tmp_path), ALL_OK, bench=bench(grade=None))  # type: ignore[arg-type]
    assert [f.id for f in ungraded.findings] == ["bench.grade-missing"]


def test_too_many_repairs_harvests_parts_and_grade_e_recycles(tmp_path: Path) -> None:
    broken = (FunctionResult("keyboard", "fail", "12 keys dead"), FunctionResult("display", "fail", "lines"),
              FunctionResult("audio", "fail", "right speaker silent"))
    parts = decide(fresh(tmp_path), ALL_OK, bench=bench(*broken, grade=Grade("B")))  # type: ignore[arg-type]
    assert parts.outcome == "harvest-parts"
    rule = next(f for f in parts.findings if f.id == "bench.too-many-repairs")
    assert rule.value == 3 and rule.threshold == 3 and rule.params["parts"] == "keyboard, screen, speakers"
    assert "clavier, écran, haut-parleurs" in rule.text("fr")
    weee = decide(fresh(tmp_path), ALL_OK, bench=bench(*broken, grade=Grade("E")))  # type: ignore[arg-type]
    assert weee.outcome == "recycle" and any(f.id == "bench.beyond-repair" for f in weee.findings)


@pytest.fixture()
def key(tmp_path: Path) -> keys.StationKey:
    return keys.load_or_create(DataDir(tmp_path / "data", "option").ensure())


def test_record_with_bench_is_schema_valid_signed_and_in_the_pdf(tmp_path: Path, key: keys.StationKey) -> None:
    inv = fresh(tmp_path)
    the_bench = bench(FunctionResult("audio", "fail", "right speaker silent"),
                      grade=Grade("B", ("case",), "scratch on the lid", "Camille"))
    checklist = ALL_OK.with_bench(the_bench)
    verdict = decide(inv, checklist, bench=the_bench)  # type: ignore[arg-type]
    record = audit.build(inv, verdict, checklist, responsible=audit.Responsible("Atelier", None, None),  # type: ignore[arg-type]
                         station_name="poste-1", key_fingerprint=key.fingerprint, created=WHEN, lang="fr",
                         bench=the_bench)
    assert audit.schema_errors(record) == []
    assert record["verdict"]["outcome"] == "reuse-after-repair"
    assert record["bench"]["grade"] == {"letter": "B", "defects": ["case"], "note": "scratch on the lid",
                                        "graded_by": "Camille"}
    tests = {t["name"]: t for t in record["weee_annex_vi"]["tests"]}
    assert tests["bench:audio"]["result"] == "fail" and tests["bench:keyboard"]["result"] == "pass"
    assert "keys_seen=78" in tests["bench:keyboard"]["detail"]
    assert Bench.from_dict(record["bench"]) == the_bench
    files = audit.write(record, inv, tmp_path / "out", key, "fr")  # type: ignore[arg-type]
    assert audit.verify(files.json_path, key.public_pem())
    text = " ".join(PdfReader(files.pdf_path).pages[0].extract_text().split())
    assert "RÉEMPLOI APRÈS RÉPARATION" in text and "Banc de test" in text
    assert "Grade esthétique : B (coque)".replace(" :", ":") in text.replace(" :", ":")
    broken = json.loads(json.dumps(record))
    broken["bench"]["results"][0]["status"] = "maybe"
    assert audit.schema_errors(broken)


def test_record_written_before_the_bench_still_validates_and_verifies() -> None:
    json_path = next(OLD_RECORD.glob("AUD-*.json"))
    record = json.loads(json_path.read_bytes())
    assert "bench" not in record
    assert audit.schema_errors(record) == []
    assert audit.verify(json_path, (OLD_RECORD / "station.pub.pem").read_bytes())
    page = pdf.render_audit(record, json_path.read_bytes(), "en")
    assert "Bench tests" not in " ".join(PdfReader(io.BytesIO(page)).pages[0].extract_text().split())


def test_what_the_station_measured_is_said_in_the_records_language(tmp_path: Path, key: keys.StationKey) -> None:
    """The captured mouse without its right click: the record keeps the English reason and its note code, the
    French PDF says it in French; a typed skip reason is printed as typed."""
    mouse = pointer.PointerTest()
    mouse.feed(e for e in evdev.parse((CAPTURES / "qemu-ps2-mouse-moves-clicks.evdev").read_bytes())
               if e.code != evdev.BTN_RIGHT)
    typed = FunctionResult("camera", "skipped", "cache de la webcam collé")
    the_bench = bench(mouse.result(), typed)
    inv = fresh(tmp_path)
    checklist = ALL_OK.with_bench(the_bench)
    record = audit.build(inv, decide(inv, checklist, bench=the_bench), checklist,  # type: ignore[arg-type]
                         responsible=audit.Responsible("Atelier", None, None), station_name="poste-1",
                         key_fingerprint=key.fingerprint, created=WHEN, lang="fr", bench=the_bench)
    results = {r["function"]: r for r in record["bench"]["results"]}
    assert results["pointer"]["reason"] == "right button never clicked"
    assert results["pointer"]["notes"] == [{"code": "fn.pointer.right-never-clicked", "params": {}}]
    assert "notes" not in results["camera"] and Bench.from_dict(record["bench"]) == the_bench
    files = audit.write(record, inv, tmp_path / "out", key, "fr")  # type: ignore[arg-type]
    text = " ".join(PdfReader(files.pdf_path).pages[0].extract_text().split())
    assert "bouton droit jamais cliqué" in text and "right button never clicked" not in text
    assert "cache de la webcam collé" in text
