"""Notes that go into signed records: a stable code with str/int parameters, put into words by whoever reads them.

A certificate is signed once, in one language, and read later by a donor, a technician or the registry in
theirs; English sentences frozen into it could not follow. So producers (the erase engine, Purge, the
certificate builder) record a `Note`, this module holds the one catalog of English templates (marked N_ for the
`documents` gettext catalog, the words certificates print), and `render` puts a note into any reader's language.
A code this Station does not know (a record from a newer one) renders as the code and its parameters, never
an error; a record written before notes had codes holds plain English strings, shown as written.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from station import i18n
from station.i18n import N_

TEMPLATES: dict[str, str] = {
    # the erase engine (station.erase.engine)
    "erase.buffered-io": N_("O_DIRECT unsupported on this file's filesystem: buffered I/O with fsync"),
    "erase.verify-mismatch": N_("verification: {blocks} block(s) of {block_size} bytes did not hold the expected "
                                "pattern"),
    "erase.io-errors": N_("{count} I/O error range(s); first: {op} of {length} bytes at byte {offset}: {message}"),
    "erase.verify-failed": N_("verification failed: data differs from the written pattern at byte(s) {offsets}"),
    "erase.passes-incomplete": N_("not every pass completed"),
    "erase.hidden-area-left": N_("hidden area (HPA/DCO) could not be removed, its sectors would not be erased: "
                                 "{detail}"),
    "erase.refused": N_("refused: {detail}"),
    "erase.device-lost": N_("device lost: {detail}"),
    "erase.too-many-errors": N_("more than {count} unreadable/unwritable ranges: giving up on this drive"),
    "erase.cannot-use": N_("cannot use {target}: {detail}"),
    "erase.cancelled": N_("cancelled"),
    "erase.cancelled-by-operator": N_("cancelled by the operator"),
    "erase.drive-removed": N_("drive removed ({devnode} disappeared)"),
    "erase.stopped": N_("stopped: {reason}"),
    "erase.interrupted": N_("interrupted: the station stopped (power loss or crash) mid-job"),
    # Purge by the drive's own command, proven by marker blocks (station.erase.purge, station.erase.markers)
    "purge.frozen": N_("the drive is frozen; the command was not sent"),
    "purge.data-remained": N_("device reported success but data remained ({survivors} of {checked} marker blocks "
                              "intact)"),
    "purge.failed-markers-survived": N_("the drive reported failure and {survivors} marker blocks survived"),
    "purge.markers-unreadable": N_("{count} marker blocks could not be read back: erasure not proven"),
    "purge.no-success": N_("the drive did not report success"),
    "purge.no-marker-checked": N_("no marker was checked"),
    "purge.ata-password-set": N_("ATA temporary user password set by Station: {password}"),
    "purge.drive-log": N_("drive command log: {line}"),
    # the certificate builder (station.certify.certificate)
    "cert.recorded-as-clear": N_("recorded as Clear: host overwrite ({method}) cannot be Purge"),
    "cert.passes-short": N_("only {done} of {total} passes ran"),
    "cert.error-ranges": N_("{count} I/O error range(s)"),
    "cert.verification-not-passed": N_("verification did not pass"),
    "cert.hidden-area-present": N_("a hidden area (HPA/DCO) is present and was not erased"),
    "cert.not-erased": N_("not erased ({result})"),
    "cert.operator-note": N_("operator's note: {text}"),
    "cert.journal-text": N_("{text}"),  # the English words of a job journaled before notes had codes
}

Param = str | int


@dataclass(frozen=True)
class Note:
    """One note of a signed record: as a dict, it is exactly the JSON the record carries."""

    code: str
    params: dict[str, Param] = field(default_factory=dict, hash=False)

    @classmethod
    def of(cls, code: str, **params: Param) -> Note:
        """A note this Station emits: its code must be in the catalog with exactly these parameters."""
        template = TEMPLATES.get(code)
        if template is None:
            raise KeyError(f"undefined note code {code!r}")
        if set(params) != placeholders(template):
            raise ValueError(f"note {code!r} takes {sorted(placeholders(template))}, not {sorted(params)}")
        return cls(code, {k: v if isinstance(v, int) and not isinstance(v, bool) else str(v)
                          for k, v in params.items()})

    def text(self) -> str:
        """English, for logs and the technician's terminal when no language applies."""
        return render(self, "en")

    def __str__(self) -> str:
        return self.text()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Note:
        """From a record (schema-checked) or a journal; values that are neither int nor str are kept as text."""
        params = data.get("params")
        return cls(str(data["code"]), {str(k): v if isinstance(v, int) and not isinstance(v, bool) else str(v)
                                       for k, v in (params.items() if isinstance(params, Mapping) else ())})


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def render(note: Note | str | None, lang: str) -> str:
    """The note in `lang` through the `documents` catalog; the one rendering every reader uses (PDF, CLI, TUI,
    registry). A plain string (a record from before notes had codes) is shown as written."""
    if note is None:
        return ""
    if isinstance(note, str):
        return note
    values = {k: str(v) for k, v in note.params.items()}
    template = TEMPLATES.get(note.code)
    if template is None or placeholders(template) != set(values):  # from a newer Station: code and what it carried
        return note.code + "".join(f" {k}={v}" for k, v in values.items())
    words = i18n.translations(lang, i18n.DOCUMENTS).gettext(template) if lang != "en" else template
    return words.format(**values)


def as_note(value: Any) -> Note | str:
    """A record's note as read from JSON: an object with a code, or a string written before codes."""
    return Note.from_dict(value) if isinstance(value, Mapping) else str(value)
