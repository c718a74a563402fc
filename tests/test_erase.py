"""The overwrite engine on real files: patterns, verification, faults, cancellation, journal."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from engine_helpers import BadSectors, LyingDrive, Vanishing, opener

from station.erase.blockio import HUGE_PAGE, PAGE, Buffer, throttled_opener
from station.erase.engine import EraseRunner, Progress, VerifySpec, passes_for, sample_ranges
from station.erase.jobs import EraseJob, JobState, Journal, Phase, new_job_id
from station.notes import Note

MIB = 1 << 20
BLOCK = 4096


def dirty_file(path: Path, size: int) -> set[bytes]:
    """Fill with random data; return the hashes of every original 4 KiB block."""
    data = os.urandom(size)
    path.write_bytes(data)
    return {hashlib.sha256(data[i:i + BLOCK]).digest() for i in range(0, size, BLOCK)}


def surviving_blocks(path: Path, original: set[bytes]) -> int:
    data = path.read_bytes()
    return sum(hashlib.sha256(data[i:i + BLOCK]).digest() in original for i in range(0, len(data), BLOCK))


def make_job(path: Path, method: str = "zero", verify: str = "full", rounds: int = 1) -> EraseJob:
    return EraseJob(new_job_id(), str(path), method, verify, passes_for(method, rounds), "clear", "overwrite")


def aes_stream(key: bytes, size: int) -> bytes:
    """AES-128-CTR keystream from counter 0, computed here, independently of the engine's pattern code."""
    return Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor().update(bytes(size))


@pytest.mark.parametrize("size", [24 * MIB, 24 * MIB + 1000])  # an odd size reaches the unaligned tail path
def test_zero_leaves_only_zeros(disk_dir: Path, size: int) -> None:
    target = disk_dir / "drive.img"
    original = dirty_file(target, size)
    job = EraseRunner(make_job(target, "zero"), chunk=4 * MIB).run()
    assert job.state is JobState.ERASED and job.erased, job.failure
    data = target.read_bytes()
    assert len(data) == size and data.count(0) == size
    assert surviving_blocks(target, original) == 0
    assert job.verification is not None and job.verification.bytes_verified == size


def test_random_writes_the_promised_stream(disk_dir: Path) -> None:
    target = disk_dir / "drive.img"
    original = dirty_file(target, 20 * MIB)
    seed = os.urandom(32)
    job = EraseRunner(make_job(target, "random"), chunk=4 * MIB, seed=seed).run()
    assert job.erased, job.failure
    assert surviving_blocks(target, original) == 0
    key = hashlib.sha256(seed + bytes(4)).digest()[:16]  # pass 0's AES-128 key, derived here from the job's seed
    assert target.read_bytes() == aes_stream(key, 20 * MIB)


@pytest.mark.parametrize("method", ["zero", "random"])
def test_verification_in_smaller_requests_than_the_writes_still_reads_every_byte(disk_dir: Path, method: str) -> None:
    """Verification reads in its own request size: the bytes verified and a stale block's offset must not shift."""
    size = 9 * MIB + 4 * BLOCK
    target = disk_dir / "drive.img"
    dirty_file(target, size)
    bad = size - 2 * BLOCK
    job = EraseRunner(make_job(target, method), opener=opener(LyingDrive, bad, bad + BLOCK),  # type: ignore[arg-type]
                      chunk=4 * MIB, verify_chunk=MIB).run()
    assert job.state is JobState.FAILED and job.verification is not None
    assert job.verification.bytes_verified == size and job.verification.mismatch_offsets == [bad]


def test_random_then_zero_ends_zero_and_runs_both_passes(disk_dir: Path) -> None:
    target = disk_dir / "drive.img"
    dirty_file(target, 8 * MIB)
    job = EraseRunner(make_job(target, "random+zero"), chunk=MIB).run()
    assert job.erased and job.passes == ["random", "zero"] and job.passes_done == 2
    assert target.read_bytes().count(0) == 8 * MIB


def test_verifier_catches_a_block_the_drive_did_not_overwrite(disk_dir: Path) -> None:
    target = disk_dir / "drive.img"
    dirty_file(target, 16 * MIB)
    bad = 5 * MIB + 3 * BLOCK
    job = EraseRunner(make_job(target), opener=opener(LyingDrive, bad, bad + BLOCK), chunk=MIB).run()  # type: ignore[arg-type]
    assert job.state is JobState.FAILED and not job.erased
    assert job.verification is not None and job.verification.mismatch_offsets == [bad]
    assert "verification failed" in (job.failure or "")


def test_write_error_is_narrowed_recorded_and_fails_the_job(disk_dir: Path) -> None:
    target = disk_dir / "drive.img"
    original = dirty_file(target, 16 * MIB)
    start = 7 * MIB + 8 * BLOCK
    job = EraseRunner(make_job(target), opener=opener(BadSectors, start, start + 2 * BLOCK), chunk=MIB).run()  # type: ignore[arg-type]
    assert job.state is JobState.FAILED and not job.erased
    assert len(job.errors) == 1
    err = job.errors[0]
    assert err.op == "write" and err.errno == errno.EIO
    assert err.offset <= start and start + 2 * BLOCK <= err.offset + err.length and err.length <= 64 * 1024
    # everything outside the bad range was still overwritten
    assert surviving_blocks(target, original) <= err.length // BLOCK


def test_read_error_during_verification_fails_with_the_range(disk_dir: Path) -> None:
    target = disk_dir / "drive.img"
    dirty_file(target, 8 * MIB)
    job = EraseRunner(make_job(target), opener=opener(BadSectors, 2 * MIB, 2 * MIB + BLOCK, "read"), chunk=MIB).run()  # type: ignore[arg-type]
    assert job.state is JobState.FAILED and not job.erased
    assert [(e.op, e.offset) for e in job.errors] == [("read", 2 * MIB)]


def test_pulled_drive_fails_at_once(disk_dir: Path) -> None:
    target = disk_dir / "drive.img"
    dirty_file(target, 16 * MIB)
    job = EraseRunner(make_job(target), opener=opener(Vanishing, 5 * MIB), chunk=MIB).run()  # type: ignore[arg-type]
    assert job.state is JobState.FAILED and "device lost" in (job.failure or "")
    assert job.passes_done == 0 and job.verification is None


def test_cancel_and_abort_never_yield_erased(disk_dir: Path) -> None:
    target = disk_dir / "drive.img"
    dirty_file(target, 8 * MIB)
    runner = EraseRunner(make_job(target), chunk=MIB)
    runner.cancel()
    assert runner.run().state is JobState.CANCELLED and not runner.job.erased
    runner = EraseRunner(make_job(target), chunk=MIB)
    runner.abort(Note.of("erase.drive-removed", devnode=str(target)))
    job = runner.run()
    assert job.state is JobState.FAILED and job.failure == f"drive removed ({target} disappeared)"
    assert job.failure_note == Note.of("erase.drive-removed", devnode=str(target))


def test_mismatches_found_by_both_verify_workers_are_reported_in_device_order(disk_dir: Path) -> None:
    """Adjacent verify chunks go to different workers; the evidence must still list the first offsets in order."""
    target = disk_dir / "drive.img"
    dirty_file(target, 8 * MIB)
    start = 3 * MIB - 2 * BLOCK
    job = EraseRunner(make_job(target), opener=opener(LyingDrive, start, start + 4 * BLOCK),  # type: ignore[arg-type]
                      chunk=4 * MIB, verify_chunk=MIB).run()
    assert job.state is JobState.FAILED and job.verification is not None
    assert job.verification.mismatch_offsets == [start + i * BLOCK for i in range(4)]
    assert Note.of("erase.verify-mismatch", blocks=4, block_size=BLOCK) in job.notes


def test_drive_pulled_while_verifying_fails_as_lost_not_as_bad_sectors(disk_dir: Path) -> None:
    target = disk_dir / "drive.img"
    dirty_file(target, 16 * MIB)
    job = EraseRunner(make_job(target), opener=opener(Vanishing, 5 * MIB, "read"),  # type: ignore[arg-type]
                      chunk=MIB).run()
    assert job.state is JobState.FAILED and "device lost" in (job.failure or "") and not job.erased
    assert job.errors == [] and job.verification is not None and not job.verification.passed


def test_cancel_during_verification_stops_the_workers_and_is_not_erased(disk_dir: Path) -> None:
    target = disk_dir / "drive.img"
    dirty_file(target, 16 * MIB)
    runner: EraseRunner

    def on_progress(p: Progress) -> None:
        if p.phase is Phase.VERIFYING and p.bytes_done >= 2 * MIB:
            runner.cancel()

    runner = EraseRunner(make_job(target), opener=throttled_opener(64 * MIB), chunk=MIB, on_progress=on_progress)
    job = runner.run()
    assert job.state is JobState.CANCELLED and not job.erased
    assert job.verification is not None and 2 * MIB <= job.verification.bytes_verified < 16 * MIB


def test_sample_verification_reads_part_and_still_catches_first_and_last_mib(disk_dir: Path) -> None:
    target = disk_dir / "drive.img"
    size = 64 * MIB
    dirty_file(target, size)
    job = EraseRunner(make_job(target, verify="sample:2"), chunk=MIB).run()
    assert job.erased and job.verification is not None
    assert job.verification.mode == "sample" and job.verification.bytes_verified < size // 4
    last = size - BLOCK
    dirty_file(target, size)
    job = EraseRunner(make_job(target, verify="sample:2"), opener=opener(LyingDrive, last, size), chunk=MIB).run()  # type: ignore[arg-type]
    assert job.state is JobState.FAILED and job.verification is not None
    assert job.verification.mismatch_offsets == [last]


def test_sample_ranges_cover_every_thousandth() -> None:
    size = 1000 * 64 * 1024
    ranges = sample_ranges(size, 5, BLOCK, seed=7)
    assert ranges[0][0] == 0 and ranges[-1][0] + ranges[-1][1] == size
    region = size // 1000
    hit = {off // region for off, length in ranges for off in range(off, off + length, BLOCK)}
    assert hit == set(range(1000))
    total = sum(length for _, length in ranges)
    assert 0.05 * size <= total <= 0.10 * size


def test_verify_spec_parsing() -> None:
    assert VerifySpec.parse("full").mode == "full"
    assert VerifySpec.parse("sample:10").percent == 10
    for bad in ("sample:0", "sample:200", "sample:x", "half"):
        with pytest.raises(ValueError):
            VerifySpec.parse(bad)


def test_journal_records_and_crash_shows_interrupted(disk_dir: Path) -> None:
    target = disk_dir / "drive.img"
    dirty_file(target, 4 * MIB)
    journal = Journal(disk_dir / "jobs")
    job = EraseRunner(make_job(target), journal=journal, chunk=MIB).run()
    assert journal.load(job.job_id).state is JobState.ERASED
    crashed = make_job(target)
    crashed.state, crashed.pid, crashed.boot_id = JobState.RUNNING, 2**22 + 12345, "another-boot"
    journal.save(crashed)
    assert journal.load(crashed.job_id).state is JobState.INTERRUPTED
    assert [j.job_id for j in journal.mark_interrupted()] == [crashed.job_id]
    reloaded = journal.load(crashed.job_id)
    assert reloaded.state is JobState.INTERRUPTED and not reloaded.erased and "interrupted" in (reloaded.failure or "")


def test_unreadable_journal_entry_is_skipped(disk_dir: Path) -> None:
    journal = Journal(disk_dir / "jobs")
    (disk_dir / "jobs" / "broken.json").write_text("{ not json")
    assert journal.all() == []


def test_random_pass_compares_digests_and_falls_back_to_the_stream_past_the_memory_cap(
        disk_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Full verification of a random pass uses the digests taken while writing, unless the drive is so large that
    its digest table would pass the cap: then it regenerates the stream, and the record says which was done."""
    from station.erase import engine

    target = disk_dir / "drive.img"
    dirty_file(target, 8 * MIB)
    job = EraseRunner(make_job(target, "random"), chunk=4 * MIB).run()
    assert job.erased and job.verification is not None
    assert job.verification.comparison == f"{engine.DIGEST}/{2 * MIB}"
    monkeypatch.setattr(engine, "DIGEST_TABLE_MAX", 16 * 3)  # fewer entries than the drive's 4 pieces
    job = EraseRunner(make_job(target, "random"), chunk=4 * MIB).run()
    assert job.erased and job.verification is not None and job.verification.comparison == "pattern"
    bad = 5 * MIB
    job = EraseRunner(make_job(target, "random"), opener=opener(LyingDrive, bad, bad + BLOCK),  # type: ignore[arg-type]
                      chunk=4 * MIB).run()
    assert job.state is JobState.FAILED and job.verification is not None
    assert job.verification.comparison == "pattern" and job.verification.mismatch_offsets[0] == bad


def test_stream_buffers_sit_on_a_huge_page_boundary_and_get_one() -> None:
    """The engine's 2 MiB and larger buffers are private, 2 MiB-aligned and madvised, so the kernel backs them with
    transparent huge pages (the bench's verify and zero-pass gains come from that); small ones stay plain pages."""
    small = Buffer(64 << 10)
    assert small.address % PAGE == 0 and len(small.view) == (64 << 10) + PAGE
    buf = Buffer(2 << 20)
    assert buf.address % HUGE_PAGE == 0 and len(buf.view) == (2 << 20) + PAGE
    buf.view[:] = b"\x5a" * len(buf.view)
    assert buf.equals(buf, len(buf.view))
    mode = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    if not mode.exists() or "[never]" in mode.read_text():
        pytest.skip("transparent huge pages are off on this kernel: alignment checked, the page itself cannot be")
    smaps = Path("/proc/self/smaps").read_text().split("\n")
    for i, line in enumerate(smaps):
        bounds = line.split(" ", 1)[0]
        if "-" in bounds and not line.startswith(("Size", "Rss")):
            low, high = (int(x, 16) for x in bounds.split("-"))
            if low <= buf.address < high:
                huge_kb = next(int(f.split()[1]) for f in smaps[i + 1:] if f.startswith("AnonHugePages:"))
                assert huge_kb >= 2048, "the kernel gave the aligned buffer no huge page"
                return
    raise AssertionError("buffer not found in /proc/self/smaps")
