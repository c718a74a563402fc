"""Lot reports: what a donor files for a whole batch of machines, and a signed manifest binding it to the certificates.

The manifest lists the sha256 of every certificate of the lot, so the donor can tell later that
none was swapped or left out; the report folder also carries the certificates and the public key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from station.certify import keys, pdf
from station.certify.certificate import Certificate, IssuedCertificate, all_issued, schema_errors
from station.certify.keys import sha256_hex
from station.hw import now_iso
from station.store import atomic
from station.store.datadir import DataDir

MANIFEST_FORMAT = "station-lot-manifest/1"


@dataclass(frozen=True)
class LotReport:
    pdf_path: Path
    manifest_path: Path
    signature_path: Path
    counts: pdf.LotCounts
    certificates: tuple[IssuedCertificate, ...]
    skipped: tuple[str, ...]  # certificates of the lot left out, with the reason


def safe_name(lot: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", lot).strip("._") or "lot"


def collect(datadir: DataDir, lot: str, key: keys.PublicKey) -> tuple[list[IssuedCertificate], list[str]]:
    """The lot's certificates whose signature checks with the station key; the others are named, not used."""
    members, skipped = [], []
    for issued in all_issued(datadir):
        if issued.certificate.lot != lot:
            continue
        try:
            good = key.verify(issued.sig_path.read_bytes(), issued.json_path.read_bytes())
        except OSError:
            good = False
        if good:
            members.append(issued)
        else:
            skipped.append(f"{issued.certificate_id}: signature does not check with this station's key")
    return sorted(members, key=lambda i: (i.certificate.issued_at, i.certificate.sequence)), skipped


def drive_key(cert: Certificate) -> str:
    media = cert.media
    if media.serial and media.serial_trusted:
        return f"{media.model}|{media.serial}"
    return f"certificate|{cert.certificate_id}"  # an untrusted serial cannot merge two records


def counts_of(certs: list[Certificate]) -> pdf.LotCounts:
    """Drives by their best outcome (an erased retry after a failure counts as erased)."""
    best: dict[str, str] = {}
    rank = {"erased": 3, "destroyed": 2}
    for cert in certs:
        key = drive_key(cert)
        if rank.get(cert.result, 0) >= rank.get(best.get(key, ""), 0):
            best[key] = cert.result
    machines = {(c.media.source.host.manufacturer, c.media.source.host.product, c.media.source.host.serial)
                for c in certs if c.media.source.kind == "host" and c.media.source.host is not None}
    outcomes = list(best.values())
    return pdf.LotCounts(machines=len(machines), drives=len(best), erased=outcomes.count("erased"),
                         destroyed=outcomes.count("destroyed"),
                         failed=sum(1 for r in outcomes if r not in ("erased", "destroyed")))


def row_of(cert: Certificate, lang: str) -> pdf.LotRow:
    s = cert.sanitization
    serial = cert.media.serial or pdf.tr(lang, "unknown")
    if not cert.media.serial_trusted:
        serial += " " + pdf.tr(lang, "serial_untrusted")
    return pdf.LotRow(serial=serial, model=cert.media.model or pdf.tr(lang, "unknown"), method=s.method,
                      category=s.nist_category.capitalize(), result=cert.result,
                      date=(s.ended_at or cert.issued_at)[:10], where=pdf.source_text(cert, lang),
                      certificate_id=cert.certificate_id)


def manifest(lot: str, members: list[IssuedCertificate], counts: pdf.LotCounts, station_key: keys.StationKey,
             report_name: str, report_sha256: str, generated: str, station_name: str | None,
             organisation: str | None, donor: str | None) -> bytes:
    data = {
        "format": MANIFEST_FORMAT, "lot": lot, "generated_at": generated, "organisation": organisation,
        "donor": donor, "station": {"name": station_name, "key_fingerprint": station_key.fingerprint},
        "counts": {"machines": counts.machines, "drives": counts.drives, "erased": counts.erased,
                   "failed": counts.failed, "destroyed": counts.destroyed},
        "report": {"file": report_name, "sha256": report_sha256},
        "certificates": [{"certificate_id": i.certificate_id, "sha256": i.sha256, "result": i.certificate.result,
                          "serial": i.certificate.media.serial, "file": f"certificates/{i.json_path.name}"}
                         for i in members],
    }
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def report(datadir: DataDir, lot: str, lang: str, out: Path, station_key: keys.StationKey,
           station_name: str | None = None) -> LotReport:
    members, skipped = collect(datadir, lot, station_key.public)
    certs = [i.certificate for i in members]
    counts = counts_of(certs)
    generated = now_iso()
    base = f"lot-{safe_name(lot)}"
    organisation = next((c.organisation for c in certs if c.organisation), None)
    donor = next((c.donor for c in certs if c.donor), None)
    pdf_bytes = pdf.render_lot_report(
        lot, organisation, donor, counts, [row_of(c, lang) for c in certs], lang,
        generated=pdf.human_time(generated, lang), station=station_name or "-", key=station_key.fingerprint,
        manifest_name=f"{base}.manifest.json")
    out.mkdir(parents=True, exist_ok=True)
    for issued in members:
        for source in (issued.json_path, issued.sig_path, issued.pdf_path):
            if source.exists():
                atomic.write_bytes(out / "certificates" / source.name, source.read_bytes())
    atomic.write_bytes(out / keys.PUBLIC_NAME, station_key.public_pem())
    pdf_path = out / f"{base}.pdf"
    atomic.write_bytes(pdf_path, pdf_bytes)
    data = manifest(lot, members, counts, station_key, pdf_path.name, sha256_hex(pdf_bytes), generated,
                    station_name, organisation, donor)
    problems = schema_errors(json.loads(data), "lot-manifest")
    if problems:
        raise ValueError(f"lot manifest does not match its schema: {problems[0]}")
    manifest_path = out / f"{base}.manifest.json"
    sig_path = manifest_path.with_name(manifest_path.name + ".sig")
    atomic.write_bytes(sig_path, station_key.sign(data))
    atomic.write_bytes(manifest_path, data)
    return LotReport(pdf_path, manifest_path, sig_path, counts, tuple(members), tuple(skipped))
