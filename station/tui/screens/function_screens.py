"""The laptop bench's measured tests that follow the display: pointing device, speakers and microphone, USB
ports and the battery's discharge.

Each screen renders a station.functest object and dispatches the technician's keys to it; the measuring is
there, so `station laptop` runs the same tests without a terminal. Every screen hands back the results it
recorded (audio gives two: speakers and microphone), and `s` skips what is left with a typed reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from station.functest import audio, battery_run, evdev, pointer, usb
from station.functest.result import FunctionResult, skipped
from station.i18n import N_, _
from station.tui.screens.bench_screens import REDRAW_S, SkippingScreen
from station.tui.widgets import KeyBar, KeyHint, MessageLine, ReasonField

IDLE_S = 20.0  # the pointer test ends this long after the last movement or click
LIMIT_S = 300.0
MIC_S = 2  # seconds of capture: enough for a word or a clap
BAR = 30
SKIP: KeyHint = ("s", N_("skip, saying why"))
SIDES = {"left": N_("left"), "right": N_("right"), "middle": N_("middle")}  # speakers and buttons


def bar(done: float, width: int = BAR) -> str:
    """A progress bar for `done` (0 to 1)."""
    filled = round(max(0.0, min(1.0, done)) * width)
    return "█" * filled + "░" * (width - filled)


class FunctionScreen(SkippingScreen[tuple[FunctionResult, ...]]):
    """A measured test's screen: `s` asks the reason of a skip; the screen ends once, with what was recorded
    before and what `finish` adds."""

    TESTS: ClassVar[tuple[str, ...]] = ()  # the functions this screen records
    HINTS: ClassVar[list[KeyHint]] = [SKIP]
    DEFAULT_CSS = """
    FunctionScreen #body { height: 1fr; padding: 1 2; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.recorded: list[FunctionResult] = []  # decided already (the speakers before the microphone)
        self.ended = False  # a reader thread stops on it; a late answer from a worker is dropped

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        yield Static(id="body")
        yield ReasonField()
        yield MessageLine(id="message")
        yield KeyBar(self.HINTS)

    def heading(self, text: str) -> None:
        self.query_one("#title", Static).update(Text(text))

    def draw(self, text: Text) -> None:
        self.query_one("#body", Static).update(text)

    def finish(self, *results: FunctionResult) -> None:
        if self.ended:
            return
        self.ended = True
        self.dismiss((*self.recorded, *results))

    def can_skip(self) -> bool:
        return not self.ended

    def skip_with(self, reason: str) -> None:
        done = {r.function for r in self.recorded}
        self.finish(*(skipped(function, reason) for function in self.TESTS if function not in done))


class PointerScreen(FunctionScreen):
    """Reads the touchpad (else the trackpoint or mouse), then the pointing stick beside a touchpad, off the
    event loop; each ends when both axes moved and its buttons clicked, or after IDLE_S without an event."""

    TESTS = ("pointer", "pointing_stick")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("s", "skip", show=False),
                                             Binding("escape", "close_reason", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.test = pointer.PointerTest()
        self.stick = pointer.PointerTest(function="pointing_stick")

    def on_mount(self) -> None:
        touch, stick = pointer.pointing_devices(self.station.audit_host)
        self.test.device, self.stick.device = touch, stick
        self.set_interval(REDRAW_S, self.redraw, name="pointer drawing")
        self.start()

    def start(self) -> None:
        test = self.test
        name = test.device.name if test.device else "-"
        if test.function == "pointing_stick":
            self.heading(_("Pointing stick ({device}): push it across and up and down, click its left and right "
                           "buttons").format(device=name))
        elif test.clickpad:
            self.heading(_("Pointer test ({device}): move across and up and down, click, touch with two fingers")
                         .format(device=name))
        else:
            self.heading(_("Pointer test ({device}): move across and up and down, click left and right").format(
                device=name))
        self.redraw()
        if test.device is None:
            self.tested(test.result())
            return
        self.run_worker(lambda: self._read(test), thread=True, name=f"{test.function} test")

    def tested(self, result: FunctionResult) -> None:
        """One device done: the pointing stick follows the touchpad, then the screen ends."""
        if self.ended:
            return
        if self.test is self.stick:
            self.finish(result)
            return
        self.recorded.append(result)
        self.test = self.stick
        self.start()

    def _read(self, test: pointer.PointerTest) -> None:
        """Feeds the test; the screen's timer draws it (the drawing only reads counters the feed adds to)."""
        device = test.device
        assert device is not None
        try:
            for event in evdev.stream(self.station.audit_host, device.node, LIMIT_S, IDLE_S, stop=lambda: self.ended):
                test.feed([event])
                if test.complete:
                    break
        except OSError as exc:
            result = FunctionResult(test.function, "skipped", f"cannot read {device.node}: {exc}", device=device.node)
        else:
            result = test.result()
        if not self.ended:
            self.app.call_from_thread(self.tested, result)

    def redraw(self) -> None:
        out = Text()
        for label, axis in (("x", 0), ("y", 1)):
            travel = self.test.travel(axis)
            style = "green" if travel >= pointer.MIN_TRAVEL else ""
            out.append(f"{label}  {bar(travel / pointer.MIN_TRAVEL)}  {travel} / {pointer.MIN_TRAVEL}\n", style=style)
        out.append("\n" + _("Buttons:") + " ")
        chips = [(_(SIDES[name]), code in self.test.clicked) for code, name in
                 (self.test.required if self.test.clickpad else pointer.BUTTON_NAMES).items()]
        if self.test.clickpad:  # its right click is the desktop's, from two fingers
            chips.append((_("two fingers"), self.test.two_fingers))
        for label, seen in chips:
            out.append(f" {label} ", style="bold black on green" if seen else "reverse")
            out.append(" ")
        self.draw(out)


class AudioScreen(FunctionScreen):
    """A tone on the left speaker then the right, each answered y/n by the technician; then a short
    microphone capture whose level is shown (r records again, Enter goes on)."""

    TESTS = ("audio", "microphone")
    HINTS: ClassVar[list[KeyHint]] = [("y", N_("heard")), ("n", N_("not heard")), ("r", N_("again")),
                                      ("Enter", N_("continue")), SKIP]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "heard(True)", show=False), Binding("n", "heard(False)", show=False),
        Binding("r", "again", show=False), Binding("enter", "next", show=False),
        Binding("s", "skip", show=False), Binding("escape", "close_reason", show=False)]

    def __init__(self, seconds: int = MIC_S) -> None:
        super().__init__()
        self.seconds = seconds
        self.heard: dict[str, bool] = {}
        self.errors: dict[str, str] = {}
        self.channel = 0  # index in audio.CHANNELS
        self.phase = "playing"  # playing, asking, capturing, captured
        self.microphone: FunctionResult | None = None

    def on_mount(self) -> None:
        self.heading(_("Sound test: a tone on each speaker, then the microphone"))
        if any(card.playback for card in audio.cards(self.station.audit_host)):
            self.play()
        else:
            self.recorded.append(audio.playback_result(self.station.audit_host, {}, {}))  # absent
            self.capture()

    @property
    def side(self) -> str:
        return audio.CHANNELS[self.channel]

    def _in_thread(self, work: Callable[[], object], then: Callable[..., None], name: str) -> None:
        def run() -> None:
            answer = work()
            if not self.ended:
                self.app.call_from_thread(then, answer)

        self.run_worker(run, thread=True, name=name)

    def play(self) -> None:
        self.phase = "playing"
        self.redraw()
        channel = self.channel + 1  # speaker-test counts from 1
        self._in_thread(lambda: audio.play_tone(self.station.audit_host, channel), self._played, "tone")

    def _played(self, played: tuple[bool, str]) -> None:
        ok, error = played
        if ok:
            self.phase = "asking"
            self.redraw()
        else:
            self.errors[self.side] = error
            self._next_channel()

    def action_heard(self, heard: bool) -> None:
        if self.phase != "asking":
            return
        self.heard[self.side] = heard
        self._next_channel()

    def _next_channel(self) -> None:
        self.channel += 1
        if self.channel < len(audio.CHANNELS):
            self.play()
            return
        self.recorded.append(audio.playback_result(self.station.audit_host, self.heard, self.errors))
        self.capture()

    def capture(self) -> None:
        host = self.station.audit_host
        if not any(card.capture for card in audio.cards(host)):
            self.finish(audio.microphone(host))  # absent: nothing is run
            return
        self.phase = "capturing"
        self.redraw()
        seconds = self.seconds
        self._in_thread(lambda: audio.microphone(host, seconds), self._captured, "microphone")

    def _captured(self, result: FunctionResult) -> None:
        self.microphone = result
        self.phase = "captured"
        self.redraw()

    def action_again(self) -> None:
        if self.phase == "asking":
            self.play()
        elif self.phase == "captured":
            self.capture()

    def action_next(self) -> None:
        if self.phase == "captured" and self.microphone is not None:
            self.finish(self.microphone)

    def redraw(self) -> None:
        out = Text()
        speakers = self.recorded[0] if self.recorded else None
        if speakers is not None and speakers.status == "absent":
            out.append(_("Speakers: no sound card plays here") + "\n")
        else:
            for index, side in enumerate(audio.CHANNELS):
                if side in self.errors:
                    out.append(f"{_(SIDES[side]):8} " + _("ALSA error: {error}").format(error=self.errors[side]) + "\n",
                               style="bold white on red")
                elif side in self.heard:
                    heard = self.heard[side]
                    out.append(f"{_(SIDES[side]):8} " + (_("heard") if heard else _("not heard")) + "\n",
                               style="bold black on green" if heard else "bold white on red")
                elif index == self.channel and self.phase == "playing":
                    out.append(f"{_(SIDES[side]):8} " + _("playing a {hz} Hz tone...").format(hz=audio.TONE_HZ)
                               + "\n")
                else:
                    out.append(f"{_(SIDES[side]):8} -\n")
        out.append("\n" + _("Microphone:") + " ")
        if self.phase == "capturing":
            out.append(_("speak or clap near it: recording {seconds} s...").format(seconds=self.seconds))
        elif self.microphone is not None:
            mic = self.microphone
            peak = mic.measured.get("peak_dbfs")
            level = _("peak {peak} dBFS (needs {least})").format(
                peak=peak if peak is not None else "-inf", least=audio.MIN_PEAK_DBFS)
            out.append(_("{level}: {status}").format(level=level, status=_(mic.status))
                       + (f" ({mic.reason})" if mic.reason else ""),
                       style="green" if mic.status == "pass" else "bold red")
        else:
            out.append("-")
        out.append("\n\n")
        if self.phase == "asking":
            out.append(_("Did the {side} speaker sound? y yes, n no, r play it again").format(
                side=_(SIDES[self.side])), style="bold")
        elif self.phase == "captured":
            out.append(_("Enter to go on, r to record again"), style="bold")
        self.draw(out)


class UsbScreen(FunctionScreen):
    """Polls the USB devices every half second; each port a device appears on turns green. A digit says how
    many external ports the machine has (the test then ends by itself once all are proven); Enter ends it."""

    TESTS = ("usb",)
    HINTS: ClassVar[list[KeyHint]] = [("Enter", N_("done")), ("0-9", N_("ports on the machine")), SKIP]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "done", show=False), *(Binding(str(n), f"ports({n})", show=False) for n in range(10)),
        Binding("s", "skip", show=False), Binding("escape", "close_reason", show=False)]

    def __init__(self, every: float = usb.POLL_S) -> None:
        super().__init__()
        self.every = every
        self.test: usb.UsbPortsTest | None = None

    def on_mount(self) -> None:
        self.heading(_("USB ports: plug a device into each external port, one after the other"))
        self.test = usb.UsbPortsTest(self.station.audit_host)
        self.test.start()
        self.redraw()
        self.set_interval(self.every, self.poll, name="usb ports")

    def poll(self) -> None:
        if self.test is None or self.ended:
            return
        if self.test.poll():
            self.redraw()
        if self.test.complete:
            self.finish(self.test.result())

    def action_ports(self, count: int) -> None:
        if self.test is not None:
            self.test.expected = count
            self.redraw()
            self.poll()

    def action_done(self) -> None:
        if self.test is not None:
            self.test.poll()
            self.finish(self.test.result())

    def redraw(self) -> None:
        if self.test is None:
            return
        out = Text()
        for port, device in sorted(self.test.proven.items()):
            out.append(f" ✓ {port:8} {device.product or '?':32} {device.speed_mbps or '?'} Mb/s \n",
                       style="bold black on green")
        proven = len(self.test.proven)
        if self.test.expected:
            out.append("\n" + _("{proven} of {expected} ports proven").format(proven=proven,
                                                                              expected=self.test.expected))
        else:
            out.append("\n" + _("{proven} port(s) proven; type how many the machine has").format(proven=proven))
        out.append("\n" + _("Already plugged at the start, not counted: {count}").format(
            count=len(self.test.baseline)))
        self.draw(out)


class BatteryScreen(FunctionScreen):
    """Tells the technician to pull the charger, then samples the battery on its own for a timed run with a
    progress bar; Enter ends the run early (judged on what was measured)."""

    TESTS = ("battery",)
    HINTS: ClassVar[list[KeyHint]] = [("Enter", N_("end the run now")), SKIP]
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "end", show=False), Binding("s", "skip", show=False),
                                             Binding("escape", "close_reason", show=False)]

    def __init__(self, seconds: float = battery_run.RUN_SECONDS, clock: Callable[[], float] = time.monotonic,
                 every: float = 1.0) -> None:
        super().__init__()
        self.seconds, self.monotonic, self.every = seconds, clock, every
        self.discharge: battery_run.DischargeRun | None = None

    def on_mount(self) -> None:
        host = self.station.audit_host
        name = battery_run.laptop_battery(host)
        self.heading(_("Battery {name}: pull the charger, the discharge is measured for {seconds:.0f} s").format(
            name=name or "-", seconds=self.seconds))
        if name is None:
            self.finish(battery_run.absent())
            return
        self.discharge = battery_run.DischargeRun(host, name, self.seconds, self.monotonic)
        self.discharge.tick()
        self.redraw()
        self.set_interval(self.every, self.tick, name="battery run")

    def tick(self) -> None:
        if self.discharge is None or self.ended:
            return
        self.discharge.tick()
        if self.discharge.done:
            self.finish(self.discharge.result())
        else:
            self.redraw()

    def action_end(self) -> None:
        if self.discharge is not None:
            self.discharge.tick()
            self.finish(self.discharge.result())

    def redraw(self) -> None:
        run = self.discharge
        if run is None or run.latest is None:
            return
        out = Text()
        if not run.started:
            out.append(_("Status: {status}; waiting for the charger to be pulled").format(
                status=run.latest.status or "?"), style="bold")
        else:
            out.append(_("On battery: {bar} {elapsed:.0f} of {seconds:.0f} s").format(
                bar=bar(run.elapsed / run.seconds), elapsed=run.elapsed, seconds=run.seconds), style="bold")
            if run.latest.status != "Discharging":
                out.append("\n" + _("Status: {status}; the charger is back: the run will not count").format(
                    status=run.latest.status or "?"), style="bold red")
        first = run.samples[0] if run.samples else run.latest
        out.append("\n\n" + _("Energy: {start} Wh at the start, {now} Wh now (full: {full} Wh)").format(
            start=first.now_wh if first.now_wh is not None else "?",
            now=run.latest.now_wh if run.latest.now_wh is not None else "?",
            full=run.latest.full_wh if run.latest.full_wh is not None else "?"))
        self.draw(out)
