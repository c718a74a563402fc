"""Display test: full-screen colour fills and a gradient, judged by the technician.

Dead pixels show on the fills, backlight bleed and failing columns on black and white, banding on
the gradient. Station cannot see the panel, so the result is the technician's answer per pattern,
recorded as such (the record names who answered).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from station.functest.result import FunctionResult, noted
from station.notes import Note

PATTERNS = ("red", "green", "blue", "white", "black", "gradient")


@dataclass
class DisplayTest:
    answers: dict[str, bool] = field(default_factory=dict)  # pattern -> looked right
    notes: dict[str, str] = field(default_factory=dict)

    def answer(self, pattern: str, good: bool, note: str = "") -> None:
        if pattern not in PATTERNS:
            raise ValueError(f"unknown display pattern {pattern!r}; known: {', '.join(PATTERNS)}")
        self.answers[pattern] = good
        if note:
            self.notes[pattern] = note

    @property
    def next_pattern(self) -> str | None:
        return next((p for p in PATTERNS if p not in self.answers), None)

    def result(self) -> FunctionResult:
        measured: dict[str, str | int | float | bool | None] = {
            p: self.answers.get(p) for p in PATTERNS}
        measured["judged_by"] = "technician"
        bad = [p for p in PATTERNS if self.answers.get(p) is False]
        if bad:
            detail = "; ".join(f"{p}: {self.notes[p]}" if p in self.notes else p for p in bad)
            return noted("display", "fail", Note.of("fn.display.defect", patterns=detail), measured=measured)
        if self.next_pattern is not None:
            return noted("display", "skipped", Note.of("fn.display.not-judged", pattern=self.next_pattern),
                         measured=measured)
        return FunctionResult("display", "pass", None, measured)
