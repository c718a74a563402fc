"""The plan is the confirmation: what will be destroyed, how, Clear or Purge; typed confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from station.detect.disk import Disk
from station.erase.jobs import EraseJob
from station.erase.plan import OVERWRITE_METHODS, ErasePlan, plan_lines
from station.i18n import N_, _
from station.tui.face import StationScreen
from station.tui.widgets import KeyBar, KeyHint, MessageLine

METHODS = (*OVERWRITE_METHODS, "purge")
VERIFY_MODES = ("full", "sample:10", "sample:1")


def next_in(choices: Sequence[str], current: str) -> str:
    return choices[(choices.index(current) + 1) % len(choices)] if current in choices else choices[0]


STYLES = {"total": "bold", "refused": "bold red", "warning": "yellow"}


def plan_text(plan: ErasePlan) -> Text:
    """The plan's one rendering (plan_lines, as `station wipe` prints it), styled for the screen."""
    out = Text()
    for line in plan_lines(plan):
        out.append(("  " if line.indented else "") + line.text + "\n", style=STYLES.get(line.kind, ""))
    return out


class PlanScreen(StationScreen[object]):
    HINTS: ClassVar[list[KeyHint]] = [("m", N_("method")), ("v", N_("verification")), ("Enter", N_("confirm")),
                                      ("Esc", N_("back"))]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "method", show=False, priority=True),
        Binding("v", "verify", show=False, priority=True),
        Binding("escape", "back", show=False),
    ]
    DEFAULT_CSS = """
    PlanScreen #plan { height: 1fr; }
    PlanScreen #choice { height: 1; }
    PlanScreen #prompt { height: 1; text-style: bold; }
    PlanScreen Input { width: 20; }
    """

    def __init__(self, disks: Sequence[Disk], restart: EraseJob | None = None, method: str | None = None) -> None:
        """`restart`: plan an interrupted job again (its method and verification are kept). `method`: the
        caller's choice over the settings' default (the laptop flow asks for the best Purge, else Clear)."""
        super().__init__()
        self.disks = list(disks)
        self.restart = restart
        self.plan: ErasePlan | None = None
        settings = self.station.settings
        chosen = method or settings.default_method
        self.method = chosen if chosen in METHODS else METHODS[0]
        self.verify = settings.default_verify if settings.default_verify in VERIFY_MODES else VERIFY_MODES[0]
        if restart is not None:
            self.method, self.verify = restart.method, restart.verify
        self.generation = 0

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        with VerticalScroll(id="plan"):
            yield Static(id="plan-text")
        yield Static(id="choice")
        yield Static(id="prompt")
        yield Input(id="confirm", restrict=r"[0-9]*", max_length=4)
        yield MessageLine(id="message")
        yield KeyBar(self.HINTS)

    def on_mount(self) -> None:
        self.retranslate()
        self.replan()
        self.query_one(Input).focus()

    def retranslate(self) -> None:
        title = (_("Erase plan: check it, then type to confirm") if self.restart is None else
                 _("Restart of interrupted erase {job}: check it, then type to confirm").format(
                     job=self.restart.job_id))
        self.query_one("#title", Static).update(Text(title))
        self.query_one("#choice", Static).update(Text(_("Method: {method}    Verification: {verify}").format(
            method=self.method, verify=self.verify)))
        self.query_one(KeyBar).retranslate()
        self.show_plan()

    def replan(self) -> None:
        self.plan = None
        self.generation += 1
        generation, method, verify, restart = self.generation, self.method, self.verify, self.restart
        shown = [row.disk for row in self.station.rack.rows.values() if row.refused is None]  # what is on screen
        self.query_one("#plan-text", Static).update(Text(_("Planning...")))
        self.query_one("#prompt", Static).update("")

        def work() -> None:
            try:
                if restart is not None:  # the session re-reads the job and re-checks the drive
                    _old, plan = self.station.session.restart_plan(restart.job_id, shown)
                else:
                    plan = self.station.session.plan(self.disks, method, verify)
            except Exception as exc:  # an unknown method, a missing Purge tool: say it, plan nothing
                self.app.call_from_thread(self._plan_failed, generation, str(exc))
                return
            self.app.call_from_thread(self._planned, generation, plan)

        self.app.run_worker(work, thread=True, name="plan")

    def _planned(self, generation: int, plan: ErasePlan) -> None:
        if generation == self.generation:
            self.plan = plan
            self.show_plan()

    def _plan_failed(self, generation: int, error: str) -> None:
        if generation == self.generation:
            self.query_one("#plan-text", Static).update(Text(_("Cannot plan: {error}").format(error=error)))

    def show_plan(self) -> None:
        plan = self.plan
        if plan is None:
            return
        self.query_one("#plan-text", Static).update(plan_text(plan))
        n = len(plan.runnable)
        prompt = (_("Type {n} (the number of drives) and Enter to destroy their data.").format(n=n) if n
                  else _("Nothing to erase: every drive was refused."))
        self.query_one("#prompt", Static).update(Text(prompt))

    def fixed(self) -> bool:
        if self.restart is not None:
            self.query_one(MessageLine).say(_("A restart keeps the interrupted erase's method and verification."))
        return self.restart is not None

    def action_method(self) -> None:
        if self.fixed():
            return
        self.method = next_in(METHODS, self.method)
        self.retranslate()
        self.replan()

    def action_verify(self) -> None:
        if self.fixed():
            return
        self.verify = next_in(VERIFY_MODES, self.verify)
        self.retranslate()
        self.replan()

    def action_back(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        plan = self.plan
        typed = event.value.strip()
        event.input.value = ""
        if plan is None or not plan.runnable:
            self.query_one(MessageLine).say(_("Nothing to confirm."))
            return
        if typed != str(len(plan.runnable)):
            self.query_one(MessageLine).say(
                _("Not confirmed: type {n} to erase {n} drive(s). Nothing was written.").format(n=len(plan.runnable)))
            return
        gone = [a.target for a in plan.runnable if a.target not in self.station.rack.rows]
        if gone:
            self.query_one(MessageLine).say(_("{devnode} is gone: plan again.").format(devnode=gone[0]))
            return
        self.dismiss(plan)
