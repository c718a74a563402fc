"""The transparency log's entry: the exact bytes the registry appends for each accepted record.

Station and registry both build it here, so a station can recompute the leaf of a record it sent and check its
inclusion proof offline. It binds the record's kind, id, the SHA-256 of its exact JSON bytes and the SHA-256 of the
signing station's raw Ed25519 public key (whose first 16 hex digits, grouped by four, are the fingerprint printed on
certificates); see docs/registry-api.md, "Log".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from station.certify.merkle import leaf_hash

HEADER = "station-registry-entry/v1"
KINDS = ("certificate", "audit")
_HEX64 = re.compile(r"[0-9a-f]{64}")
# record ids are ours (e.g. 3F9A1C2B-000042); printable ASCII without spaces keeps the entry five clean lines
_ID = re.compile(r"[!-~]{1,200}")


class EntryError(ValueError):
    """A field that cannot go into (or did not come out of) a log entry as the format says."""


def station_key_sha256(public: Ed25519PublicKey) -> str:
    """Hex SHA-256 of the raw 32-byte public key: the `station` line of an entry."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class LogEntry:
    kind: str
    record_id: str
    sha256: str
    station: str  # hex SHA-256 of the station's raw public key

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise EntryError(f"kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not _ID.fullmatch(self.record_id):
            raise EntryError(f"record id {self.record_id[:60]!r} is not 1-200 printable ASCII characters")
        if not _HEX64.fullmatch(self.sha256):
            raise EntryError("the record's sha256 is 64 lowercase hex digits")
        if not _HEX64.fullmatch(self.station):
            raise EntryError("the station key's sha256 is 64 lowercase hex digits")

    def encode(self) -> bytes:
        return (f"{HEADER}\nkind {self.kind}\nid {self.record_id}\nsha256 {self.sha256}\n"
                f"station {self.station}\n").encode("ascii")

    def leaf_hash(self) -> bytes:
        return leaf_hash(self.encode())

    @classmethod
    def parse(cls, data: bytes) -> LogEntry:
        """Reads an entry back (e.g. from an entry bundle); anything but the exact format is an error."""
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise EntryError("a log entry is ASCII") from None
        lines = text.split("\n")
        if len(lines) != 6 or lines[0] != HEADER or lines[5] != "":
            raise EntryError(f"a log entry is {HEADER} and four lines, each ending in a newline")
        fields = []
        for line, name in zip(lines[1:5], ("kind", "id", "sha256", "station"), strict=True):
            key, sep, value = line.partition(" ")
            if key != name or not sep:
                raise EntryError(f"expected the {name!r} line, found {line[:60]!r}")
            fields.append(value)
        entry = cls(*fields)
        if entry.encode() != data:
            raise EntryError("the entry is not in its canonical form")
        return entry


def entry_bytes(kind: str, record_id: str, sha256: str, station: str) -> bytes:
    """The leaf data for a record: what the registry appends and the station recomputes."""
    return LogEntry(kind, record_id, sha256, station).encode()
