"""POST /api/v1/enroll: a one-time code binds a station's key to its organisation and returns a token shown once."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from helpers import enroll, enrollment_code, new_station, organisation, post

from registry.core import secrets
from registry.core.models import EnrollmentCode, Station
from registry.log import store
from station.certify import checkpoint as note


def _post(client: Client, payload: object) -> tuple[int, dict[str, object]]:
    reply = client.post("/api/v1/enroll", data=json.dumps(payload), content_type="application/json")
    return reply.status_code, reply.json()


def test_enrollment_binds_the_key_and_stores_only_the_tokens_hash(tmp_path: Path) -> None:
    client = Client()
    org = organisation()
    code = enrollment_code(org)
    station = new_station(tmp_path)
    answer = enroll(client, station, code)
    row = Station.objects.get(pk=answer["station_id"])
    assert row.organisation.name == org == answer["organisation"]
    assert row.fingerprint == station.key.fingerprint
    assert row.token_hash == secrets.digest(station.token) and station.token not in row.token_hash
    assert answer["upload_endpoint"] == "http://testserver/api/v1/records"
    assert answer["certificate_page"] == "http://testserver/v/{record_id}"
    log = answer["log"]
    assert isinstance(log, dict) and log["verifier_key"] == store.verifier_key()
    assert note.Verifier.parse(str(log["verifier_key"])).name == log["origin"]
    # the token works at once
    cert = station.issue()
    assert post(client, station, station.body(cert.certificate_id), cert.certificate_id)[0] == 201


def test_a_code_is_single_use(tmp_path: Path) -> None:
    client = Client()
    code = enrollment_code(organisation())
    enroll(client, new_station(tmp_path), code)
    second = new_station(tmp_path)
    status, answer = _post(client, {"code": code, "name": "b", "public_key_pem": second.key.public_pem().decode()})
    assert (status, answer["error"]) == (400, "bad-code")


def test_codes_are_forgiving_of_case_and_dashes(tmp_path: Path) -> None:
    code = enrollment_code(organisation())
    enroll(Client(), new_station(tmp_path), code.lower().replace("-", " "))


def test_expired_and_unknown_codes_are_refused(tmp_path: Path) -> None:
    client = Client()
    code = enrollment_code(organisation())
    EnrollmentCode.objects.filter(code_hash=secrets.digest(code)).update(expires_at=timezone.now() - timedelta(1))
    pem = new_station(tmp_path).key.public_pem().decode()
    for attempt in (code, "AAAA-BBBB-CCCC-DDDD"):
        status, answer = _post(client, {"code": attempt, "name": "b", "public_key_pem": pem})
        assert (status, answer["error"]) == (400, "bad-code")


def test_a_key_enrolls_once(tmp_path: Path) -> None:
    client = Client()
    station = new_station(tmp_path)
    enroll(client, station, enrollment_code(organisation()))
    status, answer = _post(client, {"code": enrollment_code(organisation()), "name": "again",
                                    "public_key_pem": station.key.public_pem().decode()})
    assert (status, answer["error"]) == (409, "key-enrolled")


@pytest.mark.parametrize(("payload", "error"), [
    ("not an object", "malformed"),
    ({"code": "X", "name": "n"}, "malformed"),
    ({"code": "X", "name": "n", "public_key_pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"},
     "bad-key"),
])
def test_malformed_enrollment_is_400(payload: object, error: str) -> None:
    status, answer = _post(Client(), payload)
    assert (status, answer["error"]) == (400, error)


def test_garbage_body_is_400_not_500() -> None:
    reply = Client().post("/api/v1/enroll", data=b"\xff{", content_type="application/json")
    assert reply.status_code == 400
