"""/log/: the C2SP tlog-tiles read side. An outside verifier that holds only the served checkpoint, tiles and
entry bundles (registry.log.tiles.TileReader) recomputes the signed root and finds every entry."""

from __future__ import annotations

from pathlib import Path

from django.test import Client
from helpers import enrolled_station, post

from registry.core.models import Record
from registry.log import store, tiles
from station.certify import checkpoint as note
from station.certify import logentry, merkle


def _fetch(client: Client, tile: tiles.Tile) -> bytes:
    reply = client.get(f"/log/{tile.path}")
    assert reply.status_code == 200, (tile.path, reply.content)
    assert reply["Content-Type"] == "application/octet-stream"
    return bytes(reply.content)


def test_tiles_rebuild_the_signed_root_and_hold_every_entry(tmp_path: Path) -> None:
    client = Client()
    station = enrolled_station(client, tmp_path)
    for _ in range(3):
        cert = station.issue()
        assert post(client, station, station.body(cert.certificate_id), cert.certificate_id)[0] == 201
    reply = client.get("/log/checkpoint")
    assert reply.status_code == 200 and reply["Content-Type"].startswith("text/plain")
    head = note.open_checkpoint(reply.content, note.Verifier.parse(store.verifier_key()))
    reader = tiles.TileReader(head.size, lambda tile: _fetch(client, tile))
    assert merkle.tree_root(head.size, reader.read) == head.root
    # the entries served are the ones whose hashes the tree holds, and they bind this station's records
    entries: list[bytes] = []
    for n in range((head.size + tiles.TILE_WIDTH - 1) // tiles.TILE_WIDTH):
        entries += tiles.parse_entry_bundle(_fetch(client, tiles.tile_at(None, n, head.size)))
    assert len(entries) == head.size
    assert merkle.root_of_leaf_hashes([merkle.leaf_hash(e) for e in entries]) == head.root
    mine = {logentry.LogEntry.parse(entries[r.log_index]).record_id
            for r in Record.objects.filter(station__fingerprint=station.key.fingerprint)}
    assert mine == {r.record_id for r in Record.objects.filter(station__fingerprint=station.key.fingerprint)}


def test_tiles_the_log_does_not_have_are_404() -> None:
    client = Client()
    size = store.latest().size  # type: ignore[union-attr]
    beyond = tiles.Tile(0, size // tiles.TILE_WIDTH + 5)
    assert client.get(f"/log/{beyond.path}").status_code == 404
    assert client.get("/log/tile/0/x001/000").status_code == 404  # tile 1000: far beyond a test log
    assert client.get("/log/tile/0/abc").status_code == 404
    assert client.get("/log/tile/entries/000.p/0").status_code == 404


def test_a_partial_tile_wider_than_the_log_is_404() -> None:
    client = Client()
    size = store.latest().size  # type: ignore[union-attr]
    width = size % tiles.TILE_WIDTH
    if width:
        wider = tiles.Tile(0, size // tiles.TILE_WIDTH, min(width + 1, tiles.TILE_WIDTH - 1))
        if wider.width > width:
            assert client.get(f"/log/{wider.path}").status_code == 404
        narrower = tiles.Tile(0, size // tiles.TILE_WIDTH, width)
        assert client.get(f"/log/{narrower.path}").status_code == 200
