"""The PDF as people see it: rendered with poppler, text extracted, in both languages; attachments read back."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from cert_helpers import SSD_FIXTURE, erased_job, host, issue_two, settings

from station.certify import check as checks
from station.certify import keys, lot, pdf
from station.certify.issue import issue
from station.erase.jobs import Verification
from station.store.datadir import DataDir

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftotext, pdftoppm) not installed")


def _text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout


def _pages(path: Path) -> int:
    done = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(line.split()[-1] for line in done.stdout.splitlines() if line.startswith("Pages:")))


@needs_poppler
@pytest.mark.parametrize("lang,title,result,failure,failed", [
    ("fr", "Certificat d'effacement de données", "EFFACÉ ET VÉRIFIÉ",
     "RAPPORT D'ÉCHEC - CE N'EST PAS UN CERTIFICAT D'EFFACEMENT", "ÉCHEC"),
    ("en", "Data sanitization certificate", "ERASED AND VERIFIED",
     "FAILURE REPORT - THIS IS NOT A CERTIFICATE OF ERASURE", "FAILED"),
])
def test_pdf_text_shows_serial_and_result(datadir: DataDir, lang: str, title: str, result: str, failure: str,
                                          failed: str) -> None:
    first, second = issue_two(datadir, lang)
    text = _text(first.pdf_path)
    assert title in text and result in text
    assert first.certificate.media.serial and first.certificate.media.serial in text
    assert first.certificate_id in text and first.certificate.station.key_fingerprint in text
    assert first.sha256 in text
    assert {"fr": "chaque octet relu comparé au motif écrit",
            "en": "every byte read back compared with the pattern written"}[lang] in text
    assert _pages(first.pdf_path) == 1
    report = _text(second.pdf_path)
    assert failure in report and failed in report
    assert second.certificate.media.serial and second.certificate.media.serial in report
    assert title not in report and result not in report  # a failure report never reads as a certificate
    assert _pages(second.pdf_path) == 1


@needs_poppler
def test_pdf_renders_to_png(datadir: DataDir, tmp_path: Path) -> None:
    first, second = issue_two(datadir, "fr")
    for issued in (first, second):
        prefix = tmp_path / issued.certificate_id
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(issued.pdf_path), str(prefix)],
                       check=True, capture_output=True)
        png = prefix.with_suffix(".png")
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000
    # the header band is green for a certificate, red for a failure report
    assert _header_rgb(first.pdf_path, tmp_path) == (0x1F, 0x6F, 0x43)
    assert _header_rgb(second.pdf_path, tmp_path) == (0xB3, 0x26, 0x1E)


def _header_rgb(path: Path, tmp_path: Path) -> tuple[int, int, int]:
    """Top-left pixel, from poppler's plain PPM output (P6: header, then RGB bytes)."""
    prefix = tmp_path / "sample"
    subprocess.run(["pdftoppm", "-r", "20", "-singlefile", str(path), str(prefix)], check=True, capture_output=True)
    raw = prefix.with_suffix(".ppm").read_bytes()
    fields = raw.split(maxsplit=4)
    assert fields[0] == b"P6" and fields[3] == b"255"
    pixels = fields[4]
    return pixels[0], pixels[1], pixels[2]


def test_attachments_read_back_with_pypdf(datadir: DataDir) -> None:
    first, _ = issue_two(datadir)
    files = pdf.attachments(first.pdf_path.read_bytes())
    assert files[f"{first.certificate_id}.json"] == first.json_path.read_bytes()
    assert files[f"{first.certificate_id}.json.sig"] == first.sig_path.read_bytes()
    assert files[keys.PUBLIC_NAME] == keys.public_path(datadir).read_bytes()


def test_qr_payload_names_id_and_hash() -> None:
    assert pdf.qr_payload("ABCDEF01-000001", "ab" * 32) == f"STATION-CERT:ABCDEF01-000001;SHA256:{'ab' * 32}"


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) not installed")
def test_qr_code_decodes(datadir: DataDir, tmp_path: Path) -> None:
    first, _ = issue_two(datadir)
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(first.pdf_path), str(prefix)], check=True)
    done = subprocess.run(["zbarimg", "--quiet", "--raw", str(prefix.with_suffix(".png"))], capture_output=True,
                          text=True, check=False)
    assert done.stdout.strip() == pdf.qr_payload(first.certificate_id, first.sha256)


def test_text_outside_the_font_is_replaced_not_lost() -> None:
    """European letters are all kept; only what DejaVu Sans has no glyph for (CJK) shows as '?'."""
    assert pdf.printable("Zoë, Łódź, Ștefan, Őrség, Ελένη, Жанна, 東京") == "Zoë, Łódź, Ștefan, Őrség, Ελένη, Жанна, ??"


EUROPEAN = "Łukasz Żółć"


@needs_poppler
def test_european_operator_name_prints_as_typed_on_a_signed_certificate(datadir: DataDir) -> None:
    """The issue's case: a signed certificate for an operator named Łukasz Żółć shows his name, not '?ukasz ?ó??',
    both to poppler (what a donor's viewer shows) and to pypdf (what `station verify` reads)."""
    people = replace(settings(), operator=EUROPEAN, validator="Ștefan Dvořák", organisation="Atelier Œuvre Ęko")
    issued = issue(erased_job(), datadir, people, host(), {"smartctl.json": SSD_FIXTURE.read_bytes()}, "fr")
    poppler = " ".join(_text(issued.pdf_path).split())
    extracted = " ".join(pdf.page_text(issued.pdf_path.read_bytes()).split())
    for name in (EUROPEAN, "Ștefan Dvořák", "Atelier Œuvre Ęko"):
        assert name in poppler, poppler
        assert name in extracted, extracted
    assert "?" not in poppler.replace("?ukasz", "")  # nothing folded
    fonts = subprocess.run(["pdffonts", str(issued.pdf_path)], capture_output=True, text=True, check=True).stdout
    assert "DejaVuSans" in fonts and "Helvetica" not in fonts
    assert all(line.split()[-4] == "yes" for line in fonts.splitlines()[2:]), fonts  # every font embedded
    assert checks.verify_file(issued.pdf_path).status is checks.Status.VALID


@needs_poppler
def test_audit_record_and_lot_report_use_the_same_font(datadir: DataDir, tmp_path: Path) -> None:
    people = replace(settings(), organisation="Łódź Œuvre", donor="Żółć SA")
    issue(erased_job(), datadir, people, host(), {"smartctl.json": SSD_FIXTURE.read_bytes()}, "fr")
    report = lot.report(datadir, "LOT-2025-01", "fr", tmp_path / "out", keys.load_or_create(datadir), "banc-ł")
    text = " ".join(_text(report.pdf_path).split())
    assert "Łódź Œuvre - Żółć SA" in text and "banc-ł" in text, text
    fonts = subprocess.run(["pdffonts", str(report.pdf_path)], capture_output=True, text=True, check=True).stdout
    assert "DejaVuSans" in fonts and "Helvetica" not in fonts, fonts


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pdf, "FONT_DIRS", (tmp_path,))
    pdf.fonts.cache_clear()
    try:
        with pytest.raises(pdf.FontMissing, match="fonts-dejavu-core"):
            pdf.fonts()
    finally:
        monkeypatch.undo()
        pdf.fonts.cache_clear()


@pytest.mark.skipif(shutil.which("pdfdetach") is None or shutil.which("openssl") is None,
                    reason="pdfdetach (poppler-utils) or openssl not installed")
def test_donor_path_pdf_alone_with_open_tools(datadir: DataDir, tmp_path: Path) -> None:
    """The README's donor steps: detach the files from the PDF, then openssl verifies the signature."""
    first, _ = issue_two(datadir)
    subprocess.run(["pdfdetach", "-saveall", "-o", str(tmp_path), str(first.pdf_path)], check=True,
                   capture_output=True)
    name = first.json_path.name
    done = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / keys.PUBLIC_NAME),
                           "-rawin", "-in", str(tmp_path / name), "-sigfile", str(tmp_path / f"{name}.sig")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@needs_poppler
@pytest.mark.parametrize("lang,words", [("fr", "empreinte XXH3-128 de chaque bloc de 2 Mio relu"),
                                        ("en", "XXH3-128 digest of every 2 MiB piece read back")])
def test_pdf_says_a_random_pass_was_compared_by_digests(datadir: DataDir, lang: str, words: str) -> None:
    job = replace(erased_job("20250101T140000Z-0004", method="random", passes=("random",)),
                  verification=Verification(mode="full", percent=100.0, bytes_verified=4096, regions=1, passed=True,
                                            expected="random-stream", comparison="xxh3-128/2097152"))
    issued = issue(job, datadir, settings(), None, {}, lang)
    assert words in " ".join(_text(issued.pdf_path).split())


@needs_poppler
def test_method_details_are_in_the_documents_language_and_english_in_the_record(datadir: DataDir) -> None:
    """NIST's "method details" field stays English in the signed record; the French PDF says it in French."""
    purge = replace(erased_job("20250101T150000Z-0005", method="nvme-crypto-erase", passes=()),
                    technique="cryptographic-erase", nist_category="purge")
    words = {"overwrite": ("host overwrite of every addressable block, 1 pass(es): zero",
                           "réécriture par l'hôte de chaque bloc adressable, 1 passe(s) : zero"),
             "purge": ("drive-internal command: cryptographic-erase (nvme-crypto-erase)",
                       "commande interne du disque : cryptographic-erase (nvme-crypto-erase)")}
    for job, (english, french) in zip((erased_job(), purge), words.values(), strict=True):
        issued = issue(job, datadir, settings(), None, {}, "fr")
        assert issued.certificate.sanitization.method_details == english
        text = " ".join(_text(issued.pdf_path).split())
        assert french in text and english not in text


@pytest.mark.parametrize("domain", ["documents", "audit"])
def test_every_document_word_is_in_its_catalog(domain: str) -> None:
    """The PDFs' words come from gettext catalogs (no second table of French strings): `documents` for certificates
    and lot reports, `audit` for audit records; each word has its French, the shipped .mo is compiled from the .po,
    placeholders survive translation, and nothing is stale."""
    import gettext
    import string

    from test_tui_i18n import po_entries

    from station import i18n, notes
    from station.certify import method_words
    from station.inventory import record

    documents = {*pdf.LABELS.values(), *method_words.WORDS.values(), *notes.TEMPLATES.values()}
    english = documents if domain == "documents" else {*pdf.AUDIT_LABELS.values(), record.DECLARATION}
    for lang in ("fr", "en"):
        entries = po_entries(i18n.LOCALE_DIR / lang / f"LC_MESSAGES/{domain}.po")
        assert set(entries) == english, sorted(set(entries) ^ english)
        with open(i18n.LOCALE_DIR / lang / f"LC_MESSAGES/{domain}.mo", "rb") as handle:
            catalog = gettext.GNUTranslations(handle)
        for msgid, msgstr in entries.items():
            assert catalog.gettext(msgid) == (msgstr or msgid), msgid
            if lang == "fr":
                assert msgstr, msgid
                names = {f[1] for f in string.Formatter().parse(msgid) if f[1]}
                assert names == {f[1] for f in string.Formatter().parse(msgstr) if f[1]}, msgid
    if domain == "documents":
        assert pdf.tr("fr", "result.erased") == "EFFACÉ ET VÉRIFIÉ"
        assert pdf.tr("en", "result.erased") == "ERASED AND VERIFIED"
        assert pdf.tr("fr", "source.rack", station="banc-1", bay="3") == "Station banc-1, baie 3"
    else:
        assert pdf.audit_labels("fr")["failed"] == "KO" and pdf.audit_labels("en")["failed"] == "FAILED"
