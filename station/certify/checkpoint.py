"""C2SP signed notes and tlog checkpoints (Ed25519): the registry signs its log's tree heads, the station checks them.

Formats, from c2sp.org/signed-note and c2sp.org/tlog-checkpoint:

- a note is UTF-8 text ending in a newline, a blank line, then signature lines `— <key name> <base64(key ID || sig)>`;
- an Ed25519 key ID is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || 32-byte public key);
- a verifier key is written `<name>+<8 hex digits of the key ID>+<base64(0x01 || public key)>`, and a signer key (the
  golang.org/x/mod/sumdb/note encoding, handy to keep the registry's key in one line)
  `PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 || 32-byte seed)>`;
- a checkpoint's text is the origin line, the tree size in decimal, the base64 root hash, then optional extension
  lines.

Verifiers ignore signatures by keys they do not know (so a log can rotate keys and witnesses can cosign), reject the
note when a known key's signature does not verify, and reject a note no known key signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = 0x01
SIG_PREFIX = "— "
#: above the spec's minimum of 16 signatures a verifier must accept, the same bound as Go's note package
MAX_SIGNATURES = 100
_HEX_ID = re.compile(r"[0-9a-f]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class NoteError(ValueError):
    """A signed note or a checkpoint that cannot be trusted; the subclass says why."""


class MalformedNote(NoteError):
    """The bytes are not a signed note (or not a checkpoint) by the C2SP grammar."""


class BadKey(NoteError):
    """A verifier or signer key string that does not parse or whose key ID does not match its key."""


class UnverifiedNote(NoteError):
    """No signature on the note is by a key the verifier knows."""


class BadSignature(NoteError):
    """A known key's signature does not verify: the note was altered or forged."""


def _b64decode(text: str, what: str, error: type[NoteError]) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise error(f"{what} is not standard base64") from None


def _check_name(name: str, error: type[NoteError]) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise error(f"key name {name!r} is empty or holds a space or a '+'")


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    """SHA-256(name || 0x0A || 0x01 || public key)[:4], the Ed25519 key ID of the signed-note spec."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + raw).digest()[:4]


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: who (name + 4-byte key ID) and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


@dataclass(frozen=True)
class Verifier:
    """A trusted Ed25519 key for notes, as the station keeps it (the registry's log key)."""

    name: str
    key_id: bytes
    public: Ed25519PublicKey

    @classmethod
    def of(cls, name: str, public: Ed25519PublicKey) -> Verifier:
        _check_name(name, BadKey)
        return cls(name, key_id(name, public), public)

    @classmethod
    def parse(cls, text: str) -> Verifier:
        """Reads `<name>+<hex key ID>+<base64(0x01 || key)>`; refuses any mangling (the key ID must match)."""
        parts = text.split("+", 2)  # base64 may hold "+": the key is everything after the second
        if len(parts) != 3:
            raise BadKey("a verifier key is <name>+<key id>+<key>")
        name, hex_id, encoded = parts
        _check_name(name, BadKey)
        if not _HEX_ID.fullmatch(hex_id):
            raise BadKey("the key ID of a verifier key is 8 lowercase hex digits")
        raw = _b64decode(encoded, "the verifier key", BadKey)
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise BadKey("the verifier key is not an Ed25519 key (0x01 followed by 32 bytes)")
        public = Ed25519PublicKey.from_public_bytes(raw[1:])
        verifier = cls.of(name, public)
        if verifier.key_id.hex() != hex_id:
            raise BadKey("the verifier key's key ID does not match its name and key")
        return verifier

    def key_string(self) -> str:
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(bytes([ALG_ED25519]) + raw).decode()}"

    def verify(self, text: str, signature: bytes) -> bool:
        try:
            self.public.verify(signature, text.encode())
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """The log's Ed25519 signing key under its name (the registry's side)."""

    name: str
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls, name: str) -> Signer:
        _check_name(name, BadKey)
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def parse(cls, text: str) -> Signer:
        """Reads `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>` (golang.org/x/mod/sumdb/note)."""
        parts = text.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise BadKey("a signer key is PRIVATE+KEY+<name>+<key id>+<key>")
        name, hex_id, encoded = parts[2:]
        _check_name(name, BadKey)
        if not _HEX_ID.fullmatch(hex_id):
            raise BadKey("the key ID of a signer key is 8 lowercase hex digits")
        raw = _b64decode(encoded, "the signer key", BadKey)
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise BadKey("the signer key is not an Ed25519 seed (0x01 followed by 32 bytes)")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.verifier().key_id.hex() != hex_id:
            raise BadKey("the signer key's key ID does not match its name and key")
        return signer

    def key_string(self) -> str:
        seed = self.private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                          serialization.NoEncryption())
        encoded = base64.b64encode(bytes([ALG_ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier().key_id.hex()}+{encoded}"

    def verifier(self) -> Verifier:
        return Verifier.of(self.name, self.private.public_key())

    def sign(self, text: str) -> NoteSignature:
        return NoteSignature(self.name, self.verifier().key_id, self.private.sign(text.encode()))


@dataclass(frozen=True)
class SignedNote:
    """A note's text (ending in a newline) and its signature lines, verified or not."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def encode(self) -> bytes:
        return (self.text + "\n" + "".join(s.line() for s in self.signatures)).encode()

    @classmethod
    def parse(cls, data: bytes) -> SignedNote:
        """The grammar only, no trust: UTF-8, no control characters, text, blank line, signature lines."""
        try:
            note = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNote("a signed note is UTF-8") from None
        if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
            raise MalformedNote("a signed note holds no control character other than newline")
        split = note.rfind("\n\n")
        if split < 0:
            raise MalformedNote("a signed note has a blank line between its text and its signatures")
        text, block = note[:split + 1], note[split + 2:]
        if not block.endswith("\n"):
            raise MalformedNote("a signed note's last signature line ends in a newline")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise MalformedNote(f"more than {MAX_SIGNATURES} signatures")
        signatures = []
        for line in lines:
            if not line.startswith(SIG_PREFIX):
                raise MalformedNote(f"not a signature line: {line[:60]!r}")
            name, sep, encoded = line[len(SIG_PREFIX):].partition(" ")
            if not sep:
                raise MalformedNote(f"a signature line is '— <name> <base64>': {line[:60]!r}")
            _check_name(name, MalformedNote)
            raw = _b64decode(encoded, "a signature", MalformedNote)
            if len(raw) < 5:
                raise MalformedNote("a signature holds a 4-byte key ID and at least one byte")
            signatures.append(NoteSignature(name, raw[:4], raw[4:]))
        return cls(text, tuple(signatures))


def sign_note(text: str, *signers: Signer) -> bytes:
    """The signed note of `text` (which must end in a newline and not be empty)."""
    if not text.endswith("\n") or any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise MalformedNote("a note's text ends in a newline and holds no other control character")
    if not signers:
        raise NoteError("a signed note needs at least one signer")
    return SignedNote(text, tuple(s.sign(text) for s in signers)).encode()


def open_note(data: bytes, verifiers: Iterable[Verifier]) -> SignedNote:
    """Parses and verifies; returns the note with only the signatures that verified by a known key."""
    note = SignedNote.parse(data)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified = []
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if not verifier.verify(note.text, sig.signature):
            raise BadSignature(f"the signature by {sig.name}+{sig.key_id.hex()} does not verify")
        verified.append(sig)
    if not verified:
        raise UnverifiedNote("no signature on the note is by a known key")
    return SignedNote(note.text, tuple(verified))


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, size and RFC 6962 root hash (plus opaque extension lines, rarely used)."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse_text(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise MalformedNote("a checkpoint's text ends in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedNote("a checkpoint has an origin, a size and a root hash line")
        origin, size, root, *extensions = lines
        if not origin:
            raise MalformedNote("a checkpoint's origin is not empty")
        if not _DECIMAL.fullmatch(size):
            raise MalformedNote(f"a checkpoint's size is a decimal number without leading zeroes, not {size[:30]!r}")
        raw_root = _b64decode(root, "the checkpoint's root hash", MalformedNote)
        if len(raw_root) != 32:
            raise MalformedNote("a checkpoint's root hash is 32 bytes")
        if any(not line for line in extensions):
            raise MalformedNote("a checkpoint's extension lines are not empty")
        return cls(origin, int(size), raw_root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> bytes:
    """The signed note the registry serves and hands to stations."""
    return sign_note(checkpoint.text(), signer)


def open_checkpoint(data: bytes, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """Verifies the log's signature and reads the tree head; the origin must be the expected log's (default: the
    key's name, as the spec recommends they match)."""
    note = open_note(data, [verifier])
    checkpoint = Checkpoint.parse_text(note.text)
    expected = verifier.name if origin is None else origin
    if checkpoint.origin != expected:
        raise MalformedNote(f"the checkpoint is for the log {checkpoint.origin!r}, not {expected!r}")
    return checkpoint
