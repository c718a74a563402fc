"""Home: one row per drive, live on hot-plug, with selection, progress and results."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget

from station import i18n
from station.erase.jobs import EraseJob
from station.erase.plan import ErasePlan
from station.i18n import N_, _
from station.tui import rack as fmt
from station.tui.face import StationFace, StationScreen, station_of
from station.tui.screens.audit_screen import AuditScreen
from station.tui.screens.certificates_screen import CertificatesScreen
from station.tui.screens.laptop_screen import LaptopScreen
from station.tui.screens.plan_screen import PlanScreen
from station.tui.screens.quit_screen import QuitScreen
from station.tui.screens.settings_screen import SettingsScreen
from station.tui.widgets import KeyBar, KeyHint, MessageLine, TextBlock

# (key, untranslated header, width): 65 characters of cells + 2 of padding each = 79 columns
COLUMNS = (
    ("bay", N_("Bay"), 4),
    ("bus", N_("Bus"), 4),
    ("model", N_("Model"), 12),
    ("serial", N_("Serial"), 10),
    ("size", N_("Size"), 5),
    ("health", N_("SMART"), 5),
    ("status", N_("Status"), 25),
)


class RackTable(Widget, can_focus=True):
    """The drives table, drawn as one block of text.

    Textual's DataTable re-renders every cell whenever one changes; with eight drives reporting
    progress that cost most of the event loop's time. Here a tick formats a few short strings and
    redraws one Text, and only when something on screen changed.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", show=False), Binding("down", "move(1)", show=False),
        Binding("pageup", "move(-10)", show=False), Binding("pagedown", "move(10)", show=False),
        Binding("home", "move(-100000)", show=False), Binding("end", "move(100000)", show=False),
    ]
    DEFAULT_CSS = """
    RackTable { height: 1fr; }
    """

    class Highlighted(Message):
        """The cursor moved to another drive."""

    def __init__(self) -> None:
        super().__init__(id="rack")
        self.keys: list[str] = []
        self.rows: dict[str, list[str]] = {}
        self.styles_of: dict[str, str] = {}
        self.cursor_row = 0
        self.top = 0
        self.shown_version = -1

    @property
    def station(self) -> StationFace:
        return station_of(self)


    @property
    def row_count(self) -> int:
        return len(self.keys)

    def on_mount(self) -> None:
        self.rebuild()

    def rebuild(self) -> None:
        """Rows came or went (or the language changed): redo everything, keeping the cursor on its drive."""
        keep = self.highlighted()
        ordered = self.station.rack.ordered()
        self.keys = [row.devnode for row in ordered]
        self.rows = {row.devnode: self.cells(row) for row in ordered}
        self.styles_of = {row.devnode: status_style(row) for row in ordered}
        self.shown_version = self.station.version
        if keep in self.rows:
            self.cursor_row = self.keys.index(keep)
        self.cursor_row = max(0, min(self.cursor_row, len(self.keys) - 1))
        self.refresh()
        if keep != self.highlighted():
            self.post_message(self.Highlighted())

    def update_rows(self) -> None:
        if self.shown_version != self.station.version:
            self.rebuild()
            return
        changed = False
        for row in self.station.rack.ordered():
            cells, style = self.cells(row), status_style(row)
            if self.rows.get(row.devnode) != cells or self.styles_of.get(row.devnode) != style:
                self.rows[row.devnode], self.styles_of[row.devnode] = cells, style
                changed = True
        if changed:
            self.refresh()

    @staticmethod
    def cells(row: fmt.RackRow) -> list[str]:
        d = row.disk
        mark = "*" if row.selected else "!" if d.protected or row.refused else "?" if fmt.flagged_hints(d) else " "
        return [mark + (d.bay or "-"), d.bus, fmt.model_cell(d), fmt.serial_cell(d), fmt.size_cell(d),
                fmt.health_cell(row.health), fmt.status_cell(row)]

    def cell_text(self, devnode: str, key: str) -> str:
        index = [k for k, _label, _width in COLUMNS].index(key)
        return self.rows[devnode][index]

    def header(self, key: str) -> str:
        return next(_(label) for k, label, _width in COLUMNS if k == key)

    def highlighted(self) -> str | None:
        return self.keys[self.cursor_row] if 0 <= self.cursor_row < len(self.keys) else None

    def move_cursor(self, row: int) -> None:
        old = self.highlighted()
        self.cursor_row = max(0, min(row, len(self.keys) - 1))
        self.refresh()
        if old != self.highlighted():
            self.post_message(self.Highlighted())

    def action_move(self, delta: int) -> None:
        self.move_cursor(self.cursor_row + delta)

    def render(self) -> Text:
        visible = max(1, self.size.height - 1)
        if self.cursor_row < self.top:
            self.top = self.cursor_row
        elif self.cursor_row >= self.top + visible:
            self.top = self.cursor_row - visible + 1
        self.top = max(0, min(self.top, max(0, len(self.keys) - visible)))
        out = Text(no_wrap=True, overflow="crop")
        out.append(line([_(label) for _key, label, _width in COLUMNS]) + "\n", style="bold reverse")
        for index in range(self.top, min(len(self.keys), self.top + visible)):
            key = self.keys[index]
            cells = self.rows[key]
            text = Text(line(cells[:-1]) + " ")
            text.append(cells[-1][:COLUMNS[-1][2]].ljust(COLUMNS[-1][2]), style=self.styles_of.get(key, ""))
            text.append(" ")
            if index == self.cursor_row:
                text.stylize("reverse" if self.has_focus else "underline")
            out.append_text(text)
            out.append("\n")
        return out


def line(values: list[str]) -> str:
    """Cells cropped and padded to their column, one space either side (ASCII only)."""
    return "".join(f" {value[:width].ljust(width)} " for value, (_key, _label, width) in
                   zip(values, COLUMNS[:len(values)], strict=True))


def status_style(row: fmt.RackRow) -> str:
    """Eight-colour styles only: the Linux console has no true colour."""
    if row.refused is not None:
        return "bold red"
    if row.outcome is not None:
        return "bold green" if row.outcome.job.erased else "bold red"
    if row.failure is not None or row.removed:
        return "bold red"
    if row.disk.protected:
        return "yellow"
    if row.interrupted is not None and row.progress is None:
        return "bold yellow"
    if row.elsewhere is not None and row.progress is None:
        return "yellow"
    return ""


class RackScreen(StationScreen[None]):
    HINTS: ClassVar[list[KeyHint]] = [("spc", N_("select")), ("a", N_("all")), ("e", N_("erase")), ("x", N_("stop")),
                                      ("r", N_("restart")), ("c", N_("certificates")), ("h", N_("audit")),
                                      ("b", N_("laptop")), ("s", N_("settings")), ("l", N_("language")),
                                      ("q", N_("quit"))]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_select", show=False),
        Binding("a", "select_all", show=False),
        Binding("e", "erase", show=False),
        Binding("x", "stop", show=False),
        Binding("r", "restart", show=False),
        Binding("c", "certificates", show=False),
        Binding("h", "audit", show=False),
        Binding("b", "laptop", show=False),
        Binding("s", "settings", show=False),
        Binding("l", "language", show=False),
        Binding("q", "quit", show=False),
    ]
    DEFAULT_CSS = """
    RackScreen #rack { height: 1fr; }
    RackScreen #detail { height: 4; border-top: ascii $primary; text-wrap: nowrap; text-overflow: clip; }
    """


    def compose(self) -> ComposeResult:
        yield TextBlock(id="title", classes="title")
        yield RackTable()
        yield TextBlock(id="detail")
        yield KeyBar(self.HINTS)
        yield MessageLine(id="message")

    def on_mount(self) -> None:
        self.refresh_rack()

    def on_screen_resume(self) -> None:
        self.refresh_rack()  # rows changed while another screen was shown

    @property
    def table(self) -> RackTable:
        return self.query_one(RackTable)

    def refresh_rack(self) -> None:
        self.table.update_rows()
        self.update_title()
        self.update_detail()

    def update_title(self) -> None:
        s = self.station.settings
        parts = ["Station", s.station_name or None]
        if s.lot:
            parts.append(_("lot {lot}").format(lot=s.lot))
        rows = self.station.rack.rows
        parts.append(_("{n} drive(s), {m} running").format(n=len(rows), m=self.station.running_count()))
        parts[:0] = ["!! " + fmt.hint_text(h.code) for h in self.station.host_hints]
        if self.station.storage_warning:
            parts.insert(0, "!! " + self.station.storage_warning)
        self.query_one("#title", TextBlock).show(" | ".join(p for p in parts if p))

    def update_detail(self) -> None:
        row = self.current()
        lines = fmt.detail_lines(row) if row is not None else [_("No drive detected yet.")]
        self.query_one("#detail", TextBlock).show("\n".join(lines[:3]))

    def on_rack_table_highlighted(self, _event: RackTable.Highlighted) -> None:
        self.update_detail()

    def current(self) -> fmt.RackRow | None:
        key = self.table.highlighted()
        return self.station.rack.rows.get(key) if key else None

    def retranslate(self) -> None:
        self.query_one(KeyBar).retranslate()
        self.table.rebuild()
        self.refresh_rack()

    def say(self, text: str) -> None:
        self.query_one(MessageLine).say(text)

    # actions
    def action_toggle_select(self) -> None:
        row = self.current()
        if row is None:
            return
        if row.refused is not None:
            self.say(row.refused.notice().translated())
        elif row.disk.protected:
            reasons = "; ".join(p.translated() for p in row.disk.protections)
            self.say(_("Locked, never written: {reasons}").format(reasons=reasons))
        elif row.elsewhere is not None and not row.busy:
            self.say(_("{devnode}: {why}").format(devnode=row.devnode, why=row.elsewhere.notice().translated()))
        elif not row.selectable:
            self.say(_("{devnode} is busy.").format(devnode=row.devnode))
        else:
            row.selected = not row.selected
            self.table.move_cursor(self.table.cursor_row + 1)
        self.refresh_rack()

    def action_select_all(self) -> None:
        candidates = self.station.rack.selectable()
        everything = bool(candidates) and all(r.selected for r in candidates)
        for row in candidates:
            row.selected = not everything
        self.refresh_rack()

    def action_erase(self) -> None:
        rows = self.station.rack.selected()
        if not rows:
            current = self.current()
            if current is None:
                self.say(_("No drive to erase."))
                return
            if current.busy:
                self.say(_("{devnode} is busy.").format(devnode=current.devnode))
                return
            if current.refused is not None:  # no block device: nothing any plan could write
                self.say(current.refused.notice().translated())
                return
            if current.elsewhere is not None:  # the plan would refuse it too, with the same words
                self.say(_("{devnode}: {why}").format(devnode=current.devnode,
                                                      why=current.elsewhere.notice().translated()))
                return
            rows = [current]  # a locked drive still goes to the plan: the library refuses it there
        self.app.push_screen(PlanScreen([r.disk for r in rows]), self._confirmed)

    def _confirmed(self, plan: object, restart_of: EraseJob | None = None) -> None:
        if isinstance(plan, ErasePlan):
            self.station.start_plan(plan, restart_of)
            self.say(_("Erasing {n} drive(s).").format(n=len(plan.runnable)))

    def action_restart(self) -> None:
        """Run the highlighted drive's interrupted job again: same plan screen, checks and typed confirmation."""
        row = self.current()
        if row is None or row.interrupted is None:
            self.say(_("No interrupted erase on this drive."))
            return
        if row.busy:
            self.say(_("{devnode} is busy.").format(devnode=row.devnode))
            return
        job = row.interrupted
        self.app.push_screen(PlanScreen([row.disk], restart=job), lambda plan: self._confirmed(plan, job))

    def action_stop(self) -> None:
        row = self.current()
        if row is not None and self.station.stop_job(row.devnode):
            self.say(_("Stopping {devnode}: it will be reported CANCELLED.").format(devnode=row.devnode))
        else:
            self.say(_("No running erase on this drive."))

    def action_certificates(self) -> None:
        self.app.push_screen(CertificatesScreen())

    def action_audit(self) -> None:
        self.app.push_screen(AuditScreen())

    def action_laptop(self) -> None:
        """The guided laptop flow (audit, tests, grade, erase, verdict, label) for the machine Station runs on."""
        self.app.push_screen(LaptopScreen())

    def action_settings(self) -> None:
        self.app.push_screen(SettingsScreen())

    def action_language(self) -> None:
        self.station.set_language("en" if i18n.language() == "fr" else "fr")

    def action_quit(self) -> None:
        if self.station.running_count():
            self.app.push_screen(QuitScreen())
        else:
            self.app.exit(0)
