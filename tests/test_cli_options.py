"""Global options (--data-dir, --profile, --lang) work before or after the command, as a newcomer types them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from station.cli import build_parser

PROFILES = Path(__file__).parent / "fixtures" / "profiles"
MIB = 1 << 20


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "station.cli", *args], capture_output=True, text=True, timeout=300)


def test_options_parse_the_same_before_and_after_the_command() -> None:
    parser = build_parser()
    before = parser.parse_args(["--data-dir", "D", "--profile", "P", "--lang", "en", "certs"])
    after = parser.parse_args(["certs", "--data-dir", "D", "--profile", "P", "--lang", "en"])
    nested = parser.parse_args(["jobs", "restart", "J1", "--data-dir", "D"])
    for args in (before, after):
        assert (args.data_dir, args.profile, args.lang) == ("D", "P", "en")
    assert nested.data_dir == "D"


def test_an_option_given_before_the_command_is_not_reset_by_it() -> None:
    args = build_parser().parse_args(["--data-dir", "D", "--lang", "fr", "drives", "--json"])
    assert (args.data_dir, args.lang, args.json) == ("D", "fr", True)


def test_a_command_keeps_its_own_option_of_the_same_name() -> None:
    """`lot report --lang` is the report's language, not the messages' language."""
    args = build_parser().parse_args(["--lang", "fr", "lot", "report", "L1", "--out", "O", "--lang", "en"])
    assert (args.lang, args.report_lang) == ("fr", "en")


def test_wipe_with_data_dir_after_the_target_certifies_there(disk_dir: Path) -> None:
    target = disk_dir / "a.img"
    target.write_bytes(os.urandom(MIB))
    data = disk_dir / "data"
    res = run("wipe", str(target), "--method", "zero", "--verify", "full", "--yes", "--json",
              "--data-dir", str(data), "--lang", "en")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.strip().splitlines()[-1])["erased"] is True
    assert list((data / "certificates").glob("*.json")), "the certificate went to another data dir"
    assert "Plan: erase 1 drive" in res.stderr  # --lang en after the command was honoured


def test_profile_after_the_command_reads_the_recorded_machine(tmp_path: Path) -> None:
    profile = str(PROFILES / "desktop-sata-hdd-ssd")
    before = run("--data-dir", str(tmp_path), "--profile", profile, "drives", "--json", "--no-smartctl")
    after = run("drives", "--json", "--no-smartctl", "--data-dir", str(tmp_path), "--profile", profile)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)
    assert json.loads(after.stdout), "the recorded profile has drives"
