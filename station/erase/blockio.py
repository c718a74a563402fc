"""The erase engine's I/O boundary: open a target, read and write aligned blocks, flush.

Block devices are opened O_DIRECT (no page cache: what we read back is what the device holds) and
O_EXCL (the kernel itself refuses a device that is mounted or claimed by md/dm: a second safety net
behind station.protect). Plain files fall back to buffered I/O plus fsync where O_DIRECT is not
supported (tmpfs), and say so. Tests and the demo wrap targets to inject faults or throttle.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import mmap
import os
import stat
import struct
import threading
import time
from collections.abc import Callable
from typing import Protocol

BLKGETSIZE64 = 0x80081272
BLKSSZGET = 0x1268
BLKPBSZGET = 0x127B
PAGE = mmap.PAGESIZE
HUGE_PAGE = 2 << 20

_libc = ctypes.CDLL(None, use_errno=True)
_libc.memcmp.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
_libc.memcmp.restype = ctypes.c_int

# errnos that mean the device is gone, not that a sector is bad
DEVICE_LOST_ERRNOS = {errno.ENODEV, errno.ENXIO, errno.ENOMEDIUM, errno.ESHUTDOWN, errno.ENOENT}


class TargetBusyError(Exception):
    """The kernel refused an exclusive open: something (a mount, md, dm) holds the device."""


class Buffer:
    """A page-aligned buffer (O_DIRECT needs alignment) with its address for memcmp.

    `slack` extra bytes let AES-CTR's update_into write a full chunk into it. From 2 MiB up the buffer is private,
    starts on a 2 MiB boundary and asks for a transparent huge page: the kernel then pins one page per O_DIRECT
    request instead of 512, and the loop or the DMA reads it with one TLB entry. Measured with
    bench/erase_throughput.py, two interleaved A/B pairs: verify(random) on 4 and 8 targets 0.74-0.83x -> 1.09-1.23x
    of parallel dd, zero pass 1 target 1.11-1.45x -> 1.30-1.52x, random pass 4 targets 0.46-0.50x -> 0.59-0.62x.
    """

    def __init__(self, size: int, slack: int = PAGE):
        self.size = size
        wanted = size + slack
        huge = wanted >= HUGE_PAGE and hasattr(mmap, "MADV_HUGEPAGE")
        self.mem = mmap.mmap(-1, wanted + HUGE_PAGE if huge else wanted, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        base = ctypes.addressof(ctypes.c_char.from_buffer(self.mem))
        start = -base % HUGE_PAGE if huge else 0
        if huge:
            self.mem.madvise(mmap.MADV_HUGEPAGE, start, wanted - wanted % HUGE_PAGE)
        self._ref = ctypes.c_char.from_buffer(self.mem, start)
        self.address = ctypes.addressof(self._ref)
        self.view = memoryview(self.mem)[start:start + wanted]

    def touch(self) -> None:
        """Fault every page in now rather than on first use, when other threads' I/O would wait behind it
        (ctypes' memset releases the GIL)."""
        ctypes.memset(self.address, 0, len(self.view))

    def equals(self, other: Buffer, length: int) -> bool:
        """memcmp through ctypes: runs at memory speed and releases the GIL."""
        return int(_libc.memcmp(self.address, other.address, length)) == 0


class BlockTarget(Protocol):
    path: str
    size: int
    block_size: int
    direct: bool
    is_block_device: bool

    def write_at(self, data: memoryview, offset: int) -> int: ...
    def write_many(self, data: list[memoryview], offset: int) -> int: ...
    def read_at(self, data: memoryview, offset: int) -> int: ...
    def flush(self) -> None: ...
    def present(self) -> bool: ...
    def close(self) -> None: ...


class OsTarget:
    """A real block device or file."""

    def __init__(self, path: str, writable: bool = True):
        self.path = path
        st = os.stat(path)
        self.is_block_device = stat.S_ISBLK(st.st_mode)
        if not (self.is_block_device or stat.S_ISREG(st.st_mode)):
            raise ValueError(f"{path} is neither a block device nor a regular file")
        flags = (os.O_RDWR if writable else os.O_RDONLY) | os.O_CLOEXEC
        if self.is_block_device and writable:
            flags |= os.O_EXCL
        self.direct = True
        try:
            self.fd = os.open(path, flags | os.O_DIRECT)
        except OSError as exc:
            if exc.errno == errno.EBUSY:
                raise TargetBusyError(f"{path} is busy: the kernel reports it mounted or held by another "
                                      "device (md/dm); refusing") from exc
            if exc.errno != errno.EINVAL or self.is_block_device:
                raise
            self.direct = False
            self.fd = os.open(path, flags)
        self._tail_fd: int | None = None
        if self.is_block_device:
            self.size = _ioctl_u64(self.fd, BLKGETSIZE64)
            self.block_size = _ioctl_int(self.fd, BLKSSZGET)
            self.physical_block_size = _ioctl_int(self.fd, BLKPBSZGET)
        else:
            self.size = os.fstat(self.fd).st_size
            self.block_size = PAGE if self.direct else 512
            self.physical_block_size = self.block_size

    def write_at(self, data: memoryview, offset: int) -> int:
        if self.direct and (len(data) % self.block_size or offset % self.block_size):
            return os.pwrite(self._tail(), data, offset)
        return os.pwritev(self.fd, [data], offset)

    def write_many(self, data: list[memoryview], offset: int) -> int:
        """Several buffers in one request (one system call, one wake-up), when every one is aligned."""
        if not self.direct or any(len(view) % self.block_size for view in data) or offset % self.block_size:
            return self.write_at(data[0], offset)
        return os.pwritev(self.fd, data, offset)

    def read_at(self, data: memoryview, offset: int) -> int:
        if self.direct and (len(data) % self.block_size or offset % self.block_size):
            return os.preadv(self._tail(), [data], offset)
        return os.preadv(self.fd, [data], offset)

    def _tail(self) -> int:
        """Unaligned tail of a plain file (O_DIRECT cannot reach it): a buffered descriptor, synced on flush."""
        if self._tail_fd is None:
            self._tail_fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        return self._tail_fd

    def flush(self) -> None:
        os.fsync(self.fd)
        if self._tail_fd is not None:
            os.fsync(self._tail_fd)
            # drop the cached tail so a read-back comes from the medium, not from memory
            os.posix_fadvise(self._tail_fd, 0, 0, os.POSIX_FADV_DONTNEED)
        if not self.direct:
            os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_DONTNEED)

    def present(self) -> bool:
        if not os.path.exists(self.path):
            return False
        if self.is_block_device:
            try:
                return _ioctl_u64(self.fd, BLKGETSIZE64) > 0
            except OSError:
                return False
        return True

    def close(self) -> None:
        """Idempotent: a descriptor number is never closed twice (it may already belong to someone else)."""
        for fd in (self.fd, self._tail_fd):
            if fd is not None and fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.fd, self._tail_fd = -1, None


class TargetWrapper:
    """Delegates everything to an inner target: subclass it to throttle, or to fake a failing drive."""

    def __init__(self, inner: BlockTarget):
        self.inner = inner
        self.path, self.size, self.block_size = inner.path, inner.size, inner.block_size
        self.direct, self.is_block_device = inner.direct, inner.is_block_device

    def write_at(self, data: memoryview, offset: int) -> int:
        return self.inner.write_at(data, offset)

    def write_many(self, data: list[memoryview], offset: int) -> int:
        """Through write_at, one buffer at a time: a subclass that fakes or paces writes sees every byte."""
        return self.write_at(data[0], offset)

    def read_at(self, data: memoryview, offset: int) -> int:
        return self.inner.read_at(data, offset)

    def flush(self) -> None:
        self.inner.flush()

    def present(self) -> bool:
        return self.inner.present()

    def close(self) -> None:
        self.inner.close()


class ThrottledTarget(TargetWrapper):
    """Caps a target's throughput: the demo's virtual drives and tests that need a job to last."""

    def __init__(self, inner: BlockTarget, bytes_per_second: float):
        super().__init__(inner)
        self.rate = bytes_per_second
        self._lock = threading.Lock()
        self._next = time.monotonic()

    def _pace(self, nbytes: int) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + nbytes / self.rate
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def write_at(self, data: memoryview, offset: int) -> int:
        self._pace(len(data))
        return self.inner.write_at(data, offset)

    def read_at(self, data: memoryview, offset: int) -> int:
        self._pace(len(data))
        return self.inner.read_at(data, offset)


Opener = Callable[[str], BlockTarget]


def open_target(path: str) -> BlockTarget:
    return OsTarget(path)


def throttled_opener(bytes_per_second: float, inner: Opener = open_target) -> Opener:
    return lambda path: ThrottledTarget(inner(path), bytes_per_second)


def device_lost(exc: OSError, target: BlockTarget) -> bool:
    """Does this error mean the whole device went away (pulled, powered off), not a bad sector?"""
    if exc.errno in DEVICE_LOST_ERRNOS:
        return True
    if exc.errno == errno.ENOSPC and target.is_block_device:
        return True  # an NVMe namespace whose controller vanished shrinks to 0 sectors
    return exc.errno == errno.EIO and not target.present()


def _ioctl_u64(fd: int, request: int) -> int:
    return int(struct.unpack("Q", fcntl.ioctl(fd, request, b"\0" * 8))[0])


def _ioctl_int(fd: int, request: int) -> int:
    return int(struct.unpack("i", fcntl.ioctl(fd, request, b"\0" * 4))[0])
