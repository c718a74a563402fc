"""One erase per drive, across processes: a lock the kernel drops together with its holder.

The TUI and a `station wipe` in another terminal are separate processes. Every job takes an
exclusive flock(2) on a lock file named for the drive's kernel identity (a block device's
major:minor, a plain file's device and inode) under /run/station/locks before it touches the
drive, and keeps it until the job ends. The kernel drops a flock when the last descriptor of its
open file closes, so a killed process (kill -9, a crash) leaves no stale lock, and /run is a tmpfs,
so nothing survives a reboot. Two opens in one process are two locks too: the same drive twice in
one TUI is refused like a second process.

Whether a drive is busy is read from /proc/locks through the Host, without taking the lock (a probe
that took it, even shared and for a moment, would make a wipe starting at that moment fail). The
holder writes who it is (pid, job, since when) into its lock file, for the refusal message.

Why not only O_EXCL on the block device (the engine opens with it too): the kernel's O_EXCL only
excludes mounts and other O_EXCL openers, says nothing about who holds the device, does not apply to
plain files, is not held while an external tool (hdparm, nvme) runs a drive command, and asking
whether it is held means claiming it.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from station.detect.disk import Disk, DiskKind
from station.hw import Host
from station.i18n import N_
from station.notice import Notice, define

LOCK_DIR = "/run/station/locks"

define({
    "busy.held": N_("another Station process is erasing this drive (pid {pid}, job {job}, since {since})"),
})


@dataclass(frozen=True)
class Holder:
    """Who holds a drive's lock: from /proc/locks (pid) and what the holder wrote in its file."""

    pid: int | None
    job_id: str | None = None
    since: str | None = None

    def notice(self) -> Notice:
        return Notice.of("busy.held", pid=str(self.pid) if self.pid is not None else "?",
                         job=self.job_id or "?", since=self.since or "?")

    def to_dict(self) -> dict[str, object]:
        return {"pid": self.pid, "job_id": self.job_id, "since": self.since, "reason": self.notice().text()}


class DriveBusyError(Exception):
    """The drive's lock is held by another job (another process, or another job of this one)."""

    def __init__(self, target: str, holder: Holder):
        super().__init__(f"{target}: {holder.notice().text()}")
        self.target = target
        self.holder = holder
        self.notice = holder.notice()


def lock_dir(env: dict[str, str] | None = None) -> Path:
    """/run/station/locks, the same for every process of this boot; elsewhere only when /run is not writable
    (a non-root developer: then only that user's processes are excluded from each other)."""
    env = dict(os.environ) if env is None else env
    configured = env.get("STATION_LOCK_DIR")
    candidates = [Path(configured)] if configured else [Path(LOCK_DIR)]
    if not configured:
        if env.get("XDG_RUNTIME_DIR"):
            candidates.append(Path(env["XDG_RUNTIME_DIR"]) / "station" / "locks")
        candidates.append(Path(tempfile.gettempdir()) / f"station-locks-{os.getuid()}")
    for candidate in candidates:
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    raise OSError(f"no writable directory for drive locks (tried {', '.join(map(str, candidates))})")


def key_of_path(path: str) -> str:
    """The lock's name: the kernel's identity of what `path` opens, whatever link or name it was given by."""
    st = os.stat(path)
    if stat.S_ISBLK(st.st_mode):
        return f"block-{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    return f"file-{st.st_dev}-{st.st_ino}"


def key_of_disk(disk: Disk) -> str | None:
    """The same name from a detected drive (major:minor from sysfs) or a file-backed one; None when unknown."""
    if disk.kind is not DiskKind.FILE and disk.devnum and disk.bus != "file":
        return f"block-{disk.devnum}"
    try:
        return key_of_path(disk.devnode)
    except OSError:
        return None


class DriveLock:
    """Held for a whole job: `acquire()` before the drive is touched, `release()` when the job has ended."""

    def __init__(self, target: str, job_id: str | None = None, directory: Path | None = None):
        self.target = target
        self.job_id = job_id
        self.directory = directory
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise DriveBusyError saying who holds it; never waits."""
        directory = self.directory or lock_dir()
        path = directory / key_of_path(self.target)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder_from(path, _locker_pid(Host(), path))
            os.close(fd)
            raise DriveBusyError(self.target, holder) from None
        except BaseException:
            os.close(fd)
            raise
        since = datetime.now(UTC).isoformat(timespec="seconds")
        record = {"pid": os.getpid(), "job_id": self.job_id, "since": since, "target": self.target}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.ftruncate(fd, 0)  # still ours here: the next reader finds no stale holder
            os.close(fd)  # the kernel drops the flock with the last descriptor

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> DriveLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder_of(host: Host, disk: Disk) -> Holder | None:
    """Who is erasing this drive right now, or None. A recorded profile has no live locks."""
    if not host.is_live:
        return None
    key = key_of_disk(disk)
    if key is None:
        return None
    try:
        path = lock_dir(dict(host.env) if host.env else None) / key
    except OSError:
        return None
    if not path.exists():
        return None
    pid = _locker_pid(host, path)
    return None if pid is None else _holder_from(path, pid)


def _locker_pid(host: Host, path: Path) -> int | None:
    """The pid holding a write flock on `path`, read from /proc/locks (0 when held but the pid is unknown).

    Lines read "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF" (major:minor in hex, then the inode);
    waiters are "1: -> FLOCK ...". None when nobody holds it.
    """
    try:
        st = path.stat()
    except OSError:
        return None
    text = host.read_text("/proc/locks")
    if text is None:
        return _probe(path)
    wanted = (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[1] == "->" or fields[1] != "FLOCK" or fields[3] != "WRITE":
            continue
        parts = fields[5].split(":")
        try:
            found = (int(parts[0], 16), int(parts[1], 16), int(parts[2]))
            pid = int(fields[4])
        except (ValueError, IndexError):
            continue
        if found == wanted:
            return max(pid, 0)
    return None


def _probe(path: Path) -> int | None:
    """Without /proc/locks: try a shared lock for an instant (a wipe starting in that instant is refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0
    finally:
        os.close(fd)
    return None


def _holder_from(path: Path, pid: int | None) -> Holder:
    """What the holder wrote about itself; the pid from the kernel wins (the file may be mid-write)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    written = data.get("pid") if isinstance(data.get("pid"), int) else None
    job = data.get("job_id") if isinstance(data.get("job_id"), str) else None
    since = data.get("since") if isinstance(data.get("since"), str) else None
    return Holder(pid if pid else written, job, since)
