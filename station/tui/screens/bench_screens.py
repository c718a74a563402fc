"""The laptop bench's interactive tests: the keyboard drawn with the keys seen so far (read from evdev,
not the terminal), full-screen colour fills judged by the technician, and the cosmetic grade.

Each screen only renders and hands back a typed result (FunctionResult, Grade); the tests' logic is in
station.functest, so the same tests run without a terminal.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from station.functest import display, evdev, keyboard
from station.functest.grade import DEFECTS, GRADES, Grade
from station.functest.layouts import Layout
from station.functest.result import FunctionResult, skipped
from station.i18n import N_, _
from station.tui.face import StationScreen
from station.tui.widgets import KeyBar, KeyHint, MessageLine, ReasonField

IDLE_S = 20.0  # the keyboard test ends this long after the last key (every key is in the layout: none can end it)
LIMIT_S = 300.0
REDRAW_S = 0.1  # the screen follows the readers at 10 a second; a reader that waits for each redraw falls behind


ResultT = TypeVar("ResultT")


class CountingScreen(StationScreen[ResultT]):
    """Counts the keys the technician presses here (the flow adds them up)."""

    keys = 0

    def on_key(self, event: events.Key) -> None:
        self.keys += 1


class SkippingScreen(CountingScreen[ResultT]):
    """A test screen that `s` skips with a typed reason (its ReasonField); `skip_with` records the skip."""

    def can_skip(self) -> bool:
        return True

    def skip_with(self, reason: str) -> None:
        raise NotImplementedError

    def action_skip(self) -> None:
        if self.can_skip():
            self.query_one(ReasonField).ask()

    def action_close_reason(self) -> None:
        self.query_one(ReasonField).put_away()

    def on_reason_field_given(self, event: ReasonField.Given) -> None:
        self.keys += event.typed
        if not event.reason:
            self.query_one(MessageLine).say(_("A skipped test needs its reason."))
            return
        self.skip_with(event.reason)


def layout_text(test: keyboard.KeyboardTest) -> Text:
    """The layout's rows, each key green once pressed and released, red while held down."""
    out = Text()
    seen, down = test.seen, test.down
    for row in test.layout.rows:
        for code, label in row:
            style = "bold black on green" if code in seen else "bold white on red" if code in down else "reverse"
            out.append(f" {label} ", style=style)
            out.append(" ")
        out.append("\n\n")
    return out


class KeyboardScreen(CountingScreen[FunctionResult]):
    """Reads the evdev keyboard off the event loop; ends when every key was seen, or after IDLE_S without one."""

    DEFAULT_CSS = """
    KeyboardScreen #keys { height: 1fr; padding: 1 2; }
    """

    def __init__(self, layout: Layout) -> None:
        super().__init__()
        self.test = keyboard.KeyboardTest(layout)
        self.ended = False  # the reader thread stops on it; a result arriving after the screen ended is dropped

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        yield Static(id="keys")
        yield Static(id="count")

    def on_mount(self) -> None:
        self.query_one("#title", Static).update(Text(_("Keyboard test ({layout}): press every key, Fn and media "
                                                       "keys too").format(layout=self.test.layout.title)))
        host = self.station.audit_host
        self.test.device = next((d for d in evdev.devices(host) if d.is_keyboard), None)
        self.redraw()
        if self.test.device is None:
            self.finish(self.test.result())
            return
        self.set_interval(REDRAW_S, self.redraw, name="keyboard drawing")
        self.run_worker(self._read, thread=True, name="keyboard test")

    def _read(self) -> None:
        """Feeds the test and never waits for the screen: under a slow CPU a reader waiting for each redraw
        let the kernel's buffer overflow (36 of 78 keys seen under QEMU TCG at 0.15 s a key)."""
        host, device = self.station.audit_host, self.test.device
        assert device is not None
        try:
            for event in evdev.stream(host, device.node, LIMIT_S, IDLE_S, stop=lambda: self.ended):
                self.test.feed([event])
                if self.test.needs_resync:
                    state = evdev.keys_down(host, device.node)
                    self.test.resync(state if state is not None else frozenset(self.test.down))
                if self.test.complete:
                    break
        except OSError as exc:
            result = FunctionResult("keyboard", "skipped", f"cannot read {device.node}: {exc}", device=device.node)
        else:
            result = self.test.result()
        if not self.ended:
            self.app.call_from_thread(self.finish, result)

    def finish(self, result: FunctionResult) -> None:
        if not self.ended:
            self.ended = True
            self.dismiss(result)

    def redraw(self) -> None:
        self.query_one("#keys", Static).update(layout_text(self.test))
        count = _("{seen} of {total} keys").format(seen=len(self.test.seen & self.test.layout.codes),
                                                   total=len(self.test.layout.codes))
        if self.test.drops:
            count += "    " + _("Some presses were lost while the machine was busy: press the keys not in green "
                                "again.")
        self.query_one("#count", Static).update(Text(count))


COLOURS = {"red": "#ff0000", "green": "#00ff00", "blue": "#0000ff", "white": "#ffffff", "black": "#000000"}


class DisplayScreen(SkippingScreen[FunctionResult]):
    """One pattern at a time over the whole screen; y: looks right, n: defect seen."""

    HINTS: ClassVar[list[KeyHint]] = [("y", N_("looks right")), ("n", N_("defect seen")),
                                      ("s", N_("skip, saying why"))]
    BINDINGS: ClassVar[list[BindingType]] = [Binding("y", "answer(True)", show=False),
                                             Binding("n", "answer(False)", show=False),
                                             Binding("s", "skip", show=False),
                                             Binding("escape", "close_reason", show=False)]
    DEFAULT_CSS = """
    DisplayScreen #fill { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.test = display.DisplayTest()

    def compose(self) -> ComposeResult:
        yield Static(id="fill")
        yield ReasonField()
        yield MessageLine(id="message")
        yield KeyBar(self.HINTS)

    def on_mount(self) -> None:
        self.show_pattern()

    def show_pattern(self) -> None:
        pattern = self.test.next_pattern
        fill = self.query_one("#fill", Static)
        if pattern == "gradient":
            width = max(8, self.size.width)
            text = Text()
            for _row in range(max(1, self.size.height - 2)):
                for col in range(width):
                    level = round(255 * col / (width - 1))
                    text.append(" ", style=f"on rgb({level},{level},{level})")
                text.append("\n")
            fill.styles.background = None
            fill.update(text)
        elif pattern is not None:
            fill.update("")
            fill.styles.background = COLOURS[pattern]

    def action_answer(self, good: bool) -> None:
        pattern = self.test.next_pattern
        if pattern is None:
            return
        self.test.answer(pattern, good)
        if self.test.next_pattern is None:
            self.dismiss(self.test.result())
        else:
            self.show_pattern()

    def skip_with(self, reason: str) -> None:
        """An external monitor only, a panel that shows nothing at all: the reason goes in the record."""
        self.dismiss(skipped("display", reason))


class GradeScreen(CountingScreen[Grade]):
    """a-e: the grade; 1-5: tick a defect; Enter: done."""

    HINTS: ClassVar[list[KeyHint]] = [("a-e", N_("grade")), ("1-5", N_("defect")), ("Enter", N_("confirm"))]
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(letter.lower(), f"grade('{letter}')", show=False) for letter in GRADES),
        *(Binding(str(i + 1), f"defect('{d}')", show=False) for i, d in enumerate(DEFECTS)),
        Binding("enter", "confirm", show=False),
    ]

    def __init__(self, graded_by: str | None) -> None:
        super().__init__()
        self.letter: str | None = None
        self.defects: list[str] = []
        self.graded_by = graded_by

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        yield Static(id="grade")
        yield KeyBar(self.HINTS)

    def on_mount(self) -> None:
        self.query_one("#title", Static).update(Text(_("Cosmetic grade: A (like new) to E (heavily damaged)")))
        self.redraw()

    def redraw(self) -> None:
        out = Text(_("Grade: {grade}").format(grade=self.letter or "-") + "\n\n", style="bold")
        for i, defect in enumerate(DEFECTS):
            mark = "[x]" if defect in self.defects else "[ ]"
            out.append(f" {i + 1} {mark} {_(defect)}\n")
        self.query_one("#grade", Static).update(out)

    def action_grade(self, letter: str) -> None:
        self.letter = letter
        self.redraw()

    def action_defect(self, defect: str) -> None:
        if defect in self.defects:
            self.defects.remove(defect)
        else:
            self.defects.append(defect)
        self.redraw()

    def action_confirm(self) -> None:
        if self.letter is not None:
            self.dismiss(Grade(self.letter, tuple(self.defects), "", self.graded_by))
