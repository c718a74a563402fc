"""Time to issue one certificate (evidence, schema check, sign, PDF with QR and attachments, atomic writes,
chain, outbox), to verify one PDF, and to build a 300-drive lot report. Target: issue under 0.5 s, so a
rack of 16 drives finishing together is certified in a few seconds.
Run: `.venv/bin/python bench/certificate_time.py [--count N]`."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from cert_helpers import SSD_FIXTURE, erased_job, host, settings

from station.certify import check as verify
from station.certify import issue as issuing
from station.certify import keys, lot
from station.store.datadir import DataDir

TARGET_S = 0.5


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        datadir = DataDir(Path(tmp) / "data", "option").ensure()
        key = keys.load_or_create(datadir)
        evidence = {"smartctl.json": SSD_FIXTURE.read_bytes()}
        issue_times, verify_times = [], []
        for index in range(args.count):
            job = replace(erased_job(f"bench-{index:05d}"))
            started = time.perf_counter()
            issued = issuing.issue(job, datadir, settings(), host(), evidence, "fr", key=key)
            issue_times.append(time.perf_counter() - started)
            if index % 10 == 0:
                started = time.perf_counter()
                assert verify.verify_file(issued.pdf_path, key.public).status is verify.Status.VALID
                verify_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        report = lot.report(datadir, settings().lot, "fr", Path(tmp) / "lot", key)
        lot_time = time.perf_counter() - started
    median = statistics.median(issue_times)
    print(f"issue: median {median * 1000:.0f} ms, max {max(issue_times) * 1000:.0f} ms over {args.count}")
    print(f"verify PDF: median {statistics.median(verify_times) * 1000:.0f} ms")
    print(f"lot report of {len(report.certificates)} certificates: {lot_time:.1f} s")
    print(f"target issue < {TARGET_S * 1000:.0f} ms: {'met' if median < TARGET_S else 'MISSED'}")
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
