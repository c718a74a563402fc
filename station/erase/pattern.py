"""What an overwrite pass writes: zeros, or a seekable AES-128-CTR keystream.

The random stream is seekable (the counter is the byte offset / 16), so a sampled verification, or
the search for the bad blocks of a piece whose digest differs, regenerates the expected bytes at any
offset from the per-pass key instead of keeping them in memory. Each job draws its own seed; drives
started together share their group's stream instead, each in its own rotation (station.erase.shared_stream),
so either way no two drives hold the same bytes at one offset, which is what lets a read-back of another
drive's data fail.

AES-128 rather than AES-256: the stream has only to be unpredictable to the drive's firmware (so that nothing
but writing every byte can make it read back right), which a 128-bit key gives with a wide margin, and it costs
10 rounds instead of 14: 11.3 GB/s instead of 8.2 on one core of this project's machine, and one drive's random
pass is bound by its generator (1 target, 8 interleaved A/B runs: 0.82x -> 0.90x of dd's zero write, engine CPU
0.16-0.18 -> 0.13-0.16 s/GB).
"""

from __future__ import annotations

import hashlib
import mmap

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from station.erase.blockio import Buffer

METHODS: dict[str, tuple[str, ...]] = {
    "zero": ("zero",),
    "random": ("random",),
    "random+zero": ("random", "zero"),
}


class Pattern:
    name = "pattern"
    static = False  # a static pattern is the same bytes everywhere: one buffer serves every chunk

    def fill(self, buf: Buffer, offset: int, length: int) -> None:
        raise NotImplementedError


class ZeroPattern(Pattern):
    name = "zero"
    static = True

    def fill(self, buf: Buffer, offset: int, length: int) -> None:
        buf.view[:length] = bytes(length)


# AES-CTR's keystream is the encryption of zeros: they are read from a mapping never written, whose every page is
# the kernel's one zero page, so no memory is allocated or cleared for them (a job's 8 MiB of zeros took 5 ms to
# clear, holding the GIL while the other drives of its plan were starting to write) and their reads stay in cache
ZERO_SOURCE = 8 << 20
_ZEROS = memoryview(mmap.mmap(-1, ZERO_SOURCE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ))


def _zeros(length: int) -> memoryview | bytes:
    return _ZEROS[:length] if length <= ZERO_SOURCE else bytes(length)


class RandomPattern(Pattern):
    name = "random"

    def __init__(self, key: bytes):
        if len(key) != 16:
            raise ValueError("the stream's AES-128 key must be 16 bytes")
        self.key = key

    def fill(self, buf: Buffer, offset: int, length: int) -> None:
        self.fill_view(buf.view, offset, length)

    def fill_view(self, view: memoryview, offset: int, length: int) -> None:
        """The stream's bytes [offset, offset+length) into view[:length]; the 15 bytes after it are scratch."""
        if offset % 16:
            raise ValueError("random stream offsets must be 16-byte aligned")
        counter = (offset // 16).to_bytes(16, "big")
        encryptor = Cipher(algorithms.AES(self.key), modes.CTR(counter)).encryptor()
        encryptor.update_into(_zeros(length), view[: length + 15])


def pass_key(job_seed: bytes, pass_index: int) -> bytes:
    """A distinct key per random pass, derived from the job's seed."""
    return hashlib.sha256(job_seed + pass_index.to_bytes(4, "big")).digest()[:16]


def make(name: str, job_seed: bytes, pass_index: int) -> Pattern:
    if name == "zero":
        return ZeroPattern()
    if name == "random":
        return RandomPattern(pass_key(job_seed, pass_index))
    raise ValueError(f"unknown pattern {name!r}")
