"""The thin boundary between Station and the machine.

Everything that reads the kernel's view (sysfs, procfs, /dev, /run) or runs a system tool goes
through a `Host`, so the whole application can run against a recorded machine profile (a
directory tree plus recorded command outputs) exactly as it runs on real hardware.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from station.untrusted import JsonError, load_json, text_of


def now_iso() -> str:
    """The machine's clock as every record states it: UTC, to the second, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


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
    takes its "tool missing" path instead of crashing; a recording that cannot be read is left out
    and named in `problems`, and that answer carries the reason.
    """

    recordings: dict[str, CommandResult] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, argv: Sequence[str], stdout: str = "", returncode: int = 0, stderr: str = "") -> None:
        self.recordings[" ".join(argv)] = CommandResult(tuple(argv), returncode, stdout, stderr)

    def run(self, argv: Sequence[str], timeout: float | None = None) -> CommandResult:
        args = tuple(argv)
        self.calls.append(args)
        hit = self.recordings.get(" ".join(args))
        if hit is None:
            why = f" ({'; '.join(self.problems)})" if self.problems else ""
            return CommandResult(args, 127, "", f"{args[0]}: not recorded in this machine profile{why}")
        return hit

    @classmethod
    def from_file(cls, path: Path) -> ReplayRunner:
        """Load `commands.json`: a list of {argv, returncode, stdout | stdout_file, stderr}.

        Recorded outputs are decoded as the live runner decodes a tool's output (bytes that are not
        UTF-8 become U+FFFD); an entry that cannot be read is skipped with the reason in `problems`.
        """
        runner = cls()
        try:
            entries = load_json(path.read_bytes())
        except (OSError, JsonError) as exc:
            runner.problems.append(f"{path.name} unreadable: {exc}")
            return runner
        if not isinstance(entries, list):
            runner.problems.append(f"{path.name} is not a list of recorded commands")
            return runner
        for number, entry in enumerate(entries):
            why = runner._load_entry(path, entry)
            if why:
                runner.problems.append(f"{path.name} entry {number}: {why}")
        return runner

    def _load_entry(self, path: Path, entry: Any) -> str | None:
        if not isinstance(entry, dict):
            return "not an object"
        argv, code = entry.get("argv"), entry.get("returncode", 0)
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            return "argv is not a list of strings"
        if not isinstance(code, int) or isinstance(code, bool) or not -255 <= code <= 255:
            return f"returncode {str(code)[:40]!r} is not an exit status"
        stdout, stderr = entry.get("stdout", ""), entry.get("stderr", "")
        if "stdout_file" in entry:
            name = entry["stdout_file"]
            if not isinstance(name, str):
                return "stdout_file is not a file name"
            try:
                stdout = text_of((path.parent / name).read_bytes())
            except OSError as exc:
                return f"{name}: {exc.strerror or exc}"
        if not isinstance(stdout, str) or not isinstance(stderr, str):
            return "stdout or stderr is not text"
        self.add(argv, stdout, code, stderr)
        return None


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
        """Read a sysfs/procfs attribute; None when absent or unreadable (permissions, vanished device, a
        path built from a value that held a NUL byte: no such file can exist)."""
        try:
            return self.path(absolute).read_text(errors="replace")
        except (OSError, ValueError):
            return None

    def read_attr(self, absolute: str) -> str | None:
        text = self.read_text(absolute)
        return None if text is None else text.strip()

    def read_bytes(self, absolute: str) -> bytes | None:
        """A binary sysfs attribute (VPD pages, EDID); None when absent or unreadable."""
        try:
            return self.path(absolute).read_bytes()
        except (OSError, ValueError):
            return None

    def exists(self, absolute: str) -> bool:
        """Whether the path exists, for a path built from what a file or a tool said: a name too long,
        a NUL byte or a loop cannot exist, they are not errors."""
        try:
            return self.path(absolute).exists()
        except (OSError, ValueError):
            return False

    def is_symlink(self, absolute: str) -> bool:
        try:
            return self.path(absolute).is_symlink()
        except (OSError, ValueError):
            return False

    def listdir(self, absolute: str) -> list[str]:
        try:
            return sorted(os.listdir(self.path(absolute)))
        except (OSError, ValueError):
            return []

    def realpath(self, absolute: str) -> str:
        """Resolve a symlink inside the host root, returning a host-absolute path."""
        try:
            resolved = os.path.realpath(self.path(absolute))
        except ValueError:  # a NUL byte: no such link exists, the path is its own answer
            return absolute
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
