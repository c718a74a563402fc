"""The command line's cold start does not regress: measured as CPU time (user + system of the child), as a ratio to
a bare `python -c pass` on the same machine in the same run, never as an absolute time.

Bytecode is cached, as in the live image. Measured on this project's machine kind (2 cores, the CI suite running
beside it), three runs: `--version` 15-21x a bare interpreter, a whole 1 MiB wipe with full verification and its
certificate 28-35x (before the parser loaded only the named command and the QR encoder stopped pulling in every
reportlab barcode widget, 44-62x). The limits leave about 1.5x of room for noise; a new eager import of a
heavy package (the TUI, PDF rendering) on these paths goes past them.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

VERSION_LIMIT = 30.0
WIPE_LIMIT = 50.0
MIB = 1 << 20


def compiled_env(pycache: Path) -> dict[str, str]:
    """Bytecode cached, as the live image has it (compiled at build time), even where the environment says
    PYTHONDONTWRITEBYTECODE: otherwise every run recompiles station's modules and the ratio measures the compiler."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def cpu_seconds(argv: list[str], before: Callable[[], None] = lambda: None, runs: int = 5,
                env: dict[str, str] | None = None) -> float:
    """The least CPU time of `runs` runs after an untimed one (it compiles): the least disturbed by whatever else
    the machine does."""
    best = float("inf")
    for run in range(runs + 1):
        before()
        start = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=120, env=env)
        if run == 0:
            continue
        end = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, end.ru_utime - start.ru_utime + end.ru_stime - start.ru_stime)
    return best


def bare() -> float:
    return max(cpu_seconds([sys.executable, "-c", "pass"], runs=7), 1e-3)


def imported_packages(argv: list[str]) -> set[str]:
    """Top-level packages a command imports, from the interpreter's own import log (-X importtime)."""
    res = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, timeout=120)
    names = (line.split("|")[-1].strip() for line in res.stderr.splitlines() if line.startswith("import time:"))
    return {name.split(".")[0] for name in names}


def test_version_and_help_import_neither_the_tui_nor_the_pdf_stack() -> None:
    """The deterministic half of the guard: these packages cost more than all of today's start-up together."""
    heavy = {"textual", "rich", "reportlab", "pypdf", "jsonschema", "pyudev"}
    for argv in (["-m", "station.cli", "--version"], ["-m", "station.cli", "--help"]):
        assert not imported_packages(argv) & heavy, argv


def test_a_command_imports_no_other_command(tmp_path: Path) -> None:
    """`station wipe` builds its own parser alone: the audit, the registry client and the rest are not loaded.
    (Read from sys.modules: -X importtime does not log importlib.import_module, which the parser uses.)"""
    target = tmp_path / "a.img"
    target.write_bytes(bytes(MIB))
    code = ("import sys\nfrom station.cli import main\n"
            f"main(['--data-dir', {str(tmp_path / 'data')!r}, 'wipe', {str(target)!r}, '--dry-run'])\n"
            "print('\\n'.join(sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    modules = set(res.stdout.split())
    commands = {name for name in modules if name.startswith("station.commands.")} - {"station.commands.common"}
    assert commands == {"station.commands.wipe"}
    assert "urllib.request" not in modules


def test_version_cold_start_stays_within_today_s_ratio(tmp_path: Path) -> None:
    ratio = cpu_seconds([sys.executable, "-m", "station.cli", "--version"], env=compiled_env(tmp_path)) / bare()
    assert ratio < VERSION_LIMIT, f"`station --version` costs {ratio:.1f}x a bare interpreter (limit {VERSION_LIMIT})"


def test_one_mib_wipe_whole_process_stays_within_today_s_ratio(disk_dir: Path) -> None:
    target = disk_dir / "a.img"

    def fresh_target() -> None:
        target.write_bytes(os.urandom(MIB))

    argv = [sys.executable, "-m", "station.cli", "--lang", "en", "--data-dir", str(disk_dir / "data"), "wipe",
            str(target), "--method", "zero", "--verify", "full", "--yes"]
    ratio = cpu_seconds(argv, fresh_target, runs=3, env=compiled_env(disk_dir / "pycache")) / bare()
    assert target.read_bytes() == bytes(MIB)
    assert ratio < WIPE_LIMIT, f"a 1 MiB wipe costs {ratio:.1f}x a bare interpreter (limit {WIPE_LIMIT})"
