"""C2SP tlog-tiles: path encoding (the spec's examples), which tiles a size has (the spec's 70,000 and 256 examples),
and a log rebuilt from its tiles alone: root, inclusion proofs and entries, checked against the in-memory tree."""

from __future__ import annotations

import pytest

from registry.log.tiles import (
    Tile,
    TileError,
    TileReader,
    encode_index,
    entry_bundle,
    parse_entry_bundle,
    parse_path,
    tile_at,
    tile_data,
    tiles_at,
)
from station.certify import merkle
from station.certify.merkle import MemoryTree, leaf_hash, verify_inclusion


def test_index_encoding_examples() -> None:
    assert encode_index(1234067) == "x001/x234/067"  # the spec's example
    assert encode_index(0) == "000"
    assert encode_index(42) == "042"
    assert encode_index(999) == "999"
    assert encode_index(1000) == "x001/000"
    assert encode_index(1234) == "x001/234"


def test_paths_and_parsing() -> None:
    assert Tile(0, 1234067).path == "tile/0/x001/x234/067"
    assert Tile(0, 1234067, 89).path == "tile/0/x001/x234/067.p/89"
    assert Tile(None, 1, 5).path == "tile/entries/001.p/5"
    assert Tile(2, 0, 1).path == "tile/2/000.p/1"
    for tile in (Tile(0, 1234067, 89), Tile(63, 999999999999999, 255), Tile(None, 273, 112), Tile(1, 0)):
        assert parse_path(tile.path) == tile
    for bad in ("tile/0/1", "tile/0/x000/001", "tile/0/001/002", "tile/64/000", "tile/01/000", "tile/0/000.p/0",
                "tile/0/000.p/256", "tile/0/000.p/07", "tile/0/x001", "tile/entries/000/", "tile/data/000", "tile/0"):
        with pytest.raises(TileError):
            parse_path(bad)


def test_which_tiles_exist_the_spec_examples() -> None:
    tiles = tiles_at(70000)
    assert [t for t in tiles if t.level == 0 and not t.partial] == [Tile(0, n) for n in range(273)]
    assert [t for t in tiles if t.partial] == [Tile(0, 273, 112), Tile(1, 1, 17), Tile(2, 0, 1)]
    assert [t for t in tiles if t.level == 1 and not t.partial] == [Tile(1, 0)]
    assert tiles_at(256) == [Tile(0, 0), Tile(1, 0, 1)]
    assert tiles_at(0) == []
    assert tiles_at(1) == [Tile(0, 0, 1)]
    assert tile_at(0, 273, 70000) == Tile(0, 273, 112)
    assert tile_at(None, 272, 70000) == Tile(None, 272)
    with pytest.raises(TileError):
        tile_at(0, 274, 70000)
    with pytest.raises(TileError):
        tile_at(0, 1, 256)


def test_entry_bundles_round_trip_and_refuse_garbage() -> None:
    entries = [b"", b"a", b"x" * 300]
    data = entry_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a"
    assert parse_entry_bundle(data) == entries
    for bad in (b"", b"\x00", b"\x00\x05abc"):
        with pytest.raises(TileError):
            parse_entry_bundle(bad)
    with pytest.raises(TileError):
        entry_bundle([b"x" * 65536])


@pytest.mark.parametrize("size", [1, 255, 256, 257, 65536 + 300, 70000])
def test_the_log_rebuilt_from_its_tiles_alone(size: int) -> None:
    entries = [f"entry {i}".encode() for i in range(size)]
    tree = MemoryTree.of_leaf_hashes([leaf_hash(e) for e in entries])
    served = {t: tile_data(t, tree.read) for t in tiles_at(size)}
    for n in range(-(-size // 256)):
        bundle = tile_at(None, n, size)
        served[bundle] = entry_bundle(entries[n * 256:n * 256 + bundle.width])
    fetched: list[Tile] = []

    def fetch(tile: Tile) -> bytes:
        fetched.append(tile)
        return served[tile]

    reader = TileReader(size, fetch)
    assert merkle.tree_root(size, reader.read) == tree.root() == merkle.root_of_leaf_hashes(
        [leaf_hash(e) for e in entries])
    for index in {0, size // 2, size - 1}:
        proof = merkle.inclusion_proof(index, size, reader.read)
        assert proof == tree.inclusion_proof(index)
        verify_inclusion(leaf_hash(entries[index]), index, size, proof, tree.root())
    # every entry bundle hashes to its level-0 tile
    for n in range(-(-size // 256)):
        bundle = parse_entry_bundle(served[tile_at(None, n, size)])
        assert b"".join(leaf_hash(e) for e in bundle) == served[tile_at(0, n, size)]
    assert all(t in served for t in fetched)


def test_a_short_tile_is_refused() -> None:
    tree = MemoryTree.of_leaf_hashes([leaf_hash(b"%d" % i) for i in range(10)])
    reader = TileReader(10, lambda tile: tile_data(tile, tree.read)[:-1])
    with pytest.raises(TileError):
        merkle.tree_root(10, reader.read)
