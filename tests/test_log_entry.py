"""The log entry format of docs/registry-api.md: exact bytes, strict fields, parse(encode) round trip."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from station.certify.keys import fingerprint_of
from station.certify.logentry import EntryError, LogEntry, entry_bytes, station_key_sha256
from station.certify.merkle import leaf_hash

SHA = hashlib.sha256(b"record").hexdigest()
KEY = hashlib.sha256(b"key").hexdigest()


def test_entry_is_the_five_documented_lines() -> None:
    data = entry_bytes("certificate", "3F9A1C2B-000042", SHA, KEY)
    assert data == (b"station-registry-entry/v1\nkind certificate\nid 3F9A1C2B-000042\n"
                    b"sha256 " + SHA.encode() + b"\nstation " + KEY.encode() + b"\n")
    entry = LogEntry.parse(data)
    assert entry == LogEntry("certificate", "3F9A1C2B-000042", SHA, KEY)
    assert entry.leaf_hash() == leaf_hash(data) == hashlib.sha256(b"\x00" + data).digest()


def test_station_line_is_the_full_key_hash_that_starts_the_printed_fingerprint() -> None:
    public = Ed25519PrivateKey.generate().public_key()
    full = station_key_sha256(public)
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert full == hashlib.sha256(raw).hexdigest()
    assert fingerprint_of(public).replace("-", "") == full[:16]


@pytest.mark.parametrize(("kind", "record_id", "sha", "key"), [
    ("erasure", "A-1", SHA, KEY),
    ("certificate", "", SHA, KEY),
    ("certificate", "A 1", SHA, KEY),
    ("certificate", "A\nkind audit", SHA, KEY),
    ("certificate", "A-1", SHA.upper(), KEY),
    ("certificate", "A-1", SHA[:63], KEY),
    ("certificate", "A-1", SHA, "3f9a-1c2b-77d0-e415"),
])
def test_bad_fields_are_refused(kind: str, record_id: str, sha: str, key: str) -> None:
    with pytest.raises(EntryError):
        entry_bytes(kind, record_id, sha, key)


@pytest.mark.parametrize("data", [
    b"",
    b"station-registry-entry/v2\nkind audit\nid A\nsha256 " + SHA.encode() + b"\nstation " + KEY.encode() + b"\n",
    b"station-registry-entry/v1\nkind audit\nid A\nsha256 " + SHA.encode() + b"\nstation " + KEY.encode(),
    b"station-registry-entry/v1\nid A\nkind audit\nsha256 " + SHA.encode() + b"\nstation " + KEY.encode() + b"\n",
    b"station-registry-entry/v1\nkind  audit\nid A\nsha256 " + SHA.encode() + b"\nstation " + KEY.encode() + b"\n",
    "station-registry-entry/v1\nkind audit\nid é\n".encode(),
])
def test_parse_refuses_anything_but_the_exact_format(data: bytes) -> None:
    with pytest.raises(EntryError):
        LogEntry.parse(data)
