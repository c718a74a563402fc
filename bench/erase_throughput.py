#!/usr/bin/env python3
"""Erase throughput and CPU per GB against peers measured in the same run, on RAM-backed loop devices.

Peers: `dd if=/dev/zero oflag=direct bs=4M` (write), `dd iflag=direct bs=4M` (read), Debian's nwipe
(`--method=zero --nogui --autonuke --verify=off --noblank`) when installed. Ours: zero and random
passes with full verification, on 1, 4 and 8 targets in parallel (dd runs as many copies in parallel).

CPU is the engine's first measure: for every run the bench prints, per GB written or verified,
  - proc: user+system CPU of the process doing the work (this process for the engine, dd's for dd),
  - proc+kernel: that plus the CPU of every kernel thread, so the loop devices' workers count (they do
    the memory copy that a real drive does by DMA); other agents' processes on a shared machine do not;
  - machine: user+nice+system+irq+softirq of every core from /proc/stat, minus the background rate
    measured over the half second before the run. Right on an idle machine only: on a busy one the
    cores are saturated anyway and the figure means little (the load average is printed with it).
The engine's write and verify phases are separated by a barrier (every target has flushed before any
verifies), so a multi-target write figure does not include other targets' verification.
Runs are interleaved and repeated; medians are reported. Needs root (losetup).
Like a station starting one plan after another, the engine's runs share one process, so a plan reuses the I/O
buffers of the one before (station.erase.buffer_pool); --no-reuse measures plans that map their memory afresh.
Usage: sudo .venv/bin/python bench/erase_throughput.py [--size-mib 512] [--repeat 3] [--targets 1,4,8] [--no-reuse]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from station.erase.buffer_pool import POOL
from station.erase.engine import EraseRunner, Progress, passes_for
from station.erase.jobs import EraseJob, Phase, new_job_id
from station.erase.shared_stream import StreamGroup

TICK = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """Seconds of CPU the whole machine spent busy since boot (all cores): user, nice, system, irq, softirq."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[1:8])
    return (user + nice + system + irq + softirq) / TICK


def kernel_threads_cpu() -> float:
    """User+system CPU of every kernel thread (children of kthreadd): the loop devices' workers do the copy.

    Unlike /proc/stat this stays right on a busy shared machine: other agents' processes are not counted."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[1] == "2" or entry.name == "2":  # ppid 2: a kernel thread
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def own_cpu() -> float:
    """User+system CPU of this process (every thread) and of its waited-for children (dd, nwipe)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class Snap:
    wall: float
    proc: float
    kernel: float
    machine: float

    @classmethod
    def now(cls) -> Snap:
        return cls(time.perf_counter(), own_cpu(), kernel_threads_cpu(), machine_busy())


@dataclass
class Sample:
    """One measured run: throughput and CPU seconds per GB (1e9 bytes)."""

    mbps: float
    proc_s_per_gb: float  # the working process (the engine, or dd)
    total_s_per_gb: float  # that process and every kernel thread (the loop devices' copies)
    machine_s_per_gb: float  # /proc/stat, every core, net of the background rate: right only on an idle machine


# above this background (busy cores, measured just before a run) the whole-machine figure is not reported:
# other work then competes for the cores and what the run itself used cannot be told apart
BUSY = 0.2


def sample(start: Snap, end: Snap, nbytes: int, background: float) -> Sample:
    wall = end.wall - start.wall
    gb = nbytes / 1e9
    proc = end.proc - start.proc
    machine = max(0.0, (end.machine - start.machine) - background * wall) if background < BUSY else math.nan
    return Sample(nbytes / wall / 1e6, proc / gb, (proc + end.kernel - start.kernel) / gb, machine / gb)


def background_rate(seconds: float = 0.5) -> float:
    """Busy CPU-seconds per second of the machine while the bench does nothing: other agents' work."""
    a, t0 = machine_busy(), time.perf_counter()
    time.sleep(seconds)
    return (machine_busy() - a) / (time.perf_counter() - t0)


def losetup(path: Path) -> str:
    return subprocess.run(["losetup", "--find", "--show", str(path)], check=True, capture_output=True,
                          text=True).stdout.strip()


def dd_write(dev: str, size_mib: int) -> None:
    subprocess.run(["dd", "if=/dev/zero", f"of={dev}", "bs=4M", f"count={size_mib // 4}", "oflag=direct",
                    "status=none"], check=True)


def dd_read(dev: str, size_mib: int) -> None:
    subprocess.run(["dd", f"if={dev}", "of=/dev/null", "bs=4M", f"count={size_mib // 4}", "iflag=direct",
                    "status=none"], check=True)


def nwipe(dev: str) -> None:
    subprocess.run(["nwipe", "--method=zero", "--nogui", "--autonuke", "--verify=off", "--noblank",
                    "--nosignals", "--logfile=/dev/null", dev], check=True, capture_output=True)


def parallel(fn: Callable[[str], None], devs: list[str]) -> None:
    threads = [threading.Thread(target=fn, args=(d,)) for d in devs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def measure(fn: Callable[[], None], nbytes: int) -> Sample:
    background = background_rate()
    start = Snap.now()
    fn()
    return sample(start, Snap.now(), nbytes, background)


def ours(devs: list[str], method: str, nbytes: int) -> tuple[Sample, Sample]:
    """Run the engine (full verification) on every device in parallel: (write phase, verify phase) samples.

    A barrier in the progress callback holds each target at the start of its verification until all have
    flushed, so the two phases are measured apart."""
    background = background_rate()
    marks: dict[str, Snap] = {}
    barrier = threading.Barrier(len(devs), action=lambda: marks.setdefault("verify", Snap.now()))
    waited: set[str] = set()

    def progress(p: Progress) -> None:
        if p.phase is Phase.VERIFYING and p.target not in waited:
            waited.add(p.target)
            barrier.wait(timeout=600)  # a target that failed before verifying breaks it instead of hanging

    start = Snap.now()
    # as station.erase.plan.execute starts drives together (the group's memory is allocated in the measured time)
    sharing = len(devs) if "random" in passes_for(method) else 0
    group = StreamGroup(members=sharing) if sharing > 1 else None
    runners = [EraseRunner(EraseJob(new_job_id(), d, method, "full", passes_for(method), "clear", "overwrite"),
                           on_progress=progress, group=group) for d in devs]
    threads = [threading.Thread(target=r.run) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    end = Snap.now()
    for r in runners:
        if not r.job.erased:
            raise SystemExit(f"engine failed on {r.job.target}: {r.job.failure}")
    if group is not None and group.streams:
        stream = group.streams[0]
        SHARING.setdefault(len(devs), []).append(stream.generated / max(1, stream.served))
    return sample(start, marks["verify"], nbytes, background), sample(marks["verify"], end, nbytes, background)


# targets -> pieces generated per piece written by the shared stream, one figure per run (1/targets at best)
SHARING: dict[int, list[float]] = {}


def small_wipe(dev: str, data_dir: Path, pycache: Path) -> float:
    """Whole-process wall time of `station wipe` of a 1 MiB device: start-up, plan, erase, verify, certificate.

    Bytecode is cached (under `pycache`) as the live image compiles it at build time, even when the
    environment says PYTHONDONTWRITEBYTECODE; main() runs it once untimed first (compile, station key)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "station.cli", "--lang", "en", "--data-dir", str(data_dir), "wipe",
                          dev, "--method", "random", "--yes"], capture_output=True, text=True, check=False,
                         cwd=Path(__file__).resolve().parent.parent, env=env)
    elapsed = time.perf_counter() - start
    if res.returncode != 0:
        raise SystemExit(f"station wipe of the 1 MiB device failed: {res.stderr.strip()}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mib", type=int, default=512, help="size of each loop device (multiple of 4)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--targets", default="1,4,8", help="comma-separated numbers of targets in parallel")
    ap.add_argument("--no-reuse", action="store_true",
                    help="keep no I/O buffer between plans: each maps its memory afresh, as a plan in a new process")
    args = ap.parse_args()
    if args.no_reuse:
        POOL.idle_s = 0.0  # keeps no buffer handed back
        print("--no-reuse: every plan maps its I/O buffers afresh")
    if os.geteuid() != 0:
        print("needs root (losetup)", file=sys.stderr)
        return 2
    size = args.size_mib
    counts = sorted({int(n) for n in args.targets.split(",")})
    workdir = Path(tempfile.mkdtemp(prefix="station-bench-", dir="/dev/shm"))
    devs: list[str] = []
    try:
        for i in range(max(counts)):
            img = workdir / f"d{i}.img"
            with open(img, "wb") as f:
                f.truncate(size << 20)
            subprocess.run(["dd", "if=/dev/zero", f"of={img}", "bs=4M", f"count={size // 4}", "conv=notrunc",
                            "status=none"], check=True)  # allocate the RAM up front: reads then read real pages
            devs.append(losetup(img))
        tiny_img = workdir / "tiny.img"
        tiny_img.write_bytes(os.urandom(1 << 20))
        tiny = losetup(tiny_img)
        devs.append(tiny)
        have_nwipe = shutil.which("nwipe") is not None
        results: dict[tuple[str, int], list[Sample]] = {}
        loads: list[float] = []
        tiny_times: list[float] = []

        def add(name: str, n: int, s: Sample) -> None:
            results.setdefault((name, n), []).append(s)

        mib = size << 20
        small_wipe(tiny, workdir / "data", workdir / "pycache")  # untimed: compiles the bytecode, makes the key
        for _ in range(args.repeat):
            loads.append(os.getloadavg()[0])
            for n in counts:
                group = devs[:n]
                add("dd write", n, measure(lambda g=group: parallel(lambda d: dd_write(d, size), g), n * mib))
                add("dd read", n, measure(lambda g=group: parallel(lambda d: dd_read(d, size), g), n * mib))
                for method in ("zero", "random"):
                    w, v = ours(group, method, n * mib)
                    add(f"{method} pass", n, w)
                    add(f"verify({method})", n, v)
            if have_nwipe and 1 in counts:  # compared with the zero pass on one target
                add("nwipe zero", 1, measure(lambda: nwipe(devs[0]), mib))
            tiny_times.append(small_wipe(tiny, workdir / "data", workdir / "pycache"))
            loads.append(os.getloadavg()[0])
        print_summary(results, counts, size, args.repeat, loads, tiny_times, have_nwipe)
    finally:
        for d in devs:
            subprocess.run(["losetup", "-d", d], check=False)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def med(samples: list[Sample], attr: str) -> float:
    """Median over the runs that have the figure (nan: none had it, e.g. the machine was busy every time)."""
    values = [getattr(s, attr) for s in samples if not math.isnan(getattr(s, attr))]
    return statistics.median(values) if values else math.nan


PEER = {"zero pass": "dd write", "random pass": "dd write", "verify(zero)": "dd read", "verify(random)": "dd read",
        "dd write": "dd write", "dd read": "dd read", "nwipe zero": "dd write"}


def print_summary(results: dict[tuple[str, int], list[Sample]], counts: list[int], size: int, repeat: int,
                  loads: list[float], tiny_times: list[float], have_nwipe: bool) -> None:
    print(f"RAM-backed loop devices, {size} MiB each; median of {repeat} interleaved runs; "
          f"1-min load average {min(loads):.2f}-{max(loads):.2f} on {os.cpu_count()} cores"
          + ("" if max(loads) < 0.5 else " (machine NOT idle: wall-clock ratios are noisy)"))
    print("CPU in seconds per GB (1e9 bytes) written or verified: proc = the working process (engine or dd), "
          "+kernel = with every kernel thread (loop workers),\n  machine = every core from /proc/stat net of the "
          f"background measured just before the run (n/a when that background exceeded {BUSY} of a core)")
    print()
    print(f"  {'run':<16}{'targets':>8}{'MB/s':>9}{'x peer':>8}{'proc s/GB':>11}{'+kernel s/GB':>14}"
          f"{'machine s/GB':>14}")
    for (name, n), samples in results.items():
        peer = results.get((PEER[name], n))
        ratio = med(samples, "mbps") / med(peer, "mbps") if peer else float("nan")
        print(f"  {name:<16}{n:>8}{med(samples, 'mbps'):>9.0f}{ratio:>8.2f}{med(samples, 'proc_s_per_gb'):>11.3f}"
              f"{med(samples, 'total_s_per_gb'):>14.3f}{med(samples, 'machine_s_per_gb'):>14.3f}")
    print()
    print("Targets (issue 16), same run, same devices:")

    def ratio(a: str, b: str, n: int) -> float:
        return med(results[(a, n)], "mbps") / med(results[(b, n)], "mbps")

    rows: list[tuple[str, float, float, bool]] = []
    if 1 in counts:
        rows += [("random pass / dd write, 1 target", ratio("random pass", "dd write", 1), 0.95, True),
                 ("zero pass / dd write, 1 target", ratio("zero pass", "dd write", 1), 0.95, True),
                 ("full verify(random) / dd read, 1 target", ratio("verify(random)", "dd read", 1), 0.90, True),
                 ("full verify(zero) / dd read, 1 target", ratio("verify(zero)", "dd read", 1), 0.90, True)]
    for n in counts:
        if n > 1:
            rows.append((f"random pass / {n} x dd write", ratio("random pass", "dd write", n), 0.90, True))
            rows.append((f"zero pass / {n} x dd write", ratio("zero pass", "dd write", n), 0.90, True))
            rows.append((f"verify(random) / {n} x dd read", ratio("verify(random)", "dd read", n), 0.90, True))
    for attr, label in (("total_s_per_gb", "CPU+kernel"), ("machine_s_per_gb", "machine CPU")):
        for n in counts:
            ours_cpu = med(results[("random pass", n)], attr) + med(results[("verify(random)", n)], attr)
            dd_cpu = med(results[("dd write", n)], attr) + med(results[("dd read", n)], attr)
            rows.append((f"{label} random+verify / dd w+r, {n}x", ours_cpu / dd_cpu if dd_cpu > 0 else math.nan,
                         2.0, False))
    if have_nwipe and 1 in counts:
        rows.append(("zero pass / nwipe zero, 1 target", ratio("zero pass", "nwipe zero", 1), 20.0, True))
    for name, value, target, at_least in rows:
        sign = ">=" if at_least else "<="
        if math.isnan(value):
            print(f"  {name:<44}{'n/a':>7}   target {sign} {target:<5} not measured (machine busy)")
            continue
        met = value >= target if at_least else value <= target
        print(f"  {name:<44}{value:7.2f}   target {sign} {target:<5} {'met' if met else 'NOT met'}")
    tiny = statistics.median(tiny_times)
    print(f"  {'whole-process 1 MiB random wipe (s, median)':<44}{tiny:7.2f}   target <= 0.5   "
          f"{'met' if tiny <= 0.5 else 'NOT met'}  (worst {max(tiny_times):.2f}; bytecode cached, as in the image)")
    for n, shares in sorted(SHARING.items()):
        print(f"  shared stream, {n} targets: {statistics.median(shares):.2f} pieces generated per piece written "
              f"(best {1 / n:.2f}; range {min(shares):.2f}-{max(shares):.2f})")
    if not have_nwipe:
        print("  nwipe not installed (apt-get install nwipe): ratio against nwipe not measured")


if __name__ == "__main__":
    sys.exit(main())
