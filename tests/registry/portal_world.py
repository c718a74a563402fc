"""A small programme in the database for the page tests, rolled back after each test.

Records are the real signed bytes station's own code wrote (station_lot.build), sent through the registry's
own ingest (registry.records.ingest: token, signature, schema, chain, log append, signed checkpoint) as a
station's upload would be; the failure report goes first, so the registry flags its chain gap.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from station_lot import StationLot, build

from registry.accounts.models import Membership
from registry.core import secrets
from registry.core.models import Organisation, Record, Station
from registry.lots.models import Lot
from registry.records import ingest


@dataclass
class World:
    coordinator: User
    refurbisher: User
    other_refurbisher: User
    donor: User
    other_donor: User
    stranger: User  # logged in, no organisation
    lot: Lot  # donor's lot at the refurbisher, filled by the station
    other_lot: Lot  # other_donor's lot at the same refurbisher
    station: Station
    station_lot: StationLot
    records: dict[str, Record]  # "audit", "erased", "failed"


def _user(name: str, organisation: Organisation | None) -> User:
    user = User.objects.create_user(name)  # no password: tests log in with force_login (no slow hashing)
    if organisation is not None:
        Membership.objects.create(user=user, organisation=organisation)
    return user


def upload(token: str, kind: str, record_id: str, data: bytes, signature: bytes, pdf: bytes | None,
           lot: str | None) -> Record:
    """One record through the registry's ingest, as `station upload` sends it (docs/registry-api.md)."""
    body = json.dumps({"kind": kind, "certificate_id": record_id, "lot": lot,
                       "json": base64.b64encode(data).decode(), "signature": base64.b64encode(signature).decode(),
                       "pdf": base64.b64encode(pdf).decode() if pdf else None}).encode()
    answer = ingest.ingest(body, f"Bearer {token}", record_id)
    assert answer.status == 201, answer.body
    return Record.objects.get(record_id=record_id)


def make_world(built: StationLot) -> World:
    coord = Organisation.objects.create(name="Coordination Région (test)", kind="coordinator")
    atelier = Organisation.objects.create(name="Atelier Solidaire (test)", kind="refurbisher")
    envie = Organisation.objects.create(name="Envie Test (test)", kind="refurbisher")
    region = Organisation.objects.create(name="Région Exemple (test)", kind="donor")
    other = Organisation.objects.create(name="Département Autre (test)", kind="donor")
    lot = Lot.objects.create(donor=region, refurbisher=atelier, reference="LOT-2025-01", expected_devices=2)
    other_lot = Lot.objects.create(donor=other, refurbisher=atelier, reference="LOT-B", expected_devices=5)
    public = built.key.public
    token = secrets.new_token()
    station = Station.objects.create(organisation=atelier, name="poste-1", public_key_pem=public.public_pem().decode(),
                                     fingerprint=public.fingerprint, token_hash=secrets.digest(token))
    records = {
        "audit": upload(token, "audit", built.audit_id, built.audit_json, built.audit_sig, None, "LOT-2025-01"),
        "failed": upload(token, "certificate", built.failed.certificate_id, built.failed.json_path.read_bytes(),
                         built.failed.sig_path.read_bytes(), built.failed.pdf_path.read_bytes(), None),
        "erased": upload(token, "certificate", built.erased.certificate_id, built.erased.json_path.read_bytes(),
                         built.erased.sig_path.read_bytes(), built.erased.pdf_path.read_bytes(), None),
    }
    assert records["failed"].flags == ["chain-gap"] and records["erased"].flags == []
    return World(_user("coord", coord), _user("atelier", atelier), _user("envie", envie), _user("region", region),
                 _user("autre", other), _user("stranger", None), lot, other_lot, station, built, records)


@pytest.fixture(scope="session")
def station_files(tmp_path_factory: pytest.TempPathFactory) -> StationLot:
    """The station's data directory, written once per session (its files are only read)."""
    return build(tmp_path_factory.mktemp("station"), "LOT-2025-01")


@pytest.fixture
def world(station_files: StationLot) -> Iterator[World]:
    """Everything made here is rolled back after the test (the log tables refuse DELETE, not ROLLBACK)."""
    with transaction.atomic():
        yield make_world(station_files)
        transaction.set_rollback(True)


def client(user: User | None = None, lang: str | None = None) -> Client:
    """Django's test client as a browser on loopback (the registry's allowed host), logged in as `user`."""
    extra = {"HTTP_HOST": "127.0.0.1"} | ({"HTTP_ACCEPT_LANGUAGE": lang} if lang else {})
    c = Client(**extra)
    if user is not None:
        c.force_login(user)
    return c
