"""A small programme in the database for the page tests, rolled back after each test.

Records are the real signed bytes station's own code wrote (station_lot.build); they are stored and appended
to the log here the way the registry's ingest stores valid records (exact bytes, entry text of
docs/registry-api.md, a checkpoint signed with the log key), labelled as a test fixture: the ingest itself
is tested by the registry's own tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from station_lot import StationLot, build

from registry.accounts.models import Membership
from registry.core.models import Checkpoint, LogEntry, Organisation, Record, Station
from registry.log import key as log_key
from registry.lots.models import Lot
from station.certify import checkpoint as notes
from station.certify import logentry, merkle

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


def _frontier(tree: merkle.MemoryTree) -> list[bytes]:
    """The roots of the tree's perfect subtrees, left to right (what Checkpoint.frontier holds)."""
    out, start, size = [], 0, tree.size
    for level in reversed(range(size.bit_length())):
        if size & (1 << level):
            out.append(tree.levels[level][start >> level])
            start += 1 << level
    return out


def store(station: Station, public_sha: str, kind: str, record_id: str, data: bytes, signature: bytes,
          pdf: bytes | None, lot: str, flags: list[str] | None = None) -> Record:
    """Store a valid record and append its log entry, as ingest does (test fixture, see module doc)."""
    last = LogEntry.objects.order_by("-index").values_list("index", flat=True).first()
    index = 0 if last is None else last + 1
    sha = hashlib.sha256(data).hexdigest()
    entry = logentry.entry_bytes(kind, record_id, sha, public_sha)
    LogEntry.objects.create(index=index, entry=entry, leaf_hash=merkle.leaf_hash(entry))
    return Record.objects.create(kind=kind, record_id=record_id, station=station, sha256=sha, json_bytes=data,
                                 signature=signature, pdf_bytes=pdf, lot_reference=lot, log_index=index,
                                 flags=flags or [])


def sign_checkpoint() -> Checkpoint:
    path = Path(settings.REGISTRY_LOG_KEY)
    key = log_key.load_or_create(path)
    origin = log_key.load_or_create_origin(path, settings.REGISTRY_LOG_ORIGIN)
    leaves = [bytes(h) for h in LogEntry.objects.order_by("index").values_list("leaf_hash", flat=True)]
    tree = merkle.MemoryTree.of_leaf_hashes(leaves)
    root = tree.root()
    note = notes.sign_checkpoint(notes.Checkpoint(origin, tree.size, root), notes.Signer(origin, key))
    return Checkpoint.objects.create(size=tree.size, root=root, note=note.decode(), frontier=_frontier(tree))


def make_world(built: StationLot) -> World:
    coord = Organisation.objects.create(name="Coordination Région (test)", kind="coordinator")
    atelier = Organisation.objects.create(name="Atelier Solidaire (test)", kind="refurbisher")
    envie = Organisation.objects.create(name="Envie Test (test)", kind="refurbisher")
    region = Organisation.objects.create(name="Région Exemple (test)", kind="donor")
    other = Organisation.objects.create(name="Département Autre (test)", kind="donor")
    lot = Lot.objects.create(donor=region, refurbisher=atelier, reference="LOT-2025-01", expected_devices=2)
    other_lot = Lot.objects.create(donor=other, refurbisher=atelier, reference="LOT-B", expected_devices=5)
    public = built.key.public
    station = Station.objects.create(organisation=atelier, name="poste-1", public_key_pem=public.public_pem().decode(),
                                     fingerprint=public.fingerprint, token_hash=hashlib.sha256(
                                         public.fingerprint.encode()).hexdigest())
    public_sha = logentry.station_key_sha256(public.key)
    records = {
        "audit": store(station, public_sha, "audit", built.audit_id, built.audit_json, built.audit_sig, None,
                       "LOT-2025-01"),
        "erased": store(station, public_sha, "certificate", built.erased.certificate_id,
                        built.erased.json_path.read_bytes(), built.erased.sig_path.read_bytes(),
                        built.erased.pdf_path.read_bytes(), "LOT-2025-01"),
        "failed": store(station, public_sha, "certificate", built.failed.certificate_id,
                        built.failed.json_path.read_bytes(), built.failed.sig_path.read_bytes(),
                        built.failed.pdf_path.read_bytes(), "LOT-2025-01", ["chain-gap"]),
    }
    sign_checkpoint()
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
