"""RFC 6962 / 9162 Merkle code, cross-checked against pymerkle (an independent implementation) and the RFC's text.

pymerkle's RFC 6962 mode (security=True: 0x00 leaf / 0x01 node prefixes) computes the roots; its indices are 1-based
and its inclusion path starts with the leaf itself. The proofs are also checked against a direct transcription of the
RFC's recursive PATH and SUBPROOF definitions over plain lists, written here in the test, independent of the
subtree-batch code under test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from pymerkle import InmemoryTree

from station.certify import merkle
from station.certify.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    ProofError,
    Subtree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

LARGE_SIZES = (255, 256, 257, 1000, 4097, 20011, 65537)


def entry(i: int) -> bytes:
    return f"entry {i}".encode()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.1 over leaf hashes."""
    if len(d) == 0:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return node_hash(mth(d[:k]), mth(d[k:]))


def rfc_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(m, D[n])."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*rfc_path(m, d[:k]), mth(d[k:])]
    return [*rfc_path(m - k, d[k:]), mth(d[:k])]


def rfc_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """RFC 9162 2.1.4.1 SUBPROOF(m, D[n], b)."""
    if m == len(d):
        return [] if b else [mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*rfc_subproof(m, d[:k], b), mth(d[k:])]
    return [*rfc_subproof(m - k, d[k:], False), mth(d[:k])]


@pytest.fixture(scope="module")
def big() -> tuple[list[bytes], MemoryTree, InmemoryTree]:
    leaves = [leaf_hash(entry(i)) for i in range(max(LARGE_SIZES))]
    reference = InmemoryTree(algorithm="sha256")
    for i in range(max(LARGE_SIZES)):
        reference.append_entry(entry(i))
    return leaves, MemoryTree.of_leaf_hashes(leaves), reference


def test_hashing_matches_pymerkle_leaves_and_the_rfc_prefixes() -> None:
    reference = InmemoryTree(algorithm="sha256")
    reference.append_entry(b"hello")
    assert leaf_hash(b"hello") == reference.get_leaf(1) == hashlib.sha256(b"\x00hello").digest()
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert MemoryTree().root() == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert merkle.root_of_leaf_hashes([]) == EMPTY_ROOT


def test_every_root_and_every_proof_for_sizes_1_to_70(big: tuple[list[bytes], MemoryTree, InmemoryTree]) -> None:
    leaves, tree, reference = big
    for size in range(1, 71):
        root = tree.root(size)
        assert root == reference.get_root(size) == mth(leaves[:size]), size
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == rfc_path(index, leaves[:size]), (index, size)
            assert proof == list(reference.prove_inclusion(index + 1, size).path[1:]), (index, size)
            verify_inclusion(leaves[index], index, size, proof, root)
        for old in range(1, size + 1):
            proof = tree.consistency_proof(old, size)
            assert proof == ([] if old == size else rfc_subproof(old, leaves[:size], True)), (old, size)
            verify_consistency(old, size, tree.root(old), root, proof)


def test_large_odd_sizes_match_pymerkle(big: tuple[list[bytes], MemoryTree, InmemoryTree]) -> None:
    leaves, tree, reference = big
    for size in LARGE_SIZES:
        root = tree.root(size)
        assert root == reference.get_root(size), size
        for index in (0, 1, size // 3, size // 2, size - 2, size - 1):
            proof = tree.inclusion_proof(index, size)
            assert proof == list(reference.prove_inclusion(index + 1, size).path[1:])
            verify_inclusion(leaves[index], index, size, proof, root)
        for old in sorted({1, 2, 3, 7, 255, 256, size // 2, size - 1, size} - set(range(size + 1, 257))):
            verify_consistency(old, size, tree.root(old), root, tree.consistency_proof(old, size))
    assert tree.root(20011) == mth(leaves[:20011])


def test_a_proof_reads_its_subtrees_in_one_batch_of_olog2n(big: tuple[list[bytes], MemoryTree, InmemoryTree]) -> None:
    _, tree, _ = big
    calls: list[int] = []

    def counting(subtrees: Sequence[Subtree]) -> list[bytes]:
        calls.append(len(subtrees))
        return tree.read(subtrees)

    merkle.inclusion_proof(12345, 20011, counting)
    merkle.consistency_proof(9999, 20011, counting)
    merkle.tree_root(20011, counting)
    assert len(calls) == 3
    assert max(calls) <= 15 * 15


def test_append_subtrees_matches_the_full_rebuild() -> None:
    tree = MemoryTree()
    for i in range(300):
        tree.append(leaf_hash(entry(i)))
        assert tree.root() == mth([leaf_hash(entry(j)) for j in range(i + 1)])
    assert [len(level) for level in tree.levels][:3] == [300, 150, 75]


def test_tampered_inclusion_proofs_are_refused(big: tuple[list[bytes], MemoryTree, InmemoryTree]) -> None:
    leaves, tree, _ = big
    size, index = 70, 37
    root, proof = tree.root(size), tree.inclusion_proof(index, size)
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, bad, root)
    bad_cases = [
        (leaves[index + 1], index, size, proof, root),  # another leaf
        (leaves[index], index + 1, size, proof, root),  # wrong index
        # a wrong size is caught where it changes the path's shape (64: shallower, 129: deeper); a size of the same
        # shape (71) cannot be told from the proof alone: the size is bound by the signed checkpoint instead
        (leaves[index], index, 64, proof, root),
        (leaves[index], index, 129, proof, root),
        (leaves[index], index, size, proof[:-1], root),  # truncated
        (leaves[index], index, size, [*proof, proof[0]], root),  # one hash too many
        (leaves[index], index, size, proof, tree.root(size - 1)),  # another root
        (leaves[index], size, size, proof, root),  # index == size
        (leaves[index], -1, size, proof, root),
        (leaves[index], index, size, [p[:31] for p in proof], root),  # short hashes
    ]
    for case in bad_cases:
        with pytest.raises(ProofError):
            verify_inclusion(*case)


def test_rfc_edge_cases_for_inclusion(big: tuple[list[bytes], MemoryTree, InmemoryTree]) -> None:
    leaves, tree, _ = big
    verify_inclusion(leaves[0], 0, 1, [], leaves[0])  # size 1: the root is the leaf, the path is empty
    with pytest.raises(ProofError):
        verify_inclusion(leaves[1], 0, 1, [], leaves[0])
    with pytest.raises(ProofError):
        verify_inclusion(leaves[0], 0, 0, [], EMPTY_ROOT)  # nothing is in the empty tree
    with pytest.raises(ProofError):
        tree.inclusion_proof(0, 0)
    with pytest.raises(ProofError):
        tree.inclusion_proof(5, 5)
    # index == size - 1 at a power-of-two size and just past it
    for size in (64, 65):
        verify_inclusion(leaves[size - 1], size - 1, size, tree.inclusion_proof(size - 1, size), tree.root(size))


def test_tampered_consistency_proofs_and_forks_are_refused(big: tuple[list[bytes], MemoryTree, InmemoryTree]) -> None:
    leaves, tree, _ = big
    old, new = 21, 70
    old_root, new_root, proof = tree.root(old), tree.root(new), tree.consistency_proof(old, new)
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
        with pytest.raises(ProofError):
            verify_consistency(old, new, old_root, new_root, bad)
    forked = MemoryTree.of_leaf_hashes([*leaves[:20], leaf_hash(b"rewritten"), *leaves[21:new]])
    with pytest.raises(ProofError, match="history"):
        verify_consistency(old, new, old_root, forked.root(new), forked.consistency_proof(old, new))
    bad_cases = [
        (old, new, old_root, new_root, proof[:-1]),
        (old, new, old_root, new_root, [*proof, proof[0]]),
        (old + 1, new, old_root, new_root, proof),
        (old, 64, old_root, new_root, proof),  # sizes that change the proof's shape (see the inclusion test)
        (old, 129, old_root, new_root, proof),
        (16, new, old_root, new_root, proof),
        (old, new, new_root, new_root, proof),
        (old, new, old_root, old_root, proof),
        (new, old, new_root, old_root, proof),
        (old, new, old_root, new_root, []),
    ]
    for case in bad_cases:
        with pytest.raises(ProofError):
            verify_consistency(*case)


def test_rfc_edge_cases_for_consistency(big: tuple[list[bytes], MemoryTree, InmemoryTree]) -> None:
    _, tree, _ = big
    root = tree.root(13)
    assert tree.consistency_proof(13, 13) == []
    verify_consistency(13, 13, root, root, [])  # from == to: same root, empty proof
    with pytest.raises(ProofError, match="forked"):
        verify_consistency(13, 13, root, tree.root(12), [])
    with pytest.raises(ProofError):
        verify_consistency(13, 13, root, root, [root])
    assert tree.consistency_proof(0, 13) == []
    verify_consistency(0, 13, EMPTY_ROOT, root, [])  # every tree extends the empty one
    with pytest.raises(ProofError):
        verify_consistency(0, 13, EMPTY_ROOT, root, [root])
    # old size a power of two: the old root itself starts the path and is not sent
    for old in (1, 2, 4, 8):
        proof = tree.consistency_proof(old, 13)
        verify_consistency(old, 13, tree.root(old), root, proof)
    with pytest.raises(ProofError):
        tree.consistency_proof(14, 13)
    verify_consistency(1, 1, tree.root(1), tree.root(1), [])


def test_a_reader_that_returns_garbage_is_an_error(big: tuple[list[bytes], MemoryTree, InmemoryTree]) -> None:
    with pytest.raises(ProofError):
        merkle.tree_root(10, lambda subtrees: [b"short"] * len(subtrees))
    with pytest.raises(ProofError):
        merkle.tree_root(10, lambda subtrees: [])
    with pytest.raises(ProofError):
        MemoryTree.of_leaf_hashes([b"x" * 32]).root(5)
