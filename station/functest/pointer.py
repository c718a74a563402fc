"""Pointing device test: touchpad, trackpoint or mouse movement on both axes and each button, from evdev.

Relative devices (mouse, trackpoint) count the distance moved; absolute ones (touchpad, tablet) count
the span of positions touched. Both axes must move and the left and right buttons must click. A clickpad
(INPUT_PROP_BUTTONPAD) has one switch under the whole pad, which the kernel reports as BTN_LEFT wherever it
is pressed; the desktop makes the right click from two fingers or from where the finger rests, so on a
clickpad the switch must click and two fingers must be sensed (BTN_TOOL_DOUBLETAP) instead.

A pointing stick beside the touchpad (ThinkPads, Latitudes) is tested too, as its own function: the three
physical buttons above such a touchpad are the stick's, so a test of the pad alone never presses them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from station.functest.evdev import (
    ABS_MT_POSITION_X,
    ABS_MT_POSITION_Y,
    ABS_X,
    ABS_Y,
    BTN_LEFT,
    BTN_MIDDLE,
    BTN_RIGHT,
    BTN_TOOL_DOUBLETAP,
    EV_ABS,
    EV_KEY,
    EV_REL,
    REL_WHEEL,
    REL_X,
    REL_Y,
    InputDevice,
    InputEvent,
    devices,
)
from station.functest.result import FunctionResult, Measure, noted
from station.hw import Host
from station.notes import Note

REQUIRED_BUTTONS = {BTN_LEFT: "left", BTN_RIGHT: "right"}
BUTTON_NAMES = {**REQUIRED_BUTTONS, BTN_MIDDLE: "middle"}
MIN_TRAVEL = 50  # device units on each axis: a deliberate stroke, not sensor noise


def pointing_devices(host: Host) -> tuple[InputDevice | None, InputDevice | None]:
    """(pointer, pointing stick): the touchpad when there is one (the laptop's own), else a pointing stick or
    a mouse; and the pointing stick beside that touchpad, when there is one."""
    found = [d for d in devices(host) if d.kind in ("touchpad", "pointer")]
    touchpad = next((d for d in found if d.kind == "touchpad"), None)
    stick = next((d for d in found if d.is_pointing_stick), None)
    if touchpad is None:
        return (stick or (found[0] if found else None)), None
    return touchpad, stick


@dataclass
class PointerTest:
    device: InputDevice | None = None
    function: str = "pointer"  # or "pointing_stick", the stick beside a touchpad
    rel: dict[int, int] = field(default_factory=dict)  # axis -> total |movement|
    abs_span: dict[int, tuple[int, int]] = field(default_factory=dict)  # axis -> (min, max)
    clicked: set[int] = field(default_factory=set)
    two_fingers: bool = False

    @property
    def required(self) -> dict[int, str]:
        """The buttons that must click: a clickpad's one switch, else left and right."""
        return {BTN_LEFT: "left"} if self.clickpad else REQUIRED_BUTTONS

    @property
    def clickpad(self) -> bool:
        return self.device is not None and self.device.is_clickpad

    def feed(self, events: Iterable[InputEvent]) -> None:
        for event in events:
            if event.type == EV_REL and event.code in (REL_X, REL_Y, REL_WHEEL):
                self.rel[event.code] = self.rel.get(event.code, 0) + abs(event.value)
            elif event.type == EV_ABS and event.code in (ABS_X, ABS_Y, ABS_MT_POSITION_X, ABS_MT_POSITION_Y):
                axis = ABS_X if event.code in (ABS_X, ABS_MT_POSITION_X) else ABS_Y
                low, high = self.abs_span.get(axis, (event.value, event.value))
                self.abs_span[axis] = (min(low, event.value), max(high, event.value))
            elif event.type == EV_KEY and event.code in BUTTON_NAMES and event.value == 1:
                self.clicked.add(event.code)
            elif event.type == EV_KEY and event.code == BTN_TOOL_DOUBLETAP and event.value == 1:
                self.two_fingers = True

    def travel(self, axis: int) -> int:
        """Distance on one axis (REL_X == ABS_X == 0, REL_Y == ABS_Y == 1)."""
        low, high = self.abs_span.get(axis, (0, 0))
        return max(self.rel.get(axis, 0), high - low)

    @property
    def complete(self) -> bool:
        return (self.travel(0) >= MIN_TRAVEL and self.travel(1) >= MIN_TRAVEL
                and set(self.required) <= self.clicked and (self.two_fingers or not self.clickpad))

    def result(self) -> FunctionResult:
        if self.device is None and not (self.rel or self.abs_span or self.clicked):
            missing = "fn.pointing-stick.none" if self.function == "pointing_stick" else "fn.pointer.none"
            return noted(self.function, "absent", Note.of(missing))
        measured: dict[str, Measure] = {"kind": self.device.kind if self.device else None, "travel_x": self.travel(0),
                    "travel_y": self.travel(1), "wheel": self.rel.get(REL_WHEEL, 0),
                    "buttons": " ".join(BUTTON_NAMES[b] for b in sorted(self.clicked)) or None}
        if self.clickpad:
            measured.update({"clickpad": True, "two_fingers": self.two_fingers})
        node = self.device.node if self.device else None
        if self.complete:
            return FunctionResult(self.function, "pass", None, measured, node)
        problems = [Note.of("fn.pointer.no-movement", axis=axis) for axis, code in (("x", 0), ("y", 1))
                    if self.travel(code) < MIN_TRAVEL]
        problems += [Note.of(f"fn.pointer.{name}-never-clicked") for code, name in self.required.items()
                     if code not in self.clicked]
        if self.clickpad and not self.two_fingers:
            problems.append(Note.of("fn.pointer.no-two-fingers"))
        return noted(self.function, "fail", *problems, measured=measured, device=node)
