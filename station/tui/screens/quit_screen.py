"""Quitting while drives are being erased: say what happens to them, and ask."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from station.i18n import N_, _
from station.tui.face import StationScreen
from station.tui.widgets import KeyBar, KeyHint


class QuitScreen(StationScreen[None]):
    HINTS: ClassVar[list[KeyHint]] = [("y", N_("stop them and quit")), ("n", N_("back"))]
    BINDINGS: ClassVar[list[BindingType]] = [Binding("y", "confirm", show=False), Binding("n", "back", show=False),
                Binding("escape", "back", show=False)]


    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        yield Static(id="question")
        yield KeyBar(self.HINTS)

    def on_mount(self) -> None:
        self.retranslate()

    def retranslate(self) -> None:
        self.query_one("#title", Static).update(Text(_("Quit Station")))
        self.query_one("#question", Static).update(Text(_(
            "{n} erase(s) still running. Quitting cancels them: they will be reported CANCELLED, "
            "never erased.").format(n=self.station.running_count())))
        self.query_one(KeyBar).retranslate()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_confirm(self) -> None:
        self.station.cancel_all()
        self.query_one("#question", Static).update(Text(_("Stopping the erases...")))
        self.app.run_worker(self._wait_and_exit, thread=True, name="quit")

    def _wait_and_exit(self) -> None:
        for execution in list(self.station.executions.values()):
            execution.wait()
        self.app.call_from_thread(self.app.exit, 0)
