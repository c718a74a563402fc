"""NIST's "method details" sentence for one job, in any document language: the signed record keeps the English
one, the PDF prints the reader's, both from the same fields (here, so the record need not import the renderer)."""

from __future__ import annotations

from collections.abc import Sequence

from station import i18n
from station.i18n import N_

HOST_OVERWRITE_METHODS = frozenset({"zero", "random", "random+zero", "one", "ones"})

# marked for the `documents` catalog (station/locale/*/LC_MESSAGES/documents.po)
WORDS: dict[str, str] = {
    "overwrite": N_("host overwrite of every addressable block, {count} pass(es): {passes}"),
    "drive-command": N_("drive-internal command: {technique} ({method})"),
    "destroy": N_("physical destruction ({technique}), attested by the operator"),
}


def method_details(method: str, passes: Sequence[str], technique: str, lang: str) -> str:
    """The sentence in `lang` ("en" for the record)."""
    def say(name: str, **values: str) -> str:
        return i18n.translations(lang, i18n.DOCUMENTS).gettext(WORDS[name]).format(**values)

    if method in HOST_OVERWRITE_METHODS:
        return say("overwrite", count=str(len(passes)), passes=", ".join(passes) or method)
    if method == "destroy":
        return say("destroy", technique=technique)
    return say("drive-command", technique=technique, method=method)
