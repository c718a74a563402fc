"""The transparency log in PostgreSQL: append under one lock, checkpoints, and reads for proofs and tiles.

Appending is serialised by a transaction-scoped advisory lock and done in the caller's transaction, so
the record, its log entry, the subtrees it closes and the new signed checkpoint commit together or not
at all (a crash leaves the previous checkpoint as the last word). Before signing, the new tree is proven
consistent with the last signed checkpoint (station.certify.merkle), so the registry never signs a fork.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from registry.core.models import Checkpoint, LogEntry, LogSubtree
from registry.log import key as log_key
from station.certify import checkpoint as note
from station.certify import merkle

LOCK_ID = 0x5354_4C4F_4700  # "STLOG": the one advisory lock every append takes


class LogError(Exception):
    """The stored log disagrees with its last checkpoint: nothing is signed until someone looks."""


@cache
def signer() -> note.Signer:
    return log_key.load_or_create(Path(settings.REGISTRY_LOG_KEY), settings.REGISTRY_LOG_ORIGIN)


def verifier_key() -> str:
    return signer().verifier().key_string()


def origin() -> str:
    return signer().name


def read_subtrees(subtrees: Sequence[merkle.Subtree]) -> list[bytes]:
    """The merkle module's reader: every asked-for hash in one query, in the asked order."""
    if not subtrees:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.hash FROM unnest(%s::smallint[], %s::bigint[]) WITH ORDINALITY AS s(level, idx, ord) "
            "JOIN core_logsubtree t ON t.level = s.level AND t.index = s.idx ORDER BY s.ord",
            [[s.level for s in subtrees], [s.index for s in subtrees]])
        rows = cursor.fetchall()
    if len(rows) != len(subtrees):
        raise merkle.ProofError("a subtree hash the tree needs is not stored")
    return [bytes(row[0]) for row in rows]


def latest() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size").first()


@dataclass(frozen=True)
class Appended:
    index: int
    checkpoint: Checkpoint


def lock() -> None:
    """Take the append lock until the transaction ends; also what writers of data derived from the log's
    records take (registry.lots.devices), so they never work from two different snapshots at once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_ID])


def _sign(size: int, root: bytes) -> Checkpoint:
    text = note.sign_checkpoint(note.Checkpoint(origin(), size, root), signer()).decode()
    return Checkpoint.objects.create(size=size, root=root, note=text)


def _check_head(last: Checkpoint | None) -> int:
    """The size the next entry extends; LogError when the tables disagree with the last signed checkpoint."""
    size = last.size if last else 0
    stored = LogEntry.objects.count() if size == 0 else None
    if stored:
        raise LogError(f"{stored} log entries but no signed checkpoint covering them")
    if last is not None and size and merkle.tree_root(size, read_subtrees) != bytes(last.root):
        raise LogError(f"the stored subtrees do not give the root of the last checkpoint (size {size})")
    if LogEntry.objects.filter(index__gte=size).exists():
        raise LogError(f"log entries beyond the last checkpoint (size {size})")
    return size


def append(entry: bytes) -> Appended:
    """Append one entry and sign the new tree head; the caller's transaction commits both (or neither)."""
    if not connection.in_atomic_block:
        raise LogError("append must run inside the record's transaction")
    lock()
    last = latest()
    index = _check_head(last)
    leaf = merkle.leaf_hash(entry)
    LogEntry.objects.create(index=index, entry=entry, leaf_hash=leaf)
    closed = merkle.append_subtrees(index, leaf, read_subtrees)
    LogSubtree.objects.bulk_create([LogSubtree(level=s.level, index=s.index, hash=h) for s, h in closed])
    size = index + 1
    root = merkle.tree_root(size, read_subtrees)
    if last is not None and last.size:
        proof = merkle.consistency_proof(last.size, size, read_subtrees)
        try:
            merkle.verify_consistency(last.size, size, bytes(last.root), root, proof)
        except merkle.ProofError as exc:
            raise LogError(f"refusing to sign size {size}: not consistent with size {last.size} ({exc})") from exc
    return Appended(index, _sign(size, root))


def ensure_checkpoint() -> Checkpoint:
    """The latest checkpoint, after checking it against the stored tree; signs the empty tree of a new log."""
    with transaction.atomic():
        lock()
        last = latest()
        _check_head(last)
        if last is None:
            last = _sign(0, merkle.EMPTY_ROOT)
        return last


def inclusion(index: int, size: int) -> tuple[bytes, list[bytes]]:
    """(leaf hash, proof) of entry `index` in the tree of `size` leaves."""
    leaf, = read_subtrees([merkle.Subtree(0, index)])
    return leaf, merkle.inclusion_proof(index, size, read_subtrees)


def consistency(old_size: int, new_size: int) -> list[bytes]:
    return merkle.consistency_proof(old_size, new_size, read_subtrees)


def entries(start: int, count: int) -> list[bytes]:
    rows = LogEntry.objects.filter(index__gte=start, index__lt=start + count).order_by("index")
    return [bytes(e.entry) for e in rows.only("entry")]
