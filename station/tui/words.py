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
    N_("reuse"), N_("reuse-with-warnings"), N_("harvest-parts"), N_("recycle"),
    # SMART health (station.smart.HEALTH_VALUES)
    N_("warning"), N_("failing"), N_("unknown"),
    # certificate results and upload status (station.certificate, station.outbox)
    N_("erased"), N_("destroyed"), N_("cancelled"), N_("interrupted"), N_("sent"), N_("pending"),
    N_("not queued"),
)
