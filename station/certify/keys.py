"""The station's Ed25519 signing key: created once, kept in the data directory, never silently replaced.

Certificates and audit records are signed with it; donors check them with the exported public key
(`station.pub.pem`) and plain openssl. Replacing the key would orphan every earlier signature and break
the hash chain, so an unreadable key file is an error, never a reason to make a new one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from station.store import atomic
from station.store.datadir import DataDir

PRIVATE_NAME = "station.key.pem"
PUBLIC_NAME = "station.pub.pem"
PASSPHRASE_ENV = "STATION_KEY_PASSPHRASE"


class KeyFileError(Exception):
    """The key file exists but cannot be used (corrupt, wrong passphrase, not Ed25519)."""


def sha256_hex(data: bytes) -> str:
    """The digest every signed record, chain link and manifest names its files by."""
    return hashlib.sha256(data).hexdigest()


def fingerprint_of(public: Ed25519PublicKey) -> str:
    """First 64 bits of sha256(raw public key), grouped for reading aloud: `3f9a-1c2b-77d0-e415`."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class PublicKey:
    """A public key that checks signatures; what a verifier holds."""

    key: Ed25519PublicKey

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.key)

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            self.key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def public_pem(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class StationKey:
    """The station's private key; `sign` returns a detached 64-byte Ed25519 signature."""

    private: Ed25519PrivateKey
    path: Path | None = None

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.private.public_key())

    @property
    def fingerprint(self) -> str:
        return self.public.fingerprint

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)

    def public_pem(self) -> bytes:
        return self.public.public_pem()


def load_public(pem: bytes) -> PublicKey:
    """Parse a PEM public key; raises KeyFileError if it is not an Ed25519 key."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"not an Ed25519 public key ({type(key).__name__})")
    return PublicKey(key)


def private_path(datadir: DataDir) -> Path:
    return datadir.keys / PRIVATE_NAME


def public_path(datadir: DataDir) -> Path:
    return datadir.keys / PUBLIC_NAME


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_private(path: Path, passphrase: bytes | None) -> Ed25519PrivateKey:
    data = path.read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError as exc:  # encrypted without passphrase, or passphrase given for a plain key
        raise KeyFileError(f"{path}: {exc}") from exc
    except ValueError as exc:
        raise KeyFileError(f"{path}: unreadable key or wrong passphrase ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 key ({type(key).__name__})")
    return key


def load_or_create(datadir: DataDir, passphrase: bytes | None = None) -> StationKey:
    """The station key, created on first use (private file 0600, optional passphrase); public PEM beside it.

    Without an explicit passphrase, `$STATION_KEY_PASSPHRASE` is used if set (the live image's unit sets it).
    """
    if passphrase is None and os.environ.get(PASSPHRASE_ENV):
        passphrase = os.environ[PASSPHRASE_ENV].encode()
    priv = private_path(datadir)
    with _locked(datadir.keys):
        if priv.exists():
            key = _read_private(priv, passphrase)
        else:
            key = Ed25519PrivateKey.generate()
            encryption: serialization.KeySerializationEncryption = (
                serialization.BestAvailableEncryption(passphrase) if passphrase
                else serialization.NoEncryption())
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
            atomic.write_bytes(priv, pem, mode=0o600)
        station_key = StationKey(key, priv)
        pub = public_path(datadir)
        expected = station_key.public_pem()
        if not pub.exists() or pub.read_bytes() != expected:
            atomic.write_bytes(pub, expected, mode=0o644)
        if os.stat(priv).st_mode & 0o077:
            with suppress(OSError):  # vfat has no permission bits; nothing more we can do there
                os.chmod(priv, 0o600)
    return station_key
