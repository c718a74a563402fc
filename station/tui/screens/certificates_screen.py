"""Certificates of the current lot and of today's work: result, PDF, upload status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from station.certify import certificate
from station.i18n import N_, _
from station.store import outbox
from station.tui.face import StationFace, StationScreen
from station.tui.widgets import KeyBar, KeyHint, MessageLine

FILTERS = ("today", "lot", "all")


@dataclass(frozen=True)
class CertificateLine:
    certificate_id: str
    sequence: int
    issued_at: str
    serial: str
    result: str
    is_certificate: bool
    lot: str
    pdf: str
    upload: str


def load_lines(app: StationFace) -> list[CertificateLine]:
    """Read every issued record and its upload status (runs on a worker thread)."""
    lines = []
    datadir = app.session.datadir
    for issued in certificate.all_issued(datadir):
        cert = issued.certificate
        lines.append(CertificateLine(cert.certificate_id, cert.sequence, cert.issued_at,
                                     cert.media.serial or "?", cert.result, cert.is_certificate, cert.lot or "",
                                     str(issued.pdf_path), outbox.status(datadir, cert.certificate_id)))
    return lines


def local_date(issued_at: str) -> str:
    """The day a record was issued on the station's clock (TZ): records are stamped in UTC, but a wipe
    at 00:30 in Paris belongs to the technician's new day, not to yesterday's."""
    try:
        moment = datetime.fromisoformat(issued_at)
    except ValueError:
        return issued_at[:10]  # an unreadable stamp is shown as written, never guessed
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().date().isoformat()


def local_today(now: datetime) -> str:
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone().date().isoformat()


def keep(line: CertificateLine, which: str, lot: str, today: str) -> bool:
    if which == "today":
        return local_date(line.issued_at) == today
    if which == "lot":
        return bool(lot) and line.lot == lot
    return True


class CertificatesScreen(StationScreen[None]):
    HINTS: ClassVar[list[KeyHint]] = [("f", N_("filter")), ("r", N_("reload")), ("Esc", N_("back"))]
    BINDINGS: ClassVar[list[BindingType]] = [Binding("f", "filter", show=False), Binding("r", "reload", show=False),
                Binding("escape", "back", show=False)]
    DEFAULT_CSS = """
    CertificatesScreen #certs { height: 1fr; }
    CertificatesScreen #pdf { height: 2; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.which = "today"
        self.lines: list[CertificateLine] = []


    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        yield DataTable[Text](id="certs", cursor_type="row")
        yield Static(id="pdf")
        yield MessageLine(id="message")
        yield KeyBar(self.HINTS)

    def on_mount(self) -> None:
        self.retranslate()
        self.action_reload()

    def retranslate(self) -> None:
        label = {"today": _("today"), "lot": _("current lot"), "all": _("all")}[self.which]
        self.query_one("#title", Static).update(Text(_("Certificates: {which}").format(which=label)))
        self.query_one(KeyBar).retranslate()
        self.show()

    def action_reload(self) -> None:
        def work() -> None:
            try:
                lines = load_lines(self.station)
            except Exception as exc:
                self.app.call_from_thread(self.query_one(MessageLine).say, str(exc))
                return
            self.app.call_from_thread(self._loaded, lines)

        self.app.run_worker(work, thread=True, name="certificates")

    def _loaded(self, lines: list[CertificateLine]) -> None:
        self.lines = lines
        self.show()

    def shown(self) -> list[CertificateLine]:
        today = local_today(self.station.clock())
        return [line for line in self.lines if keep(line, self.which, self.station.settings.lot, today)]

    def show(self) -> None:
        table = self.query_one("#certs", DataTable)
        table.clear(columns=True)
        for key, label, width in (("seq", N_("No."), 4), ("date", N_("Date"), 10), ("serial", N_("Serial"), 16),
                                  ("result", N_("Result"), 10), ("upload", N_("Upload"), 10),
                                  ("kind", N_("Record"), 14)):
            table.add_column(Text(_(label)), width=width, key=key)
        for line in self.shown():
            kind = _("certificate") if line.is_certificate else _("failure report")
            cells = [str(line.sequence), local_date(line.issued_at), line.serial, _(line.result), _(line.upload), kind]
            table.add_row(*[Text(c, no_wrap=True, overflow="crop") for c in cells], key=line.certificate_id)
        if not self.shown():
            self.query_one("#pdf", Static).update(Text(_("No certificate here yet.")))
        else:
            self.show_pdf()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_pdf()

    def show_pdf(self) -> None:
        table = self.query_one("#certs", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        line = next((x for x in self.lines if x.certificate_id == key), None)
        if line is not None:
            self.query_one("#pdf", Static).update(Text(_("PDF: {path}").format(path=line.pdf)))

    def action_filter(self) -> None:
        self.which = FILTERS[(FILTERS.index(self.which) + 1) % len(FILTERS)]
        self.retranslate()

    def action_back(self) -> None:
        self.dismiss(None)
