"""Drives erased together share one keystream per random pass, each piece generated once, yet every drive holds
its own layout of it: another drive's data, stale data or zeros still fail verification (on plain files here;
on loop devices in test_wipe_loop)."""

from __future__ import annotations

import itertools
import os
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from engine_helpers import BadSectors, LyingDrive, OtherDriveOnRead, Requests, Vanishing, ZerosOnRead, opener

from station.erase import pattern
from station.erase.blockio import Opener, open_target
from station.erase.engine import WRITE_BATCH, EraseRunner, passes_for
from station.erase.jobs import EraseJob, JobState, Journal, new_job_id
from station.erase.plan import ErasePlan, execute, file_disk, plan_overwrite
from station.erase.shared_stream import PIECE, PIECES_PER_DRIVE, SharedStream, StreamGroup, ready_buffers
from station.hw import Host

MIB = 1 << 20
BAD = (256 * 1024, 256 * 1024 + 3 * 4096)


def aes_at(key: bytes, offset: int, size: int) -> bytes:
    """AES-128-CTR keystream bytes [offset, offset+size), computed here, apart from the engine's code."""
    counter = (offset // 16).to_bytes(16, "big")
    return Cipher(algorithms.AES(key), modes.CTR(counter)).encryptor().update(bytes(size))


def make_job(path: Path, verify: str = "full", method: str = "random") -> EraseJob:
    return EraseJob(new_job_id(), str(path), method, verify, passes_for(method), "clear", "overwrite")


def drives(disk_dir: Path, *sizes: int) -> list[Path]:
    paths = []
    for i, size in enumerate(sizes):
        path = disk_dir / f"drive{i}.img"
        path.write_bytes(os.urandom(size))
        paths.append(path)
    return paths


def erase_in_turn(group: StreamGroup, jobs: list[EraseJob], open_with: list[Opener] | None = None,
                  seeds: list[bytes] | None = None) -> list[EraseRunner]:
    """One after the other, so the test does not depend on thread timing (the pieces wait in the group's memory,
    which has room for every drive that joined: all join first, as drives started together do)."""
    for job in jobs:
        group.layout(job.job_id, 0, os.stat(job.target).st_size, pattern.RandomPattern(bytes(16)))
    if 0 in group.streams:
        group.streams[0].follow("test")  # keeps the memory between drives (freed when the last drive leaves)
    runners = [EraseRunner(job, group=group, opener=(open_with or [open_target] * len(jobs))[i],
                           seed=(seeds or [os.urandom(32)] * len(jobs))[i]) for i, job in enumerate(jobs)]
    for runner in runners:
        runner.run()
    return runners


def test_each_piece_is_generated_once_and_each_drive_holds_its_rotation_of_the_stream(disk_dir: Path) -> None:
    sizes = (16 * MIB, 16 * MIB, 14 * MIB + 3 * 512)  # the last one: 7 whole pieces, then its own stream
    paths = drives(disk_dir, *sizes)
    group = StreamGroup()
    seeds = [os.urandom(32) for _ in paths]
    runners = erase_in_turn(group, [make_job(p) for p in paths], seeds=seeds)
    assert all(r.job.erased for r in runners), [r.job.failure for r in runners]
    stream = group.streams[0]
    assert stream.generated == 8 and stream.served == 8 + 8 + 7
    key = pattern.pass_key(group.seed, 0)
    contents = [p.read_bytes() for p in paths]
    for runner, data, seed in zip(runners, contents, seeds, strict=True):
        count, size = len(data) // PIECE, len(data)
        layout = group.layout(runner.job.job_id, 0, size, pattern.RandomPattern(pattern.pass_key(seed, 0)))
        assert layout is not None and layout.count == count
        for k in range(count):
            shared = (k + layout.rotation) % count
            assert data[k * PIECE:(k + 1) * PIECE] == aes_at(key, shared * PIECE, PIECE), (runner.job.target, k)
        assert data[count * PIECE:] == aes_at(pattern.pass_key(seed, 0), count * PIECE, size - count * PIECE)
    for a, b in itertools.combinations(contents, 2):
        for k in range(min(len(a), len(b)) // PIECE):
            assert a[k * PIECE:(k + 1) * PIECE] != b[k * PIECE:(k + 1) * PIECE], "two drives hold one piece at k"


def rotated_stream(group: StreamGroup, runner: EraseRunner, size: int) -> bytes:
    """What a drive of the group must hold after its pass, computed here from AES (whole pieces only)."""
    layout = group.layout(runner.job.job_id, 0, size, pattern.RandomPattern(bytes(16)))
    assert layout is not None
    key = pattern.pass_key(group.seed, 0)
    return b"".join(aes_at(key, (k + layout.rotation) % layout.count * PIECE, PIECE) for k in range(layout.count))


@pytest.mark.parametrize("most", [None, 3 * MIB + 4096])
def test_contiguous_pieces_go_out_in_one_request_and_a_short_write_loses_nothing(disk_dir: Path,
                                                                                  most: int | None) -> None:
    """WRITE_BATCH pieces per request (the wrap-around of the rotation ends a request early); a request the
    kernel takes only in part is carried on from the byte it stopped at."""
    paths = drives(disk_dir, 16 * MIB, 16 * MIB)
    targets: list[Requests] = []

    def recording(path: str) -> Requests:
        targets.append(Requests(open_target(path), most))
        return targets[-1]

    group = StreamGroup()
    runners = erase_in_turn(group, [make_job(p) for p in paths], open_with=[recording, recording])
    assert all(r.job.erased for r in runners), [r.job.failure for r in runners]
    for runner, path, target in zip(runners, paths, targets, strict=True):
        assert path.read_bytes() == rotated_stream(group, runner, 16 * MIB)
        assert sum(target.sizes) >= 16 * MIB
        if most is None:
            assert WRITE_BATCH > 1 and max(target.sizes) == WRITE_BATCH * PIECE
            assert len(target.sizes) <= 16 * MIB // PIECE // WRITE_BATCH + 1
        else:
            assert max(target.sizes) == most


def test_bad_sectors_inside_a_request_of_several_pieces_are_narrowed_and_the_rest_written(disk_dir: Path) -> None:
    kept, bad = drives(disk_dir, 16 * MIB, 16 * MIB)
    start = PIECE + 5 * 4096  # in the second piece of a request
    original = {bytes(bad.read_bytes()[i:i + 4096]) for i in range(0, 16 * MIB, 4096)}
    group = StreamGroup()
    first, second = erase_in_turn(group, [make_job(kept), make_job(bad)],
                                  open_with=[open_target, opener(BadSectors, start, start + 2 * 4096)])  # type: ignore[list-item]
    assert first.job.erased and second.job.state is JobState.FAILED and not second.job.erased
    [err] = second.job.errors
    assert err.op == "write" and err.offset <= start
    assert start + 2 * 4096 <= err.offset + err.length <= start + 64 * 1024
    data = bad.read_bytes()
    survivors = [i for i in range(0, 16 * MIB, 4096) if data[i:i + 4096] in original]
    assert all(err.offset <= i < err.offset + err.length for i in survivors)
    expected = rotated_stream(group, second, 16 * MIB)
    end = err.offset + err.length
    assert data[:err.offset] == expected[:err.offset] and data[end:] == expected[end:]


def test_rotations_never_put_one_piece_at_one_offset_on_two_drives() -> None:
    """Mixed sizes (the wrap-around is where a careless rotation repeats a piece), many drives, several seeds. A drive
    too small to get a rotation of its own in a crowded group keeps its own stream (no layout), never a shared one."""
    own = pattern.RandomPattern(bytes(16))
    for seed in range(20):
        group = StreamGroup(seed=seed.to_bytes(32, "big"))
        counts = [16, 16, 17, 20, 20, 31, 64, 64, 100, 3, 3, 3, 3, 2, 2]
        layouts = [group.layout(f"d{i}", 0, n * PIECE + 512, own) for i, n in enumerate(counts)]
        assert all(layout is not None for layout in layouts[:9])
        assert any(layout is None for layout in layouts[9:])  # 3 pieces allow 3 rotations at most, 2 pieces 2
        placed = [layout for layout in layouts if layout is not None]
        for a, b in itertools.combinations(placed, 2):
            for k in range(min(a.count, b.count)):
                assert (k + a.rotation) % a.count != (k + b.rotation) % b.count, (seed, a.count, b.count, k)


def test_a_drive_of_less_than_two_pieces_keeps_its_own_stream(disk_dir: Path) -> None:
    group = StreamGroup()
    assert group.layout("small", 0, PIECE + 4096, pattern.RandomPattern(bytes(16))) is None
    path = drives(disk_dir, PIECE + 4096)[0]
    seed = os.urandom(32)
    [runner] = erase_in_turn(group, [make_job(path)], seeds=[seed])
    assert runner.job.erased and 0 not in group.streams
    assert path.read_bytes() == aes_at(pattern.pass_key(seed, 0), 0, PIECE + 4096)


def test_pieces_every_drive_has_passed_are_recycled_and_come_back_the_same() -> None:
    stream = SharedStream(os.urandom(16))
    stream.reserve(ready_buffers(PIECES_PER_DRIVE))  # one drive's room
    stream.follow("only")
    first = []
    for index in range(PIECES_PER_DRIVE + 2):
        buf, digest = stream.acquire(index, "only")
        first.append((bytes(buf.view[:PIECE]), digest))
        stream.release(index)
    assert stream.generated == PIECES_PER_DRIVE + 2
    stream.follow("late")  # a drive joining now finds piece 0 recycled: generated again, the same bytes
    buf, digest = stream.acquire(0, "late")
    assert stream.generated == PIECES_PER_DRIVE + 3 and (bytes(buf.view[:PIECE]), digest) == first[0]


def test_a_drive_fallen_behind_keeps_finding_its_next_pieces() -> None:
    """When memory is full, the pieces a lagging drive needs next stay; the leader's newest ones are recycled."""
    stream = SharedStream(os.urandom(16))
    stream.reserve(ready_buffers(2 * PIECES_PER_DRIVE))
    room = 2 * PIECES_PER_DRIVE
    stream.follow("slow")
    stream.follow("fast")
    stream.acquire(0, "slow")
    stream.release(0)
    for index in range(room + 4):
        stream.acquire(index, "fast")
        stream.release(index)
    assert stream.generated == room + 4
    for index in range(1, room - 1):
        stream.acquire(index, "slow")
        stream.release(index)
    assert stream.generated == room + 4  # every one was still there


def test_a_piece_held_by_a_drive_is_never_handed_out_for_another() -> None:
    stream = SharedStream(os.urandom(16))
    stream.reserve(ready_buffers(1))
    held = [stream.acquire(index) for index in range(6)]  # none released: every buffer is in use
    assert len({id(buf) for buf, _ in held}) == 6
    assert [digest for _, digest in held] == [stream.acquire(i)[1] for i in range(6)]


def test_drives_waiting_for_the_same_piece_get_one_generation(disk_dir: Path) -> None:
    stream = SharedStream(os.urandom(16))
    got: list[bytes] = []
    threads = [threading.Thread(target=lambda: got.append(stream.acquire(3)[1])) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stream.generated == 1 and len(set(got)) == 1 and len(got) == 8


@pytest.mark.parametrize("verify", ["full", "sample:1"])
@pytest.mark.parametrize("fault", ["other-drive", "stale", "zeros"])
def test_a_drive_of_the_group_that_returns_wrong_data_fails(disk_dir: Path, verify: str, fault: str) -> None:
    """The other drive is erased first in the same group: what it holds at BAD is the shared stream, rotated its way."""
    other, lying = drives(disk_dir, 8 * MIB, 8 * MIB)
    wrapper = {"other-drive": opener(OtherDriveOnRead, str(other), *BAD), "stale": opener(LyingDrive, *BAD),
               "zeros": opener(ZerosOnRead, *BAD)}[fault]
    first, second = erase_in_turn(StreamGroup(), [make_job(other), make_job(lying, verify)],
                                  open_with=[open_target, wrapper])  # type: ignore[list-item]
    assert first.job.erased and first.group is second.group
    job = second.job
    assert job.state is JobState.FAILED and not job.erased, job.failure
    assert job.verification is not None and not job.verification.passed
    assert job.verification.mismatch_offsets == list(range(BAD[0], BAD[1], 4096))  # a file: 4 KiB blocks


def test_cancelled_drive_hands_its_pieces_back(disk_dir: Path) -> None:
    """A drive that leaves mid-pass holds no piece of the group's memory."""
    path = drives(disk_dir, 16 * MIB)[0]
    group = StreamGroup()
    runner = EraseRunner(make_job(path), group=group)

    def stop_after_two(progress: object) -> None:
        if runner.job.bytes_done >= 2 * PIECE:
            runner.cancel()

    runner.on_progress = stop_after_two  # type: ignore[assignment]
    job = runner.run()
    assert job.state is JobState.CANCELLED and not job.erased
    stream = group.streams[0]
    assert stream._pieces == {}  # it was the only drive: none held, and the memory is freed


def test_a_plan_of_several_random_wipes_shares_one_group(disk_dir: Path) -> None:
    paths = drives(disk_dir, 8 * MIB, 8 * MIB, 8 * MIB)
    host = Host()
    plan: ErasePlan = plan_overwrite(host, [file_disk(str(p)) for p in paths], method="random", verify="full")
    execution = execute(plan, Journal(disk_dir / "jobs"), host=host)
    jobs = execution.wait()
    assert all(job.erased for job in jobs), [job.failure for job in jobs]
    groups = {id(runner.group) for runner in execution.runners.values()}
    assert len(groups) == 1 and None not in {runner.group for runner in execution.runners.values()}
    stream = next(iter(execution.runners.values())).group.streams[0]  # type: ignore[union-attr]
    assert stream.served == 12  # every piece of all three came from it (how many were generated is timing)
    firsts = {p.read_bytes()[:PIECE] for p in paths}
    assert len(firsts) == 3


def test_a_drive_pulled_mid_pass_leaves_the_group_and_the_others_finish(disk_dir: Path) -> None:
    """Started together in threads, as a plan starts them: the pulled drive fails as lost, the other is erased and
    proven, and nothing of the group's memory stays held."""
    kept, pulled = drives(disk_dir, 16 * MIB, 16 * MIB)
    group = StreamGroup()
    runners = [EraseRunner(make_job(kept), group=group),
               EraseRunner(make_job(pulled), group=group, opener=opener(Vanishing, 3 * PIECE))]  # type: ignore[arg-type]
    threads = [threading.Thread(target=runner.run) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert runners[0].job.erased, runners[0].job.failure
    assert runners[1].job.state is JobState.FAILED and "No such device" in (runners[1].job.failure or "")
    assert group.streams[0]._pieces == {}
