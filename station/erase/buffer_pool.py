"""The erase engine's I/O buffers, kept between jobs of one process for a while instead of mapped afresh.

Faulting fresh memory in is the costliest part of starting a plan: four drives sharing a random stream take
64 MiB of huge pages, which the kernel hands over in about 3 ms when it has them at hand, and in 100-160 ms in a
virtual machine whose freed memory was reported back to the hypervisor (free page reporting, after ~2 s), while
the plan's first drives are already writing. A station starts a plan each time drives are plugged in, so the
buffers of one plan serve the next; the ones left unused for IDLE_S are unmapped, so an idle station holds no
memory for jobs it is not running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from station.erase.blockio import Buffer

IDLE_S = 30.0


class BufferPool:
    """Buffers by size; the most recently handed back is taken first (its pages are the likeliest still cached)."""

    def __init__(self, idle_s: float = IDLE_S, clock: Callable[[], float] = time.monotonic):
        self.idle_s = idle_s
        self.clock = clock
        self.mapped = 0  # buffers this pool has mapped since it was made
        self._free: dict[int, list[tuple[float, Buffer]]] = {}
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def take(self, size: int, count: int = 1, fault_in: bool = False) -> list[Buffer]:
        """`count` buffers of `size` bytes; with `fault_in`, fresh ones have every page faulted in before return."""
        with self._lock:
            free = self._free.get(size, [])
            reused = [free.pop()[1] for _ in range(min(count, len(free)))]
            self.mapped += count - len(reused)
        fresh = [Buffer(size) for _ in range(count - len(reused))]
        if fault_in:
            for buf in fresh:
                buf.touch()
        return reused + fresh

    def give(self, buffers: Iterable[Buffer]) -> None:
        """Hand buffers back once nothing reads or writes them any more (a pool without idle time keeps none)."""
        if self.idle_s <= 0:
            return
        now = self.clock()
        with self._lock:
            for buf in buffers:
                self._free.setdefault(buf.size, []).append((now, buf))
            if self._timer is None and self._free:
                self._arm()

    def trim(self) -> int:
        """Unmap the buffers idle for IDLE_S or more; how many were. Runs by itself after a give()."""
        horizon = self.clock() - self.idle_s
        with self._lock:
            dropped = 0
            for size, free in list(self._free.items()):
                kept = [(since, buf) for since, buf in free if since > horizon]
                dropped += len(free) - len(kept)
                if kept:
                    self._free[size] = kept
                else:
                    del self._free[size]
            self._timer = None
            if self._free:
                self._arm()
        return dropped

    @property
    def held(self) -> int:
        """Bytes of buffers waiting here."""
        with self._lock:
            return sum(buf.size for free in self._free.values() for _, buf in free)

    def _arm(self) -> None:
        self._timer = threading.Timer(self.idle_s, self.trim)
        self._timer.daemon = True
        self._timer.start()


POOL = BufferPool()
