"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification, shared by station and registry.

The registry proves what it holds; the station checks those proofs offline. Both sides hash the same way, so the
code lives here, with no database and no Django.

A tree is read through complete subtrees: `Subtree(level, index)` is MTH(D[index * 2**level : (index + 1) * 2**level]),
the hash of an aligned, full block of 2**level leaves (level 0 = the leaf hashes). A log of n leaves has fewer than 2n
of them, each written once when its last leaf arrives (`append_subtrees`) and never changed, so the registry can keep
them in an append-only table. Any root or proof then needs only O(log n) of them (O(log^2 n) for a proof), all
asked for in ONE call of the reader (`read(subtrees) -> hashes`): one query per request, whatever the log's size.
The same subtrees are the C2SP tlog tiles (a tile hash at tile level L is a subtree at level 8L).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


@dataclass(frozen=True, order=True, slots=True)
class Subtree:
    """MTH of the leaves [index * 2**level, (index + 1) * 2**level)."""

    level: int
    index: int


#: Reads the hashes of the given complete subtrees, in the given order (one batch: one database query).
SubtreeReader = Callable[[Sequence[Subtree]], Sequence[bytes]]


class ProofError(ValueError):
    """A proof, a root or a size does not check out; the message says which step failed."""


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry): the domain separation keeps a leaf from passing for a node."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2): where RFC 6962 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_subtrees(start: int, end: int) -> list[Subtree]:
    """The complete subtrees, left to right, whose right fold is MTH(D[start:end]).

    Valid for every range the RFC's recursion produces: `start` is a multiple of a power of two >= end - start, so
    each binary digit of the length, from the top, is one aligned complete subtree.
    """
    pieces: list[Subtree] = []
    at = start
    for level in range((end - start).bit_length() - 1, -1, -1):
        if (end - start) >> level & 1:
            pieces.append(Subtree(level, at >> level))
            at += 1 << level
    return pieces


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of the pieces of a range: node(h0, node(h1, ... node(h_{k-2}, h_{k-1})))."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


class _Plan:
    """Collects ranges to hash, reads all their subtrees in one call, then hands out the range hashes."""

    def __init__(self) -> None:
        self.ranges: list[list[Subtree]] = []

    def add(self, start: int, end: int) -> None:
        self.ranges.append(_range_subtrees(start, end))

    def run(self, read: SubtreeReader) -> list[bytes]:
        wanted = sorted({s for r in self.ranges for s in r})
        got = list(read(wanted))
        if len(got) != len(wanted) or any(len(h) != HASH_SIZE for h in got):
            raise ProofError(f"the subtree reader returned {len(got)} hashes for {len(wanted)} subtrees, "
                             "or a hash that is not 32 bytes")
        table = dict(zip(wanted, got, strict=True))
        return [_fold([table[s] for s in r]) for r in self.ranges]


def _check_size(size: int) -> None:
    if size < 0:
        raise ProofError(f"tree size {size} is negative")


def tree_root(size: int, read: SubtreeReader) -> bytes:
    """MTH(D[0:size]); the empty tree's root is SHA-256 of nothing (RFC 9162 2.1.1)."""
    _check_size(size)
    if size == 0:
        return EMPTY_ROOT
    plan = _Plan()
    plan.add(0, size)
    return plan.run(read)[0]


def _path_ranges(index: int, start: int, end: int, out: list[tuple[int, int]]) -> None:
    """RFC 9162 2.1.3.1 PATH(m, D[start:end]) as the ranges whose hashes form the path, leaf side first."""
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start = start + k
    out.reverse()


def inclusion_proof(index: int, size: int, read: SubtreeReader) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 2.1.3.1)."""
    _check_size(size)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    _path_ranges(index, 0, size, ranges)
    if not ranges:
        return []
    plan = _Plan()
    for start, end in ranges:
        plan.add(start, end)
    return plan.run(read)


def _subproof_ranges(m: int, start: int, end: int, complete: bool) -> list[tuple[int, int]]:
    """RFC 9162 2.1.4.1 SUBPROOF(m, D[start:end], b) as ranges, in proof order."""
    tail: list[tuple[int, int]] = []
    while True:
        n = end - start
        if m == n:
            head = [] if complete else [(start, end)]
            return head + tail[::-1]
        k = _split(n)
        if m <= k:
            tail.append((start + k, end))
            end = start + k
        else:
            tail.append((start, start + k))
            m -= k
            start += k
            complete = False


def consistency_proof(old_size: int, new_size: int, read: SubtreeReader) -> list[bytes]:
    """PROOF(old, D[new]) (RFC 9162 2.1.4.1); empty when old is 0 or equal to new, as there is nothing to prove."""
    _check_size(old_size)
    if old_size > new_size:
        raise ProofError(f"cannot prove size {old_size} consistent with the smaller size {new_size}")
    if old_size in (0, new_size):
        return []
    plan = _Plan()
    for start, end in _subproof_ranges(old_size, 0, new_size, True):
        plan.add(start, end)
    return plan.run(read)


def append_subtrees(index: int, leaf: bytes, read: SubtreeReader) -> list[tuple[Subtree, bytes]]:
    """The complete subtrees that leaf `index` closes, to store when appending it: level 0 first, then upwards.

    Reads the left siblings it needs (one call), so an append costs one read and at most log2(n) + 1 writes.
    """
    if len(leaf) != HASH_SIZE:
        raise ProofError("a leaf hash is 32 bytes")
    siblings: list[Subtree] = []
    level, at = 0, index
    while at & 1:
        siblings.append(Subtree(level, at - 1))
        level, at = level + 1, at >> 1
    got = list(read(siblings)) if siblings else []
    if len(got) != len(siblings):
        raise ProofError("the subtree reader did not return every sibling")
    out = [(Subtree(0, index), leaf)]
    current = leaf
    for sibling, left in zip(siblings, got, strict=True):
        current = node_hash(left, current)
        out.append((Subtree(sibling.level + 1, sibling.index >> 1), current))
    return out


@dataclass
class MemoryTree:
    """Every complete subtree of a tree, in memory: for tests, tools and anyone holding the leaf hashes."""

    levels: list[list[bytes]] = field(default_factory=list)

    @classmethod
    def of_leaf_hashes(cls, leaves: Sequence[bytes]) -> MemoryTree:
        tree = cls()
        for h in leaves:
            tree.append(h)
        return tree

    @property
    def size(self) -> int:
        return len(self.levels[0]) if self.levels else 0

    def append(self, leaf: bytes) -> int:
        """Adds a leaf hash, returns its index."""
        index = self.size
        for subtree, h in append_subtrees(index, leaf, self.read):
            if subtree.level == len(self.levels):
                self.levels.append([])
            self.levels[subtree.level].append(h)
        return index

    def read(self, subtrees: Sequence[Subtree]) -> list[bytes]:
        try:
            return [self.levels[s.level][s.index] for s in subtrees]
        except IndexError:
            raise ProofError("a subtree beyond the tree was asked for") from None

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self.size if size is None else size, self.read)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.read)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return consistency_proof(old_size, self.size if new_size is None else new_size, self.read)


def root_of_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """MTH straight from the RFC's recursive definition: the slow reference the subtree code is checked against."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root_of_leaf_hashes(leaves[:k]), root_of_leaf_hashes(leaves[k:]))


def _check_hashes(*hashes: bytes) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError("a hash in the proof is not 32 bytes")


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 2.1.3.2: raises ProofError unless `leaf` is at `index` in the tree of `size` whose root is `root`."""
    _check_hashes(leaf, root, *proof)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("the inclusion proof does not lead to the checkpoint's root")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """RFC 9162 2.1.4.2: raises ProofError unless the tree of `new_size` extends the tree of `old_size`."""
    _check_hashes(old_root, new_root, *proof)
    if old_size < 0 or old_size > new_size:
        raise ProofError(f"size {old_size} cannot be a prefix of size {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("a consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("two different roots for the same tree size: the log forked")
        return
    if old_size == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the tree is deep")
    if fr != old_root:
        raise ProofError("the consistency proof does not lead to the old root: the log rewrote its history")
    if sr != new_root:
        raise ProofError("the consistency proof does not lead to the new root: the new tree does not extend the old")
