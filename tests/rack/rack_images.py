"""Backing files of the rack's drives, and the host-side proof of what an erase left in them.

The host reads every backing file after the guest is gone: a 4 KiB block of the original content
that is still there, or a block that does not match the method's final pattern, is the evidence.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

BLOCK = 4096
MIB = 1 << 20


def make_random_image(path: Path, size_mib: int) -> frozenset[bytes]:
    """Fill path with random data and return the digests of its 4 KiB blocks (the 'original' set)."""
    digests: set[bytes] = set()
    with path.open("wb") as out:
        for _ in range(size_mib):
            chunk = os.urandom(MIB)
            out.write(chunk)
            digests.update(_block_digests(chunk))
    return frozenset(digests)


def make_data_disk(path: Path, size_mib: int = 64) -> None:
    """An empty ext4 image for the guest's data dir: it survives a kill of QEMU (power loss)."""
    with path.open("wb") as out:
        out.truncate(size_mib * MIB)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "rackdata", str(path)], check=True)


def _block_digests(data: bytes) -> list[bytes]:
    return [hashlib.blake2b(data[i:i + BLOCK], digest_size=16).digest() for i in range(0, len(data), BLOCK)]


@dataclass(frozen=True)
class Scan:
    """What the host found in a backing file after an erase."""

    blocks: int
    surviving: list[int]  # offsets of 4 KiB blocks still holding original content
    off_pattern: list[int]  # offsets of blocks that are not the expected final pattern

    @property
    def clean(self) -> bool:
        return not self.surviving and not self.off_pattern


def scan(path: Path, original: frozenset[bytes], final_byte: int | None) -> Scan:
    """Compare every 4 KiB block with the original digests and, when the method ends with a fixed
    byte (zero), with that pattern."""
    expected = bytes([final_byte]) * BLOCK if final_byte is not None else None
    surviving: list[int] = []
    off_pattern: list[int] = []
    blocks = 0
    with path.open("rb") as src:
        offset = 0
        while chunk := src.read(MIB):
            for i, digest in enumerate(_block_digests(chunk)):
                at = offset + i * BLOCK
                if digest in original:
                    surviving.append(at)
                if expected is not None and chunk[i * BLOCK:(i + 1) * BLOCK] != expected:
                    off_pattern.append(at)
                blocks += 1
            offset += len(chunk)
    return Scan(blocks, surviving, off_pattern)


def first_mib_changed(path: Path, original: frozenset[bytes]) -> bool:
    """True once the erase has overwritten the start of the drive (the pass has begun)."""
    with path.open("rb") as src:
        head = src.read(MIB)
    return not any(d in original for d in _block_digests(head))
