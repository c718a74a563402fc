"""GET /api/v1/proof/inclusion and /proof/consistency: proofs that verify against signed checkpoints, checked
with the station's own verification code, and clear 400s for sizes the log does not have."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from helpers import RealStation, enrolled_station, post

from registry.core.models import Checkpoint, Record
from registry.log import store
from station.certify import checkpoint as note
from station.certify import logentry, merkle


@pytest.fixture(scope="module")
def uploaded(cluster: object, tmp_path_factory: pytest.TempPathFactory) -> tuple[RealStation, list[dict[str, object]]]:
    client = Client()
    station = enrolled_station(client, tmp_path_factory.mktemp("proofs"))
    answers = []
    for n in range(5):
        cert = station.issue(failed=n % 2 == 1)
        status, answer = post(client, station, station.body(cert.certificate_id), cert.certificate_id)
        assert status == 201
        answers.append({**answer, "id": cert.certificate_id})
    return station, answers


def _verifier() -> note.Verifier:
    return note.Verifier.parse(store.verifier_key())


def test_inclusion_proofs_verify_against_each_answered_checkpoint(
        cluster: object, uploaded: tuple[RealStation, list[dict[str, object]]]) -> None:
    station, answers = uploaded
    client = Client()
    for answer in answers:
        head = note.open_checkpoint(str(answer["checkpoint"]).encode(), _verifier())
        reply = client.get("/api/v1/proof/inclusion", {"index": answer["log_index"], "size": head.size}).json()
        record = Record.objects.get(record_id=answer["id"])
        entry = logentry.entry_bytes("certificate", record.record_id, record.sha256,
                                     logentry.station_key_sha256(station.key.public.key))
        assert bytes.fromhex(reply["leaf_hash"]) == merkle.leaf_hash(entry)
        merkle.verify_inclusion(merkle.leaf_hash(entry), record.log_index, head.size,
                                [bytes.fromhex(h) for h in reply["proof"]], head.root)


def test_consistency_between_every_pair_of_answered_checkpoints(
        cluster: object, uploaded: tuple[RealStation, list[dict[str, object]]]) -> None:
    _station, answers = uploaded
    heads = [note.open_checkpoint(str(a["checkpoint"]).encode(), _verifier()) for a in answers]
    latest = Checkpoint.objects.order_by("-size").first()
    assert latest is not None
    heads.append(note.open_checkpoint(latest.note.encode(), _verifier()))
    client = Client()
    for old in heads:
        for new in heads:
            if old.size > new.size:
                continue
            reply = client.get("/api/v1/proof/consistency", {"from": old.size, "to": new.size}).json()
            merkle.verify_consistency(old.size, new.size, old.root, new.root,
                                      [bytes.fromhex(h) for h in reply["proof"]])


def test_a_wrong_root_fails_verification(cluster: object,
                                         uploaded: tuple[RealStation, list[dict[str, object]]]) -> None:
    """The proofs are not vacuous: the same proof against another root is refused."""
    _station, answers = uploaded
    head = note.open_checkpoint(str(answers[-1]["checkpoint"]).encode(), _verifier())
    reply = Client().get("/api/v1/proof/inclusion", {"index": answers[0]["log_index"], "size": head.size}).json()
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(bytes.fromhex(reply["leaf_hash"]), int(str(answers[0]["log_index"])), head.size,
                                [bytes.fromhex(h) for h in reply["proof"]], bytes(32))


@pytest.mark.parametrize("query", [
    {"index": "0", "size": "0"},
    {"index": "5", "size": "3"},
    {"index": "-1", "size": "3"},
    {"index": "0", "size": str(10**12)},
    {"index": "x", "size": "3"},
    {},
])
def test_inclusion_out_of_range_is_400(cluster: object, query: dict[str, str]) -> None:
    reply = Client().get("/api/v1/proof/inclusion", query)
    assert reply.status_code == 400, reply.content
    assert reply.json()["error"] in ("bad-range", "malformed")


@pytest.mark.parametrize("query", [{"from": "3", "to": "2"}, {"from": "1", "to": str(10**12)},
                                   {"from": "a", "to": "2"}, {"to": "2"}])
def test_consistency_out_of_range_is_400(cluster: object, query: dict[str, str]) -> None:
    reply = Client().get("/api/v1/proof/consistency", query)
    assert reply.status_code == 400, reply.content


def test_a_station_lists_only_its_own_records(
        cluster: object, uploaded: tuple[RealStation, list[dict[str, object]]], tmp_path: Path) -> None:
    station, answers = uploaded
    client = Client()
    other = enrolled_station(client, tmp_path)
    cert = other.issue()
    assert post(client, other, other.body(cert.certificate_id), cert.certificate_id)[0] == 201
    listed = client.get("/api/v1/records", HTTP_AUTHORIZATION=f"Bearer {station.token}").json()
    assert [r["record_id"] for r in listed["records"]] == [a["id"] for a in answers]
    assert client.get("/api/v1/records").status_code == 401
