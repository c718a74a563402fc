"""Numbers, JSON and text read from untrusted tool output and files, without the exceptions Python raises on them.

Every parser of a tool's output (smartctl, dmidecode, hdparm, nvme, sg3-utils), of sysfs and recorded
profiles, and of certificate and manifest files reads through here, because some inputs raise inside
Python itself rather than in the parser: `int()` of a string past 4300 digits (and JSON numbers that
long), JSON nested past the recursion limit, bytes that are not UTF-8. Here each becomes an explicit
unknown with the reason (`None` plus a `why`, or an `Unreadable` value), so the parser's answer stays
a value or a typed unknown.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

# 2**128 (NVMe's 128-bit counters, the widest a drive reports) has 39 decimal digits: anything
# longer is not a reading, and Python refuses int() of strings past 4300 digits anyway.
MAX_DIGITS = 40
# smartctl, nvme-cli and certificates nest a handful of levels; a deeper document is not one of them,
# and recursive readers (json, jsonschema, dataclasses.asdict) would hit the recursion limit.
MAX_JSON_DEPTH = 64
REPLACEMENT = "\ufffd"

_DEC_DIGITS = frozenset("0123456789")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class Unreadable:
    """A value that was present but cannot be read as what it should be, with the reason in words."""

    why: str


class JsonError(ValueError):
    """The text is not JSON a tool or a station would write; the message says why."""


def digits_int(text: str | None, *, base: int = 10) -> int | None:
    """An ASCII integer of at most MAX_DIGITS digits (base 10, 16, or 0 for decimal or 0x-prefixed hex),
    else None.

    `int()` alone accepts Unicode digits ("²" passes `str.isdigit()` and then raises), underscores
    and whitespace, and raises past 4300 digits.
    """
    if text is None:
        return None
    body = text.strip()
    negative = body.startswith("-")
    body = body.removeprefix("-").removeprefix("+") if body[:1] in ("-", "+") else body
    if base in (0, 16) and body[:2] in ("0x", "0X"):
        body, base = body[2:], 16
    elif base == 0:
        base = 10
    allowed = _HEX_DIGITS if base == 16 else _DEC_DIGITS
    if not body or len(body) > MAX_DIGITS or not set(body) <= allowed:
        return None
    value = int(body, base)
    return -value if negative else value


def _bounded_int(text: str) -> int | Unreadable:
    if len(text.lstrip("-")) > MAX_DIGITS:
        return Unreadable(f"a number of {len(text.lstrip('-'))} digits")
    return int(text)


def _finite_float(text: str) -> float | Unreadable:
    value = float(text)
    return value if math.isfinite(value) else Unreadable(f"{text[:20]} is beyond a float")


def _no_constant(text: str) -> Unreadable:
    return Unreadable(f"{text} is not a JSON number")


def _depth(data: Any) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_JSON_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def load_json(raw: bytes | str) -> Any:
    """`json.loads` for untrusted input: numbers past MAX_DIGITS, NaN/Infinity and floats beyond the float
    range become `Unreadable` values (the rest of the document stays readable), and every failure is a
    `JsonError` with the reason."""
    try:
        # bytes are UTF-8 or nothing: json.loads would guess UTF-16/32 from the first bytes
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text, parse_int=_bounded_int, parse_float=_finite_float,
                          parse_constant=_no_constant)
    except RecursionError:
        raise JsonError("JSON nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise JsonError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except ValueError as exc:
        raise JsonError(str(exc)[:200]) from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise JsonError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def text_of(raw: bytes) -> str:
    """Tool output as text the way the live runner decodes it: bytes that are not UTF-8 become U+FFFD,
    which readers of identities then treat as unreadable characters rather than a serial."""
    return raw.decode("utf-8", "replace")


def has_unreadable_characters(value: str) -> bool:
    """True when a string holds U+FFFD (bytes that were not UTF-8) or control characters: as read, it
    is not the drive's or the machine's own text and cannot identify it."""
    return REPLACEMENT in value or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value)
