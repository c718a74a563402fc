"""Marker blocks: the proof that a drive-internal erase really erased.

Drives lie: some answer "success" to SANITIZE or FORMAT and change nothing. Before the command,
distinct pseudo-random blocks are written at the first and last LBA and at LBAs drawn from a
seed; afterwards none may survive, even partly. I/O is O_DIRECT on aligned (mmap) buffers so the
page cache can never answer for the drive; a file system that refuses O_DIRECT (tmpfs) falls
back to buffered I/O with the cache dropped around each access.
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import os
import random
from dataclasses import asdict, dataclass, field
from typing import Any

from station.notes import Note

CHUNK = 16  # a marker survives if any 16-byte piece of it is still in place
FAILURE_DATA_REMAINED = "device reported success but data remained"


@dataclass(frozen=True)
class MarkerSet:
    device_path: str
    size: int
    block_size: int
    seed: int
    lbas: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MarkerSet:
        return cls(data["device_path"], int(data["size"]), int(data["block_size"]), int(data["seed"]),
                   tuple(int(x) for x in data["lbas"]))


@dataclass
class MarkerCheck:
    survivors: list[int]  # LBAs where marker data is still (partly) present
    unreadable: list[int] = field(default_factory=list)  # LBAs that could not be read back: nothing proven
    checked: int = 0

    @property
    def passed(self) -> bool:
        return not self.survivors and not self.unreadable and self.checked > 0


@dataclass(frozen=True)
class MarkerVerdict:
    passed: bool
    reason: Note | None

    @property
    def failure(self) -> str | None:
        return self.reason.text() if self.reason is not None else None


def marker_block(seed: int, lba: int, block_size: int) -> bytes:
    """The expected content of the marker at `lba`: unique per seed and LBA, never all one byte."""
    out = bytearray()
    counter = 0
    head = f"STATION-MARKER seed={seed} lba={lba} ".encode()
    while len(out) < block_size:
        out += hashlib.sha256(head + counter.to_bytes(8, "little")).digest()
        counter += 1
    out[: len(head)] = head[:block_size]
    return bytes(out[:block_size])


def choose_lbas(size: int, block_size: int, seed: int, count: int = 32) -> tuple[int, ...]:
    blocks = size // block_size
    if blocks <= 0:
        raise ValueError(f"device of {size} bytes holds no {block_size}-byte block")
    rng = random.Random(seed)
    picks = {0, blocks - 1}
    want = min(count + 2, blocks)
    while len(picks) < want:
        picks.add(rng.randrange(blocks))
    return tuple(sorted(picks))


class _Dev:
    """A device opened for O_DIRECT when the file system allows it."""

    def __init__(self, path: str, flags: int, block_size: int):
        self.direct = True
        try:
            self.fd = os.open(path, flags | os.O_DIRECT)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            self.direct = False
            self.fd = os.open(path, flags)
        self.buf = mmap.mmap(-1, max(block_size, mmap.PAGESIZE))
        self.view = memoryview(self.buf)[:block_size]

    def drop_cache(self) -> None:
        if not self.direct:
            os.fsync(self.fd)
            os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_DONTNEED)

    def close(self) -> None:
        self.view.release()
        self.buf.close()
        os.close(self.fd)


def write(device_path: str, size: int, block_size: int, seed: int, count: int = 32) -> MarkerSet:
    """Write the markers and flush them to the device; the caller has checked the target is writable."""
    lbas = choose_lbas(size, block_size, seed, count)
    dev = _Dev(device_path, os.O_RDWR, block_size)
    try:
        for lba in lbas:
            dev.view[:] = marker_block(seed, lba, block_size)
            done = os.pwrite(dev.fd, dev.view, lba * block_size)
            if done != block_size:
                raise OSError(errno.EIO, f"short write of marker at LBA {lba} on {device_path}")
        os.fsync(dev.fd)
        dev.drop_cache()
    finally:
        dev.close()
    return MarkerSet(device_path, size, block_size, seed, lbas)


def _survives(expected: bytes, actual: bytes) -> bool:
    return any(expected[i:i + CHUNK] == actual[i:i + CHUNK] for i in range(0, len(expected), CHUNK))


def check(device_path: str, markers: MarkerSet) -> MarkerCheck:
    """Read every marker LBA back from the device itself; any surviving piece is a survivor."""
    result = MarkerCheck(survivors=[])
    bs = markers.block_size
    dev = _Dev(device_path, os.O_RDONLY, bs)
    try:
        dev.drop_cache()
        for lba in markers.lbas:
            try:
                got = os.preadv(dev.fd, [dev.view], lba * bs)
            except OSError:
                result.unreadable.append(lba)
                continue
            if got != bs:
                result.unreadable.append(lba)
                continue
            result.checked += 1
            if _survives(marker_block(markers.seed, lba, bs), bytes(dev.view)):
                result.survivors.append(lba)
    finally:
        dev.close()
    return result


def judge(reported_success: bool, result: MarkerCheck) -> MarkerVerdict:
    """A Purge is proven only when the drive said success AND no marker survived."""
    if result.survivors:
        if reported_success:
            return MarkerVerdict(False, Note.of("purge.data-remained", survivors=len(result.survivors),
                                                checked=result.checked))
        return MarkerVerdict(False, Note.of("purge.failed-markers-survived", survivors=len(result.survivors)))
    if result.unreadable:
        return MarkerVerdict(False, Note.of("purge.markers-unreadable", count=len(result.unreadable)))
    if not reported_success:
        return MarkerVerdict(False, Note.of("purge.no-success"))
    if result.checked == 0:
        return MarkerVerdict(False, Note.of("purge.no-marker-checked"))
    return MarkerVerdict(True, None)
