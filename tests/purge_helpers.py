"""Fakes at the command boundary for the Purge tests: a runner whose answers change between calls."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from station.detect.disk import Disk, DiskKind, SerialInfo, SerialSource
from station.erase.purge import capabilities as cap
from station.hw import CommandResult, Host

FIX = Path(__file__).parent / "fixtures" / "purge"


def fixture(rel: str) -> str:
    return (FIX / rel).read_text()


Answer = tuple[int, str, str] | Callable[[], tuple[int, str, str]]


@dataclass
class ScriptedRunner:
    """Each argv (joined by spaces) has a queue of answers; the last one repeats.

    A key that is a single option ("--security-erase") answers any argv holding that option, so
    commands carrying a random password can be scripted.

    An answer may be a callable, so a fake "erase" command can really change a backing file.
    Unscripted commands answer 127 like a missing tool.
    """

    script: dict[str, list[Answer]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def on(self, argv: str, *answers: Answer) -> ScriptedRunner:
        self.script.setdefault(argv, []).extend(answers)
        return self

    def run(self, argv: Sequence[str], timeout: float | None = None) -> CommandResult:
        key = " ".join(argv)
        self.calls.append(key)
        queue = self.script.get(key)
        if queue is None:
            queue = next((q for k, q in self.script.items() if " " not in k and k in argv), None)
        if not queue:
            return CommandResult(tuple(argv), 127, "", f"{argv[0]}: not scripted")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        rc, out, err = answer() if callable(answer) else answer
        return CommandResult(tuple(argv), rc, out, err)


def nvme_id_ctrl(text: str) -> cap.NvmeCaps:
    """An `nvme id-ctrl` answer that must read (a recorded drive's, or a well-formed synthetic one)."""
    read = cap.read_nvme_id_ctrl(text)
    assert isinstance(read, cap.NvmeCaps), read
    return read


def host_with(runner: ScriptedRunner, root: Path | None = None) -> Host:
    return Host(root=root or Path("/nonexistent-station-root"), runner=runner, env={})


def make_disk(devnode: str = "/dev/sda", kind: DiskKind = DiskKind.SSD, bus: str = "ata",
              size: int = 1 << 20, bay: str | None = None) -> Disk:
    return Disk(name=Path(devnode).name, devnode=devnode, kind=kind, bus=bus, size_bytes=size,
                serial=SerialInfo("TEST123", SerialSource.IDENTIFY), bay=bay)


def security_variant(text: str, *, enabled: bool, locked: bool = False, frozen: bool = False) -> str:
    """A real `hdparm -I` text with its Security lines switched (derived from a real capture)."""
    out = []
    for line in text.splitlines():
        words = line.split()
        key = " ".join(w for w in words if w != "not")
        if key in ("enabled", "locked", "frozen") and len(words) <= 2:
            state = {"enabled": enabled, "locked": locked, "frozen": frozen}[key]
            line = ("\t\t" if state else "\tnot\t") + key
        out.append(line)
    return "\n".join(out) + "\n"
