"""Human sentences for verdict findings, in the language they are shown in.

The audit record keeps each finding as data (rule id, subject, value, threshold and `params`), so a
signed record never depends on a translation. This module turns that data into a sentence through
the gettext catalogs: English is the source language (the templates below), French comes from
`station/locale/fr`. The TUI, the PDF and the CLI all render findings here.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence

from station import i18n, notes
from station.functest.grade import DEFECTS, GRADES
from station.functest.result import FUNCTIONS
from station.i18n import N_
from station.inventory.thresholds import CHECKLIST_ITEMS
from station.notes import Note

Param = str | int | float | bool | None

_AGE = N_("produced around {year}, before {limit}")
_FUNCTION_FAILED = N_("{item} does not work")
_FUNCTION_UNTESTED = N_("{item} not tested: cannot be sold as 'reconditionné'")
_BENCH_FAILED = N_("{part}: test failed ({reason})")
_BENCH_SKIPPED = N_("{function} test skipped ({reason}): cannot be sold as 'reconditionné'")
_BENCH_ABSENT = N_("no {part} found: fit one")
_GRADE = N_("cosmetic grade {grade} ({note})")
_DEFECT = N_("cosmetic defect: {part}")

# Every rule id `station.verdict.decide` can emit, with its English template. tests/test_verdict_text.py
# fails when verdict.py emits an id missing here or a template lacks its French translation.
TEMPLATES: dict[str, str] = {
    "machine.year-unknown": N_("year of production unknown (no BIOS date)"),
    "machine.too-old-recycle": _AGE,
    "machine.too-old-reuse": _AGE,
    "cpu.not-64bit": N_("32-bit-only CPU: no current OS runs on it"),
    "cpu.threads": N_("{threads} CPU threads, {limit} needed"),
    "memory.too-small": N_("{ram} MiB of RAM: add memory before reuse"),
    "identity.serial-unusable": N_("no trustworthy serial in DMI ({dmi}): type or scan the label"),
    "identity.serial-from-label": N_("serial {serial} typed or scanned from the label by {operator} (DMI: {dmi})"),
    "disk.health-unknown": N_("{devnode}: SMART unavailable ({reason})"),
    "disk.failing": N_("{devnode}: replace this drive ({rules}); the drive goes to destruction/recycling"),
    "disk.warning": N_("{devnode}: SMART warning ({rules})"),
    "disk.self-test-incomplete": N_("{devnode}: short self-test not completed ({state})"),
    "disk.none": N_("no drive found: one must be fitted before reuse"),
    "battery.none": N_("laptop without a battery reported"),
    "battery.absent": N_("{battery}: battery slot empty or battery dead"),
    "battery.wear-unknown": N_("{battery}: wear unknown ({reason})"),
    "battery.replace": N_("{battery}: {wear} % worn, replace before sale"),
    "battery.worn": N_("{battery}: {wear} % worn"),
    **{f"function.{item}.failed": _FUNCTION_FAILED for item in CHECKLIST_ITEMS},
    **{f"function.{item}.untested": _FUNCTION_UNTESTED for item in CHECKLIST_ITEMS},
    "audit.partial": N_("partial audit: {what}: {why}"),
    **{f"bench.{function}.fail": _BENCH_FAILED for function in FUNCTIONS},
    **{f"bench.{function}.skipped": _BENCH_SKIPPED for function in FUNCTIONS},
    **{f"bench.{function}.absent": _BENCH_ABSENT for function in FUNCTIONS},
    **{f"bench.grade.{letter}": _GRADE for letter in GRADES},
    **{f"bench.defect.{defect}": _DEFECT for defect in DEFECTS},
    "bench.grade-missing": N_("no cosmetic grade given"),
    "bench.too-many-repairs": N_("{count} repairs needed ({parts}), {limit} or more: not worth it, harvest parts"),
    "bench.beyond-repair": N_("{count} repairs needed ({parts}) on a grade E machine: WEEE recycling"),
}

# Parameters whose values are themselves catalog words (checklist item names).
_TRANSLATED_PARAMS = frozenset({"item", "part", "function"})
_TRANSLATED_LISTS = frozenset({"parts"})  # ", "-joined catalog words


def placeholders(template: str) -> set[str]:
    return {field for _text, field, _spec, _conv in string.Formatter().parse(template) if field}


def describe(rule_id: str, params: Mapping[str, Param], lang: str | None = None,
             fallback: str | None = None, reason: Sequence[Note | str] = ()) -> str:
    """The finding as a sentence in `lang` (None: the current UI language). `reason`: the notes behind a bench
    finding's `reason` param (its English words), said in `lang` instead.

    An id this version does not know (a record from a newer station) or params that do not fill the
    template (an older record) give `fallback`, else the id and its values: never an exception."""
    gettext = i18n._ if lang is None else i18n.translations(lang).gettext
    if reason and "reason" in params:
        params = {**params, "reason": "; ".join(notes.render(n, lang or i18n.language()) for n in reason)}
    template = TEMPLATES.get(rule_id)
    if template is None or not placeholders(template) <= set(params):
        if fallback:
            return fallback
        values = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
        return f"{rule_id} ({values})" if values else rule_id
    shown = {name: gettext(str(value)) if name in _TRANSLATED_PARAMS
             else ", ".join(gettext(w) for w in str(value).split(", ")) if name in _TRANSLATED_LISTS
             else _show(value) for name, value in params.items()}
    try:
        return gettext(template).format(**shown)
    except (KeyError, IndexError, ValueError):  # a broken translation: the English sentence, not a crash
        return template.format(**shown)


def _show(value: Param) -> str:
    if value is None:
        return "?"
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)
