"""Keyboard test: every key of the layout pressed and released, read from evdev.

The technician runs a finger over the keyboard; the screen draws the layout with the keys seen so far.
It passes when every key of the layout went down and came back up. A key still down at the end is
reported as stuck; keys never seen are named, so the record says which key is dead.

A reader that falls behind loses events: the kernel empties its buffer and says SYN_DROPPED. What follows
up to the next SYN_REPORT is incomplete and ignored; the reader then asks the device which keys are down
(`resync`), so a release lost in the gap still counts, and the record says how many drops there were.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from station.functest.evdev import EV_KEY, EV_SYN, SYN_DROPPED, SYN_REPORT, InputDevice, InputEvent
from station.functest.layouts import Layout
from station.functest.result import FunctionResult, Measure, noted
from station.notes import Note

_PRESS, _RELEASE = 1, 0


@dataclass
class KeyboardTest:
    """Fed with events (live or recorded); `result()` at any time says where the test stands."""

    layout: Layout
    device: InputDevice | None = None
    pressed: set[int] = field(default_factory=set)
    released: set[int] = field(default_factory=set)
    down: set[int] = field(default_factory=set)
    events: int = 0
    drops: int = 0  # SYN_DROPPED seen: the kernel threw away events this reader had not read yet
    dropping: bool = False  # between a SYN_DROPPED and the next SYN_REPORT
    needs_resync: bool = False  # a drop ended: the device's key state should be read (`resync`)

    def feed(self, events: Iterable[InputEvent]) -> None:
        for event in events:
            if event.type == EV_SYN and event.code == SYN_DROPPED:
                self.drops += 1
                self.dropping = True
                continue
            if self.dropping:
                if event.type == EV_SYN and event.code == SYN_REPORT:
                    self.dropping, self.needs_resync = False, True
                continue
            if event.type != EV_KEY or event.code >= 0x100:  # 0x100+ are buttons (mouse, touchpad)
                continue
            self.events += 1
            if event.value == _PRESS:
                self.pressed.add(event.code)
                self.down.add(event.code)
            elif event.value == _RELEASE:
                self.released.add(event.code)
                self.down.discard(event.code)

    def resync(self, down_now: frozenset[int]) -> None:
        """After a drop: a key we saw go down that is up now was released in the gap; one down now that we
        never saw go down was pressed in it. Keys pressed and released wholly inside the gap are lost and
        stay missing, for the technician to press again."""
        self.needs_resync = False
        keys = {code for code in down_now if code < 0x100}
        self.released |= self.down - keys
        self.pressed |= keys
        self.down = keys

    @property
    def seen(self) -> frozenset[int]:
        """Keys that went down and came up again: the ones drawn as working."""
        return frozenset(self.pressed & self.released)

    @property
    def missing(self) -> list[int]:
        return sorted(self.layout.codes - self.seen)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.down

    def result(self) -> FunctionResult:
        if self.device is None and not self.events:
            return noted("keyboard", "absent", Note.of("fn.keyboard.none"))
        measured: dict[str, Measure] = {"layout": self.layout.name, "keys_in_layout": len(self.layout.codes),
                    "keys_seen": len(self.seen & self.layout.codes),
                    "extra_keys_seen": len(self.seen - self.layout.codes),
                    "missing": " ".join(self.layout.label(c) for c in self.missing) or None,
                    "stuck": " ".join(self.layout.label(c) for c in sorted(self.down)) or None,
                    "key_events": self.events, "events_dropped_by_kernel": self.drops}
        node = self.device.node if self.device else None
        if self.complete:
            return FunctionResult("keyboard", "pass", None, measured, node)
        problems = []
        if self.missing:
            problems.append(Note.of("fn.keyboard.never-pressed", count=len(self.missing),
                                    keys=str(measured["missing"])))
        if self.down:
            problems.append(Note.of("fn.keyboard.still-down", keys=str(measured["stuck"])))
        return noted("keyboard", "fail", *problems, measured=measured, device=node)
