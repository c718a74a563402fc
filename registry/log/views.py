"""The log's read side as C2SP tlog-tiles under /log/: the checkpoint, hash tiles and entry bundles, read from
the stored subtrees and entries, so any verifier can recompute every root and proof on its own."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from registry.log import store, tiles

IMMUTABLE = "public, max-age=31536000, immutable"


def checkpoint(request: HttpRequest) -> HttpResponse:
    last = store.latest()
    if last is None:
        return HttpResponse("no checkpoint signed yet\n", status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(last.note, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


def tile(request: HttpRequest, path: str) -> HttpResponse:
    try:
        wanted = tiles.parse_path("tile/" + path)
    except tiles.TileError as exc:
        return HttpResponse(f"{exc}\n", status=404, content_type="text/plain; charset=utf-8")
    last = store.latest()
    size = last.size if last else 0
    try:
        available = tiles.tile_at(wanted.level, wanted.index, size)
    except tiles.TileError as exc:
        return HttpResponse(f"{exc}\n", status=404, content_type="text/plain; charset=utf-8")
    if available.width < wanted.width:
        return HttpResponse(f"the log has only {available.width} hashes in this tile yet\n", status=404,
                            content_type="text/plain; charset=utf-8")
    if wanted.level is None:
        data = tiles.entry_bundle(store.entries(wanted.index * tiles.TILE_WIDTH, wanted.width))
    else:
        data = tiles.tile_data(wanted, store.read_subtrees)
    response = HttpResponse(data, content_type="application/octet-stream")
    # a full tile, or a partial one of a given width, never changes once the log has it
    response["Cache-Control"] = IMMUTABLE
    return response
