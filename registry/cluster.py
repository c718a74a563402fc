"""A private PostgreSQL cluster under a directory: initdb, start, stop, socket only (no TCP).

Debian's `postgresql` package provides the binaries. PostgreSQL refuses to run as root, so when root
the cluster runs as the `postgres` user (`runuser -u postgres`) in a directory that user owns; otherwise
as the current user. The start command and the test fixture both use it (shared/README.md's recipe).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from registry import config


class ClusterError(Exception):
    """PostgreSQL is missing, or initdb/pg_ctl failed (the message carries the end of its log)."""


def bin_dir() -> Path | None:
    """The newest Debian PostgreSQL binaries (/usr/lib/postgresql/N/bin), or `$REGISTRY_PG_BIN`."""
    configured = os.environ.get("REGISTRY_PG_BIN")
    if configured:
        return Path(configured) if (Path(configured) / "initdb").exists() else None
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


@dataclass(frozen=True)
class Cluster:
    base: Path  # the registry data directory; the cluster lives in base/pg/
    port: int = config.EMBEDDED_PORT

    @property
    def data(self) -> Path:
        return config.cluster_dir(self.base)

    @property
    def socket_dir(self) -> Path:
        return config.socket_dir(self.base)

    @property
    def log(self) -> Path:
        return self.base / "pg" / "postgresql.log"

    def _owner(self) -> str | None:
        """The user to run PostgreSQL as: `postgres` when we are root, else ourselves (None)."""
        return "postgres" if os.geteuid() == 0 else None

    def _run(self, argv: list[str], what: str) -> None:
        binaries = bin_dir()
        if binaries is None:
            raise ClusterError("PostgreSQL binaries not found (apt-get install postgresql)")
        command = [str(binaries / argv[0]), *argv[1:]]
        owner = self._owner()
        if owner:
            command = ["runuser", "-u", owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")
        if done.returncode != 0:
            tail = ""
            if self.log.exists():
                tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])
            raise ClusterError(f"{what} failed ({done.returncode}): {done.stderr.strip()}\n{tail}".strip())

    def _prepare_dirs(self) -> None:
        pg = self.base / "pg"
        for path in (pg, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        owner = self._owner()
        if owner:
            entry = pwd.getpwnam(owner)
            for path in (pg, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
                os.chmod(path, 0o700)  # only postgres (and root) can reach the socket: trust auth is local-only
            if self.log.exists():
                os.chown(self.log, entry.pw_uid, entry.pw_gid)
        # the data directory itself must be reachable for the owner: base may be root-owned 0700
        if owner and self.base.stat().st_mode & 0o001 == 0:
            os.chmod(self.base, self.base.stat().st_mode | 0o001)

    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        self._prepare_dirs()
        if not self.initialised():
            self._run(["initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                       "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C"], "initdb")

    def running(self) -> bool:
        """`pg_ctl status`: a postmaster.pid left by a killed server does not count."""
        binaries = bin_dir()
        if binaries is None or not self.initialised():
            return False
        command = [str(binaries / "pg_ctl"), "-D", str(self.data), "status"]
        owner = self._owner()
        if owner:
            command = ["runuser", "-u", owner, "--", *command]
        return subprocess.run(command, capture_output=True, check=False, cwd="/").returncode == 0

    def start(self) -> None:
        self.init()
        if self.running():
            return
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses='' -c unix_socket_permissions=0700"
        self._run(["pg_ctl", "-D", str(self.data), "-o", options, "-w", "-t", "60", "-l", str(self.log), "start"],
                  "pg_ctl start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop"], "pg_ctl stop")

    def url(self, database: str = "postgres", role: str = "postgres") -> str:
        return config.embedded_url(self.base, role).replace(f"/{config.DATABASE_NAME}?", f"/{database}?")

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the socket (setup only: roles, databases, grants)."""
        binaries = bin_dir()
        if binaries is None:
            raise ClusterError("PostgreSQL binaries not found (apt-get install postgresql)")
        done = subprocess.run([str(binaries / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres", "-d", database,
                               "-c", sql], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ClusterError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def ensure_database(self, name: str = config.DATABASE_NAME, role: str = config.APP_ROLE) -> None:
        """The registry's database (owned by the superuser, who runs migrations) and the app's login role."""
        if not self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'").strip():
            self.psql(f'CREATE ROLE "{role}" LOGIN')
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip():
            self.psql(f'CREATE DATABASE "{name}"')


def _has_c_utf8() -> bool:
    return shutil.which("locale") is not None and "c.utf8" in subprocess.run(
        ["locale", "-a"], capture_output=True, text=True, check=False).stdout.lower().replace("-", "")
