"""The machine's label: a sticker for the refurbished laptop, printed on a 62 mm roll (Brother QL
DK-22205 and alike) or on an A4 sheet of 2 x 7 labels (99.1 x 38.1 mm, Avery L7163 layout).

It carries what a buyer or a workshop needs at a glance (model, CPU, RAM, storage, cosmetic grade,
the erasure status and date, the audit id) and a QR code that opens the device's page in the
registry when the station is enrolled (the registry's `certificate_page` template), or holds the
audit id alone otherwise. Built from the signed audit record and the erasure certificates of the
machine's drives, so the label never says more than those prove.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # reportlab is imported when a label is drawn, not when the CLI starts
    from reportlab.pdfgen import canvas

MM = 72 / 25.4  # PDF points per millimetre
ROLL_WIDTH = 62 * MM
ROLL_HEIGHT = 80 * MM
SHEET_COLUMNS, SHEET_ROWS = 2, 7
SHEET_LABEL = (99.1 * MM, 38.1 * MM)
SHEET_MARGIN = (4.65 * MM, 15.15 * MM)  # left, top
SHEET_PITCH = (101.6 * MM, 38.1 * MM)
SIZES = ("roll62", "a4")

_WORDS = {
    "fr": {"cpu": "CPU", "ram": "RAM", "storage": "Stockage", "grade": "Grade", "erasure": "Effacement",
           "erased": "effacé", "partial": "partiel", "failed": "ÉCHEC", "none": "non effacé",
           "no-drive": "aucun disque", "audit": "Audit", "sep": " : "},
    "en": {"cpu": "CPU", "ram": "RAM", "storage": "Storage", "grade": "Grade", "erasure": "Erasure",
           "erased": "erased", "partial": "partial", "failed": "FAILED", "none": "not erased",
           "no-drive": "no drive", "audit": "Audit", "sep": ": "},
}


class LabelError(ValueError):
    """The audit record cannot make a label (not an audit record, unreadable)."""


@dataclass(frozen=True)
class Erasure:
    """`status`: erased (every drive has an erased/destroyed certificate), partial, failed (one
    certificate says failed/interrupted/cancelled and none after it erased), none, no-drive."""

    status: str
    date: str | None  # the last certificate's issue date (YYYY-MM-DD)
    certificates: tuple[str, ...]


@dataclass(frozen=True)
class Label:
    model: str
    cpu: str
    ram: str
    storage: str
    grade: str
    erasure: Erasure
    audit_id: str
    qr: str  # what the QR code holds: the device's registry page, or the audit id


def _size_text(size: Any) -> str:
    if not isinstance(size, int) or size <= 0:
        return "?"
    return f"{size / 1e12:.1f} TB" if size >= 1e12 else f"{size / 1e9:.0f} GB"


def _ram_text(memory: dict[str, Any]) -> str:
    """Installed modules when DMI lists them (MemTotal hides firmware-reserved memory), else MemTotal."""
    sizes = [m.get("size_mib") for m in memory.get("modules") or [] if isinstance(m.get("size_mib"), int)]
    total = sum(sizes) if sizes else memory.get("total_mib")
    if not isinstance(total, int) or total <= 0:
        return "?"
    return f"{total / 1024:.0f} GB" if sizes else f"{total / 1024:.1f} GB"


def erasure_of(record: dict[str, Any], certificates: Sequence[dict[str, Any]]) -> Erasure:
    """The erasure status of the record's drives from the certificates naming their serials: the
    latest certificate per drive counts (a failed pass re-run to success is erased)."""
    serials = [d.get("serial") for d in record.get("disks") or [] if d.get("serial")]
    if not record.get("disks"):
        return Erasure("no-drive", None, ())
    latest: dict[str, dict[str, Any]] = {}
    for cert in sorted(certificates, key=lambda c: str(c.get("issued_at") or "")):
        serial = (cert.get("media") or {}).get("serial")
        if isinstance(serial, str) and serial in serials:
            latest[serial] = cert
    if not latest:
        return Erasure("none", None, ())
    results = [c.get("result") for c in latest.values()]
    if any(r not in ("erased", "destroyed") for r in results):
        status = "failed"
    elif len(latest) < len(record["disks"]):
        status = "partial"
    else:
        status = "erased"
    date = max(str(c.get("issued_at") or "") for c in latest.values())[:10] or None
    return Erasure(status, date, tuple(str(c.get("certificate_id")) for c in latest.values()))


def qr_target(audit_id: str, certificate_page: str | None) -> str:
    """The registry page of the record when the station is enrolled (template with {record_id}),
    else the audit id alone."""
    if certificate_page and "{record_id}" in certificate_page:
        return certificate_page.replace("{record_id}", audit_id)
    return audit_id


def from_record(record: dict[str, Any], certificates: Sequence[dict[str, Any]] = (),
                certificate_page: str | None = None) -> Label:
    if not isinstance(record, dict) or not str(record.get("format", "")).startswith("station-audit/"):
        raise LabelError("not a Station audit record")
    weee = record.get("weee_annex_vi") or {}
    hardware = record.get("hardware") or {}
    disks = record.get("disks") or []
    storage = " + ".join(f"{_size_text(d.get('size_bytes'))} {str(d.get('bus') or '').upper()}".strip()
                         for d in disks) or "-"
    grade = ((record.get("bench") or {}).get("grade") or {}).get("letter") or "-"
    return Label(model=weee.get("item_name") or "?", cpu=(hardware.get("cpu") or {}).get("model") or "?",
                 ram=_ram_text(hardware.get("memory") or {}), storage=storage, grade=grade,
                 erasure=erasure_of(record, certificates), audit_id=str(record["audit_id"]),
                 qr=qr_target(str(record["audit_id"]), certificate_page))


def load_certificates(directory: Path) -> list[dict[str, Any]]:
    """Every certificate JSON in the data dir (an unreadable one is skipped: it proves nothing)."""
    out = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "certificate_id" in data:
            out.append(data)
    return out


def erasure_text(erasure: Erasure, lang: str) -> str:
    text = _WORDS[lang].get(erasure.status, erasure.status)
    return f"{text} {erasure.date}" if erasure.date else text


def _lines(label: Label, lang: str) -> list[tuple[str, bool]]:
    words = _WORDS[lang]
    sep = words["sep"]
    return [(label.model, True), (f"{words['cpu']}{sep}{label.cpu}", False),
            (f"{words['ram']}{sep}{label.ram}   {words['storage']}{sep}{label.storage}", False),
            (f"{words['grade']}{sep}{label.grade}", True),
            (f"{words['erasure']}{sep}{erasure_text(label.erasure, lang)}", True),
            (f"{words['audit']}{sep}{label.audit_id}", False)]


def _fit(c: canvas.Canvas, text: str, font: str, size: float, width: float) -> str:
    from station.certify.pdf import printable  # reportlab: `station --help` loads this module for the label sizes

    shown = printable(text)
    while shown and c.stringWidth(shown, font, size) > width:
        shown = shown[:-2] + "…"
    return shown


def _draw(c: canvas.Canvas, label: Label, lang: str, x: float, y: float, width: float, height: float,
          qr_size: float, beside: bool) -> None:
    """One label with its bottom-left corner at (x, y): QR on the left (`beside`) or on top."""
    from station.certify.pdf import draw_qr, fonts  # reportlab: as in _fit

    regular, bold = fonts()
    pad = 2 * MM
    if beside:
        draw_qr(c, label.qr, x + pad, y + (height - qr_size) / 2, qr_size)
        tx, top, tw = x + qr_size + 2 * pad, y + height - pad - 3 * MM, width - qr_size - 3 * pad
    else:
        draw_qr(c, label.qr, x + (width - qr_size) / 2, y + height - qr_size - pad, qr_size)
        tx, top, tw = x + pad, y + height - qr_size - pad - 4 * MM, width - 2 * pad
    size = 7.5
    for text, strong in _lines(label, lang):
        font = bold if strong else regular
        c.setFont(font, size)
        c.drawString(tx, top, _fit(c, text, font, size, tw))
        top -= size + 2.5


def render(labels: Sequence[Label], size: str = "roll62", lang: str = "fr", start: int = 0) -> bytes:
    """`roll62`: one 62 x 80 mm page per label. `a4`: labels fill a 2 x 7 sheet from slot `start`
    (0-13, so a half-used sheet is not wasted), then new sheets."""
    # reportlab, a tenth of a second: `station --help` loads this module for the label sizes
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from station.certify.pdf import printable

    if size not in SIZES:
        raise LabelError(f"label size must be one of {', '.join(SIZES)}, not {size!r}")
    if lang not in _WORDS:
        raise LabelError(f"language must be fr or en, not {lang!r}")
    if not labels:
        raise LabelError("no label to print")
    slots = SHEET_COLUMNS * SHEET_ROWS
    if not 0 <= start < slots:
        raise LabelError(f"start slot must be 0-{slots - 1}")
    buffer = io.BytesIO()
    page = (ROLL_WIDTH, ROLL_HEIGHT) if size == "roll62" else A4
    c = canvas.Canvas(buffer, pagesize=page, invariant=1)
    c.setTitle(printable(" ".join(label.audit_id for label in labels)))
    if size == "roll62":
        for label in labels:
            _draw(c, label, lang, 0, 0, ROLL_WIDTH, ROLL_HEIGHT, 44 * MM, beside=False)
            c.showPage()
    else:
        for index, label in enumerate(labels, start):
            slot = index % slots
            if index > start and slot == 0:
                c.showPage()
            col, row = slot % SHEET_COLUMNS, slot // SHEET_COLUMNS
            x = SHEET_MARGIN[0] + col * SHEET_PITCH[0]
            y = A4[1] - SHEET_MARGIN[1] - (row + 1) * SHEET_PITCH[1]
            _draw(c, label, lang, x, y, SHEET_LABEL[0], SHEET_LABEL[1], 33 * MM, beside=True)
        c.showPage()
    c.save()
    return buffer.getvalue()
