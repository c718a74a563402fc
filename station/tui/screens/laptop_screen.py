"""The guided laptop flow: the steps with the machine's progress, one key per step (Enter runs the
current one, s skips it with a reason). The flow's logic is station.laptop.LaptopFlow; this screen
renders its steps and dispatches, and runs the slow steps off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from station.detect.disk import Disk
from station.erase.plan import ErasePlan
from station.functest import layouts
from station.functest.grade import Grade
from station.functest.result import FunctionResult
from station.i18n import N_, _
from station.laptop import ERASE_METHOD, LaptopFlow
from station.store import config
from station.tui.face import StationScreen
from station.tui.screens.bench_screens import CountingScreen, DisplayScreen, GradeScreen, KeyboardScreen
from station.tui.screens.function_screens import AudioScreen, BatteryScreen, PointerScreen, UsbScreen
from station.tui.screens.plan_screen import PlanScreen
from station.tui.widgets import KeyBar, KeyHint, MessageLine, ReasonField

MARKS = {"done": "✓", "skipped": "–", "failed": "✗", "pending": " "}


class LaptopScreen(StationScreen[None]):
    HINTS: ClassVar[list[KeyHint]] = [("Enter", N_("run step")), ("s", N_("skip step")), ("Esc", N_("back"))]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "run", show=False),
        Binding("s", "skip", show=False),
        Binding("escape", "back", show=False),
    ]
    DEFAULT_CSS = """
    LaptopScreen #steps { height: 1fr; padding: 1 2; }
    """

    def __init__(self, layout: str = "azerty-fr") -> None:
        super().__init__()
        self.keyboard_layout = layout
        self.flow: LaptopFlow | None = None
        self.busy = False
        self.tests_ended = False  # the last interactive test closed while the automatic ones still ran

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        yield Static(id="steps")
        yield ReasonField()
        yield MessageLine(id="message")
        yield KeyBar(self.HINTS)

    def on_mount(self) -> None:
        station = self.station
        settings = station.settings
        self.flow = LaptopFlow(station.audit_host, station.session.datadir, tester=settings.operator or None,
                               layout=self.keyboard_layout, lang=config.document_language(settings, None),
                               session=station.session)
        self.retranslate()

    def on_key(self, event: events.Key) -> None:
        if self.flow is not None:
            self.flow.keys_pressed += 1

    def retranslate(self) -> None:
        self.query_one("#title", Static).update(Text(_("Laptop bench: audit, tests, grade, erase, verdict, label")))
        self.query_one(KeyBar).retranslate()
        self.redraw()

    def redraw(self) -> None:
        if self.flow is None:
            return
        out = Text()
        current = self.flow.current
        for index, step in enumerate(self.flow.progress(), 1):
            style = "bold reverse" if step.name == current else ("green" if step.status == "done" else "")
            out.append(f"{index}. [{MARKS.get(step.status, ' ')}] {_(step.name):14} {_(step.status):10} "
                       f"{step.note}\n", style=style)
        done = sum(1 for s in self.flow.progress() if s.status in ("done", "skipped"))
        out.append("\n" + _("{done} of {total} steps").format(done=done, total=len(self.flow.steps)), style="bold")
        if self.flow.finished and self.flow.label_path is not None:
            out.append("\n" + _("Label: {path}").format(path=self.flow.label_path))
        self.query_one("#steps", Static).update(out)

    def say(self, text: str) -> None:
        self.query_one(MessageLine).say(text)

    # --- dispatch ------------------------------------------------------------------------------

    def _in_thread(self, work: Callable[[], object], what: str) -> None:
        """A slow step off the event loop; its failure is shown, never swallowed."""
        self.busy = True
        self.say(_("{step}: working...").format(step=_(what)))

        def run() -> None:
            try:
                work()
                self.app.call_from_thread(self._step_ended, "")
            except Exception as exc:
                self.app.call_from_thread(self._step_ended, f"{_(what)}: {exc}")

        self.run_worker(run, thread=True, name=f"laptop {what}")

    def _step_ended(self, error: str) -> None:
        self.busy = False
        self.say(error)
        if self.tests_ended:
            self._finish_functions()
        self.redraw()

    def action_run(self) -> None:
        flow = self.flow
        if flow is None or self.busy or self.query_one(ReasonField).asking:
            return
        step = flow.current
        if step == "audit":
            disks = self._internal()
            self._in_thread(lambda: flow.audit(disks or None), "audit")
        elif step == "functions":
            self._in_thread(flow.run_automatic, "functions")
            self._test(flow.next_interactive())
        elif step == "grade":
            self._open(GradeScreen(flow.tester), self._graded)
        elif step == "erase":
            self._plan(self._internal())
        elif step == "certificates":
            self._in_thread(flow.certificates, "certificates")
        elif step == "verdict":
            self._in_thread(flow.decide, "verdict")
        elif step == "label":
            self._in_thread(flow.label, "label")

    def _screen_of(self, function: str) -> CountingScreen[Any]:
        """The screen of each of the flow's interactive tests (station.laptop.INTERACTIVE names them, in order)."""
        assert self.flow is not None
        if function == "keyboard":
            return KeyboardScreen(layouts.get(self.keyboard_layout))
        if function == "battery":
            return BatteryScreen(self.flow.battery_seconds, self.flow.monotonic)
        screens: dict[str, type[CountingScreen[Any]]] = {"display": DisplayScreen, "pointer": PointerScreen,
                                                        "audio": AudioScreen, "usb": UsbScreen}
        return screens[function]()

    def _test(self, function: str | None) -> None:
        """Open the screen of `function`; once the last one closes, the step ends."""
        if self.flow is None:
            return
        if function is None:
            self.tests_ended = True
            if not self.busy:
                self._finish_functions()
            self.redraw()
            return
        self._open(self._screen_of(function), lambda result: self._tested(function, result))

    def _tested(self, function: str, result: FunctionResult | tuple[FunctionResult, ...] | None) -> None:
        if self.flow is None:
            return
        for one in (result,) if isinstance(result, FunctionResult) else result or ():
            self.flow.record(one)
        self._test(self.flow.next_interactive(function))

    def _finish_functions(self) -> None:
        self.tests_ended = False
        if self.flow is not None:
            self.flow.finish_functions()

    def _open(self, screen: CountingScreen[Any], then: Callable[[Any], None]) -> None:
        """A bench screen; the keys pressed on it count in the flow's keys (the README's keys-per-laptop figure)."""

        def closed(result: Any) -> None:
            if self.flow is not None:
                self.flow.keys_pressed += screen.keys
            then(result)

        self.app.push_screen(screen, closed)

    def _graded(self, grade: Grade | None) -> None:
        if self.flow is not None and grade is not None:
            self.flow.grade(grade)
        self.redraw()

    def _internal(self) -> list[Disk]:
        """The machine's drives as the rack shows them (udev, or the demo's virtual drives): not on USB,
        so not the boot key; a protected one still goes to the plan, which refuses it in words."""
        return [row.disk for row in self.station.rack.rows.values()
                if row.refused is None and row.disk.bus != "usb" and not row.removed]

    def _plan(self, internal: list[Disk]) -> None:
        if not internal:
            if self.flow is not None:
                self.flow.skip("erase", _("no internal drive found"))
            self.redraw()
            return
        self.app.push_screen(PlanScreen(internal, method=ERASE_METHOD), self._confirmed)

    def _confirmed(self, plan: object) -> None:
        if self.flow is not None and isinstance(plan, ErasePlan) and plan.runnable:
            flow = self.flow
            self._in_thread(lambda: flow.erase(plan), "erase")
        else:
            self.say(_("Erase not confirmed: press Enter to plan again, or s to skip with a reason."))

    def action_skip(self) -> None:
        if self.flow is None or self.flow.current is None or self.busy:
            return
        self.query_one(ReasonField).ask()

    def on_reason_field_given(self, event: ReasonField.Given) -> None:
        if self.flow is not None:
            self.flow.keys_pressed += event.typed
        if self.flow is None or self.flow.current is None:
            return
        if not event.reason:
            self.say(_("A skipped step needs its reason."))
            return
        self.flow.skip(self.flow.current, event.reason)
        self.query_one(ReasonField).put_away()
        self.redraw()

    def action_back(self) -> None:
        field = self.query_one(ReasonField)
        if field.asking:
            field.put_away()
            return
        self.dismiss(None)

