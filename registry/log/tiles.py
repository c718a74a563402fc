"""C2SP tlog-tiles: the static read side of the registry's log (paths, which tiles exist, their bytes).

A tile at level L, index N holds the hashes MTH(D[(N*256 + i) * 256**L : (N*256 + i + 1) * 256**L]) for i below its
width: exactly the complete subtrees at Merkle level 8L, so every tile is read from the same stored subtrees as the
proofs (station.certify.merkle). Full tiles are 256 hashes wide; the rightmost tile of a level is partial
(`.p/<W>`) and never hashed into the level above. Entry bundles hold the entries of a level-0 tile, each prefixed by
its big-endian uint16 length. Plain module: no Django, so verifiers and tests use it as is.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from station.certify.merkle import ProofError, Subtree, SubtreeReader, root_of_leaf_hashes

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
MAX_ENTRY = 0xFFFF
ENTRIES = "entries"
_PATH = re.compile(r"tile/(0|[1-9][0-9]?|entries)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?")


class TileError(ValueError):
    """A tile path that is not canonical, a tile that does not exist at that size, or a bad entry bundle."""


def encode_index(n: int) -> str:
    """1234067 -> `x001/x234/067`: zero-padded 3-digit elements, all but the last prefixed by x."""
    if n < 0:
        raise TileError("a tile index is not negative")
    digits = str(n)
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


@dataclass(frozen=True)
class Tile:
    """A hash tile (level >= 0) or, with level None, an entry bundle; width 256 is full."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if self.level is not None and not 0 <= self.level <= MAX_LEVEL:
            raise TileError(f"tile level {self.level} is not between 0 and {MAX_LEVEL}")
        if not 1 <= self.width <= TILE_WIDTH or self.index < 0:
            raise TileError(f"tile width {self.width} is not between 1 and {TILE_WIDTH}, or the index is negative")

    @property
    def partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        """`tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`, relative to the log's prefix."""
        level = ENTRIES if self.level is None else str(self.level)
        suffix = f".p/{self.width}" if self.partial else ""
        return f"tile/{level}/{encode_index(self.index)}{suffix}"

    def subtrees(self) -> list[Subtree]:
        """The complete subtrees whose hashes the tile holds (for an entry bundle: the leaves it covers)."""
        level = 0 if self.level is None else self.level * TILE_HEIGHT
        return [Subtree(level, self.index * TILE_WIDTH + i) for i in range(self.width)]


def parse_path(path: str) -> Tile:
    """The tile a request path names; only the canonical spelling is accepted (one URL per resource)."""
    match = _PATH.fullmatch(path)
    if match is None:
        raise TileError(f"not a tile path: {path[:80]!r}")
    level_text, index_text, width_text = match.groups()
    tile = Tile(None if level_text == ENTRIES else int(level_text), int(index_text.replace("x", "").replace("/", "")),
                int(width_text) if width_text else TILE_WIDTH)
    if tile.path != path:
        raise TileError(f"not the canonical spelling of {tile.path}: {path[:80]!r}")
    return tile


def tile_at(level: int | None, index: int, size: int) -> Tile:
    """The tile (full, or the partial one) a tree of `size` leaves has at that place; TileError if none."""
    span = TILE_WIDTH ** ((level or 0) + 1)
    full = size // span
    if index < full:
        return Tile(level, index, TILE_WIDTH)
    width = (size // (span // TILE_WIDTH)) % TILE_WIDTH
    if index == full and width:
        return Tile(level, index, width)
    raise TileError(f"a tree of size {size} has no tile {index} at level {level if level is not None else ENTRIES}")


def tiles_at(size: int) -> list[Tile]:
    """Every hash tile of a tree of `size` leaves, level by level (a checkpoint's tiles, for a mirror or a test)."""
    tiles: list[Tile] = []
    level = 0
    while size >= TILE_WIDTH ** level and size:
        span = TILE_WIDTH ** (level + 1)
        tiles.extend(Tile(level, n) for n in range(size // span))
        width = (size // (span // TILE_WIDTH)) % TILE_WIDTH
        if width:
            tiles.append(Tile(level, size // span, width))
        level += 1
    return tiles


def tile_data(tile: Tile, read: SubtreeReader) -> bytes:
    """A hash tile's bytes: its hashes, concatenated (width * 32 bytes), read in one batch."""
    if tile.level is None:
        raise TileError("an entry bundle is built from entries, not hashes")
    return b"".join(read(tile.subtrees()))


def entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Entries of one level-0 tile, each prefixed by its big-endian uint16 length."""
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise TileError(f"an entry bundle holds 1 to {TILE_WIDTH} entries, not {len(entries)}")
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY:
            raise TileError(f"an entry of {len(entry)} bytes does not fit a uint16 length")
        out += struct.pack(">H", len(entry)) + entry
    return bytes(out)


def parse_entry_bundle(data: bytes) -> list[bytes]:
    entries: list[bytes] = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise TileError("an entry bundle ends inside a length prefix")
        (length,) = struct.unpack_from(">H", data, at)
        if at + 2 + length > len(data):
            raise TileError("an entry bundle ends inside an entry")
        entries.append(data[at + 2:at + 2 + length])
        at += 2 + length
    if not entries or len(entries) > TILE_WIDTH:
        raise TileError(f"an entry bundle holds 1 to {TILE_WIDTH} entries")
    return entries


class TileReader:
    """A SubtreeReader over tiles alone: what an independent verifier, holding only the served tiles, computes
    roots and proofs with (station.certify.merkle's functions take it as their reader)."""

    def __init__(self, size: int, fetch: Callable[[Tile], bytes]) -> None:
        self.size = size
        self.fetch = fetch
        self._cache: dict[Tile, list[bytes]] = {}

    def _hashes(self, level: int, index: int) -> list[bytes]:
        tile = tile_at(level, index, self.size)
        if tile not in self._cache:
            data = self.fetch(tile)
            if len(data) != tile.width * 32:
                raise TileError(f"{tile.path} is {len(data)} bytes, not {tile.width * 32}")
            self._cache[tile] = [data[i:i + 32] for i in range(0, len(data), 32)]
        return self._cache[tile]

    def read(self, subtrees: Sequence[Subtree]) -> list[bytes]:
        out = []
        for s in subtrees:
            level, below = divmod(s.level, TILE_HEIGHT)
            start = s.index << below  # the first hash at tile level `level` the subtree covers
            hashes = self._hashes(level, start // TILE_WIDTH)
            offset = start % TILE_WIDTH
            part = hashes[offset:offset + (1 << below)]
            if len(part) != 1 << below:
                raise ProofError(f"subtree {s} is not complete at size {self.size}")
            out.append(root_of_leaf_hashes(part))
        return out
