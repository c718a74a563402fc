"""A fast yes/no check of a record against Station's own JSON Schemas (draft 2020-12).

Every certificate is checked against its schema before it is signed. jsonschema costs about 0.1 s to import, a
sixth of a whole `station wipe` of a small drive, so this module answers the common question, "is it valid?",
with the keywords our schemas use and nothing else; when the answer is no, jsonschema is loaded to say why
(certificate.schema_errors). A schema that uses a keyword this module does not know is refused outright
(`UnknownKeyword`), never half-checked: a test runs every schema through it, and compares its verdicts with
jsonschema's on the recorded records and on mutations of them.
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples", "default",
                         "format"})  # `format` only annotates in 2020-12 unless a format checker is asked for
ASSERTIONS = frozenset({"$ref", "$defs", "type", "enum", "const", "pattern", "minLength", "maxLength", "minimum",
                        "maximum", "items", "maxItems", "minItems", "properties", "patternProperties",
                        "additionalProperties", "required", "allOf", "anyOf", "oneOf", "not", "if", "then",
                        "else"})


class UnknownKeyword(ValueError):
    """The schema asks for something this checker does not implement."""


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _is_type(value: Any, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if isinstance(value, bool):  # JSON's true is not the number 1
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
    if kind == "number":
        return isinstance(value, (int, float))
    raise UnknownKeyword(f"type {kind!r}")


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true != 1, and containers compared member by member."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and bool(a == b)


class Checker:
    """One schema, its `$defs` reachable by `$ref` ("#/..." pointers inside the same document)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.root = schema
        self._known(schema)

    def _known(self, node: Any) -> None:
        if isinstance(node, bool):
            return
        if not isinstance(node, dict):
            raise UnknownKeyword(f"a schema must be an object or a boolean, not {node!r}")
        unknown = set(node) - ANNOTATIONS - ASSERTIONS
        if unknown:
            raise UnknownKeyword(", ".join(sorted(unknown)))
        ref = node.get("$ref")
        if ref is not None and not (isinstance(ref, str) and ref.startswith("#")):
            raise UnknownKeyword(f"$ref {ref!r} (only pointers inside the schema)")
        for key in ("properties", "patternProperties", "$defs"):
            for child in node.get(key, {}).values():
                self._known(child)
        for key in ("items", "additionalProperties", "not", "if", "then", "else"):
            if key in node:
                self._known(node[key])
        for key in ("allOf", "anyOf", "oneOf"):
            for child in node.get(key, ()):
                self._known(child)

    def _resolve(self, ref: str) -> Any:
        node: Any = self.root
        for part in ref.lstrip("#").split("/")[1:]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def valid(self, value: Any, schema: Any = None) -> bool:
        schema = self.root if schema is None else schema
        if schema is True:
            return True
        if schema is False:
            return False
        return all(self._keyword(key, arg, value, schema) for key, arg in schema.items() if key not in ANNOTATIONS
                   and key not in ("$defs", "then", "else"))

    def _keyword(self, key: str, arg: Any, value: Any, schema: dict[str, Any]) -> bool:
        if key == "$ref":
            return self.valid(value, self._resolve(arg))
        if key == "type":
            return any(_is_type(value, kind) for kind in ([arg] if isinstance(arg, str) else arg))
        if key == "enum":
            return any(_json_equal(value, choice) for choice in arg)
        if key == "const":
            return _json_equal(value, arg)
        if key == "allOf":
            return all(self.valid(value, sub) for sub in arg)
        if key == "anyOf":
            return any(self.valid(value, sub) for sub in arg)
        if key == "oneOf":
            return sum(1 for sub in arg if self.valid(value, sub)) == 1
        if key == "not":
            return not self.valid(value, arg)
        if key == "if":
            branch = "then" if self.valid(value, arg) else "else"
            return branch not in schema or self.valid(value, schema[branch])
        if isinstance(value, str):
            if key == "pattern":
                return _regex(arg).search(value) is not None
            if key == "minLength":
                return len(value) >= int(arg)
            if key == "maxLength":
                return len(value) <= int(arg)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if key == "minimum":
                return bool(value >= arg)
            if key == "maximum":
                return bool(value <= arg)
        elif isinstance(value, list):
            if key == "items":
                return all(self.valid(item, arg) for item in value)
            if key == "maxItems":
                return len(value) <= int(arg)
            if key == "minItems":
                return len(value) >= int(arg)
        elif isinstance(value, dict):
            if key == "required":
                return all(name in value for name in arg)
            if key == "properties":
                return all(self.valid(value[name], sub) for name, sub in arg.items() if name in value)
            if key == "patternProperties":
                return all(self.valid(item, sub) for pattern, sub in arg.items()
                           for name, item in value.items() if _regex(pattern).search(name))
            if key == "additionalProperties":
                named = schema.get("properties", {})
                patterns = [_regex(p) for p in schema.get("patternProperties", {})]
                return all(self.valid(item, arg) for name, item in value.items()
                           if name not in named and not any(p.search(name) for p in patterns))
        return True  # a keyword for another type of value says nothing about this one
