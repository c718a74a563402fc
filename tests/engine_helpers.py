"""Test doubles at the erase engine's I/O boundary: wrappers around a real target that fail or lie."""

from __future__ import annotations

import errno

from station.erase.blockio import BlockTarget, OsTarget, TargetWrapper

Wrapped = TargetWrapper


def overlaps(offset: int, length: int, start: int, end: int) -> bool:
    return offset < end and start < offset + length


class BadSectors(Wrapped):
    """EIO on every write (or read) touching [start, end), like a drive with unrecoverable sectors."""

    def __init__(self, inner: BlockTarget, start: int, end: int, op: str = "write"):
        super().__init__(inner)
        self.start, self.end, self.op = start, end, op

    def write_at(self, data: memoryview, offset: int) -> int:
        if self.op == "write" and overlaps(offset, len(data), self.start, self.end):
            raise OSError(errno.EIO, "Input/output error")
        return super().write_at(data, offset)

    def write_many(self, data: list[memoryview], offset: int) -> int:
        """A request of several buffers fails whole when any of it touches the bad sectors, as a drive's does."""
        if self.op == "write" and overlaps(offset, sum(len(view) for view in data), self.start, self.end):
            raise OSError(errno.EIO, "Input/output error")
        return self.inner.write_many(data, offset)

    def read_at(self, data: memoryview, offset: int) -> int:
        if self.op == "read" and overlaps(offset, len(data), self.start, self.end):
            raise OSError(errno.EIO, "Input/output error")
        return super().read_at(data, offset)


class LyingDrive(Wrapped):
    """Acknowledges writes to [start, end) without storing them: the verifier must notice."""

    def __init__(self, inner: BlockTarget, start: int, end: int):
        super().__init__(inner)
        self.start, self.end = start, end

    def write_at(self, data: memoryview, offset: int) -> int:
        if not overlaps(offset, len(data), self.start, self.end):
            return super().write_at(data, offset)
        # store only the parts outside the lying range
        if offset < self.start:
            super().write_at(data[: self.start - offset], offset)
        if offset + len(data) > self.end:
            tail = self.end - offset
            super().write_at(data[tail:], self.end)
        return len(data)


class Vanishing(Wrapped):
    """The drive is pulled after `after` bytes were written (or read back): ENODEV from then on, and it is gone."""

    def __init__(self, inner: BlockTarget, after: int, op: str = "write"):
        super().__init__(inner)
        self.after, self.done, self.op, self.gone = after, 0, op, False

    def _count(self, op: str, nbytes: int) -> None:
        if op != self.op:
            return
        if self.gone or self.done >= self.after:
            self.gone = True
            raise OSError(errno.ENODEV, "No such device")
        self.done += nbytes

    def write_at(self, data: memoryview, offset: int) -> int:
        self._count("write", len(data))
        return super().write_at(data, offset)

    def read_at(self, data: memoryview, offset: int) -> int:
        self._count("read", len(data))
        return super().read_at(data, offset)

    def present(self) -> bool:
        return not self.gone


def opener(wrapper: type[Wrapped], *args: object) -> object:
    return lambda path: wrapper(OsTarget(path), *args)  # type: ignore[arg-type]


class ZerosOnRead(Wrapped):
    """Reads of [start, end) return zeros, whatever was written: a drive that dropped (deallocated) the blocks."""

    def __init__(self, inner: BlockTarget, start: int, end: int):
        super().__init__(inner)
        self.start, self.end = start, end

    def read_at(self, data: memoryview, offset: int) -> int:
        n = super().read_at(data, offset)
        lo, hi = max(offset, self.start), min(offset + n, self.end)
        if lo < hi:
            data[lo - offset:hi - offset] = bytes(hi - lo)
        return n


class OtherDriveOnRead(Wrapped):
    """Reads of [start, end) return what another device holds there: a mixed-up port, bridge or cache."""

    def __init__(self, inner: BlockTarget, other: str, start: int, end: int):
        super().__init__(inner)
        self.other, self.start, self.end = other, start, end

    def read_at(self, data: memoryview, offset: int) -> int:
        n = super().read_at(data, offset)
        lo, hi = max(offset, self.start), min(offset + n, self.end)
        if lo < hi:
            other = OsTarget(self.other, writable=False)
            try:
                got = other.read_at(data[lo - offset:hi - offset], lo)
            finally:
                other.close()
            if got != hi - lo:
                raise OSError(errno.EIO, "short read from the other drive")
        return n


class Requests(Wrapped):
    """Records the size of every write request, and takes at most `most` bytes of each (the kernel may write
    less than asked): several buffers still go to the real target in one request."""

    def __init__(self, inner: BlockTarget, most: int | None = None):
        super().__init__(inner)
        self.most, self.sizes = most, []

    def write_many(self, data: list[memoryview], offset: int) -> int:
        room, views = self.most, []
        for view in data:
            if room is not None and room <= 0:
                break
            views.append(view if room is None else view[:room])
            room = None if room is None else room - len(views[-1])
        self.sizes.append(sum(len(view) for view in views))
        return self.inner.write_many(views, offset)
