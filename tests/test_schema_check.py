"""The fast schema check (station/certify/schema_check.py) against jsonschema, the oracle: every schema is
understood, and on real records and thousands of mutations of them both say valid or invalid alike."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cert_helpers import issue_two
from test_bench_verdict import ALL_OK, bench, fresh

from station.certify import certificate, keys, lot, schema_check
from station.certify import issue as issuing
from station.functest.grade import Grade
from station.functest.result import FunctionResult
from station.inventory import record as audit
from station.inventory.verdict import decide
from station.store.datadir import DataDir
from tests.test_audit import WHEN

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMAS = ("certificate", "audit", "lot-manifest")
JUNK: tuple[Any, ...] = (None, True, False, 0, -1, 1.5, 2.0, "", "x", "NOT-AN-ID", [], [None], {}, {"extra": 1},
                         "2025-13-45T99:00:00Z", 10**12)


def oracle(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(certificate.schema(name))


def records(tmp_path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Recorded records of the older formats, and records made now: an erasure certificate, a failure report,
    an audit with the laptop bench, a lot manifest."""
    found = [("certificate", json.loads(p.read_bytes())) for p in (FIXTURES / "certificates").rglob("*.json")]
    found += [("audit", json.loads(p.read_bytes())) for p in (FIXTURES / "audit").rglob("AUD-*.json")]
    datadir = DataDir(tmp_path / "data", "option").ensure()
    first, second = issue_two(datadir)
    found += [("certificate", json.loads(i.json_path.read_bytes())) for i in (first, second)]
    key = keys.load_or_create(datadir)
    the_bench = bench(FunctionResult("audio", "fail", "right speaker silent"),
                      FunctionResult("pointing_stick", "absent", "no pointing stick beside the touchpad"),
                      grade=Grade("B", ("case",), "scratch on the lid", "Camille"))
    inv = fresh(tmp_path)
    checklist = ALL_OK.with_bench(the_bench)
    found.append(("audit", audit.build(inv, decide(inv, checklist, bench=the_bench), checklist,  # type: ignore[arg-type]
                                       responsible=audit.Responsible("Atelier", None, None), station_name="poste-1",
                                       key_fingerprint=key.fingerprint, created=WHEN, lang="fr", bench=the_bench)))
    report = lot.report(datadir, "LOT-2025-01", "fr", tmp_path / "out", key)
    found.append(("lot-manifest", json.loads(report.manifest_path.read_bytes())))
    assert {name for name, _ in found} == set(SCHEMAS) and len(found) >= 6
    return found


def paths(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*at, index))


def mutations(record: dict[str, Any], rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
    """Each a copy with one change at a random place: a value replaced by junk or by another value of the record
    (a right type in the wrong place), a member removed, a member added, a list emptied or doubled."""
    every = list(paths(record))[1:]
    values = [v for v in (get(record, p) for p in every) if not isinstance(v, (dict, list))]
    for _ in range(count):
        changed = copy.deepcopy(record)
        where = rng.choice(every)
        parent, last = get(changed, where[:-1]), where[-1]
        action = rng.randrange(5)
        if action == 0:
            parent[last] = rng.choice(JUNK)
        elif action == 1:
            parent[last] = rng.choice(values)
        elif action == 2:
            del parent[last]
        elif action == 3 and isinstance(parent[last], dict):
            parent[last][rng.choice(["extra", "notes", "x-y"])] = rng.choice(JUNK)
        elif isinstance(parent[last], list):
            parent[last] = [] if rng.random() < 0.5 else parent[last] * 2
        else:
            parent[last] = rng.choice(JUNK)
        yield changed


def get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_keyword_of_our_schemas_is_understood(name: str) -> None:
    schema_check.Checker(certificate.schema(name))


def test_a_keyword_it_does_not_implement_is_refused_not_ignored() -> None:
    with pytest.raises(schema_check.UnknownKeyword, match="uniqueItems"):
        schema_check.Checker({"properties": {"a": {"type": "array", "uniqueItems": True}}})
    with pytest.raises(schema_check.UnknownKeyword, match="only pointers inside"):
        schema_check.Checker({"$ref": "https://example.org/other.json"})


def test_json_types_and_equality_as_jsonschema_has_them() -> None:
    cases: list[tuple[dict[str, Any], Any]] = [
        ({"type": "integer"}, True), ({"type": "integer"}, 2.0), ({"type": "integer"}, 2.5),
        ({"type": "number"}, False), ({"type": "boolean"}, 0), ({"enum": [1]}, True), ({"enum": [True]}, 1),
        ({"const": 1}, 1.0),
        ({"const": [1, "a"]}, [1.0, "a"]), ({"const": {"a": 1}}, {"a": 1, "b": 2}), ({"enum": ["1"]}, 1),
        ({"type": ["string", "null"]}, None), ({"minimum": 0}, -1), ({"minimum": 0}, "text"),
        ({"pattern": "^[0-9]+$"}, "12a"), ({"minLength": 2}, "é"), ({"maxItems": 1}, [1, 2]),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1), ({"not": {"type": "null"}}, None),
        ({"if": {"const": 1}, "then": {"type": "integer"}, "else": {"type": "string"}}, 2),
        ({"properties": {"a": False}}, {"a": 1}), ({"patternProperties": {"^x-": {"type": "string"}},
                                                  "additionalProperties": False}, {"x-a": "ok"}),
    ]
    for schema, value in cases:
        assert schema_check.Checker(schema).valid(value) == jsonschema.Draft202012Validator(schema).is_valid(value), \
            (schema, value)


def test_verdicts_match_jsonschema_on_records_and_their_mutations(tmp_path: Path) -> None:
    rng = random.Random(20261128)
    compared = invalid = 0
    for name, record in records(tmp_path):
        checker, reference = schema_check.Checker(certificate.schema(name)), oracle(name)
        assert checker.valid(record) and reference.is_valid(record), name
        for changed in mutations(record, rng, 400):
            expected = reference.is_valid(changed)
            assert checker.valid(changed) == expected, (name, next(iter(reference.iter_errors(changed)), None))
            compared += 1
            invalid += not expected
    assert compared >= 2400 and invalid > compared // 3  # most changes break a record: the check is exercised


def test_schema_errors_asks_jsonschema_only_for_an_invalid_record(tmp_path: Path, monkeypatch:
                                                                  pytest.MonkeyPatch) -> None:
    """A valid record is answered without jsonschema (a sixth of a small wipe's time to load); an invalid one
    still gets jsonschema's messages."""
    datadir = DataDir(tmp_path / "data", "option").ensure()
    first, _second = issue_two(datadir)
    record = json.loads(first.json_path.read_bytes())
    asked: list[str] = []
    real = certificate._validator
    monkeypatch.setattr(certificate, "_validator", lambda name: asked.append(name) or real(name))
    assert certificate.schema_errors(record) == [] and asked == []
    del record["media"]["serial"]
    assert certificate.schema_errors(record) == ["media: 'serial' is a required property"] and asked == ["certificate"]
    assert issuing.schema_errors is certificate.schema_errors  # what issue() checks before signing
