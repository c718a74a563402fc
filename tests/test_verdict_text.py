"""Verdict findings are data (rule id, values, params) rendered as sentences in the audit's language.

The first test reads station/verdict.py itself: a rule added there without a sentence (or with a
sentence lacking its French translation) fails here, before any machine ever triggers it."""

from __future__ import annotations

import ast
import io
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from audit_helpers import disk, inventory
from pypdf import PdfReader

from station import i18n
from station.certify import keys, pdf
from station.functest.grade import DEFECTS, GRADES
from station.functest.result import FUNCTIONS
from station.inventory import record as audit
from station.inventory import verdict, verdict_text
from station.inventory.thresholds import CHECKLIST_ITEMS
from station.inventory.verdict import Checklist, decide
from station.store.datadir import DataDir

# the only variable parts a rule id may have, and what they range over
VARIABLE_PARTS = {"item": CHECKLIST_ITEMS, "result.function": FUNCTIONS, "grade.letter": GRADES, "defect": DEFECTS}


def emitted_rules() -> dict[str, set[str]]:
    """rule id -> keyword params, for every add(...) and repair(...) call in verdict.decide (f-string ids
    expanded over VARIABLE_PARTS). repair() adds the `part` param; its own forwarding add(rule_id) is skipped."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(Path(verdict.__file__).read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("add", "repair")):
            continue
        first = node.args[0]
        if isinstance(first, ast.Name) and first.id == "rule_id" and node.func.id == "add":
            continue
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            ids = [first.value]
        elif isinstance(first, ast.JoinedStr):
            parts = [ast.unparse(p.value) for p in first.values if isinstance(p, ast.FormattedValue)]
            assert len(parts) == 1 and parts[0] in VARIABLE_PARTS, f"rule id varies by {parts}: not allowed"
            pattern = "".join(p.value if isinstance(p, ast.Constant) else "{0}" for p in first.values)
            ids = [pattern.format(value) for value in VARIABLE_PARTS[parts[0]]]
        else:
            raise AssertionError(f"verdict.py line {node.lineno}: rule id must be a literal or f-string")
        # `notes` is the finding's reason as codes (Finding.notes), not a word of its sentence
        params = {k.arg for k in node.keywords if k.arg and k.arg != "notes"} | (
            {"part"} if node.func.id == "repair" else set())
        for rule_id in ids:
            found.setdefault(rule_id, set()).update(params)
    return found


def names(template: str) -> set[str]:
    return {f for _t, f, _s, _c in string.Formatter().parse(template) if f}


def test_every_rule_the_verdict_emits_has_a_sentence_with_its_params() -> None:
    rules = emitted_rules()
    assert len(rules) >= 30  # the scan really found the rules (18 fixed + 2 per checklist item)
    assert set(rules) == set(verdict_text.TEMPLATES), "verdict.py and verdict_text.TEMPLATES disagree"
    for rule_id, params in rules.items():
        assert names(verdict_text.TEMPLATES[rule_id]) == params, rule_id


@pytest.mark.parametrize("rule_id", sorted(verdict_text.TEMPLATES))
def test_every_rule_has_a_french_sentence(rule_id: str) -> None:
    template = verdict_text.TEMPLATES[rule_id]
    french = i18n.translations("fr").gettext(template)
    assert french != template, f"{rule_id}: no French translation in the compiled catalog"
    assert names(french) == names(template), rule_id


def test_describe_in_each_language_and_never_crashes() -> None:
    params = {"battery": "BAT0", "wear": 34.5}
    assert verdict_text.describe("battery.worn", params, "fr") == "BAT0 : usure 34.5 %"
    assert verdict_text.describe("battery.worn", params, "en") == "BAT0: 34.5 % worn"
    assert verdict_text.describe("function.screen.failed", {"item": "screen"}, "fr") == "écran : ne fonctionne pas"
    # a record from a newer station (unknown id) or an older one (no params) falls back, never raises
    assert verdict_text.describe("rule.from-the-future", {"x": 1}, "fr", fallback="as recorded") == "as recorded"
    assert verdict_text.describe("battery.worn", {}, "fr", fallback="as recorded") == "as recorded"
    assert verdict_text.describe("rule.from-the-future", {"x": 1}, "fr") == "rule.from-the-future (x=1)"


def test_record_keeps_data_and_english_message(tmp_path: Path) -> None:
    checklist = Checklist.from_pairs(["all=ok", "webcam=failed"], tester="Camille")
    found = decide(inventory(tmp_path), checklist).to_dict()["findings"]
    webcam = next(f for f in found if f["id"] == "function.webcam.failed")
    assert webcam["params"] == {"item": "webcam"} and webcam["message"] == "webcam does not work"


def test_french_pdf_shows_french_findings(tmp_path: Path) -> None:
    key = keys.load_or_create(DataDir(tmp_path / "data", "option").ensure())
    inv = inventory(tmp_path, disks=[disk("sdc", "usbjmicron-hitachi-hds721050dle630-hdd-failed.json")])
    checklist = Checklist.from_pairs(["all=ok", "audio=failed", "wifi=untested"], tester="Camille")
    judged = decide(inv, checklist)
    expected_fr = [f.text("fr") for f in judged.findings]
    assert "BAT0 : usure 34.5 %" in expected_fr
    for lang in ("fr", "en"):
        record = audit.build(inv, judged, checklist, responsible=audit.Responsible("Atelier", None, None),
                             station_name=None, key_fingerprint=key.fingerprint,
                             created=datetime(2025, 3, 14, tzinfo=UTC), lang=lang)
        page = pdf.render_audit(record, audit.to_json_bytes(record), lang)
        text = " ".join(PdfReader(io.BytesIO(page)).pages[0].extract_text().split())
        french = ["son : ne fonctionne pas", "wifi : non testé, vente comme « reconditionné » impossible",
                  "BAT0 : usure 34.5 %", "/dev/sdc : remplacer ce disque (smart.overall-failed", "son: KO"]
        english = ["audio does not work", "audio: FAILED", "wifi not tested", "BAT0: 34.5 % worn",
                   "/dev/sdc: replace this drive"]
        shown, hidden = (french, english) if lang == "fr" else (english, french)
        assert all(s in text for s in shown), (lang, text)
        assert not any(s in text for s in hidden), (lang, text)
