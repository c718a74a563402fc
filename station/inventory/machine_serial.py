"""The machine's serial number and where it came from: DMI when plausible, else the label the
technician typed or scanned.

Many boards carry "To Be Filled By O.E.M." or zeros instead of a serial, and a WEEE per-item record
needs a real identification number. The technician then reads it off the label (or scans its barcode:
a scanner is a keyboard that types and presses Enter). Both the CLI (`station audit --serial`) and the
TUI apply it through `apply_operator_serial`, so the record states the same provenance either way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from station.i18n import N_
from station.inventory.dmi import DmiInfo, DmiValue, assess
from station.inventory.machine import Inventory, OperatorSerial

MAX_LENGTH = 64
SOURCES = ("operator", "dmi-system", "dmi-chassis", "dmi-board", "none")


@dataclass(frozen=True)
class MachineSerial:
    """The identification number an audit record states, with its source and what DMI said."""

    value: str | None
    source: str  # one of SOURCES
    entered_by: str | None
    entered_at: str | None
    dmi: DmiValue  # the best DMI candidate, as read, even when it is junk

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "entered_by": self.entered_by,
                "entered_at": self.entered_at, "dmi": self.dmi.to_dict()}


def needs_label_serial(info: DmiInfo) -> bool:
    """True when no DMI serial (system, chassis or board) is plausible: ask for the label."""
    return not info.best_serial.usable


class SerialRefused(ValueError):
    """A typed serial that cannot be one. `template` (English, in the catalogs) and `values` let the
    TUI say why in the technician's language; str() is the English sentence for the CLI."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template.format(**values))
        self.template = template
        self.values = values


def clean(raw: str) -> str:
    """The serial as it will be recorded; SerialRefused with a reason the technician can act on.

    Scanners may add a tab or a carriage return; a placeholder ("To Be Filled By O.E.M.", zeros)
    typed in by mistake is refused like the DMI one it replaces."""
    value = " ".join(raw.split())
    if not value:
        raise SerialRefused(N_("the serial is empty"))
    if len(value) > MAX_LENGTH:
        raise SerialRefused(N_("the serial is longer than {limit} characters"), limit=MAX_LENGTH)
    if not value.isprintable():
        raise SerialRefused(N_("the serial contains unprintable characters"))
    judged = assess(value, serial=True)
    if judged.confidence == 0.0:
        raise SerialRefused(N_("'{serial}' is a placeholder, not a serial ({doubts})"), serial=value,
                            doubts=", ".join(judged.doubts))
    return value


def apply_operator_serial(inventory: Inventory, raw: str | None, entered_by: str | None,
                          when: datetime | None = None) -> Inventory:
    """The inventory with the label serial the operator typed (None or blank removes it).
    Raises SerialRefused (a ValueError) for a value that cannot be a serial."""
    if raw is None or not raw.strip():
        return dataclasses.replace(inventory, operator_serial=None)
    stamp = (when or datetime.now(UTC)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    entry = OperatorSerial(clean(raw), entered_by or None, stamp)
    return dataclasses.replace(inventory, operator_serial=entry)


def machine_serial(inventory: Inventory) -> MachineSerial:
    """The operator's label serial wins (it was read off the machine); else the first plausible DMI serial."""
    info = inventory.dmi
    typed = inventory.operator_serial
    if typed is not None:
        return MachineSerial(typed.value, "operator", typed.entered_by, typed.entered_at, info.best_serial)
    for source, candidate in (("dmi-system", info.serial), ("dmi-chassis", info.chassis_serial),
                              ("dmi-board", info.board_serial)):
        if candidate.usable:
            return MachineSerial(candidate.value, source, None, None, candidate)
    return MachineSerial(None, "none", None, None, info.serial)
