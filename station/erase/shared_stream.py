"""One random keystream for the drives of a plan that start together, each piece generated once.

AES-128-CTR costs about 0.09-0.13 s of CPU per GB and per drive: eight drives doing a random pass on a 2-core laptop
spend most of the CPU generating eight streams. A group shares one stream per pass instead: each 2 MiB piece is
generated and digested (XXH3-128) once, by whichever drive needs it first, and kept while the others write it.

The drives stay told apart. A drive with n whole pieces writes piece j at piece offset (j - r) mod n, and the
rotations r are chosen so that no offset holds the same piece on two drives of the group: a drive that returns
another drive's data still fails its digest, as with streams of their own. The bytes past the last whole piece
come from the drive's own stream. A drive lagging far behind the others finds its pieces evicted and generates
them again (the same bytes: the stream is deterministic), so a slow drive never holds a fast one back.
"""

from __future__ import annotations

import queue
import random
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import xxhash

from station.erase import pattern
from station.erase.blockio import Buffer
from station.erase.buffer_pool import POOL

PIECE = 2 << 20
# pieces of memory per drive of the group (16 MiB): the one it writes, the one fetched ahead, and room for the
# drives that follow behind; a drive further behind generates its own. Measured with bench/erase_throughput.py
# (its "pieces generated per piece written", 4 targets: 0.25 at best): 4 per drive 0.39-0.58, 8 per drive 0.25-0.39
PIECES_PER_DRIVE = 8


class _Piece:
    __slots__ = ("buf", "digest", "error", "ready", "refs")

    def __init__(self, buf: Buffer):
        self.buf, self.digest, self.refs = buf, b"", 1
        self.ready = threading.Event()
        self.error: BaseException | None = None


class SharedStream:
    """One pass's keystream, piece by piece, the pieces kept while drives may still want them."""

    def __init__(self, key: bytes, piece: int = PIECE):
        self.stream = pattern.RandomPattern(key)
        self.piece = piece
        self.generated = 0  # pieces generated, a piece generated again after its eviction counted again
        self.served = 0  # pieces handed to drives
        self._pieces: dict[int, _Piece] = {}
        self._free: list[Buffer] = []  # reserved for drives that joined, not holding a piece yet
        self._next: dict[object, int] = {}  # each writing drive's next piece (drives take them in order)
        self._lock = threading.Lock()

    def reserve(self, buffers: list[Buffer]) -> None:
        """Memory for a drive joining the stream, ready before it writes (StreamGroup.layout)."""
        with self._lock:
            self._free.extend(buffers)

    def follow(self, drive: object) -> None:
        """`drive` starts writing from piece 0: the pieces it will still want are kept before others."""
        with self._lock:
            self._next[drive] = 0

    def leave(self, drive: object) -> None:
        """The last drive to leave frees the memory (a plan's execution outlives its jobs in the TUI)."""
        with self._lock:
            self._next.pop(drive, None)
            if not self._next:
                idle = [i for i, entry in self._pieces.items() if entry.refs == 0 and entry.ready.is_set()]
                POOL.give([self._pieces.pop(index).buf for index in idle] + self._free)
                self._free = []

    def acquire(self, index: int, drive: object = None) -> tuple[Buffer, bytes]:
        """Piece `index` and its digest, generated here if no drive did; hand it back with release(index)."""
        with self._lock:
            self.served += 1
            if drive in self._next:
                self._next[drive] = index + 1
            entry = self._pieces.get(index)
            mine = entry is None
            if entry is None:
                entry = _Piece(self._buffer())
                self._pieces[index] = entry
                self.generated += 1
            else:
                entry.refs += 1
        if mine:
            try:
                self.stream.fill(entry.buf, index * self.piece, self.piece)
                entry.digest = xxhash.xxh3_128(entry.buf.view[:self.piece]).digest()
            except BaseException as exc:
                entry.error = exc
                with self._lock:
                    self._pieces.pop(index, None)
                raise
            finally:
                entry.ready.set()
        else:
            entry.ready.wait()
            if entry.error is not None:
                raise RuntimeError(f"piece {index} of the shared stream could not be generated") from entry.error
        return entry.buf, entry.digest

    def release(self, index: int) -> None:
        with self._lock:
            entry = self._pieces.get(index)
            if entry is not None:
                entry.refs -= 1

    def _buffer(self) -> Buffer:
        """A buffer for a new piece: a reserved one, else a piece every writing drive has passed, else the idle
        piece furthest ahead, so a drive that fell behind keeps finding its next pieces here and catches up
        (evicting the nearest ones would leave it generating every piece alone, slower still)."""
        if self._free:
            return self._free.pop()
        idle = [index for index, entry in self._pieces.items() if entry.refs == 0 and entry.ready.is_set()]
        if idle:
            passed = min(self._next.values(), default=0)
            done = [index for index in idle if index < passed]
            return self._pieces.pop(min(done) if done else max(idle)).buf
        # every piece is being written: one more buffer rather than a drive waiting
        return POOL.take(self.piece)[0]


class RotatedPattern(pattern.Pattern):
    """What one drive of a group holds at any offset: sampled verification and the search for mismatched blocks
    regenerate it from here."""

    name = "random"

    def __init__(self, layout: Layout):
        self.layout = layout

    def fill(self, buf: Buffer, offset: int, length: int) -> None:
        piece, count = self.layout.stream.piece, self.layout.count
        done = 0
        while done < length:  # ascending: each segment's 15 scratch bytes are overwritten by the next one
            at = offset + done
            index = at // piece
            if index < count:
                within = at - index * piece
                size = min(length - done, piece - within)
                shared = (index + self.layout.rotation) % count
                self.layout.stream.stream.fill_view(buf.view[done:], shared * piece + within, size)
            else:
                size = length - done
                self.layout.own.fill_view(buf.view[done:], at, size)
            done += size


@dataclass(frozen=True)
class Layout:
    """Where one drive writes the shared pieces of one pass."""

    stream: SharedStream
    count: int  # whole pieces on the drive
    rotation: int
    own: pattern.RandomPattern  # the drive's own stream, for the bytes past count * piece

    def offset_of(self, index: int) -> int:
        return (index - self.rotation) % self.count * self.stream.piece

    @property
    def pattern(self) -> RotatedPattern:
        return RotatedPattern(self)


def ready_buffers(count: int, size: int = PIECE) -> list[Buffer]:
    """Buffers with their memory in place now. Faulting fresh huge pages in while the other drives of a plan write
    stalls them all: 4 targets of 512 MiB, each drive allocating its pieces as it joined, began writing 7 to 67 ms
    apart and drifted so far apart that 0.30-0.61 pieces were generated per piece written instead of 0.25; with the
    group's memory ready before the first drive starts, 0.25 in 14 runs of 16, 0.28 and 0.44 in the other two."""
    return POOL.take(size, count, fault_in=True)


class StreamGroup:
    """The drives of one plan started together (station.erase.plan.execute): one stream per random pass.

    `members`, the drives expected to join, get their memory (PIECES_PER_DRIVE pieces each) at once; what a
    member that never joins leaves unused is freed once every member has called finished()."""

    def __init__(self, seed: bytes | None = None, piece: int = PIECE, members: int = 0):
        self.seed = seed or secrets.token_bytes(32)
        self.piece = piece
        self._members, self._finished = members, 0
        self._spare = ready_buffers(members * PIECES_PER_DRIVE, piece)
        self.streams: dict[int, SharedStream] = {}
        self._drives: dict[str, tuple[int, int]] = {}  # drive -> (whole pieces, rotation)
        self._joined: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    def layout(self, drive: str, pass_index: int, size: int, own: pattern.RandomPattern) -> Layout | None:
        """Where `drive` writes this pass's pieces; None when it is too small to share (it keeps its own stream)."""
        count = size // self.piece
        with self._lock:
            if drive not in self._drives:
                rotation = self._rotation(drive, count)
                if rotation is None:
                    return None
                self._drives[drive] = (count, rotation)
            count, rotation = self._drives[drive]
            stream = self.streams.get(pass_index)
            if stream is None:
                stream = self.streams[pass_index] = SharedStream(pattern.pass_key(self.seed, pass_index), self.piece)
            joining = (drive, pass_index) not in self._joined
            self._joined.add((drive, pass_index))
            wanted = min(count, PIECES_PER_DRIVE) if joining else 0
            buffers = [self._spare.pop() for _ in range(min(wanted, len(self._spare)))]
        if joining:
            stream.reserve(buffers + ready_buffers(wanted - len(buffers), self.piece))
        return Layout(stream, count, rotation, own)

    def finished(self, drive: str) -> None:
        """`drive` has ended (erased, failed or cancelled): once every member has, no memory is kept for them."""
        with self._lock:
            self._finished += 1
            if self._finished >= self._members:
                POOL.give(self._spare)
                self._spare = []

    def _rotation(self, drive: str, count: int) -> int | None:
        """A rotation such that, at every piece offset both drives have, this drive's piece differs from every
        other member's. With rotations r and s over n and m pieces, offset k holds piece k + r (k + r - n once
        k >= n - r) against k + s (k + s - m): they meet where neither wrapped if r = s, and where both wrapped if
        n - r = m - s = w and w < min(n, m). Drawn at random, so no fixed shift between two layouts exists either."""
        if count < 2:
            return None
        others = list(self._drives.values())

        def fits(rotation: int) -> bool:
            wrap = count - rotation
            return all(rotation != s and not (wrap == m - s and wrap < min(count, m)) for m, s in others)

        draw = random.Random(self.seed + drive.encode())
        for _ in range(64):
            rotation = draw.randrange(count)
            if fits(rotation):
                return rotation
        return next((rotation for rotation in range(count) if fits(rotation)), None)


class SharedPieces:
    """A drive's pieces of a shared pass fetched ahead of its writer (at most `ahead` held), in the stream's
    order: yields (offset on the drive, length, buffer, digest, piece index)."""

    _DONE = object()

    def __init__(self, layout: Layout, ahead: int):
        self.layout = layout
        self._room = threading.Semaphore(ahead)
        self._out: queue.Queue[object] = queue.Queue()
        self._held: set[int] = set()
        self._held_lock = threading.Lock()
        self._stop = threading.Event()
        layout.stream.follow(self)
        self._thread = threading.Thread(target=self._run, daemon=True, name="station-shared-stream")
        self._thread.start()

    def _run(self) -> None:
        try:
            for index in range(self.layout.count):
                self._room.acquire()
                if self._stop.is_set():
                    return
                buf, digest = self.layout.stream.acquire(index, self)
                with self._held_lock:
                    self._held.add(index)
                self._out.put((self.layout.offset_of(index), self.layout.stream.piece, buf, digest, index))
        except BaseException as exc:  # handed to the writer, which raises it in its job's thread
            self._out.put(exc)
        finally:
            self._out.put(self._DONE)

    def __iter__(self) -> Iterator[tuple[int, int, Buffer, bytes, int]]:
        while True:
            item = self._out.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def release(self, index: int) -> None:
        with self._held_lock:
            self._held.discard(index)
        self.layout.stream.release(index)
        self._room.release()

    def close(self) -> None:
        """Stop fetching and hand back every piece still held (a cancelled or failed drive leaves the group)."""
        self._stop.set()
        self._room.release()
        self._thread.join(timeout=60)
        with self._held_lock:
            held, self._held = self._held, set()
        for index in held:
            self.layout.stream.release(index)
        self.layout.stream.leave(self)
