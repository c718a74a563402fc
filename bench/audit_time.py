"""Wall time of a full audit of this machine (inventory, SMART per disk, verdict, signed record,
PDF), self-tests excluded. Target: at most 3 s. Run: `.venv/bin/python bench/audit_time.py [--runs N]`."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from station.certify import keys
from station.hw import Host
from station.inventory import record as audit
from station.inventory.machine import collect
from station.inventory.verdict import Checklist, decide
from station.store.datadir import DataDir

TARGET_S = 3.0


def one_audit(datadir: DataDir, key: keys.StationKey) -> tuple[float, float, int, bool]:
    started = time.monotonic()
    inventory = collect(Host())
    collected = time.monotonic() - started
    checklist = Checklist.from_pairs(["all=ok"], tester="bench")
    verdict = decide(inventory, checklist)
    record = audit.build(inventory, verdict, checklist, responsible=audit.Responsible("bench", None, None),
                         station_name="bench", key_fingerprint=key.fingerprint,
                         created=datetime.now(UTC).replace(microsecond=0), lang="fr")
    audit.write(record, inventory, datadir.audits, key, "fr")
    return time.monotonic() - started, collected, len(inventory.disks), inventory.partial


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        datadir = DataDir(Path(tmp), "option").ensure()
        key = keys.load_or_create(datadir)
        times = []
        for run in range(args.runs):
            total, collected, disks, partial = one_audit(datadir, key)
            times.append(total)
            print(f"run {run + 1}: {total:.3f} s wall (inventory {collected:.3f} s), {disks} disk(s)"
                  + (", partial audit" if partial else ""))
    worst = max(times)
    print(f"worst {worst:.3f} s, target <= {TARGET_S} s: {'OK' if worst <= TARGET_S else 'OVER'}")
    return 0 if worst <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
