"""Hypothesis strategies for odd input: real captures (tests/fixtures, ../shared/fixtures) mutated the way
broken firmware, bridges, tools and hand-edited files break them, and documents generated from scratch.

Every value these produce is synthetic (a mutation of a real capture, or generated): the property tests
use them to show that a parser answers a value or an explicit unknown with the reason, never an exception.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

HERE = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def fixture_files(*subdirs: str, suffix: str = "") -> list[Path]:
    """Real captures under tests/fixtures/<subdir> and ../shared/fixtures/<subdir> (when present), synthetic
    ones (named synthetic-*) left out: mutating an invented output would prove nothing about real ones."""
    found: dict[str, Path] = {}
    for base in (SHARED, HERE):
        for sub in subdirs:
            folder = base / sub
            if folder.is_dir():
                for path in sorted(folder.rglob(f"*{suffix}")):
                    if path.is_file() and not path.name.startswith("synthetic") and path.suffix != ".md":
                        found[path.name] = path
    return [found[name] for name in sorted(found)]


# Raw JSON number tokens that json.dumps cannot write but a broken tool or a hand-edited file can.
HUGE = "9" * 5000  # Python 3.11 refuses int() of strings past 4300 digits, json.loads too
RAW_TOKENS = (HUGE, "-" + HUGE, "-1", "-9223372036854775809", "18446744073709551616", "NaN", "Infinity",
              "-Infinity", "1e400", "-0", "0.5", "1" + "0" * 60)

_PLACEHOLDER = "\x00raw{}\x00"

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
    st.sampled_from(["\ufffd\ufffd", "To Be Filled By O.E.M.", "", " ", "0x-1", "-1", "²", "1_000", HUGE[:50]]),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)


class RawToken:
    """A JSON number token written verbatim into the document (see dumps)."""

    def __init__(self, token: str) -> None:
        self.token = token


def dumps(doc: Any) -> str:
    """json.dumps, with RawToken values written verbatim (huge integers, NaN, 1e400...)."""
    tokens: list[str] = []

    def swap(node: Any) -> Any:
        if isinstance(node, RawToken):
            tokens.append(node.token)
            return _PLACEHOLDER.format(len(tokens) - 1)
        if isinstance(node, dict):
            return {k: swap(v) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return node

    text = json.dumps(swap(doc))
    for number, token in enumerate(tokens):
        text = text.replace(json.dumps(_PLACEHOLDER.format(number)), token)
    return text


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc[:20]):
            out += _paths(value, (*prefix, index))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        copy: Any = dict(doc)
    else:
        copy = list(doc)
    copy[head] = _set(doc[head], rest, value)
    return copy


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


@st.composite
def mutated_json(draw: st.DrawFn, doc: Any, rounds: int = 3, numbers: bool = False) -> str:
    """A real JSON document with one to `rounds` values replaced: a huge or negative number, a value of the
    wrong type (a string where a count belongs, a list where an object belongs), U+FFFD text, or a
    container wrapped or emptied. `numbers=True` aims at the document's numbers only (its counts)."""
    for _ in range(draw(st.integers(1, rounds))):
        paths = _paths(doc)
        if numbers:
            paths = [p for p in paths if type(_get(doc, p)) is int] or paths
        path = draw(st.sampled_from(paths))
        current = _get(doc, path)
        if numbers and type(current) is int:
            doc = _set(doc, path, draw(st.one_of(st.just(-current - 1), st.sampled_from(RAW_TOKENS).map(RawToken),
                                                 st.just(str(current)), st.just([current]))))
            continue
        kind = draw(st.sampled_from(["token", "value", "wrap", "empty", "text-of"]))
        if kind == "token":
            new: Any = RawToken(draw(st.sampled_from(RAW_TOKENS)))
        elif kind == "value":
            new = draw(json_values)
        elif kind == "wrap":
            new = [current]
        elif kind == "empty":
            new = {} if not isinstance(current, dict) else []
        else:
            new = str(current) if not isinstance(current, RawToken) else current.token
        doc = _set(doc, path, new)
    return dumps(doc)


def _junk_bytes() -> st.SearchStrategy[bytes]:
    return st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\x1b[31m", b"\xef\xbf\xbd"])


@st.composite
def mutated_text(draw: st.DrawFn, text: str, rounds: int = 3) -> str:
    """A real tool output with one to `rounds` edits: a number turned huge or negative, bytes that are not
    UTF-8 (decoded as the runner decodes them: U+FFFD), a line dropped, doubled or replaced, a cut."""
    import re

    for _ in range(draw(st.integers(1, rounds))):
        lines = text.splitlines(keepends=True) or [""]
        at = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["number", "number", "bytes", "drop", "double", "line", "cut"]))
        if kind == "number":
            numbers = list(re.finditer(r"[0-9]+", text))
            if numbers:
                match = draw(st.sampled_from(numbers[:200]))
                token = draw(st.sampled_from([HUGE, "-" + match.group(0), "0", "4294967296", "²", "0x" + "f" * 60]))
                text = text[:match.start()] + token + text[match.end():]
                continue
            kind = "bytes"
        if kind == "bytes":
            raw = lines[at].encode()
            cut = draw(st.integers(0, len(raw)))
            lines[at] = (raw[:cut] + draw(_junk_bytes()) + raw[cut:]).decode("utf-8", "replace")
        elif kind == "drop":
            del lines[at]
        elif kind == "double":
            lines.insert(at, lines[at])
        elif kind == "line":
            lines[at] = draw(st.text(max_size=60)) + "\n"
        else:
            lines = lines[:at]
        text = "".join(lines)
    return text
