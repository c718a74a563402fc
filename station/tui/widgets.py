"""Small widgets shared by the screens: the key bar (our own footer, translated live) and the message line."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

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
