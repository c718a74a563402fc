"""POST /api/v1/records: every documented answer, with real certificates issued by the station library.

Each refusal must leave the exact body in the quarantine (after authentication) and never a Record; each
acceptance must be in the log at the answered index with a checkpoint that verifies with the log's key."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from helpers import RealStation, enrolled_station, post, twin

from registry.core.models import Quarantine, Record, Station
from registry.log import store
from station.certify import checkpoint as note
from station.certify import logentry, merkle


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def station(client: Client, tmp_path: Path) -> RealStation:
    return enrolled_station(client, tmp_path)


def _quarantined(qid: object, body: bytes, error: str) -> Quarantine:
    row = Quarantine.objects.get(pk=qid)
    assert bytes(row.body) == body
    assert row.error == error
    return row


def test_accepted_record_is_stored_exactly_and_in_the_log(client: Client, station: RealStation) -> None:
    cert = station.issue()
    body = station.body(cert.certificate_id)
    status, answer = post(client, station, body, cert.certificate_id)
    assert status == 201, answer
    record = Record.objects.get(record_id=cert.certificate_id)
    assert bytes(record.json_bytes) == station.json_bytes(cert.certificate_id)
    assert bytes(record.signature) == (station.datadir.certificates / f"{cert.certificate_id}.json.sig").read_bytes()
    assert bytes(record.pdf_bytes or b"") == (station.datadir.certificates / f"{cert.certificate_id}.pdf").read_bytes()
    assert answer["log_index"] == record.log_index and answer["flags"] == []
    assert record.drive_serial == cert.certificate.media.serial
    assert record.result == "erased" and record.nist_category == "clear"
    # the checkpoint answered verifies with the log's key and proves the entry's inclusion
    head = note.open_checkpoint(str(answer["checkpoint"]).encode(), note.Verifier.parse(store.verifier_key()))
    entry = logentry.entry_bytes("certificate", cert.certificate_id, record.sha256,
                                 logentry.station_key_sha256(station.key.public.key))
    leaf, proof = store.inclusion(record.log_index, head.size)
    assert leaf == merkle.leaf_hash(entry)
    merkle.verify_inclusion(leaf, record.log_index, head.size, proof, head.root)


def test_replay_of_the_same_bytes_is_409_with_its_index(client: Client, station: RealStation) -> None:
    cert = station.issue()
    body = station.body(cert.certificate_id)
    first_status, first = post(client, station, body, cert.certificate_id)
    status, again = post(client, station, body, cert.certificate_id)
    assert (first_status, status) == (201, 409)
    assert again["sha256"] == first["sha256"] and again["log_index"] == first["log_index"]
    assert again["checkpoint"]
    assert Record.objects.filter(record_id=cert.certificate_id).count() == 1


def test_different_bytes_under_a_held_id_is_409_and_quarantined(client: Client, station: RealStation,
                                                                tmp_path: Path) -> None:
    cert = station.issue()
    assert post(client, station, station.body(cert.certificate_id), cert.certificate_id)[0] == 201
    other = twin(station, tmp_path)  # same key, another history: its first certificate has the same id
    second = other.issue(failed=True)
    assert second.certificate_id == cert.certificate_id
    body = other.body(second.certificate_id)
    status, answer = post(client, station, body, cert.certificate_id)
    assert status == 409
    assert answer["error"] == "different-bytes"
    assert answer["sha256"] == Record.objects.get(record_id=cert.certificate_id).sha256
    _quarantined(answer["quarantine_id"], body, "different-bytes")


def test_tampered_byte_is_422_bad_signature(client: Client, station: RealStation) -> None:
    cert = station.issue()
    data = bytearray(station.json_bytes(cert.certificate_id))
    at = data.index(b'"erased"') + 1
    data[at:at + 6] = b"ERASED"  # one visible change, still valid JSON
    body = station.body(cert.certificate_id, json=base64.b64encode(bytes(data)).decode(), sha256=None)
    status, answer = post(client, station, body, cert.certificate_id)
    assert status == 422 and answer["error"] == "bad-signature", answer
    _quarantined(answer["quarantine_id"], body, "bad-signature")
    assert not Record.objects.filter(record_id=cert.certificate_id).exists()


def test_claimed_sha256_must_match_the_bytes(client: Client, station: RealStation) -> None:
    cert = station.issue()
    body = station.body(cert.certificate_id, sha256="0" * 64)
    status, answer = post(client, station, body, cert.certificate_id)
    assert status == 422 and answer["error"] == "sha256-mismatch"
    _quarantined(answer["quarantine_id"], body, "sha256-mismatch")


def test_another_stations_record_is_422_key_mismatch(client: Client, station: RealStation, tmp_path: Path) -> None:
    other = enrolled_station(client, tmp_path)
    cert = other.issue()
    body = other.body(cert.certificate_id)
    status, answer = post(client, station, body, cert.certificate_id)  # station's token, other's record
    assert status == 422 and answer["error"] == "key-mismatch"
    row = _quarantined(answer["quarantine_id"], body, "key-mismatch")
    assert row.station_id == Station.objects.get(fingerprint=station.key.fingerprint).pk
    assert not Record.objects.filter(record_id=cert.certificate_id).exists()


def test_signature_by_another_key_is_422(client: Client, station: RealStation, tmp_path: Path) -> None:
    other = enrolled_station(client, tmp_path)
    cert = station.issue()
    forged = other.key.sign(station.json_bytes(cert.certificate_id))
    body = station.body(cert.certificate_id, signature=base64.b64encode(forged).decode())
    status, answer = post(client, station, body, cert.certificate_id)
    assert status == 422 and answer["error"] == "bad-signature"
    _quarantined(answer["quarantine_id"], body, "bad-signature")


def test_revoked_station_is_403_and_its_records_stay(client: Client, station: RealStation) -> None:
    first, second = station.issue(), station.issue()
    assert post(client, station, station.body(first.certificate_id), first.certificate_id)[0] == 201
    call_command("revoke_station", station.key.fingerprint, reason="key lost (test)", stdout=_Null())
    body = station.body(second.certificate_id)
    status, answer = post(client, station, body, second.certificate_id)
    assert status == 403 and answer["error"] == "revoked"
    _quarantined(answer["quarantine_id"], body, "revoked")
    assert Record.objects.filter(record_id=first.certificate_id).exists()  # marked by revoked_at, not deleted
    assert not Record.objects.filter(record_id=second.certificate_id).exists()
    assert Station.objects.get(fingerprint=station.key.fingerprint).revoked_at is not None


def test_unknown_or_missing_token_is_401_and_stores_nothing(client: Client, station: RealStation) -> None:
    cert = station.issue()
    body = station.body(cert.certificate_id)
    before = Quarantine.objects.count()
    assert post(client, station, body, cert.certificate_id, token="st_not-a-token")[0] == 401
    assert post(client, None, body, cert.certificate_id, token="")[0] == 401
    assert Quarantine.objects.count() == before
    assert not Record.objects.filter(record_id=cert.certificate_id).exists()


def test_gap_is_accepted_and_flagged(client: Client, station: RealStation) -> None:
    first, second, third = station.issue(), station.issue(), station.issue()
    assert post(client, station, station.body(first.certificate_id), first.certificate_id)[0] == 201
    status, answer = post(client, station, station.body(third.certificate_id), third.certificate_id)
    assert status == 201 and answer["flags"] == ["chain-gap"]
    assert "chain-gap" in Station.objects.get(fingerprint=station.key.fingerprint).flags
    assert Record.objects.get(record_id=third.certificate_id).flags == ["chain-gap"]
    status, answer = post(client, station, station.body(second.certificate_id), second.certificate_id)
    assert status == 201 and answer["flags"] == []  # the late one fits both its neighbours


def test_fork_is_accepted_and_flagged(client: Client, station: RealStation, tmp_path: Path) -> None:
    first = station.issue()
    assert post(client, station, station.body(first.certificate_id), first.certificate_id)[0] == 201
    other = twin(station, tmp_path)
    other.issue(failed=True)
    forked = other.issue()  # sequence 2, naming the twin's sequence 1 as its predecessor
    status, answer = post(client, station, other.body(forked.certificate_id), forked.certificate_id)
    assert status == 201 and answer["flags"] == ["chain-fork"], answer
    assert "chain-fork" in Station.objects.get(fingerprint=station.key.fingerprint).flags


@pytest.mark.parametrize(("body", "error"), [
    (b"{not json", "bad-json"),
    (b"[1, 2]", "bad-json"),
    (b"\xff\xfe garbage", "bad-json"),
    (b'{"certificate_id": "X-1", "json": "%%%", "signature": "AAAA"}', "bad-base64"),
    (b'{"certificate_id": "X-1", "json": 12, "signature": "AAAA"}', "bad-field"),
    (b'{"json": "AAAA", "signature": "AAAA"}', "bad-id"),
    (b'{"certificate_id": "X-1", "kind": "invoice", "json": "AAAA", "signature": "AAAA"}', "bad-kind"),
    (b"[" * 100000 + b"]" * 100000, "bad-json"),
], ids=["truncated", "array", "binary", "base64", "type", "no-id", "kind", "deep"])
def test_malformed_bodies_are_400_and_quarantined(client: Client, station: RealStation, body: bytes,
                                                  error: str) -> None:
    status, answer = post(client, station, body)
    assert status == 400 and answer["error"] == error, answer
    _quarantined(answer["quarantine_id"], body, error)


def test_valid_base64_of_garbage_is_422(client: Client, station: RealStation) -> None:
    garbage = b"\x00\x01 not a certificate"
    body = json.dumps({"certificate_id": "ABCDEF12-000001", "json": base64.b64encode(garbage).decode(),
                       "signature": base64.b64encode(station.key.sign(garbage)).decode(), "pdf": None}).encode()
    status, answer = post(client, station, body)
    assert status == 422 and answer["error"] == "schema", answer
    _quarantined(answer["quarantine_id"], body, "schema")


def test_idempotency_key_must_name_the_record(client: Client, station: RealStation) -> None:
    cert = station.issue()
    status, answer = post(client, station, station.body(cert.certificate_id), "ABCDEF12-999999")
    assert status == 400 and answer["error"] == "bad-id"


def test_oversize_is_413_before_reading(client: Client, station: RealStation) -> None:
    from django.conf import settings as conf

    body = b'{"pad": "' + b"A" * (conf.REGISTRY_MAX_UPLOAD_BYTES + 10) + b'"}'
    status, answer = post(client, station, body)
    assert status == 413 and answer["error"] == "too-large"


class _Null:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
