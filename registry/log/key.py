"""The log's Ed25519 signing key and its origin line, kept in the data directory.

Created on the first start (private key 0600, written atomically), never replaced: a new key would be a
new log for every verifier. The origin (the checkpoint's first line) is saved beside it for the same reason.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


class LogKeyError(Exception):
    """The key file exists but is not an Ed25519 private key."""


def _write_new(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.link(tmp, path)  # fails if another process created it first: theirs wins, never overwritten
    os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise LogKeyError(f"{path}: not a usable private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise LogKeyError(f"{path}: not an Ed25519 key")
    return key


def load_or_create(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption())
        with contextlib.suppress(FileExistsError):
            _write_new(path, pem, 0o600)
    return load(path)


def origin_path(key_path: Path) -> Path:
    return key_path.with_name("log-origin")


def load_or_create_origin(key_path: Path, configured: str = "") -> str:
    """The configured origin, else the one saved on first start (`<host name>/station-registry`)."""
    if configured:
        return configured
    path = origin_path(key_path)
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            _write_new(path, f"{socket.gethostname()}/station-registry\n".encode(), 0o644)
    return path.read_text().strip()
