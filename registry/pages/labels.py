"""Words people read for the codes records carry (verdicts, results, stages), in the request's language."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

VERDICTS: dict[str, Promise] = {
    "reuse": _("reuse"), "reuse-with-warnings": _("reuse (with warnings)"),
    "reuse-after-repair": _("reuse after repair"), "harvest-parts": _("parts"),
    "recycle": _("WEEE recycling"),
}
RESULTS: dict[str, Promise] = {
    "erased": _("erased"), "destroyed": _("destroyed"), "failed": _("FAILED"), "cancelled": _("CANCELLED"),
    "interrupted": _("INTERRUPTED"), "pending": _("to erase"), "unknown": _("unknown"),
}
OUTCOMES: dict[str, Promise] = {
    "reuse": _("reused"), "parts": _("used for parts"), "recycle": _("recycled (WEEE)"), "pending": _("in progress"),
    "not-erased": _("NOT ERASED"),
}
STAGES: dict[str, Promise] = {
    "received": _("received"), "audited": _("audited"), "erased": _("erased"), "blocked": _("blocked"),
}
KINDS: dict[str, Promise] = {
    "certificate": _("erasure certificate"), "failure-report": _("failure report (not a certificate)"),
    "audit": _("hardware audit"),
}
FLAGS: dict[str, Promise] = {
    "chain-gap": _("chain gap"), "chain-fork": _("chain fork"), "revoked-station": _("station revoked"),
}


def word(table: dict[str, Promise], code: str | None) -> str:
    if not code:
        return ""
    return str(table.get(code, code))
