#!/usr/bin/env python3
"""Erase throughput against peers measured in the same run, on RAM-backed loop devices.

Peers: `dd if=/dev/zero oflag=direct bs=4M` (write), `dd iflag=direct bs=4M` (read), Debian's nwipe
(`--method=zero --nogui --autonuke --verify=off --noblank`) when installed. Ours: zero and random
passes, full verification, 1 and 4 targets in parallel. Runs are interleaved and repeated; the
median is reported. Needs root (losetup).
Usage: sudo .venv/bin/python bench/erase_throughput.py [--size-mib 512] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from station.erase.engine import EraseRunner, Progress, passes_for
from station.erase.jobs import EraseJob, Phase, new_job_id


def losetup(path: Path) -> str:
    return subprocess.run(["losetup", "--find", "--show", str(path)], check=True, capture_output=True,
                          text=True).stdout.strip()


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def dd_write(dev: str, size_mib: int) -> None:
    subprocess.run(["dd", "if=/dev/zero", f"of={dev}", "bs=4M", f"count={size_mib // 4}", "oflag=direct",
                    "status=none"], check=True)


def dd_read(dev: str, size_mib: int) -> None:
    subprocess.run(["dd", f"if={dev}", "of=/dev/null", "bs=4M", f"count={size_mib // 4}", "iflag=direct",
                    "status=none"], check=True)


def nwipe(dev: str) -> None:
    subprocess.run(["nwipe", "--method=zero", "--nogui", "--autonuke", "--verify=off", "--noblank",
                    "--nosignals", "--logfile=/dev/null", dev], check=True, capture_output=True)


def ours(devs: list[str], method: str) -> dict[str, float]:
    """Run the engine (full verification) on each device in parallel; return write and verify seconds."""
    marks: dict[str, dict[Phase, float]] = {d: {} for d in devs}
    lock = threading.Lock()

    def progress(p: Progress) -> None:
        with lock:
            marks[p.target].setdefault(p.phase, time.perf_counter())

    runners = [EraseRunner(EraseJob(new_job_id(), d, method, "full", passes_for(method), "clear", "overwrite"),
                           on_progress=progress) for d in devs]
    start = time.perf_counter()
    threads = [threading.Thread(target=r.run) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in runners:
        if not r.job.erased:
            raise SystemExit(f"engine failed on {r.job.target}: {r.job.failure}")
    write_end = max(m[Phase.FLUSHING] for m in marks.values())
    verify_start = min(m[Phase.VERIFYING] for m in marks.values())
    end = max(m[Phase.DONE] for m in marks.values())
    return {"write": write_end - start, "verify": end - verify_start}


def parallel(fn: Callable[[str], None], devs: list[str]) -> float:
    threads = [threading.Thread(target=fn, args=(d,)) for d in devs]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size-mib", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (losetup)", file=sys.stderr)
        return 2
    size = args.size_mib
    workdir = Path(tempfile.mkdtemp(prefix="station-bench-", dir="/dev/shm"))
    devs: list[str] = []
    try:
        for i in range(4):
            img = workdir / f"d{i}.img"
            with open(img, "wb") as f:
                f.truncate(size << 20)
            subprocess.run(["dd", "if=/dev/zero", f"of={img}", "bs=4M", f"count={size // 4}", "conv=notrunc",
                            "status=none"], check=True)  # allocate the RAM up front
            devs.append(losetup(img))
        one = devs[:1]
        have_nwipe = shutil.which("nwipe") is not None
        results: dict[str, list[float]] = {}

        def add(name: str, seconds: float, nbytes: int) -> None:
            results.setdefault(name, []).append(nbytes / seconds / 1e6)

        mib = size << 20
        for _ in range(args.repeat):
            add("dd write x1", timed(lambda: dd_write(one[0], size)), mib)
            add("dd read x1", timed(lambda: dd_read(one[0], size)), mib)
            r = ours(one, "zero")
            add("station zero x1", r["write"], mib)
            add("station verify(zero) x1", r["verify"], mib)
            r = ours(one, "random")
            add("station random x1", r["write"], mib)
            add("station verify(random) x1", r["verify"], mib)
            add("dd write x4", parallel(lambda d: dd_write(d, size), devs), 4 * mib)
            r = ours(devs, "zero")
            add("station zero x4", r["write"], 4 * mib)
            if have_nwipe:
                add("nwipe zero x1", timed(lambda: nwipe(one[0])), mib)
        med = {k: statistics.median(v) for k, v in results.items()}
        print(f"RAM-backed loop devices, {size} MiB each, median of {args.repeat} interleaved runs (MB/s)")
        for name, value in med.items():
            print(f"  {name:<28} {value:9.0f}")
        print("ratios (target):")
        ratios = [
            ("zero pass / dd write", med["station zero x1"] / med["dd write x1"], ">= 0.95"),
            ("random pass / dd write", med["station random x1"] / med["dd write x1"], ">= 0.95"),
            ("full verify(zero) / dd read", med["station verify(zero) x1"] / med["dd read x1"], ">= 0.90"),
            ("full verify(random) / dd read", med["station verify(random) x1"] / med["dd read x1"], ">= 0.90"),
            ("4 targets / 4 x dd", med["station zero x4"] / med["dd write x4"], ">= 0.90"),
        ]
        if have_nwipe:
            ratios.append(("zero pass / nwipe", med["station zero x1"] / med["nwipe zero x1"], ">= 20"))
        for name, value, target in ratios:
            print(f"  {name:<30} {value:7.2f}   ({target})")
        if not have_nwipe:
            print("  nwipe not installed (apt-get install nwipe) - ratio against nwipe not measured")
    finally:
        for d in devs:
            subprocess.run(["losetup", "-d", d], check=False)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
