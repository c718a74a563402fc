"""Global options (--data-dir, --profile, --lang) work before or after the command, as a newcomer types them."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from station.cli import COMMANDS, build_parser, command_in

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


def test_every_command_is_listed_and_each_module_registers_its_own_name() -> None:
    """The list `station --help` shows, and the one the lazy parser chooses from, are the same commands."""
    parser = build_parser()
    choices = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(choices) == COMMANDS
    for name in COMMANDS:
        alone = build_parser([name])
        assert list(next(a.choices for a in alone._actions if isinstance(a, argparse._SubParsersAction))) == [name]


def test_the_command_is_found_past_global_options_and_a_typo_lists_every_command() -> None:
    assert command_in(["--data-dir", "wipe", "--lang", "fr", "drives", "--json"]) == "drives"
    assert command_in(["--data-dir=D", "certs"]) == "certs"
    assert command_in(["--version"]) is None
    res = run("wpie", "x")
    assert res.returncode == 2
    assert "invalid choice: 'wpie'" in res.stderr and "laptop" in res.stderr
