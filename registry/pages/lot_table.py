"""The per-device table of a lot page, rendered in Python: a lot holds thousands of devices and Django's
template engine costs about ten times more per cell; the markup is the same a template would give."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from registry.lots.journey import Device
from registry.pages.labels import FLAGS, OUTCOMES, RESULTS, VERDICTS, word


def _url_maker(name: str) -> Callable[[int], str]:
    """reverse() once per page, not once per link (thousands of links on a big lot)."""
    head, _sep, tail = reverse(name, args=[999999999]).partition("999999999")
    return lambda ref: f"{head}{ref}{tail}"


def rows(devices: Iterable[Device]) -> SafeString:
    """One <tbody> per device: its machine cells span its drives' rows; problems carry a class and a word."""
    unknown = escape(_("unknown"))
    json_url, sig_url, pdf_url = (_url_maker(f"pages:record-{n}") for n in ("json", "sig", "pdf"))
    signature = escape(_("signature"))
    no_audit, no_drive = escape(_("no audit")), escape(_("no drive"))
    words: dict[tuple[int, str | None], str] = {}  # each code translated once per table, not once per cell

    def said(table: dict[str, Promise], code: str | None) -> str:
        found = words.get((id(table), code))
        if found is None:
            found = words[(id(table), code)] = escape(word(table, code))
        return found

    def links(ref: int) -> str:
        return (f'<a href="{json_url(ref)}">JSON</a> · <a href="{sig_url(ref)}">{signature}</a> · '
                f'<a href="{pdf_url(ref)}">PDF</a>')

    out: list[str] = []
    for device in devices:
        drives = device.drives or ()
        span = max(len(drives), 1)
        css = ' class="attention"' if device.attention else ""
        flags = " ".join(f'<span class="flag">{said(FLAGS, f)}</span>' for f in sorted(device.flags))
        audit = (f'<a href="{json_url(device.audit_ref)}">{escape(device.audit_id)}</a>'
                 if device.audit_ref is not None and device.audit_id else no_audit)
        machine = (f'<td rowspan="{span}">{escape(device.model or "") or unknown}<br><small>{audit}</small></td>'
                   f'<td rowspan="{span}">{escape(device.machine_serial or "") or unknown}</td>'
                   f'<td rowspan="{span}">{escape(device.label_serial or "")}</td>'
                   f'<td rowspan="{span}">{said(VERDICTS, device.verdict)}</td>'
                   f'<td rowspan="{span}" class="outcome-{device.outcome.value}">'
                   f'{said(OUTCOMES, device.outcome.value)} {flags}</td>')
        out.append(f"<tbody{css}>")
        if not drives:
            out.append(f'<tr>{machine}<td colspan="5">{no_drive}</td></tr>')
        for i, d in enumerate(drives):
            result_css = "ok" if d.done else ("pending" if d.ref is None else "bad")
            retry = f' <small>({d.attempts}×)</small>' if d.attempts > 1 else ""
            cells = (f'<td>{escape(d.serial or "") or unknown}</td><td>{escape(d.method or "")}</td>'
                     f'<td>{escape(d.nist_category or "")}</td>'
                     f'<td class="result-{result_css}">{said(RESULTS, d.result)}{retry}</td>'
                     f'<td>{links(d.ref) if d.ref is not None else ""}</td>')
            out.append(f"<tr>{machine if i == 0 else ''}{cells}</tr>")
        out.append("</tbody>")
    return mark_safe("".join(out))
