"""`station wipe` and `station jobs` as a technician or a script uses them, on real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

MIB = 1 << 20


def station(*args: str, data: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    """The English wording is asserted below: the language is pinned (French is the default without LANG)."""
    return subprocess.run([sys.executable, "-m", "station.cli", "--lang", "en", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=300, **kw)  # type: ignore[call-overload]


def test_wipe_json_result_and_exit_code(disk_dir: Path) -> None:
    target = disk_dir / "a.img"
    target.write_bytes(os.urandom(6 * MIB))
    res = station("wipe", str(target), "--method", "random+zero", "--verify", "full", "--yes", "--json",
                  data=disk_dir / "data")
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout.strip().splitlines()[-1])
    assert result["erased"] is True and result["state"] == "erased"
    assert result["passes"] == ["random", "zero"] and result["nist_category"] == "clear"
    assert result["verification"]["passed"] is True
    assert target.read_bytes() == bytes(6 * MIB)
    assert "Plan: erase 1 drive, 6.3 MB of data will be destroyed." in res.stderr


def test_dry_run_and_missing_confirmation_touch_nothing(disk_dir: Path) -> None:
    target = disk_dir / "a.img"
    data = os.urandom(2 * MIB)
    target.write_bytes(data)
    dry = station("wipe", str(target), "--dry-run", data=disk_dir / "data")
    assert dry.returncode == 0 and "CLEAR by overwrite" in dry.stderr
    unconfirmed = station("wipe", str(target), data=disk_dir / "data", stdin=subprocess.DEVNULL)
    assert unconfirmed.returncode == 2 and "nothing was written" in unconfirmed.stderr
    assert target.read_bytes() == data


def test_bad_arguments_are_clear_errors(disk_dir: Path) -> None:
    target = disk_dir / "a.img"
    target.write_bytes(bytes(MIB))
    for args in (["--verify", "sample:0"], ["--method", "shred-it"]):
        res = station("wipe", str(target), "--yes", *args, data=disk_dir / "data")
        assert res.returncode == 2 and "station wipe:" in res.stderr and "Traceback" not in res.stderr
    res = station("wipe", str(disk_dir / "missing.img"), "--yes", data=disk_dir / "data")
    assert res.returncode == 2 and "No such file" in res.stderr


def test_killed_job_shows_interrupted_and_restarts_to_erased(disk_dir: Path) -> None:
    target = disk_dir / "slow.img"
    target.write_bytes(os.urandom(64 * MIB))
    data = disk_dir / "data"
    proc = subprocess.Popen([sys.executable, "-m", "station.cli", "--data-dir", str(data), "wipe", str(target),
                             "--yes", "--throttle", "8"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    jobs_dir = data / "jobs"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        records = [json.loads(p.read_text()) for p in jobs_dir.glob("*.json")] if jobs_dir.exists() else []
        if records and records[0]["state"] == "running" and records[0]["bytes_done"] > 0:
            break
        time.sleep(0.2)
    else:
        proc.kill()
        raise AssertionError("the job never reported progress")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    listed = station("jobs", "--json", data=data)
    jobs = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(jobs) == 1 and jobs[0]["state"] == "interrupted" and jobs[0]["erased"] is False
    assert not list(jobs_dir.glob(".*.tmp")), "a half-written journal was left behind"
    restarted = station("jobs", "restart", jobs[0]["job_id"], "--yes", "--json", data=data)
    assert restarted.returncode == 0, restarted.stderr
    result = json.loads(restarted.stdout.strip().splitlines()[-1])
    assert result["erased"] is True and result["restart_of"] == jobs[0]["job_id"]
    assert target.read_bytes() == bytes(64 * MIB)
