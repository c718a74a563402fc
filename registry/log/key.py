"""The log's Ed25519 signing key, kept in the data directory in the signed-note form
`PRIVATE+KEY+<origin>+<key id>+<base64(0x01 || seed)>` (one line, file mode 0600).

Created on the first start, never replaced: a new key would be a new log for every verifier. The key's
name is the log's origin (the checkpoint's first line), so both live in the one file.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

from station.certify.checkpoint import NoteError, Signer


class LogKeyError(Exception):
    """The key file exists but cannot be read as a note signer key."""


def default_origin() -> str:
    return f"{socket.gethostname()}/station-registry"


def _write_new(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(tmp, path)  # fails if another process created it first: theirs wins, never overwritten
    finally:
        os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load(path: Path) -> Signer:
    try:
        return Signer.parse(path.read_text().strip())
    except OSError as exc:
        raise LogKeyError(f"{path}: cannot read the log key ({exc.strerror or exc})") from exc
    except NoteError as exc:
        raise LogKeyError(f"{path}: not a log signing key ({exc})") from exc


def load_or_create(path: Path, origin: str = "") -> Signer:
    """The key at `path`, made on first use for `origin` (default `<host name>/station-registry`).

    An existing key keeps its origin; asking for another one is an error, not a silent new log."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            _write_new(path, (Signer.generate(origin or default_origin()).key_string() + "\n").encode())
    signer = load(path)
    if origin and signer.name != origin:
        raise LogKeyError(f"{path} signs for the log {signer.name!r}, not {origin!r}: a log keeps its origin")
    return signer
