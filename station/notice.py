"""Messages kept as a stable code plus parameters, put into words only where they are shown.

Refusal reasons and plan warnings are data: they go to JSON output and records, where a code and its
parameters must stay stable whatever the language, and they are shown to French technicians. The
modules that raise them register an English template per code (marked with N_ for the catalogs);
`text()` renders the English form (logs, JSON, records: the same words as before codes existed),
`translated()` renders it through gettext in the current language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from station.i18n import _

TEMPLATES: dict[str, str] = {}


def define(templates: Mapping[str, str]) -> None:
    """Register English templates by code; a code defined twice with other words is a programming error."""
    for code, template in templates.items():
        if TEMPLATES.get(code, template) != template:
            raise ValueError(f"notice code {code!r} is already defined with other words")
        TEMPLATES[code] = template


@dataclass(frozen=True)
class Notice:
    code: str
    params: tuple[tuple[str, Param], ...] = ()

    @classmethod
    def of(cls, code: str, **params: Param) -> Notice:
        if code not in TEMPLATES:
            raise KeyError(f"undefined notice code {code!r}")
        return cls(code, tuple(params.items()))

    def param(self, name: str) -> Param | None:
        return dict(self.params).get(name)

    def _render(self, translate: bool) -> str:
        values = {k: (v._render(translate) if isinstance(v, Notice) else str(v)) for k, v in self.params}
        template = TEMPLATES.get(self.code)
        if template is None:  # a record written by a newer Station: show the code and what it carried
            return self.code + "".join(f" {k}={v}" for k, v in values.items())
        return (_(template) if translate else template).format(**values)

    def text(self) -> str:
        """English, as written to JSON, logs and records."""
        return self._render(False)

    def translated(self) -> str:
        """In the current language (station.i18n)."""
        return self._render(True)

    def __str__(self) -> str:
        return self.text()

    def __contains__(self, words: str) -> bool:
        """`"frozen" in notice` reads the English text, as it did when notices were plain strings."""
        return words in self.text()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code,
                "params": {k: (v.to_dict() if isinstance(v, Notice) else v) for k, v in self.params},
                "text": self.text()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notice:
        params: list[tuple[str, Param]] = []
        for key, value in dict(data.get("params") or {}).items():
            params.append((str(key), cls.from_dict(value) if isinstance(value, Mapping) else
                           value if isinstance(value, int) else str(value)))
        return cls(str(data["code"]), tuple(params))


Param = str | int | Notice
