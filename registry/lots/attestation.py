"""The donor's proof of reuse for one lot: a signed JSON statement, its CSV and its PDF (French or English).

The JSON is the source of truth, signed by the registry's Ed25519 key over its exact bytes; it names every
device's outcome, every certificate and audit id with its log index, and the signed log checkpoint that
covers them, so the donor can check each record's inclusion later. The CSV is the same rows for a
spreadsheet; the PDF is a view of the JSON that carries the JSON, its signature, the CSV and the public key
as attachments (as station certificates do), so the PDF alone is enough to verify.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from station.certify import keys, pdf
from station.certify.lot import safe_name

FORMAT = "registry-lot-attestation/1"

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Attestation de devenir du lot {lot}",
        "intro": "Le registre atteste que les enregistrements signés ci-dessous ont été reçus des stations "
                 "d'effacement de {refurbisher} pour le lot {lot} du donateur {donor}, et qu'ils figurent dans "
                 "son journal de transparence au point de contrôle ci-dessous.",
        "received": "Reçu le", "expected": "Appareils attendus", "devices": "Appareils suivis",
        "reuse": "Réemployés", "parts": "Pièces détachées", "recycle": "Recyclés (DEEE)",
        "pending": "En cours", "not-erased": "NON EFFACÉS", "drives": "Supports effacés",
        "machine": "Machine", "serial": "N° de série", "label": "Étiquette", "verdict": "Verdict",
        "outcome": "Devenir", "drive": "Support", "result": "Résultat", "method": "Méthode",
        "category": "NIST", "certificate": "Certificat", "log_index": "Journal n°",
        "checkpoint": "Point de contrôle du journal (taille {size}, racine {root})",
        "no_checkpoint": "Aucun point de contrôle ne couvre encore ces enregistrements.",
        "generated": "Générée le {date} par le registre {origin}. SHA-256 du JSON signé : {sha}. "
                     "Clé du registre : {fingerprint}.",
        "verify": "Vérifier : le JSON signé ({name}), sa signature, le CSV et la clé publique du registre sont "
                  "joints à ce PDF : openssl pkeyutl -verify -pubin -inkey registry.pub.pem -rawin "
                  "-in {name} -sigfile {name}.sig",
        "none": "aucun",
        "o.reuse": "réemploi", "o.parts": "pièces", "o.recycle": "DEEE", "o.pending": "en cours",
        "o.not-erased": "NON EFFACÉ",
        "v.reuse": "réemploi", "v.reuse-with-warnings": "réemploi (réserves)",
        "v.reuse-after-repair": "réemploi après réparation", "v.harvest-parts": "pièces",
        "v.recycle": "recyclage DEEE",
        "r.erased": "effacé", "r.destroyed": "détruit", "r.failed": "ÉCHEC", "r.cancelled": "ANNULÉ",
        "r.interrupted": "INTERROMPU", "r.pending": "à effacer", "r.unknown": "inconnu",
    },
    "en": {
        "title": "Lot {lot}: attestation of what became of each device",
        "intro": "The registry attests that the signed records below were received from the erasure stations of "
                 "{refurbisher} for lot {lot} of donor {donor}, and that they are in its transparency log at the "
                 "checkpoint below.",
        "received": "Received on", "expected": "Devices expected", "devices": "Devices tracked",
        "reuse": "Reused", "parts": "Used for parts", "recycle": "Recycled (WEEE)",
        "pending": "In progress", "not-erased": "NOT ERASED", "drives": "Drives erased",
        "machine": "Machine", "serial": "Serial no.", "label": "Label", "verdict": "Verdict",
        "outcome": "Outcome", "drive": "Drive", "result": "Result", "method": "Method",
        "category": "NIST", "certificate": "Certificate", "log_index": "Log no.",
        "checkpoint": "Log checkpoint (size {size}, root {root})",
        "no_checkpoint": "No checkpoint covers these records yet.",
        "generated": "Generated {date} by registry {origin}. SHA-256 of the signed JSON: {sha}. "
                     "Registry key: {fingerprint}.",
        "verify": "To verify: the signed JSON ({name}), its signature, the CSV and the registry's public key are "
                  "attached to this PDF: openssl pkeyutl -verify -pubin -inkey registry.pub.pem -rawin "
                  "-in {name} -sigfile {name}.sig",
        "none": "none",
        "o.reuse": "reuse", "o.parts": "parts", "o.recycle": "WEEE", "o.pending": "in progress",
        "o.not-erased": "NOT ERASED",
        "v.reuse": "reuse", "v.reuse-with-warnings": "reuse (warnings)",
        "v.reuse-after-repair": "reuse after repair", "v.harvest-parts": "parts",
        "v.recycle": "WEEE recycling",
        "r.erased": "erased", "r.destroyed": "destroyed", "r.failed": "FAILED", "r.cancelled": "CANCELLED",
        "r.interrupted": "INTERRUPTED", "r.pending": "to erase", "r.unknown": "unknown",
    },
}


def tr(lang: str, key: str, **values: object) -> str:
    table = STRINGS.get(lang, STRINGS["en"])
    text = table.get(key, STRINGS["en"].get(key, key))
    return text.format(**values) if values else text


@dataclass(frozen=True)
class DriveLine:
    serial: str | None
    result: str
    method: str | None
    nist_category: str | None
    certificate_id: str | None
    log_index: int | None


@dataclass(frozen=True)
class DeviceLine:
    machine_serial: str | None
    label_serial: str | None
    model: str | None
    verdict: str | None
    outcome: str
    audit_id: str | None
    audit_log_index: int | None
    drives: tuple[DriveLine, ...]


@dataclass(frozen=True)
class Checkpoint:
    """The signed note of the log tree that covers every record listed (C2SP tlog-checkpoint text)."""

    size: int
    root_hash: str  # hex
    note: str


@dataclass(frozen=True)
class Attestation:
    lot: str
    donor: str
    refurbisher: str
    date_received: str | None
    expected_devices: int | None
    generated_at: str
    origin: str  # the registry's log origin
    devices: tuple[DeviceLine, ...]
    checkpoint: Checkpoint | None

    def outcome_counts(self) -> dict[str, int]:
        counts = {name: 0 for name in ("reuse", "parts", "recycle", "pending", "not-erased")}
        for device in self.devices:
            counts[device.outcome] = counts.get(device.outcome, 0) + 1
        return counts

    def to_json_bytes(self) -> bytes:
        body = {"format": FORMAT, **asdict(self), "counts": self.outcome_counts()}
        return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True)
class SignedAttestation:
    json_bytes: bytes
    signature: bytes
    public_pem: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.json_bytes).hexdigest()


def sign(attestation: Attestation, key: Ed25519PrivateKey) -> SignedAttestation:
    data = attestation.to_json_bytes()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return SignedAttestation(data, key.sign(data), public)


CSV_HEADER = ("lot", "machine_serial", "label_serial", "model", "verdict", "outcome", "audit_id", "audit_log_index",
              "drive_serial", "drive_result", "method", "nist_category", "certificate_id", "certificate_log_index",
              "checkpoint_size", "checkpoint_root")


def _safe_cell(value: object) -> str:
    """Spreadsheet formula injection guard: a serial starting with = + - @ is shown, never evaluated."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(attestation: Attestation) -> bytes:
    """One line per drive (a device without drives gets one line), every certificate id on its own line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    cp = attestation.checkpoint
    for device in attestation.devices:
        head = (attestation.lot, device.machine_serial, device.label_serial, device.model, device.verdict,
                device.outcome, device.audit_id, device.audit_log_index)
        drives: Sequence[DriveLine | None] = device.drives or (None,)
        for drive in drives:
            tail = ((drive.serial, drive.result, drive.method, drive.nist_category, drive.certificate_id,
                     drive.log_index) if drive else (None,) * 6)
            writer.writerow([_safe_cell(v) for v in (*head, *tail, cp.size if cp else None,
                                                      cp.root_hash if cp else None)])
    return out.getvalue().encode("utf-8-sig")  # the BOM makes spreadsheet software read UTF-8 accents


def _escape(text: str) -> str:
    return pdf.printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_pdf(attestation: Attestation, signed: SignedAttestation, lang: str) -> bytes:
    t = functools.partial(tr, lang)
    name = f"attestation-{safe_name(attestation.lot)}.json"
    font, bold = pdf.fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, invariant=True, initialFontName=font,
                            title=pdf.printable(t("title", lot=attestation.lot)),
                            author=pdf.printable(attestation.origin))
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        if hasattr(style, "fontName"):
            style.fontName = bold if "Bold" in style.fontName else font
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    story: list[object] = [
        Paragraph(_escape(t("title", lot=attestation.lot)), styles["Title"]),
        Paragraph(_escape(t("intro", lot=attestation.lot, donor=attestation.donor,
                            refurbisher=attestation.refurbisher)), styles["BodyText"]),
        Spacer(1, 4 * mm),
    ]
    counts = attestation.outcome_counts()
    drives = [d for device in attestation.devices for d in device.drives]
    header = [t("received"), t("expected"), t("devices"), t("reuse"), t("parts"), t("recycle"), t("pending"),
              t("not-erased"), t("drives")]
    values = [attestation.date_received or "-", str(attestation.expected_devices or "-"),
              str(len(attestation.devices)), str(counts["reuse"]), str(counts["parts"]), str(counts["recycle"]),
              str(counts["pending"]), str(counts["not-erased"]),
              f"{sum(d.result in ('erased', 'destroyed') for d in drives)} / {len(drives)}"]
    summary = Table([[Paragraph(_escape(h), small) for h in header], values], colWidths=[30 * mm] * 9)
    summary.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 8), ("FONT", (0, 1), (-1, 1), bold, 12), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("BOX", (0, 0), (-1, -1), 0.5, colors.grey), ("INNERGRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ("TEXTCOLOR", (7, 1), (7, 1), pdf.RED if counts["not-erased"] else colors.black),
    ]))
    story += [summary, Spacer(1, 4 * mm)]
    cp = attestation.checkpoint
    story.append(Paragraph(_escape(t("checkpoint", size=cp.size, root=cp.root_hash) if cp else t("no_checkpoint")),
                           small))
    story.append(Spacer(1, 3 * mm))
    cols = [t("machine"), t("serial"), t("label"), t("verdict"), t("outcome"), t("drive"), t("result"),
            t("method"), t("category"), t("certificate"), t("log_index")]
    data = [[Paragraph(_escape(c), small) for c in cols]]
    red_rows = []
    for device in attestation.devices:
        first = True
        for drive in device.drives or (None,):
            row = [device.model or "", device.machine_serial or "", device.label_serial or "",
                   t(f"v.{device.verdict}") if device.verdict else "", t(f"o.{device.outcome}")] if first else [""] * 5
            row += ([drive.serial or "", t(f"r.{drive.result}"), drive.method or "", drive.nist_category or "",
                     drive.certificate_id or "", "" if drive.log_index is None else str(drive.log_index)]
                    if drive else [t("none"), "", "", "", device.audit_id or "",
                                   "" if device.audit_log_index is None else str(device.audit_log_index)])
            if drive is not None and drive.result not in ("erased", "destroyed"):
                red_rows.append(len(data))
            data.append([Paragraph(_escape(v), small) for v in row])
            first = False
    table = Table(data, repeatRows=1, colWidths=[34 * mm, 28 * mm, 22 * mm, 22 * mm, 24 * mm, 32 * mm, 16 * mm,
                                                  18 * mm, 12 * mm, 48 * mm, 14 * mm])
    style = [("FONT", (0, 0), (-1, -1), font, 7.5), ("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
             ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))]
    style += [("BACKGROUND", (0, r), (-1, r), colors.HexColor("#fbe9e7")) for r in red_rows]
    table.setStyle(TableStyle(style))
    story += [table, Spacer(1, 4 * mm)]
    fingerprint = keys.load_public(signed.public_pem).fingerprint
    story.append(Paragraph(_escape(t("generated", date=attestation.generated_at, origin=attestation.origin,
                                     sha=signed.sha256, fingerprint=fingerprint)), small))
    story.append(Paragraph(_escape(t("verify", name=name)), small))
    doc.build(story)
    return pdf.attach(buffer.getvalue(), [(name, signed.json_bytes), (name + ".sig", signed.signature),
                                          (f"attestation-{safe_name(attestation.lot)}.csv", to_csv(attestation)),
                                          ("registry.pub.pem", signed.public_pem)])
