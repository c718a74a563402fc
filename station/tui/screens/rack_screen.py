"""Home: one row per drive, live on hot-plug, with selection, progress and results."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Static

from station.i18n import N_, _
from station.tui import rack as fmt
from station.tui.widgets import KeyBar, KeyHint, MessageLine

if TYPE_CHECKING:
    from station.tui.app import StationApp

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


class RackTable(DataTable[Text]):
    """The drives table; rebuilt when rows come or go, updated cell by cell otherwise."""

    def __init__(self) -> None:
        super().__init__(id="rack", cursor_type="row", zebra_stripes=False)
        self.shown_version = -1

    @property
    def station(self) -> StationApp:
        return cast("StationApp", self.app)

    def on_mount(self) -> None:
        self.rebuild()

    def rebuild(self) -> None:
        keep = self.highlighted()
        self.clear(columns=True)
        for key, label, width in COLUMNS:
            self.add_column(Text(_(label)), width=width, key=key)
        for row in self.station.rack.ordered():
            self.add_row(*self.cells(row), key=row.devnode)
        self.shown_version = self.station.version
        if keep is not None and keep in self.station.rack.rows:
            self.move_cursor(row=self.get_row_index(keep))

    def update_rows(self) -> None:
        if self.shown_version != self.station.version:
            self.rebuild()
            return
        for row in self.station.rack.ordered():
            for (key, _label, _width), value in zip(COLUMNS, self.cells(row), strict=True):
                if self.get_cell(row.devnode, key) != value:
                    self.update_cell(row.devnode, key, value)

    @staticmethod
    def cells(row: fmt.RackRow) -> list[Text]:
        d = row.disk
        mark = "*" if row.selected else ("!" if d.protected else " ")
        values = [mark + (d.bay or "-"), d.bus, fmt.model_cell(d), fmt.serial_cell(d), fmt.size_cell(d),
                  fmt.health_cell(row.health), fmt.status_cell(row)]
        return [Text(v, no_wrap=True, overflow="crop") for v in values]

    def highlighted(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value
        except Exception:  # cursor outside the table after a removal
            return None
        return key


class RackScreen(Screen[None]):
    HINTS: ClassVar[list[KeyHint]] = [("spc", N_("select")), ("a", N_("all")), ("e", N_("erase")), ("x", N_("stop")),
                                      ("c", N_("certificates")), ("h", N_("audit")), ("s", N_("settings")),
                                      ("l", N_("language")), ("q", N_("quit"))]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_select", show=False),
        Binding("a", "select_all", show=False),
        Binding("e", "erase", show=False),
        Binding("x", "stop", show=False),
        Binding("c", "certificates", show=False),
        Binding("h", "audit", show=False),
        Binding("s", "settings", show=False),
        Binding("l", "language", show=False),
        Binding("q", "quit", show=False),
    ]
    DEFAULT_CSS = """
    RackScreen #rack { height: 1fr; }
    RackScreen #detail { height: 4; border-top: ascii $primary; text-wrap: nowrap; text-overflow: clip; }
    """

    @property
    def station(self) -> StationApp:
        return cast("StationApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        yield RackTable()
        yield Static(id="detail")
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
        self.query_one("#title", Static).update(Text(" | ".join(p for p in parts if p)))

    def update_detail(self) -> None:
        row = self.current()
        lines = fmt.detail_lines(row) if row is not None else [_("No drive detected yet.")]
        self.query_one("#detail", Static).update(Text("\n".join(lines[:3])))

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
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
        if row.disk.protected:
            reasons = "; ".join(p.message() for p in row.disk.protections)
            self.say(_("Locked, never written: {reasons}").format(reasons=reasons))
        elif not row.selectable:
            self.say(_("{devnode} is busy.").format(devnode=row.devnode))
        else:
            row.selected = not row.selected
            self.table.cursor_coordinate = Coordinate(min(self.table.cursor_row + 1, self.table.row_count - 1), 0)
        self.refresh_rack()

    def action_select_all(self) -> None:
        candidates = self.station.rack.selectable()
        everything = bool(candidates) and all(r.selected for r in candidates)
        for row in candidates:
            row.selected = not everything
        self.refresh_rack()

    def action_erase(self) -> None:
        from station.tui.screens.plan_screen import PlanScreen

        rows = self.station.rack.selected()
        if not rows:
            current = self.current()
            if current is None:
                self.say(_("No drive to erase."))
                return
            if current.busy:
                self.say(_("{devnode} is busy.").format(devnode=current.devnode))
                return
            rows = [current]  # a locked drive still goes to the plan: the library refuses it there
        self.app.push_screen(PlanScreen([r.disk for r in rows]), self._confirmed)

    def _confirmed(self, plan: object) -> None:
        from station.plan import ErasePlan

        if isinstance(plan, ErasePlan):
            self.station.start_plan(plan)
            self.say(_("Erasing {n} drive(s).").format(n=len(plan.runnable)))

    def action_stop(self) -> None:
        row = self.current()
        if row is not None and self.station.stop_job(row.devnode):
            self.say(_("Stopping {devnode}: it will be reported CANCELLED.").format(devnode=row.devnode))
        else:
            self.say(_("No running erase on this drive."))

    def action_certificates(self) -> None:
        from station.tui.screens.certificates_screen import CertificatesScreen

        self.app.push_screen(CertificatesScreen())

    def action_audit(self) -> None:
        from station.tui.screens.audit_screen import AuditScreen

        self.app.push_screen(AuditScreen())

    def action_settings(self) -> None:
        from station.tui.screens.settings_screen import SettingsScreen

        self.app.push_screen(SettingsScreen())

    def action_language(self) -> None:
        from station import i18n

        self.station.set_language("en" if i18n.language() == "fr" else "fr")

    def action_quit(self) -> None:
        from station.tui.screens.quit_screen import QuitScreen

        if self.station.running_count():
            self.app.push_screen(QuitScreen())
        else:
            self.app.exit(0)
