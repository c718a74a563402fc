"""Where the registry keeps its state and how it reaches PostgreSQL, read from the environment.

One place for what settings.py, the start command and the tests agree on: the data directory
(`REGISTRY_DATA_DIR`), the private cluster under it when `DATABASE_URL` is not set, and the
parsing of `DATABASE_URL` into Django's database settings.
"""

from __future__ import annotations

import os
import secrets
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

APP_ROLE = "registry_app"  # the role the web processes run as: no UPDATE/DELETE on the log tables
DATABASE_NAME = "registry"
EMBEDDED_PORT = 5432  # only names the socket file inside the private socket directory; no TCP is opened


def data_dir() -> Path:
    """`$REGISTRY_DATA_DIR`, else /var/lib/station-registry for root, else ~/.local/share/station-registry."""
    configured = os.environ.get("REGISTRY_DATA_DIR")
    if configured:
        return Path(configured)
    if os.geteuid() == 0:
        return Path("/var/lib/station-registry")
    return Path.home() / ".local" / "share" / "station-registry"


def socket_dir(base: Path) -> Path:
    return base / "pg" / "run"


def cluster_dir(base: Path) -> Path:
    return base / "pg" / "data"


def embedded_url(base: Path, role: str = APP_ROLE) -> str:
    """The private cluster's address: a Unix socket under the data directory, never TCP."""
    return (f"postgresql://{role}@/{DATABASE_NAME}?host={urllib.parse.quote(str(socket_dir(base)), safe='')}"
            f"&port={EMBEDDED_PORT}")


@dataclass(frozen=True)
class Database:
    name: str
    user: str
    password: str
    host: str
    port: str
    options: dict[str, str]

    def django(self) -> dict[str, object]:
        return {"ENGINE": "django.db.backends.postgresql", "NAME": self.name, "USER": self.user,
                "PASSWORD": self.password, "HOST": self.host, "PORT": self.port, "OPTIONS": self.options,
                "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True, "ATOMIC_REQUESTS": False}


class ConfigError(Exception):
    """DATABASE_URL (or another setting) cannot be used as given."""


def parse_database_url(url: str) -> Database:
    """`postgresql://user:password@host:port/name?sslmode=require`; `?host=/dir` names a socket directory."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise ConfigError(f"DATABASE_URL must be a postgresql:// URL (PostgreSQL only), not {parsed.scheme!r}")
    query = dict(urllib.parse.parse_qsl(parsed.query))
    host = query.pop("host", None) or (urllib.parse.unquote(parsed.hostname) if parsed.hostname else "")
    port = query.pop("port", None) or (str(parsed.port) if parsed.port else "")
    name = urllib.parse.unquote(parsed.path.lstrip("/"))
    if not name:
        raise ConfigError("DATABASE_URL names no database")
    return Database(name, urllib.parse.unquote(parsed.username or ""), urllib.parse.unquote(parsed.password or ""),
                    host, port, query)


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or embedded_url(data_dir())


def secret_key(base: Path) -> str:
    """`$REGISTRY_SECRET_KEY`, else the data directory's `secret-key` file (made by the start command)."""
    configured = os.environ.get("REGISTRY_SECRET_KEY")
    if configured:
        return configured
    try:
        return (base / "secret-key").read_text().strip()
    except OSError:
        # no file yet (a bare `python -m registry check`): a per-process key; sessions then last one process
        return secrets.token_urlsafe(50)


def ensure_secret_key(base: Path) -> None:
    path = base / "secret-key"
    if path.exists():
        return
    base.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
