"""Upload tokens and enrollment codes: random, shown once, stored only as a sha256 hash.

Both carry at least 60 bits of randomness from `secrets`, so a plain sha256 (no slow KDF) is enough to
make a stolen database useless for uploading, and lets a token be looked up by its hash in one query.
"""

from __future__ import annotations

import hashlib
import secrets

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on a keyboard


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def new_token() -> str:
    return "st_" + secrets.token_urlsafe(32)


def new_code() -> str:
    """`ABCD-EFGH-JKLM-NPQR`: 16 symbols of 32 (80 bits), grouped to be typed on the station."""
    symbols = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(symbols[i:i + 4] for i in range(0, 16, 4))


def normalise_code(code: str) -> str:
    """What a technician typed, forgiving case, spaces and missing dashes."""
    symbols = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(symbols[i:i + 4] for i in range(0, len(symbols), 4))
