"""What the laptop bench found: the function results and the cosmetic grade, as one value the verdict,
the audit record and the label read.

`CHECKLIST_OF` ties each function test to the hand-ticked checklist item it replaces, so a machine
tested on the bench is not also reported "untested" by the old checklist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from station.functest.grade import Grade
from station.functest.result import FunctionResult

CHECKLIST_OF = {"display": "screen", "keyboard": "keyboard", "pointer": "touchpad", "pointing_stick": "touchpad",
                "usb": "ports",
                "camera": "webcam", "audio": "audio", "microphone": "audio", "wifi": "wifi"}
_STATE = {"pass": "ok", "fail": "failed", "absent": "absent", "skipped": "untested"}


@dataclass(frozen=True)
class Bench:
    results: tuple[FunctionResult, ...] = ()
    grade: Grade | None = None
    layout: str | None = None  # the keyboard layout tested against
    notes: tuple[str, ...] = field(default_factory=tuple)

    def result(self, function: str) -> FunctionResult | None:
        return next((r for r in self.results if r.function == function), None)

    def with_result(self, result: FunctionResult) -> Bench:
        """This bench with `result` replacing any earlier one for the same function (a test run again)."""
        kept = tuple(r for r in self.results if r.function != result.function)
        return Bench((*kept, result), self.grade, self.layout, self.notes)

    def checklist_items(self) -> dict[str, str]:
        """Checklist states the bench proves, worst first: one failed function fails its item."""
        order = ("failed", "untested", "ok", "absent")
        items: dict[str, str] = {}
        for result in self.results:
            item = CHECKLIST_OF.get(result.function)
            if item is None:
                continue
            state = _STATE[result.status]
            if item not in items or order.index(state) < order.index(items[item]):
                items[item] = state
        return items

    def to_dict(self) -> dict[str, Any]:
        return {"results": [r.to_dict() for r in self.results],
                "grade": self.grade.to_dict() if self.grade else None, "layout": self.layout,
                "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bench:
        grade = data.get("grade")
        return cls(tuple(FunctionResult.from_dict(r) for r in data.get("results") or ()),
                   Grade.from_dict(grade) if grade else None, data.get("layout"), tuple(data.get("notes") or ()))
