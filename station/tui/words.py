"""Words other modules hand to the TUI as data (checklist items, verdicts, states).

Listed here so the catalog extraction sees them; the screens pass them through `_()` when shown.
"""

from __future__ import annotations

from station.i18n import N_

VOCABULARY = (
    # functional checklist items and states (station.thresholds, station.verdict)
    N_("screen"), N_("keyboard"), N_("touchpad"), N_("ports"), N_("webcam"), N_("audio"), N_("wifi"),
    N_("charger"), N_("ok"), N_("failed"), N_("untested"), N_("absent"),
    # reuse verdicts (station.thresholds.OUTCOMES)
    N_("reuse"), N_("reuse-with-warnings"), N_("reuse-after-repair"), N_("harvest-parts"), N_("recycle"),
    # bench functions and the parts a failed one names (station.functest, station.inventory.verdict.REPAIR_PART)
    N_("display"), N_("pointer"), N_("pointing_stick"), N_("pointing stick"),
    N_("microphone"), N_("camera"), N_("ethernet"), N_("bluetooth"), N_("usb"),
    N_("battery"), N_("speakers"), N_("Ethernet port"), N_("Wi-Fi card"), N_("Bluetooth module"), N_("USB port"),
    N_("case"), N_("hinge"), N_("pass"), N_("fail"), N_("skipped"),
    # the laptop flow's steps and their states (station.laptop)
    N_("audit"), N_("functions"), N_("grade"), N_("certificates"), N_("verdict"), N_("label"), N_("done"),
    # SMART health (station.smart.HEALTH_VALUES)
    N_("warning"), N_("failing"), N_("unknown"),
    # certificate results and upload status (station.certificate, station.outbox)
    N_("erased"), N_("destroyed"), N_("cancelled"), N_("interrupted"), N_("sent"), N_("pending"),
    N_("not queued"),
)
