"""The lot attestation: signed JSON over exact bytes, CSV rows for every certificate, PDF in fr/en carrying both."""

from __future__ import annotations

import csv
import io
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.lots import attestation as att
from station.certify import keys, pdf

DEVICES = (  # synthetic rows (the journey tests cover how they are derived from real records)
    att.DeviceLine("PF1ABCDE", "PF1ABCDE", "ThinkPad T480", "reuse-with-warnings", "reuse", "AUD-1", 0,
                   (att.DriveLine("BTNH93710FS91P0B", "erased", "zero", "clear", "CERT-1", 1),)),
    att.DeviceLine(None, None, None, None, "not-erased", None, None,
                   (att.DriveLine("=HYPERLINK(1)", "failed", "zero", "clear", "CERT-2", 2),)),
)


def attestation() -> att.Attestation:
    return att.Attestation("LOT/2025 01", "Région Exemple", "Atelier Solidaire", "2025-03-01", 300,
                           "2025-03-20T10:00:00Z", "registre.example.org/log", DEVICES,
                           att.Checkpoint(3, "ab" * 32, "registre.example.org/log\n3\nq80=\n\n— sig\n"))


def test_json_is_signed_over_exact_bytes_and_names_every_record() -> None:
    key = Ed25519PrivateKey.generate()
    signed = att.sign(attestation(), key)
    assert keys.load_public(signed.public_pem).verify(signed.signature, signed.json_bytes)
    body = json.loads(signed.json_bytes)
    assert body["format"] == att.FORMAT and body["checkpoint"]["size"] == 3
    assert body["counts"] == {"reuse": 1, "parts": 0, "recycle": 0, "pending": 0, "not-erased": 1}
    ids = [d["certificate_id"] for dev in body["devices"] for d in dev["drives"]]
    assert ids == ["CERT-1", "CERT-2"]
    altered = signed.json_bytes.replace(b"CERT-1", b"CERT-3")
    assert not keys.load_public(signed.public_pem).verify(signed.signature, altered)


def test_csv_lists_every_certificate_with_the_checkpoint_and_defuses_formulas() -> None:
    rows = list(csv.DictReader(io.StringIO(att.to_csv(attestation()).decode("utf-8-sig"))))
    assert [r["certificate_id"] for r in rows] == ["CERT-1", "CERT-2"]
    assert rows[0]["outcome"] == "reuse" and rows[1]["outcome"] == "not-erased"
    assert rows[1]["drive_serial"] == "'=HYPERLINK(1)"
    assert {r["checkpoint_size"] for r in rows} == {"3"} and rows[0]["certificate_log_index"] == "1"


@pytest.mark.parametrize(("lang", "words"), [("fr", ("Attestation de devenir", "Réemployés", "NON EFFACÉS")),
                                             ("en", ("attestation of what became", "Reused", "NOT ERASED"))])
def test_pdf_in_each_language_carries_signed_json_csv_and_key(lang: str, words: tuple[str, ...]) -> None:
    key = Ed25519PrivateKey.generate()
    signed = att.sign(attestation(), key)
    document = att.render_pdf(attestation(), signed, lang)
    text = " ".join(pdf.page_text(document).split())
    for word in words:
        assert word in text
    assert signed.sha256 in text.replace(" ", "")
    files = pdf.attachments(document)
    assert files["attestation-LOT_2025_01.json"] == signed.json_bytes
    assert files["attestation-LOT_2025_01.json.sig"] == signed.signature
    assert files["registry.pub.pem"] == signed.public_pem
    assert b"CERT-2" in files["attestation-LOT_2025_01.csv"]
