"""The rack guest image: built once by build_guest.sh, cached by a content hash of everything that shapes it.

The cache lives outside the repository ($STATION_RACK_CACHE, default /var/cache/station-rack) so a fresh
clone reuses it and `git clean` never throws away a 40 s build.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUILD_SCRIPT = HERE / "build_guest.sh"
GUEST_INIT = HERE / "rack-init"
HOST_TOOLS = ("qemu-system-x86_64", "qemu-img", "mmdebstrap", "busybox", "cpio", "mkfs.ext4")
ARCHIVE = ("deb.debian.org", 80)
FILES = ("vmlinuz", "initrd.gz", "root.img")


@dataclass(frozen=True)
class GuestImage:
    """A built guest: kernel, busybox initrd, ext4 root image (never written: runs boot an overlay)."""

    directory: Path

    @property
    def kernel(self) -> Path:
        return self.directory / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.directory / "initrd.gz"

    @property
    def root(self) -> Path:
        return self.directory / "root.img"


def cache_root() -> Path:
    return Path(os.environ.get("STATION_RACK_CACHE", "/var/cache/station-rack"))


def requirements() -> list[str]:
    """Station's runtime dependencies (all of them: the CLI imports every command module),
    pinned to the venv's versions when a venv is there."""
    deps: list[str] = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = _venv_versions()
    out = []
    for dep in deps:
        name = dep.split(">")[0].split("=")[0].split("<")[0].strip()
        out.append(f"{name}=={pins[name.lower()]}" if name.lower() in pins else dep)
    return out


def _venv_versions() -> dict[str, str]:
    pip = REPO / ".venv" / "bin" / "pip"
    if not pip.exists():
        return {}
    listing = subprocess.run([str(pip), "list", "--format=freeze", "--disable-pip-version-check"],
                             capture_output=True, text=True, check=False).stdout
    return {name.lower(): version for name, _, version in
            (line.partition("==") for line in listing.splitlines()) if version}


def inputs_digest(reqs: list[str]) -> str:
    """Hash of the build script, the guest init and the dependency list: any change means a rebuild."""
    h = hashlib.sha256()
    for path in (BUILD_SCRIPT, GUEST_INIT):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    h.update("\n".join(reqs).encode())
    return h.hexdigest()[:16]


def cached_image() -> GuestImage | None:
    image = GuestImage(cache_root() / f"guest-{inputs_digest(requirements())}")
    return image if all((image.directory / f).exists() for f in FILES) else None


def skip_reason() -> str | None:
    """Why the rack cannot run here, or None. Checked before any boot."""
    if os.environ.get("STATION_SKIP_RACK") == "1":
        return "STATION_SKIP_RACK=1"
    if os.geteuid() != 0:
        return "the rack needs root (mmdebstrap chroot, guest build)"
    missing = [t for t in HOST_TOOLS if shutil.which(t) is None]
    if missing:
        return f"missing host tools: {' '.join(missing)} (scripts/setup installs them)"
    if cached_image() is None and not _archive_reachable():
        return f"no cached guest and the Debian archive ({ARCHIVE[0]}) is unreachable"
    return None


def _archive_reachable() -> bool:
    try:
        with socket.create_connection(ARCHIVE, timeout=5):
            return True
    except OSError:
        return False


def ensure_guest() -> GuestImage:
    """The cached guest for the current inputs, building it (under a lock) when absent."""
    reqs = requirements()
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"guest-{inputs_digest(reqs)}"
    with open(root / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if all((final / f).exists() for f in FILES):
            return GuestImage(final)
        work = Path(tempfile.mkdtemp(prefix="build-", dir=root))
        try:
            req_file = work / "requirements.txt"
            req_file.write_text("\n".join(reqs) + "\n")
            env = dict(os.environ, STATION_RACK_PIP=f"{sys.executable} -m pip")
            done = subprocess.run(["bash", str(BUILD_SCRIPT), str(work / "guest"), str(req_file)],
                                  env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"guest build failed ({done.returncode}):\n{done.stdout[-3000:]}"
                                   f"\n{done.stderr[-3000:]}")
            os.replace(work / "guest", final)
            for stale in root.glob("guest-*"):  # half a GiB each: keep only the current inputs' guest
                if stale != final:
                    shutil.rmtree(stale, ignore_errors=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return GuestImage(final)


if __name__ == "__main__":
    reason = skip_reason()
    if reason:
        sys.exit(f"cannot build: {reason}")
    print(ensure_guest().directory)
