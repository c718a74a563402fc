"""The public verification page: a good certificate PDF holds (signature, schema, enrolled key, inclusion proof
against the signed checkpoint); a flipped byte, a foreign file or an unknown id does not; the QR link page
shows the stored record's status (chain gap, revoked station)."""

from __future__ import annotations

import datetime
import html

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from portal_world import World, client

from registry.pages import verification


def _post(files: dict[str, SimpleUploadedFile], lang: str = "en") -> str:
    page = client(lang=lang).post(reverse("pages:verify"), files)
    assert page.status_code == 200
    return page.content.decode()


def test_good_pdf_holds_with_inclusion_proof(world: World) -> None:
    erased = world.station_lot.erased
    report = verification.check_upload(erased.pdf_path.read_bytes(), None, "x.pdf")
    assert report.holds, report.checks
    assert [c.ok for c in report.checks] == [True] * 6
    assert report.record_id == erased.certificate_id and report.log_index == world.records["erased"].log_index
    html = _post({"document": SimpleUploadedFile("cert.pdf", erased.pdf_path.read_bytes())})
    assert "This certificate holds" in html and "Inclusion in the registry" in html


def test_pdf_with_one_flipped_byte_is_rejected(world: World) -> None:
    data = bytearray(world.station_lot.erased.pdf_path.read_bytes())
    # flip a byte inside the attached JSON's stream: somewhere in the middle of the file
    data[len(data) // 2] ^= 0x01
    report = verification.check_upload(bytes(data), None, "x.pdf")
    assert not report.holds
    failed = [c.name for c in report.checks if c.ok is False]
    assert failed, report.checks
    html = _post({"document": SimpleUploadedFile("cert.pdf", bytes(data))})
    assert "does NOT hold" in html


def test_json_with_its_signature_holds_and_a_tampered_one_does_not(world: World) -> None:
    erased = world.station_lot.erased
    data, sig = erased.json_path.read_bytes(), erased.sig_path.read_bytes()
    assert verification.check_upload(data, sig, erased.json_path.name).holds
    tampered = data.replace(b'"erased"', b'"erasee"', 1)
    report = verification.check_upload(tampered, sig, erased.json_path.name)
    assert not report.holds and report.checks[0].ok is False  # signature
    assert not verification.check_upload(data, None, erased.json_path.name).holds  # no signature given


def test_not_a_certificate_is_unreadable_not_an_error(world: World) -> None:
    html = _post({"document": SimpleUploadedFile("x.pdf", b"%PDF-1.4 garbage")}, lang="fr")
    assert "N'EST PAS valide" in html
    html = _post({"document": SimpleUploadedFile("x.json", b"\x00\xff")})
    assert "does NOT hold" in html


def test_qr_link_page_shows_status_and_unknown_id_is_not_found(world: World) -> None:
    failed = world.records["failed"]
    page = client(lang="en").get(reverse("pages:verify-record", args=[failed.record_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "chain gap" in html and "does NOT hold" in html
    good = client(lang="en").get(reverse("pages:verify-record", args=[world.records["erased"].record_id]))
    assert "This certificate holds" in good.content.decode()
    assert client().get(reverse("pages:verify-record", args=["NOPE-1"])).status_code == 404


def test_revoked_station_shows_on_its_records(world: World) -> None:
    world.station.revoked_at = datetime.datetime.now(datetime.UTC)
    world.station.save(update_fields=["revoked_at"])
    report = verification.check_stored(world.records["erased"].record_id)
    assert report is not None and "revoked-station" in report.status and not report.holds


def test_failure_report_says_why_in_the_page_language(world: World) -> None:
    """The record's coded reason is rendered by the station's own code (station.notes), in the reader's language."""
    failed = world.station_lot.failed.pdf_path.read_bytes()
    french = html.unescape(_post({"document": SimpleUploadedFile("f.pdf", failed)}, lang="fr"))
    assert "1 plage(s) d'erreurs d'E/S ; première : write de 4096 octets à l'octet 4096000" in french
    english = html.unescape(_post({"document": SimpleUploadedFile("f.pdf", failed)}, lang="en"))
    assert "1 I/O error range(s); first: write of 4096 bytes at byte 4096000" in english
    stored = verification.check_stored(world.station_lot.failed.certificate_id)
    assert stored is not None and stored.reason.startswith("1 I/O error range(s)")
