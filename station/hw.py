"""The thin boundary between Station and the machine.

Everything that reads the kernel's view (sysfs, procfs, /dev, /run) or runs a system tool goes
through a `Host`, so the whole application can run against a recorded machine profile (a
directory tree plus recorded command outputs) exactly as it runs on real hardware.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class CommandRunner(Protocol):
    def run(self, argv: Sequence[str], timeout: float | None = None) -> CommandResult: ...


class SystemRunner:
    """Runs real commands. A missing tool or a timeout is a result (127 / 124), never an exception."""

    def run(self, argv: Sequence[str], timeout: float | None = 120.0) -> CommandResult:
        args = tuple(argv)
        if shutil.which(args[0]) is None:
            return CommandResult(args, 127, "", f"{args[0]}: command not found")
        try:
            proc = subprocess.run(
                args, capture_output=True, text=True, timeout=timeout, errors="replace", check=False
            )
        except subprocess.TimeoutExpired:
            return CommandResult(args, 124, "", f"{args[0]}: timed out after {timeout} s")
        except OSError as exc:
            return CommandResult(args, 126, "", f"{args[0]}: {exc}")
        return CommandResult(args, proc.returncode, proc.stdout, proc.stderr)


@dataclass
class ReplayRunner:
    """Replays recorded command outputs, keyed by the exact argv joined with spaces.

    An argv that was not recorded answers 127, like a tool that is absent, so code under test
    takes its "tool missing" path instead of crashing.
    """

    recordings: dict[str, CommandResult] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, argv: Sequence[str], stdout: str = "", returncode: int = 0, stderr: str = "") -> None:
        self.recordings[" ".join(argv)] = CommandResult(tuple(argv), returncode, stdout, stderr)

    def run(self, argv: Sequence[str], timeout: float | None = None) -> CommandResult:
        args = tuple(argv)
        self.calls.append(args)
        hit = self.recordings.get(" ".join(args))
        if hit is None:
            return CommandResult(args, 127, "", f"{args[0]}: not recorded in this machine profile")
        return hit

    @classmethod
    def from_file(cls, path: Path) -> ReplayRunner:
        """Load `commands.json`: a list of {argv, returncode, stdout | stdout_file, stderr}."""
        runner = cls()
        for entry in json.loads(path.read_text()):
            stdout = entry.get("stdout", "")
            if "stdout_file" in entry:
                stdout = (path.parent / entry["stdout_file"]).read_text()
            runner.add(entry["argv"], stdout, int(entry.get("returncode", 0)), entry.get("stderr", ""))
        return runner


@dataclass
class Host:
    """A machine as Station sees it: a filesystem root for /sys, /proc, /dev, /run and a command runner."""

    root: Path = Path("/")
    runner: CommandRunner = field(default_factory=SystemRunner)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def is_live(self) -> bool:
        """True when this is the real machine (root "/"), where devices may really be opened."""
        return self.root == Path("/")

    def path(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    def read_text(self, absolute: str) -> str | None:
        """Read a sysfs/procfs attribute; None when absent or unreadable (permissions, vanished device)."""
        try:
            return self.path(absolute).read_text(errors="replace")
        except OSError:
            return None

    def read_attr(self, absolute: str) -> str | None:
        text = self.read_text(absolute)
        return None if text is None else text.strip()

    def listdir(self, absolute: str) -> list[str]:
        try:
            return sorted(os.listdir(self.path(absolute)))
        except OSError:
            return []

    def realpath(self, absolute: str) -> str:
        """Resolve a symlink inside the host root, returning a host-absolute path."""
        resolved = os.path.realpath(self.path(absolute))
        root = os.path.realpath(self.root)
        if root == "/":
            return resolved
        rel = os.path.relpath(resolved, root)
        return "/" + rel if not rel.startswith("..") else resolved

    def run(self, argv: Sequence[str], timeout: float | None = 120.0) -> CommandResult:
        return self.runner.run(argv, timeout)

    @classmethod
    def recorded(cls, profile_dir: Path) -> Host:
        """A recorded machine profile: `root/` tree and optional `commands.json`."""
        commands = profile_dir / "commands.json"
        runner: CommandRunner = ReplayRunner.from_file(commands) if commands.exists() else ReplayRunner()
        return cls(root=profile_dir / "root", runner=runner, env={})
