"""Every PDF Station prints for people: the per-drive certificate, the machine's audit record and the lot
report, in French or English, in one embedded TrueType font.

The PDF is a view of the signed JSON, never the source of truth: the JSON, its signature and the
public key travel inside it as file attachments so the PDF alone is enough to verify. A failure
report is marked on every line that could be mistaken for a certificate.

The text is set in DejaVu Sans (Debian's fonts-dejavu-core), embedded, so any name a French or European
operator, donor or organisation carries ("Łukasz Żółć", "Őrség", "Ștefan") prints as typed; the PDF
core fonts only cover cp1252.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import itertools
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import reportlab.graphics
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream, PDFString
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from station import i18n, notes
from station.certify.keys import sha256_hex
from station.certify.method_words import method_details
from station.i18n import N_
from station.inventory.verdict_text import describe

if TYPE_CHECKING:  # the certificate module renders through this one; the type alone is needed here
    from station.certify.certificate import Certificate

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FONT_FILES = {FONT: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
# Debian's fonts-dejavu-core (scripts/setup, the live image) puts them in the first place
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts/dejavu"))


class FontMissing(RuntimeError):
    """The embedded font is not installed: no PDF rather than one that loses people's names."""


@functools.cache
def fonts() -> tuple[str, str]:
    """Register DejaVu Sans (regular, bold) with reportlab once; the names to pass to setFont."""
    for name, file in FONT_FILES.items():
        found = next((d / file for d in FONT_DIRS if (d / file).is_file()), None)
        if found is None:
            raise FontMissing(f"font {file} not found in {', '.join(str(d) for d in FONT_DIRS)}: "
                              "install the Debian package fonts-dejavu-core (scripts/setup does)")
        pdfmetrics.registerFont(TTFont(name, str(found)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    return FONT, BOLD


@functools.cache
def _covered() -> frozenset[int]:
    fonts()
    regular = pdfmetrics.getFont(FONT).face.charToGlyph
    bold = pdfmetrics.getFont(BOLD).face.charToGlyph
    return frozenset(regular) & frozenset(bold)


def printable(text: object) -> str:
    """The text as the page shows it: a character the font lacks (CJK, emoji) becomes '?' rather than
    an invisible glyph; every Latin, Greek and Cyrillic letter is kept."""
    covered = _covered()
    return "".join(ch if ord(ch) in covered or ch in "\n\t" else "?" for ch in str(text))


# Every word the certificate and lot report print, by key: English, marked for the `documents` catalog
# (station/locale/*/LC_MESSAGES/documents.po), translated in the document's language by `tr`.
LABELS: dict[str, str] = {
    "title": N_("Data sanitization certificate"),
    "subtitle": N_("NIST SP 800-88 Rev. 1 - one medium, one operation"),
    "failure_title": N_("FAILURE REPORT - THIS IS NOT A CERTIFICATE OF ERASURE"),
    "failure_banner": N_("The data on this medium was NOT proven erased."),
    "watermark": N_("NOT ERASED"),
    "result": N_("Result"),
    "result.erased": N_("ERASED AND VERIFIED"),
    "result.destroyed": N_("DESTROYED"),
    "result.failed": N_("FAILED"),
    "result.cancelled": N_("CANCELLED"),
    "result.interrupted": N_("INTERRUPTED"),
    "short.erased": N_("Erased"),
    "short.destroyed": N_("Destroyed"),
    "short.failed": N_("FAILED"),
    "short.cancelled": N_("CANCELLED"),
    "short.interrupted": N_("INTERRUPTED"),
    "reason": N_("Reason"),
    "notes": N_("Notes"),
    "sec.media": N_("Medium"),
    "sec.sanitization": N_("Sanitization"),
    "sec.verification": N_("Verification"),
    "sec.people": N_("People and destination"),
    "sec.record": N_("Signed record"),
    "manufacturer": N_("Manufacturer"),
    "model": N_("Model"),
    "serial": N_("Serial number"),
    "serial_source": N_("Serial provenance"),
    "serial_untrusted": N_("(not trusted)"),
    "media_type": N_("Media type"),
    "size": N_("Capacity"),
    "bus": N_("Interface / firmware"),
    "source": N_("Media source"),
    "source.rack": N_("Station {station}, bay {bay}"),
    "hidden": N_("Hidden area (HPA/DCO)"),
    "hidden.not-checked": N_("not checked"),
    "hidden.none": N_("none"),
    "hidden.removed": N_("removed before erasure"),
    "hidden.present-not-erased": N_("PRESENT AND NOT ERASED"),
    "category": N_("NIST category"),
    "technique": N_("Technique (IEEE 2883)"),
    "method": N_("Method"),
    "tool": N_("Tool and version"),
    "started": N_("Started"),
    "ended": N_("Ended"),
    "errors": N_("I/O errors"),
    "none": N_("none"),
    "ver_method": N_("Verification method"),
    "ver_share": N_("Share read back"),
    "ver_compare": N_("Comparison"),
    "ver_compare.pattern": N_("every byte read back compared with the pattern written"),
    "ver_compare.digest": N_("{algo} digest of every {mib} MiB piece read back, compared with that of the piece as it "
        "was written"),
    "ver_result": N_("Verification result"),
    "passed": N_("passed"),
    "not_passed": N_("NOT PASSED"),
    "operator": N_("Operator"),
    "organisation": N_("Organisation"),
    "location": N_("Location / contact"),
    "donor": N_("Donor / lot"),
    "destination": N_("Post-sanitization destination"),
    "validated": N_("Validated by"),
    "cert_id": N_("Certificate no."),
    "report_id": N_("Failure report no."),
    "issued": N_("Issued"),
    "key": N_("Station key fingerprint"),
    "json_sha": N_("SHA-256 of the signed JSON"),
    "previous": N_("SHA-256 of the previous certificate"),
    "first": N_("(first of this station)"),
    "unknown": N_("unknown"),
    "verify_help": N_("To verify: the signed JSON, its signature and the public key are attached to this PDF. "
        "station verify {id}.pdf, or: openssl pkeyutl -verify -pubin -inkey station.pub.pem -rawin "
        "-in {id}.json -sigfile {id}.json.sig. Compare the key fingerprint with the one published "
        "by {org}."),
    "signed": N_("signed electronically (Ed25519)"),
    "lot_title": N_("Lot report {lot}"),
    "lot_machines": N_("Machines"),
    "lot_drives": N_("Drives"),
    "lot_erased": N_("Erased drives"),
    "lot_failed": N_("Not erased"),
    "lot_destroyed": N_("Destroyed drives"),
    "lot_where": N_("Erased in / on"),
    "lot_date": N_("Date"),
    "lot_generated": N_("Generated {date} by station {station} (key {fingerprint})."),
    "lot_manifest": N_("The signed manifest {manifest} lists the SHA-256 of every certificate in this lot."),
    "lot_certificates": N_("Certificates"),
    "lot_empty": N_("No certificate in this lot."),
}

GREEN = colors.HexColor("#1f6f43")
RED = colors.HexColor("#b3261e")
GREY = colors.HexColor("#555555")


def tr(lang: str, name: str, **values: str) -> str:
    """A document's word in the document's language (not the screen's: a French station may print in English)."""
    text = i18n.translations(lang, i18n.DOCUMENTS).gettext(LABELS[name])
    return text.format(**values) if values else text


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def human_time(stamp: str | None, lang: str) -> str:
    if not stamp:
        return tr(lang, "unknown")
    text = stamp.replace("T", " ")
    return text[:-6] + " UTC" if text.endswith("+00:00") else text


def source_text(cert: Certificate, lang: str) -> str:
    source = cert.media.source
    unknown = tr(lang, "unknown")
    if source.kind == "host" and source.host is not None:
        host = source.host
        serial = host.serial or unknown
        if not host.serial_trusted:
            serial += " " + tr(lang, "serial_untrusted")
        return f"{host.manufacturer or unknown} {host.product or ''} - S/N {serial}".replace("  ", " ")
    return tr(lang, "source.rack", station=source.station_name or cert.station.name or unknown,
              bay=source.bay or unknown)


@dataclass
class _Writer:
    """Left column label/value rows with wrapping, top to bottom."""

    c: canvas.Canvas
    y: float
    x: float = 18 * mm
    label_w: float = 58 * mm
    value_w: float = 112 * mm

    def section(self, title: str) -> None:
        self.y -= 3 * mm
        self.c.setFillColor(GREY)
        self.c.setFont(BOLD, 10)
        self.c.drawString(self.x, self.y, printable(title.upper()))
        self.c.setStrokeColor(colors.lightgrey)
        self.c.line(self.x, self.y - 1.2 * mm, A4[0] - self.x, self.y - 1.2 * mm)
        self.c.setFillColor(colors.black)
        self.y -= 5 * mm

    def row(self, label: str, value: str, bold: bool = False, color: colors.Color | None = None) -> None:
        self.c.setFont(FONT, 8.5)
        self.c.setFillColor(GREY)
        self.c.drawString(self.x, self.y, printable(label))
        font = BOLD if bold else FONT
        lines = simpleSplit(printable(value), font, 8.5, self.value_w) or [""]
        self.c.setFillColor(color or colors.black)
        self.c.setFont(font, 8.5)
        for line in lines:
            self.c.drawString(self.x + self.label_w, self.y, line)
            self.y -= 3.9 * mm
        self.c.setFillColor(colors.black)


@functools.cache
def _qrencoder() -> Any:
    """reportlab's QR encoder module (plain Python, needing only re and itertools), loaded from its file alone:
    importing it by name runs reportlab.graphics.barcode's package, which registers every barcode widget and
    imports the whole drawing and platypus stack, 0.15 s of each certificate's start-up on this machine kind."""
    path = Path(reportlab.graphics.__file__).parent / "barcode" / "qrencoder.py"
    spec = importlib.util.spec_from_file_location("station.certify._reportlab_qrencoder", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"reportlab's QR encoder is not at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def draw_qr(c: canvas.Canvas, value: str, x: float, y: float, size: float, border: int = 2) -> None:
    """reportlab's QR encoder, drawn as row runs straight on the canvas (the widget encodes it three times)."""
    qrencoder = _qrencoder()
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(value)
    qr.make()
    count = qr.getModuleCount()
    box = size / (count + 2 * border)
    c.saveState()
    c.setFillColor(colors.black)
    for r, row in enumerate(qr.modules):
        col = 0
        for dark, run in itertools.groupby(bool(m) for m in row):
            length = len(list(run))
            if dark:
                c.rect(x + (col + border) * box, y + size - (r + border + 1) * box, length * box, box,
                       stroke=0, fill=1)
            col += length
    c.restoreState()


def qr_payload(certificate_id: str, json_sha256: str, page: str = "") -> str:
    """What the QR code says: the registry's page of the certificate once the station is enrolled (`page` is its
    template, with {record_id}; the sha256 rides along so the page can say whether the bytes match), else the id and
    hash for offline checking."""
    if page:
        return page.replace("{record_id}", urllib.parse.quote(certificate_id, safe="")) + f"?sha256={json_sha256}"
    return f"STATION-CERT:{certificate_id};SHA256:{json_sha256}"


def _page(cert: Certificate, json_sha256: str, lang: str, page_url: str,
          files: Sequence[tuple[str, bytes]]) -> bytes:
    fonts()
    buffer = io.BytesIO()
    width, height = A4
    c = canvas.Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1, initialFontName=FONT)
    ok = cert.is_certificate
    t = functools.partial(tr, lang)
    unknown = t("unknown")
    c.setTitle(printable(f"{t('title') if ok else t('failure_title')} {cert.certificate_id}"))
    c.setAuthor(printable(cert.organisation or "Station"))
    if not ok:
        c.saveState()
        c.setFillColor(colors.Color(0.7, 0.15, 0.12, alpha=0.10))
        c.setFont(BOLD, 80)
        c.translate(width / 2, height / 2)
        c.rotate(35)
        c.drawCentredString(0, 0, printable(t("watermark")))
        c.restoreState()
    band = GREEN if ok else RED
    c.setFillColor(band)
    c.rect(0, height - 30 * mm, width, 30 * mm, stroke=0, fill=1)
    c.setFillColor(colors.white)
    if ok:
        c.setFont(BOLD, 18)
        c.drawString(18 * mm, height - 14 * mm, printable(t("title")))
        c.setFont(FONT, 10)
        c.drawString(18 * mm, height - 21 * mm, printable(t("subtitle")))
    else:
        c.setFont(BOLD, 12.5)
        c.drawString(18 * mm, height - 13 * mm, printable(t("failure_title")))
        c.setFont(FONT, 10)
        c.drawString(18 * mm, height - 21 * mm, printable(t("failure_banner")))
    c.setFont(FONT, 9)
    id_label = t("cert_id") if ok else t("report_id")
    c.drawString(18 * mm, height - 27 * mm, printable(f"{id_label} {cert.certificate_id}   {cert.organisation or ''}"))

    draw_qr(c, qr_payload(cert.certificate_id, json_sha256, page_url), width - 48 * mm, height - 72 * mm, 34 * mm)
    c.setFont(FONT, 6.5)
    c.setFillColor(GREY)
    c.drawCentredString(width - 31 * mm, height - 75 * mm, cert.certificate_id)

    c.setFillColor(band)
    c.setFont(BOLD, 15)
    result_text = f"{t('result')} : " if lang == "fr" else f"{t('result')}: "
    c.drawString(18 * mm, height - 42 * mm, printable(result_text + t(f"result.{cert.result}")))
    w = _Writer(c, height - 49 * mm, value_w=78 * mm)
    if cert.result_reason:
        w.row(t("reason"), notes.render(cert.result_reason, lang), bold=True, color=RED)
    m = cert.media
    serial = m.serial or unknown
    if not m.serial_trusted:
        serial += " " + t("serial_untrusted")
    w.section(t("sec.media"))
    w.row(t("serial"), serial, bold=True)
    w.row(t("model"), m.model or unknown, bold=True)
    w.value_w = 112 * mm
    w.row(t("manufacturer"), m.manufacturer or unknown)
    w.row(t("serial_source"), m.serial_source + (f" ({', '.join(m.serial_doubts)})" if m.serial_doubts else ""))
    w.row(t("media_type"), f"{m.media_type} ({m.kind})")
    w.row(t("size"), f"{human_size(m.size_bytes)} ({m.size_bytes} B)")
    w.row(t("bus"), f"{m.bus} / {m.firmware or unknown}")
    w.row(t("source"), source_text(cert, lang))
    hidden = t(f"hidden.{cert.hidden_area.status}")
    w.row(t("hidden"), hidden + (f" - {cert.hidden_area.detail}" if cert.hidden_area.detail else ""),
          color=RED if cert.hidden_area.status == "present-not-erased" else None)

    s = cert.sanitization
    w.section(t("sec.sanitization"))
    w.row(t("category"), s.nist_category.capitalize(), bold=True)
    w.row(t("technique"), s.technique)
    w.row(t("method"), f"{s.method} - {method_details(s.method, s.passes, s.technique, lang)} "
                       f"({s.passes_done}/{len(s.passes)})")
    w.row(t("tool"), f"{s.tool.name} {s.tool.version}")
    w.row(t("started"), human_time(s.started_at, lang))
    w.row(t("ended"), human_time(s.ended_at, lang))
    errors = t("none") if not s.errors else "; ".join(
        f"{e.op} @{e.offset} +{e.length}: {e.message}" for e in s.errors[:4]) + (
        f" (+{len(s.errors) - 4})" if len(s.errors) > 4 else "")
    w.row(t("errors"), errors, color=RED if s.errors else None)
    if s.notes:  # a Purge's drive log can be long: the page shows the first few, the signed JSON has them all
        w.row(t("notes"), "; ".join(notes.render(n, lang) for n in s.notes[:6]) + (
            f" (+{len(s.notes) - 6})" if len(s.notes) > 6 else ""))

    v = cert.verification
    w.section(t("sec.verification"))
    w.row(t("ver_method"), f"{v.method} ({v.requested})")
    w.row(t("ver_share"), f"{v.percent:.1f} % - {human_size(v.bytes_verified)}")
    if v.comparison == "pattern":
        w.row(t("ver_compare"), t("ver_compare.pattern"))
    elif v.comparison:
        algo, _, piece = v.comparison.partition("/")
        w.row(t("ver_compare"), t("ver_compare.digest", algo=algo.upper(), mib=f"{int(piece) / (1 << 20):g}"))
    w.row(t("ver_result"), t("passed") if v.passed else t("not_passed"), bold=True,
          color=None if v.passed else RED)

    w.section(t("sec.people"))
    person = s.performed_by
    w.row(t("operator"), " - ".join(p for p in (person.name, person.title) if p) or unknown)
    w.row(t("organisation"), cert.organisation or unknown)
    w.row(t("location"), " - ".join(p for p in (person.location, person.contact) if p) or unknown)
    w.row(t("donor"), f"{cert.donor or unknown} / {cert.lot or unknown}")
    w.row(t("destination"), s.post_sanitization_destination or unknown)
    validator = cert.validation.person
    w.row(t("validated"), f"{' - '.join(p for p in (validator.name, validator.title) if p) or unknown}, "
          f"{human_time(cert.validation.date, lang)}, {t('signed')}")

    w.section(t("sec.record"))
    w.row(id_label, f"{cert.certificate_id} (#{cert.sequence})", bold=True)
    w.row(t("issued"), human_time(cert.issued_at, lang))
    w.row(t("key"), cert.station.key_fingerprint, bold=True)
    w.row(t("json_sha"), json_sha256)
    w.row(t("previous"), cert.previous_certificate_sha256 or t("first"))

    help_text = t("verify_help", id=cert.certificate_id, org=cert.organisation or "Station")
    c.setFont(FONT, 7)
    c.setFillColor(GREY)
    y = 22 * mm
    for line in simpleSplit(printable(help_text), FONT, 7, width - 36 * mm):
        c.drawString(18 * mm, y, line)
        y -= 3.2 * mm
    c.showPage()
    embed(c, files)
    c.save()
    return buffer.getvalue()


def embed(c: canvas.Canvas, files: Sequence[tuple[str, bytes]]) -> None:
    """Embed files in the document being drawn, as `attach` does to a finished PDF (readers list both alike).

    reportlab has no public API for it, so this builds the PDF objects (ISO 32000 7.11.4: a file specification
    per file, its EmbeddedFile stream, the catalog's EmbeddedFiles name tree, sorted by name) with reportlab's
    own object classes; pypdf would cost a third of a second of import on every certificate issued."""
    doc = c._doc
    names: list[object] = []
    for name, data in sorted(files):
        stream = PDFStream(PDFDictionary({"Type": PDFName("EmbeddedFile"),
                                          "Params": PDFDictionary({"Size": len(data)})}), content=data, filters=[])
        spec = PDFDictionary({"Type": PDFName("Filespec"), "F": PDFString(name), "UF": PDFString(name),
                              "EF": PDFDictionary({"F": doc.Reference(stream)})})
        names += [PDFString(name), doc.Reference(spec)]
    doc.Catalog.Names = PDFDictionary({"EmbeddedFiles": PDFDictionary({"Names": PDFArray(names)})})


def attach(pdf: bytes, files: Sequence[tuple[str, bytes]]) -> bytes:
    """Embed files (pypdf: reportlab has no embedded-file API) and return the new PDF bytes."""
    from pypdf import PdfReader, PdfWriter  # slow to import: only when attachments are handled

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for name, data in files:
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def attachments(pdf: bytes) -> dict[str, bytes]:
    """Embedded files by name; raises ValueError when the bytes are not a readable PDF."""
    # pypdf is slow to import (0.1-0.4 s): only when attachments are read, never when a certificate is issued
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(pdf))
        found: dict[str, bytes] = {}
        for name, contents in reader.attachments.items():
            if len(contents) != 1:
                raise ValueError(f"attachment {name!r} appears {len(contents)} times")
            found[name] = contents[0]
        return found
    except PdfReadError as exc:
        raise ValueError(f"not a readable PDF: {exc}") from exc


def page_text(pdf: bytes) -> str:
    from pypdf import PdfReader  # slow to import: only when a page is read

    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def render_certificate(cert: Certificate, json_bytes: bytes, signature: bytes, public_pem: bytes,
                       lang: str, page_url: str = "") -> bytes:
    return _page(cert, sha256_hex(json_bytes), lang, page_url, [(f"{cert.certificate_id}.json", json_bytes),
                                                                 (f"{cert.certificate_id}.json.sig", signature),
                                                                 ("station.pub.pem", public_pem)])


@dataclass(frozen=True)
class LotRow:
    serial: str
    model: str
    method: str
    category: str
    result: str
    date: str
    where: str
    certificate_id: str


@dataclass(frozen=True)
class LotCounts:
    machines: int
    drives: int
    erased: int
    failed: int
    destroyed: int


def render_lot_report(lot: str, organisation: str | None, donor: str | None, counts: LotCounts,
                      rows: Sequence[LotRow], lang: str, *, generated: str, station: str, key: str,
                      manifest_name: str) -> bytes:
    # platypus (flowing tables) costs a tenth of a second of import that a certificate, drawn on a canvas, never needs
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    t = functools.partial(tr, lang)
    fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=printable(t("lot_title", lot=lot)), invariant=True,
                            initialFontName=FONT)
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        if hasattr(style, "fontName"):
            style.fontName = BOLD if "Bold" in style.fontName else FONT
    small = styles["BodyText"].clone("small", fontSize=6.5, leading=8)
    story: list[object] = [
        Paragraph(_escape(t("lot_title", lot=lot)), styles["Title"]),
        Paragraph(_escape(" - ".join(p for p in (organisation, donor) if p)), styles["Heading3"]),
        Spacer(1, 4 * mm),
    ]
    summary = Table([[printable(t(n)) for n in ("lot_machines", "lot_drives", "lot_erased", "lot_failed",
                                                 "lot_destroyed")],
                     [str(counts.machines), str(counts.drives), str(counts.erased), str(counts.failed),
                      str(counts.destroyed)]], colWidths=[36 * mm] * 5)
    summary.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), FONT, 9), ("FONT", (0, 1), (-1, 1), BOLD, 16),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
        ("INNERGRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ("TEXTCOLOR", (3, 1), (3, 1), RED if counts.failed else colors.black),
        ("TOPPADDING", (0, 1), (-1, 1), 5), ("BOTTOMPADDING", (0, 1), (-1, 1), 5),
    ]))
    story += [summary, Spacer(1, 6 * mm), Paragraph(_escape(t("lot_certificates")), styles["Heading2"])]
    if rows:
        header = [t("serial"), t("model"), t("method"), t("category"), t("result"), t("lot_date"),
                  t("lot_where"), t("cert_id")]
        data = [[Paragraph(_escape(h), small) for h in header]]
        for row in rows:
            data.append([Paragraph(_escape(v), small) for v in (
                row.serial, row.model, row.method, row.category, t(f"short.{row.result}"), row.date, row.where,
                row.certificate_id)])
        table = Table(data, colWidths=[28 * mm, 26 * mm, 16 * mm, 15 * mm, 16 * mm, 19 * mm, 36 * mm, 26 * mm],
                      repeatRows=1)
        style = [("FONT", (0, 0), (-1, -1), FONT, 6.5),
                 ("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))]
        for index, row in enumerate(rows, start=1):
            if row.result not in ("erased", "destroyed"):
                style.append(("BACKGROUND", (0, index), (-1, index), colors.HexColor("#fbe9e7")))
        table.setStyle(TableStyle(style))
        story.append(table)
    else:
        story.append(Paragraph(_escape(t("lot_empty")), styles["BodyText"]))
    story += [Spacer(1, 6 * mm),
              Paragraph(_escape(t("lot_generated", date=generated, station=station, fingerprint=key)), small),
              Paragraph(_escape(t("lot_manifest", manifest=manifest_name)), small)]
    doc.build(story)
    return buffer.getvalue()


def _escape(text: str) -> str:
    return printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# The audit record's words, by key: English, marked for the `audit` catalog (station/locale/*/audit.po),
# read in the record's language by `audit_labels`.
AUDIT_LABELS: dict[str, str] = {
    "title": N_("Hardware audit report"),
    "machine": N_("Machine"),
    "serial": N_("Serial number"),
    "year": N_("Estimated year"),
    "cpu": N_("CPU"),
    "ram": N_("Memory"),
    "disks": N_("Drives"),
    "battery": N_("Battery"),
    "verdict": N_("Verdict"),
    "findings": N_("Findings"),
    "checklist": N_("Functional tests"),
    "tester": N_("Tested by"),
    "date": N_("Date"),
    "partial": N_("Partial audit"),
    "more": N_("more findings"),
    "wear": N_("wear"),
    "unknown": N_("unknown"),
    "reuse": N_("REUSE"),
    "reuse-with-warnings": N_("REUSE WITH WARNINGS"),
    "reuse-after-repair": N_("REUSE AFTER REPAIR"),
    "harvest-parts": N_("HARVEST PARTS"),
    "bench": N_("Bench tests"),
    "grade": N_("Cosmetic grade"),
    "pass": N_("OK"),
    "fail": N_("FAILED"),
    "skipped": N_("skipped"),
    "recycle": N_("RECYCLE (WEEE)"),
    "ok": N_("OK"),
    "failed": N_("FAILED"),
    "untested": N_("untested"),
    "absent": N_("absent"),
    "sig": N_("Signed Ed25519, key"),
    "operator": N_("typed from the label by"),
    "dmi": N_("DMI"),
    "doubtful": N_("doubtful"),
}


def audit_labels(lang: str) -> dict[str, str]:
    """Every audit record word in `lang`, by key."""
    catalog = i18n.translations(lang, i18n.AUDIT)
    return {key: catalog.gettext(text) for key, text in AUDIT_LABELS.items()}


def serial_text(machine: dict[str, Any], labels: dict[str, str]) -> str:
    """The serial with where it came from: a typed label serial says so and shows what DMI held."""
    serial = machine.get("serial") or {}
    dmi = serial.get("dmi") or {}
    dmi_value = dmi.get("value") or "?"
    if serial.get("source") == "operator":
        return (f"{serial.get('value')} ({labels['operator']} {serial.get('entered_by') or '?'}; "
                f"{labels['dmi']}: {dmi_value})")
    if serial.get("value"):
        return str(serial["value"])
    return f"? ({labels['dmi']}: {dmi_value}, {labels['doubtful']})"


def render_audit(record: dict[str, Any], json_bytes: bytes, lang: str = "fr") -> bytes:
    """One A4 page: identity, verdict, findings, checklist, drives, battery, and a QR code holding
    the audit id, verdict and the SHA-256 of the signed JSON."""
    labels = audit_labels(lang)
    fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1, initialFontName=FONT)
    pdf.setTitle(printable(f"{labels['title']} {record['audit_id']}"))
    width, height = A4
    left, y = 40.0, height - 50.0

    def line(text: object, size: float = 9, bold: bool = False, step: float = 12) -> None:
        nonlocal y
        pdf.setFont(BOLD if bold else FONT, size)
        pdf.drawString(left, y, printable(text)[:110])
        y -= step

    weee = record["weee_annex_vi"]
    machine = record["machine"]
    hardware = record["hardware"]
    line(labels["title"], 16, True, 20)
    line(f"{record['audit_id']}   {labels['date']}: {record['created_at']}", 9, False, 16)
    line(f"{labels['machine']}: {weee['item_name'] or '?'}  ({machine['chassis_type'] or '?'})", 11, True, 14)
    line(f"{labels['serial']}: {serial_text(machine, labels)}    "
         f"{labels['year']}: {weee['year_of_production'] or '?'}")
    line(f"{labels['cpu']}: {hardware['cpu'].get('model') or '?'}")
    memory = hardware["memory"]
    modules = ", ".join(f"{m['size_mib'] // 1024 if m['size_mib'] else '?'} GiB {m['type'] or ''}".strip()
                        for m in memory.get("modules", []))
    line(f"{labels['ram']}: {memory.get('total_mib') or '?'} MiB" + (f" ({modules})" if modules else ""))
    for disk in record["disks"][:4]:
        smart = disk.get("smart") or {}
        size = disk.get("size_bytes")
        size_text = f"{size / 1e9:.0f} GB" if isinstance(size, int) else "?"
        line(f"{labels['disks']}: {disk['name']} {disk.get('model') or '?'} {size_text} "
             f"SMART {smart.get('health', '?')}")
    for bat in record["batteries"][:2]:
        wear = bat.get("wear_percent")
        line(f"{labels['battery']} {bat['name']}: {labels['wear']} "
             f"{str(wear) + ' %' if wear is not None else labels['unknown']}")
    y -= 6
    outcome = record["verdict"]["outcome"]
    line(f"{labels['verdict']}: {labels[outcome]}", 15, True, 20)
    if record["partial"]:
        line(labels["partial"], 9, True)
    line(labels["findings"], 10, True)
    findings = record["verdict"]["findings"]
    shown = 16
    for finding in findings[:shown]:
        sentence = describe(finding["id"], finding.get("params") or {}, lang, fallback=finding.get("message"),
                            reason=[notes.as_note(n) for n in finding.get("notes") or ()])
        line(f"- [{finding['id']}] {sentence}", 8, False, 10)
    if len(findings) > shown:
        line(f"(+{len(findings) - shown} {labels['more']})", 8, False, 10)
    y -= 6
    checklist = record["checklist"]
    line(labels["checklist"], 10, True)
    word = i18n.translations(lang).gettext  # checklist item names are catalog words (the TUI shows them)
    items = "   ".join(f"{word(name)}: {labels[state]}" for name, state in checklist["items"].items())
    line(items[:110], 8, False, 10)
    if len(items) > 110:
        line(items[110:220], 8, False, 10)
    bench = record.get("bench")  # absent from records made without the laptop bench
    if bench:
        line(labels["bench"], 10, True)
        for result in bench["results"]:
            state = labels.get(result["status"], result["status"])
            measured = ", ".join(f"{k}={v}" for k, v in (result.get("measured") or {}).items() if v is not None)
            said = "; ".join(notes.render(notes.as_note(n), lang) for n in result.get("notes") or ()) \
                or result.get("reason")
            line(f"{word(result['function'])}: {state}  {said or measured}"[:120], 8, False, 10)
        grade = bench.get("grade")
        if grade:
            defects = ", ".join(word(d) for d in grade["defects"])
            line(f"{labels['grade']}: {grade['letter']}" + (f" ({defects})" if defects else "")
                 + (f" - {grade['note']}" if grade["note"] else ""), 9, True)
    line(f"{labels['tester']}: {weee['responsible']['tester'] or '?'} - {weee['responsible']['organisation'] or ''}"
         f" {weee['responsible']['address'] or ''}", 8, False, 10)
    if weee["declaration"]:
        line(weee["declaration"], 8, False, 10)
    digest = sha256_hex(json_bytes)
    line(f"{labels['sig']} {record['signature']['key_fingerprint']}", 7, False, 9)
    line(f"SHA-256 {digest}", 7, False, 10)

    qr_text = f"STATION-AUDIT {record['audit_id']} {outcome} sha256={digest}"
    size = 130.0
    draw_qr(pdf, qr_text, width - size - 30, height - size - 30, size, border=4)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
