"""Cosmetic grade of a laptop (A best, E worst) with the defects ticked from a short list and a free note.

Refurbishers sell by grade; the verdict reads the grade and the defects (a cracked screen or a broken
hinge is a repair, a scratched case is only a lower price). The technician's eye is the measurement,
so the grade names who gave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GRADES = ("A", "B", "C", "D", "E")
DEFECTS = ("screen", "case", "keyboard", "hinge", "battery")


@dataclass(frozen=True)
class Grade:
    letter: str
    defects: tuple[str, ...] = ()
    note: str = ""
    graded_by: str | None = None

    def __post_init__(self) -> None:
        if self.letter not in GRADES:
            raise ValueError(f"grade must be one of {', '.join(GRADES)}, not {self.letter!r}")
        unknown = [d for d in self.defects if d not in DEFECTS]
        if unknown:
            raise ValueError(f"unknown defect {unknown[0]!r}; known: {', '.join(DEFECTS)}")

    def to_dict(self) -> dict[str, Any]:
        return {"letter": self.letter, "defects": list(self.defects), "note": self.note,
                "graded_by": self.graded_by}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grade:
        return cls(str(data["letter"]), tuple(data.get("defects") or ()), str(data.get("note") or ""),
                   data.get("graded_by"))

    @classmethod
    def parse(cls, text: str, graded_by: str | None = None, note: str = "") -> Grade:
        """`B` or `C:screen,hinge` as typed on the command line."""
        letter, _sep, defects = text.strip().partition(":")
        return cls(letter.upper(), tuple(d.strip() for d in defects.split(",") if d.strip()), note, graded_by)
