"""Small widgets shared by the screens: the key bar (our own footer, translated live), the message line and the
field that asks why something is skipped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import Input, Static

from station.i18n import _

KeyHint = tuple[str, str]  # (key as shown, untranslated label)


class KeyBar(Static):
    """The keys of the current screen, in the current language; wraps to a second line at 80 columns."""

    DEFAULT_CSS = """
    KeyBar { height: auto; max-height: 2; background: $primary-background; }
    """

    def __init__(self, hints: Sequence[KeyHint], **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.hints = list(hints)

    def on_mount(self) -> None:
        self.retranslate()

    def retranslate(self) -> None:
        text = Text()
        for key, label in self.hints:
            text.append(key, style="bold")
            text.append(" " + _(label) + "  ")
        self.update(text)


class MessageLine(Static):
    """The last thing the station has to tell the technician (no pop-ups: keyboard and console friendly)."""

    DEFAULT_CSS = """
    MessageLine { height: 1; color: $warning; }
    """

    def say(self, text: str) -> None:
        self.update(Text(text))


class TextBlock(Static):
    """Plain text redrawn only when it changes: an update costs a layout pass, and the rack ticks often."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.shown: str | None = None

    def show(self, text: str) -> None:
        if text != self.shown:
            self.shown = text
            self.update(Text(text))


class ReasonField(Input):
    """Why a step or a test is skipped: hidden until `ask()`, Enter hands what was typed to the screen as
    `ReasonField.Given` (an empty reason is the screen's to refuse), `put_away()` hides it again. One field for
    every screen that skips, so each records its skip the same way."""

    DEFAULT_CSS = """
    ReasonField { display: none; }
    ReasonField.asking { display: block; }
    """

    @dataclass
    class Given(Message):
        reason: str  # stripped; empty when only Enter (or spaces) was typed
        typed: int  # keys typed into the field, which keeps them (Enter itself reaches the screen's on_key)

    def __init__(self) -> None:
        super().__init__(id="reason", placeholder=_("reason for skipping, then Enter"), disabled=True)

    @property
    def asking(self) -> bool:
        return self.has_class("asking")

    def ask(self) -> None:
        self.add_class("asking")
        self.disabled = False
        self.value = ""
        self.focus()

    def put_away(self) -> None:
        self.remove_class("asking")
        self.value = ""
        self.disabled = True
        if self.screen.focused is self:
            self.screen.set_focus(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Given(event.value.strip(), len(event.value)))
