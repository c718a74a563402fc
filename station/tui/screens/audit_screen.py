"""Host audit: the laptop's identity, CPU, RAM, battery wear, disks' health, the verdict with its
rules, and the functional checklist the technician ticks. Collection and saving run off the loop."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, Static

from station import i18n
from station.certify import keys
from station.i18n import N_, _
from station.inventory import record as audit
from station.inventory.machine import Inventory, collect
from station.inventory.machine_serial import SerialRefused, apply_operator_serial, machine_serial, needs_label_serial
from station.inventory.thresholds import CHECKLIST_ITEMS
from station.inventory.verdict import Checklist, Verdict, decide
from station.tui.face import StationScreen
from station.tui.widgets import KeyBar, KeyHint, MessageLine

STATE_KEYS = {"o": "ok", "f": "failed", "u": "untested", "n": "absent"}


def serial_line(inventory: Inventory) -> tuple[str, bool]:
    """The serial as the technician must see it, and whether it still needs the label."""
    serial = machine_serial(inventory)
    dmi_value = serial.dmi.value or _("unknown")
    if serial.source == "operator":
        return _("Serial: {serial} (typed by operator {operator}; DMI: {dmi})").format(
            serial=serial.value, operator=serial.entered_by or "?", dmi=dmi_value), False
    if serial.value is not None:
        return _("Serial: {serial}").format(serial=serial.value), False
    doubts = ", ".join(serial.dmi.doubts) or _("doubtful")
    return _("Serial: DMI says '{dmi}' ({doubts}): type or scan the label serial").format(
        dmi=dmi_value, doubts=doubts), True


def summary_text(inventory: Inventory, verdict: Verdict) -> Text:
    info = inventory.dmi
    out = Text()
    model = info.model_name or _("unknown model")
    out.append(f"{model}  ({info.form_factor})\n", style="bold")
    serial, doubtful = serial_line(inventory)
    out.append(serial + "\n", style="bold reverse" if doubtful else "")
    out.append(_("Year: {year}").format(year=info.year.year or "?") + "\n")
    cpu = inventory.cpu
    out.append(_("CPU: {model}, {threads} threads").format(model=cpu.model or "?", threads=cpu.threads or "?") + "\n")
    ram = inventory.memory.total_mib
    out.append(_("RAM: {size}").format(size=f"{ram / 1024:.1f} GiB" if ram else "?") + "\n")
    if not inventory.batteries:
        out.append(_("Battery: none reported") + "\n")
    for bat in inventory.batteries:
        wear = f"{bat.wear_percent:.0f} %" if bat.wear_percent is not None else _("unknown")
        out.append(_("Battery {name}: wear {wear}, {cycles} cycles").format(
            name=bat.name, wear=wear, cycles=bat.cycle_count if bat.cycle_count is not None else "?") + "\n")
    for disk in inventory.disks:
        health = disk.smart.health if disk.smart else "unknown"
        out.append(_("Disk {devnode}: {model}, SMART {health}").format(
            devnode=disk.devnode, model=disk.model or "?", health=_(health)) + "\n")
    out.append(_("Verdict: {outcome}").format(outcome=_(verdict.outcome)) + "\n", style="bold")
    for finding in verdict.findings:
        outcome = _(finding.outcome)
        out.append(f" [{outcome}] {finding.text()}\n")
    for gap in inventory.missing:
        out.append(" " + _("missing: {what}: {why}").format(what=gap.what, why=gap.why) + "\n")
    return out


class AuditScreen(StationScreen[None]):
    HINTS: ClassVar[list[KeyHint]] = [("o/f/u/n", N_("ok/failed/untested/absent")), ("s", N_("label serial")),
                                      ("w", N_("save record")), ("r", N_("audit again")), ("Esc", N_("back"))]
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key, f"mark('{state}')", show=False) for key, state in STATE_KEYS.items()),
        Binding("s", "serial", show=False),
        Binding("w", "save", show=False),
        Binding("r", "collect", show=False),
        Binding("escape", "back", show=False),
    ]
    DEFAULT_CSS = """
    AuditScreen #summary { width: 1fr; }
    AuditScreen #checklist { width: 28; }
    AuditScreen #serial-row { height: 1; display: none; }
    AuditScreen #serial-row.shown { display: block; }
    AuditScreen #serial-label { width: auto; padding: 0 1 0 0; }
    AuditScreen #serial-input { width: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.inventory: Inventory | None = None
        self.checklist = Checklist()
        self.typed_serial: str | None = None  # the label serial, re-applied when the audit is run again


    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        with Horizontal(id="serial-row"):
            yield Static(id="serial-label")
            yield Input(id="serial-input")
        with Horizontal():
            with VerticalScroll(id="summary"):
                yield Static(id="summary-text")
            yield DataTable[Text](id="checklist", cursor_type="row")
        yield MessageLine(id="message")
        yield KeyBar(self.HINTS)

    def on_mount(self) -> None:
        self.retranslate()
        self.query_one("#checklist", DataTable).focus()
        self.action_collect()

    def retranslate(self) -> None:
        self.query_one("#title", Static).update(Text(_("Host audit")))
        self.query_one("#serial-label", Static).update(Text(_("Label serial (type or scan, then Enter):")))
        self.query_one("#serial-input", Input).placeholder = _("serial number on the machine's label")
        self.query_one(KeyBar).retranslate()
        self.show()

    def action_collect(self) -> None:
        self.query_one("#summary-text", Static).update(Text(_("Auditing this computer...")))

        def work() -> None:
            try:
                inventory = collect(self.station.audit_host)
            except Exception as exc:  # an audit bug must be shown, not crash the station
                self.app.call_from_thread(self.query_one(MessageLine).say, str(exc))
                return
            self.app.call_from_thread(self._collected, inventory)

        self.app.run_worker(work, thread=True, name="audit")

    def _collected(self, inventory: Inventory) -> None:
        try:
            self.inventory = apply_operator_serial(inventory, self.typed_serial, self.station.settings.operator)
        except ValueError:  # typed_serial was accepted before: cannot happen, but never lose the audit
            self.inventory, self.typed_serial = inventory, None
        self.show()
        if needs_label_serial(inventory.dmi) and self.typed_serial is None:
            self.query_one(MessageLine).say(_("The DMI serial is not trustworthy: type or scan the label serial."))
            self.action_serial()

    def action_serial(self) -> None:
        """Show the label serial field and give it the keyboard (a barcode scanner types into it)."""
        self.query_one("#serial-row").add_class("shown")
        field = self.query_one("#serial-input", Input)
        if self.typed_serial is not None and not field.value:
            field.value = self.typed_serial
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "serial-input":
            return
        inventory = self.inventory
        if inventory is None:
            self.query_one(MessageLine).say(_("The audit is still running."))
            return
        try:
            self.inventory = apply_operator_serial(inventory, event.value, self.station.settings.operator)
        except SerialRefused as exc:
            reason = _(exc.template).format(**exc.values)
            self.query_one(MessageLine).say(_("Serial refused: {reason}").format(reason=reason))
            event.input.value = ""  # the next scan must not be appended to the refused text
            return
        typed = self.inventory.operator_serial
        self.typed_serial = typed.value if typed else None
        event.input.value = self.typed_serial or ""
        if typed is None:
            self.query_one(MessageLine).say(_("Label serial removed."))
        else:
            self.query_one(MessageLine).say(_("Label serial {serial} recorded as typed by the operator.").format(
                serial=typed.value))
        if not needs_label_serial(inventory.dmi) and typed is None:
            self.query_one("#serial-row").remove_class("shown")
        self.query_one("#checklist", DataTable).focus()
        self.show()

    def show(self) -> None:
        table = self.query_one("#checklist", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_column(Text(_("Function")), width=12, key="item")
        table.add_column(Text(_("State")), width=10, key="state")
        for item in CHECKLIST_ITEMS:
            table.add_row(Text(_(item)), Text(_(self.checklist.state(item))), key=item)
        table.move_cursor(row=row)
        if self.inventory is not None:
            verdict = decide(self.inventory, self.checklist)
            self.query_one("#summary-text", Static).update(summary_text(self.inventory, verdict))

    def action_mark(self, state: str) -> None:
        table = self.query_one("#checklist", DataTable)
        item = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        if item is None:
            return
        items = dict(self.checklist.items)
        items[item] = state
        self.checklist = Checklist(items, self.station.settings.operator or None)
        self.show()
        table.move_cursor(row=min(table.cursor_row + 1, len(CHECKLIST_ITEMS) - 1))

    def action_save(self) -> None:
        inventory = self.inventory
        if inventory is None:
            self.query_one(MessageLine).say(_("The audit is still running."))
            return
        checklist, settings, datadir = self.checklist, self.station.settings, self.station.session.datadir
        lang = i18n.language()

        def work() -> None:
            try:
                verdict = decide(inventory, checklist)
                key = keys.load_or_create(datadir)
                record = audit.build(inventory, verdict, checklist,
                                     responsible=audit.Responsible(settings.organisation, settings.location,
                                                                   settings.operator),
                                     station_name=settings.station_name, key_fingerprint=key.fingerprint,
                                     created=datetime.now(UTC).replace(microsecond=0), lang=lang)
                files = audit.write(record, inventory, datadir.audits, key, lang)
                message = _("Audit record saved: {path}").format(path=files.pdf_path)
            except Exception as exc:
                message = _("Audit record not saved: {error}").format(error=exc)
            self.app.call_from_thread(self.query_one(MessageLine).say, message)

        self.app.run_worker(work, thread=True, name="save audit")

    def action_back(self) -> None:
        if self.query_one("#serial-input", Input).has_focus:
            self.query_one("#checklist", DataTable).focus()  # Esc leaves the field, not the screen
            return
        self.dismiss(None)
