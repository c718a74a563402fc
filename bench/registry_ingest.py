"""Registry ingest: N certificates uploaded by S concurrent stations to a registry started here (its own
private PostgreSQL cluster, `python -m registry.server`, gunicorn on loopback), as `station upload` sends them.

Each station is a real station key; its first certificate is issued by the station library (JSON, signature,
PDF); the following ones are SYNTHETIC variants of it (sequence, id, predecessor hash and drive serial changed,
re-signed with the station's key, the template's real PDF attached), because rendering 20,000 PDFs would take
hours. Prints uploads/s, p50/p99 latency, the registry's memory (gunicorn + PostgreSQL, peak RSS) and the time
to serve an inclusion and a consistency proof at the final size. Targets: 20,000 in < 10 min, p99 < 250 ms.
Run: `.venv/bin/python bench/registry_ingest.py [--count 20000] [--stations 4] [--workers 3]`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from cert_helpers import SSD_FIXTURE, erased_job, host, settings  # noqa: E402

from station.certify import chain, keys  # noqa: E402
from station.certify.issue import issue  # noqa: E402
from station.store.datadir import DataDir  # noqa: E402

TARGET_TOTAL_S = 600.0
TARGET_COUNT = 20000
TARGET_P99_MS = 250.0


def _post(url: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _station_run(args: tuple[str, str, str, int, int]) -> tuple[list[float], dict[int, int]]:
    """One station: derive and send `count` certificates in chain order; the latencies and status counts."""
    url, data_root, token, count, seed = args
    datadir = DataDir(Path(data_root), "bench")
    key = keys.load_or_create(datadir)
    template_path = next(p for p in sorted(datadir.certificates.glob("*-000001.json")))
    template = json.loads(template_path.read_bytes())
    pdf = base64.b64encode(template_path.with_suffix(".pdf").read_bytes()).decode()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    previous: str | None = None
    for sequence in range(1, count + 1):
        record = dict(template)
        record["sequence"] = sequence
        record["certificate_id"] = chain.certificate_id(key.fingerprint, sequence)
        record["previous_certificate_sha256"] = previous
        record["media"] = {**template["media"], "serial": f"BENCH{seed:02d}{sequence:07d}"}
        data = json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"
        digest = hashlib.sha256(data).hexdigest()
        body = json.dumps({"certificate_id": record["certificate_id"], "kind": "certificate", "lot": None,
                           "sha256": digest, "json": base64.b64encode(data).decode(),
                           "signature": base64.b64encode(key.sign(data)).decode(), "pdf": pdf}).encode()
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": record["certificate_id"],
                   "Content-Type": "application/json"}
        started = time.perf_counter()
        status, _ = _post(f"{url}/api/v1/records", headers, body)
        latencies.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1
        previous = digest
        if sequence % 1000 == 0:
            print(f"  station {seed}: {sequence} sent, last {latencies[-1] * 1000:.0f} ms", file=sys.stderr,
                  flush=True)
    return latencies, statuses


def _manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "registry", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()


def _descendants(pid: int) -> list[int]:
    """The process and every child under it, from /proc/PID/task/*/children (psutil is not a dependency)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0  # gone, or a kernel thread


def _tree_rss(pids: list[int]) -> int:
    return sum(_rss(p) for pid in pids for p in _descendants(pid))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000, help="certificates in all (default 20000)")
    parser.add_argument("--stations", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="registry-bench-", dir="/var/tmp"))
    os.chmod(work, 0o711)
    base = work / "data"
    port = 18480 + os.getpid() % 1000
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["REGISTRY_DATA_DIR"] = str(base)
    log = (work / "server.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "registry.server", "--port", str(port), "--workers",
                               str(args.workers)], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{url}/log/checkpoint", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        from registry import config

        manage_env = dict(env, DATABASE_URL=config.embedded_url(base))
        _manage(manage_env, "create_organisation", "Banc d'essai", "--kind", "refurbisher")
        jobs = []
        per = args.count // args.stations
        for n in range(args.stations):
            datadir = DataDir(work / f"station{n}", "bench").ensure()
            key = keys.load_or_create(datadir)
            issue(erased_job(f"20250101T1000{n:02d}Z-0001"), datadir, settings(), host(),
                  {"smartctl.json": SSD_FIXTURE.read_bytes()}, "fr", key=key)
            code = _manage(manage_env, "create_enrollment_code", "Banc d'essai")
            status, reply = _post(f"{url}/api/v1/enroll", {"Content-Type": "application/json"}, json.dumps(
                {"code": code, "name": f"banc-{n}", "public_key_pem": key.public_pem().decode()}).encode())
            assert status == 201, reply
            jobs.append((url, str(datadir.root), json.loads(reply)["upload_token"], per, n))

        pids = [server.pid]
        postmaster = int((config.cluster_dir(base) / "postmaster.pid").read_text().split()[0])
        peak = [0, 0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss(pids))
                peak[1] = max(peak[1], _tree_rss([postmaster]))
                time.sleep(1.0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        with multiprocessing.Pool(args.stations) as pool:
            results = pool.map(_station_run, jobs)
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()

        latencies = sorted(x for lat, _ in results for x in lat)
        statuses: dict[int, int] = {}
        for _, counts in results:
            for status, count in counts.items():
                statuses[status] = statuses.get(status, 0) + count
        total = len(latencies)
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[min(total - 1, int(total * 0.99))] * 1000
        size = int(urllib.request.urlopen(f"{url}/log/checkpoint").read().decode().split("\n")[1])
        proof_times, consistency_times = [], []
        rng = random.Random(1)
        for _ in range(50):
            index = rng.randrange(size)
            t = time.perf_counter()
            urllib.request.urlopen(f"{url}/api/v1/proof/inclusion?index={index}&size={size}").read()
            proof_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            urllib.request.urlopen(f"{url}/api/v1/proof/consistency?from={max(1, index)}&to={size}").read()
            consistency_times.append(time.perf_counter() - t)
        db_size = subprocess.run(["du", "-sh", str(base / "pg" / "data")], capture_output=True, text=True,
                                 check=False).stdout.split()[0]
        print(f"registry ingest: {total} certificates by {args.stations} stations, gunicorn {args.workers} "
              f"workers, {os.cpu_count()} CPUs")
        print(f"  answers: {dict(sorted(statuses.items()))}  (all should be 201)")
        needed = TARGET_COUNT / TARGET_TOTAL_S
        print(f"  wall time {elapsed:.1f} s = {total / elapsed:.1f} uploads/s  (target: {TARGET_COUNT} in "
              f"< {TARGET_TOTAL_S:.0f} s, i.e. {needed:.1f}/s: {'met' if total / elapsed >= needed else 'MISSED'})")
        print(f"  latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1] * 1000:.1f} ms  (target p99 < "
              f"{TARGET_P99_MS:.0f} ms: {'met' if p99 < TARGET_P99_MS else 'MISSED'})")
        print(f"  memory (peak RSS): registry processes {peak[0] / 2**20:.0f} MiB, PostgreSQL {peak[1] / 2**20:.0f}"
              f" MiB; database on disk {db_size}")
        print(f"  at size {size}: inclusion proof p50 {statistics.median(proof_times) * 1000:.1f} ms, consistency "
              f"proof p50 {statistics.median(consistency_times) * 1000:.1f} ms (HTTP round trip, 50 each)")
        return 0 if statuses.get(201, 0) == total else 1
    finally:
        with_timeout = server.poll() is None
        if with_timeout:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
