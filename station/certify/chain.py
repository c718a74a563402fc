"""The station's hash chain: each certificate names the sha256 of the one issued before it.

Removing, reordering or editing a record breaks a link (or the sequence numbers), which
`check` reports. The head (last sequence and hash) is cached in `certificates/chain-head.json`;
the JSON files themselves stay the truth, so a stale or lost head is rebuilt from them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from station.store import atomic
from station.store.datadir import DataDir
from station.untrusted import load_json

HEAD_NAME = "chain-head.json"
_ID = re.compile(r"^([0-9A-F]{8})-(\d{6,})$")


@dataclass(frozen=True)
class ChainHead:
    sequence: int
    sha256: str
    certificate_id: str
    key_fingerprint: str


@dataclass(frozen=True)
class Link:
    """What the chain check needs from one certificate file."""

    file_name: str
    certificate_id: str
    sequence: int
    key_fingerprint: str
    issued_at: str
    previous_sha256: str | None
    sha256: str


def id_prefix(fingerprint: str) -> str:
    return fingerprint.replace("-", "")[:8].upper()


def certificate_id(fingerprint: str, sequence: int) -> str:
    """`3F9A1C2B-000042`: the key's fingerprint prefix (unique per station) and the sequence number."""
    return f"{id_prefix(fingerprint)}-{sequence:06d}"


def _head_path(datadir: DataDir) -> Path:
    return datadir.certificates / HEAD_NAME


def save_head(datadir: DataDir, head: ChainHead) -> None:
    current = _read_head(datadir, head.key_fingerprint)
    if current is None or current.sequence <= head.sequence:
        atomic.write_text(_head_path(datadir), json.dumps(asdict(head), indent=2, sort_keys=True) + "\n")


def _read_head(datadir: DataDir, fingerprint: str) -> ChainHead | None:
    try:
        data = load_json(_head_path(datadir).read_bytes())
        head = ChainHead(int(data["sequence"]), str(data["sha256"]), str(data["certificate_id"]),
                         str(data["key_fingerprint"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return head if head.key_fingerprint == fingerprint else None


def _link_of(path: Path) -> Link | None:
    try:
        data = path.read_bytes()
        record = load_json(data)
        return Link(path.name, str(record["certificate_id"]), int(record["sequence"]),
                    str(record["station"]["key_fingerprint"]), str(record["issued_at"]),
                    record["previous_certificate_sha256"], hashlib.sha256(data).hexdigest())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _scan(datadir: DataDir, fingerprint: str) -> ChainHead | None:
    prefix = id_prefix(fingerprint)
    best: Link | None = None
    for path in datadir.certificates.glob(f"{prefix}-*.json"):
        link = _link_of(path)
        if link and link.key_fingerprint == fingerprint and (best is None or link.sequence > best.sequence):
            best = link
    return ChainHead(best.sequence, best.sha256, best.certificate_id, fingerprint) if best else None


def roll_forward(datadir: DataDir, fingerprint: str) -> list[str]:
    """Ids of committed certificates the cached head does not know yet (a power cut after the commit)."""
    head = _read_head(datadir, fingerprint)
    if head is None:
        head = _scan(datadir, fingerprint)
        if head is None:
            return []
        found = [head.certificate_id]
    else:
        found = []
    sequence = head.sequence
    while (datadir.certificates / f"{certificate_id(fingerprint, sequence + 1)}.json").exists():
        sequence += 1
        found.append(certificate_id(fingerprint, sequence))
    return found


def current_head(datadir: DataDir, fingerprint: str) -> ChainHead | None:
    head = _read_head(datadir, fingerprint)
    if head is None:
        return _scan(datadir, fingerprint)
    nxt = datadir.certificates / f"{certificate_id(fingerprint, head.sequence + 1)}.json"
    if nxt.exists():
        return _scan(datadir, fingerprint)
    return head


def check(links: Sequence[Link], *, complete: bool = True) -> list[str]:
    """Problems in the history, one sentence each; empty when every link holds.

    `complete` means the set should be the station's whole history from sequence 1.
    """
    problems: list[str] = []
    by_key: dict[str, list[Link]] = {}
    for link in links:
        by_key.setdefault(link.key_fingerprint, []).append(link)
    for fingerprint, group in sorted(by_key.items()):
        group.sort(key=lambda lk: lk.sequence)
        for link in group:
            if link.file_name != f"{link.certificate_id}.json":
                problems.append(f"{link.file_name}: file name does not match certificate id {link.certificate_id}")
            if link.certificate_id != certificate_id(fingerprint, link.sequence):
                problems.append(f"{link.certificate_id}: id does not match its sequence {link.sequence}")
        first = group[0]
        if complete and (first.sequence != 1 or first.previous_sha256 is not None):
            problems.append(f"station {fingerprint}: history starts at sequence {first.sequence}, "
                            f"certificates 1..{first.sequence - 1} are missing")
        if first.sequence == 1 and first.previous_sha256 is not None:
            problems.append(f"{first.certificate_id}: first certificate names a predecessor")
        for before, after in itertools.pairwise(group):
            if after.sequence == before.sequence:
                problems.append(f"{before.certificate_id} and {after.file_name}: two certificates "
                                f"claim sequence {after.sequence}")
                continue
            if after.sequence != before.sequence + 1:
                missing = ", ".join(str(s) for s in range(before.sequence + 1, after.sequence))
                problems.append(f"station {fingerprint}: certificate(s) with sequence {missing} missing "
                                f"(removed) between {before.certificate_id} and {after.certificate_id}")
            elif after.previous_sha256 != before.sha256:
                problems.append(f"{after.certificate_id}: previous_certificate_sha256 does not match "
                                f"{before.certificate_id} (altered, replaced or reordered)")
            if after.issued_at < before.issued_at:
                problems.append(f"{after.certificate_id}: issued before its predecessor {before.certificate_id} "
                                f"(reordered)")
    return problems
