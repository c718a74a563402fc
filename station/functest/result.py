"""The typed outcome of one function test, with what was measured, as the audit record keeps it.

A test is `pass`, `fail`, `absent` (the machine has no such device) or `skipped` (the technician or the
station could not run it, with the reason). A `fail` or `skipped` always says why: the record never
holds a bare verdict nobody can check. What the station measured it says as notes (station.notes codes), so
a French audit PDF says it in French; `reason` is their English words, or what the technician typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from station.notes import Note

Measure = str | int | float | bool | None

STATUSES = ("pass", "fail", "absent", "skipped")
FUNCTIONS = ("keyboard", "pointer", "pointing_stick", "display", "audio", "microphone", "camera", "ethernet", "wifi",
             "bluetooth", "usb", "battery")


@dataclass(frozen=True)
class FunctionResult:
    function: str
    status: str
    reason: str | None = None
    measured: dict[str, Measure] = field(default_factory=dict)
    device: str | None = None  # the device tested (/dev/input/event3, wlan0, card0...)
    notes: tuple[Note, ...] = ()  # the reason as codes, when the station wrote it (not a typed skip reason)

    def __post_init__(self) -> None:
        if self.notes and self.reason is None:
            object.__setattr__(self, "reason", "; ".join(n.text() for n in self.notes))
        if self.function not in FUNCTIONS:
            raise ValueError(f"unknown function {self.function!r}; known: {', '.join(FUNCTIONS)}")
        if self.status not in STATUSES:
            raise ValueError(f"{self.function}: status must be one of {STATUSES}, not {self.status!r}")
        if self.status in ("fail", "skipped") and not self.reason:
            raise ValueError(f"{self.function}: a {self.status} result needs its reason")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"function": self.function, "status": self.status, "reason": self.reason,
                                "device": self.device, "measured": dict(self.measured)}
        if self.notes:  # left out otherwise, as records made before notes have it
            data["notes"] = [n.to_dict() for n in self.notes]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FunctionResult:
        return cls(str(data["function"]), str(data["status"]), data.get("reason"),
                   dict(data.get("measured") or {}), data.get("device"),
                   tuple(Note.from_dict(n) for n in data.get("notes") or () if isinstance(n, Mapping)))


def noted(function: str, status: str, *why: Note, measured: dict[str, Measure] | None = None,
          device: str | None = None) -> FunctionResult:
    """A result whose reason the station states, as notes."""
    return FunctionResult(function, status, None, dict(measured or {}), device, why)


def skipped(function: str, reason: str) -> FunctionResult:
    return FunctionResult(function, "skipped", reason)
