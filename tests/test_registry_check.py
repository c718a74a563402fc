"""registry.records.check without a database: the registry's verdict on an upload, from the bytes a real station
sends (certificates issued by the station library), and the chain positions on both sides of a record."""

from __future__ import annotations

import base64
import json

import pytest
from cert_helpers import issue_two

from registry.records import check
from station.certify import keys
from station.hw import now_iso
from station.store import outbox, upload
from station.store.datadir import DataDir


def _upload(datadir: DataDir, certificate_id: str, **changes: object) -> check.Upload:
    body, _ = upload._payload(datadir, outbox.OutboxEntry(certificate_id, now_iso()))
    data = {**json.loads(body), **changes}
    return check.parse_upload(json.dumps(data).encode(), certificate_id)


def test_a_real_certificate_passes_and_is_listed(datadir: DataDir) -> None:
    first, second = issue_two(datadir)
    key = keys.load_or_create(datadir).public
    checked = check.check_record(_upload(datadir, second.certificate_id), key)
    assert checked.sequence == 2 and checked.previous_sha256 == first.sha256
    assert checked.listing.result == "failed" and checked.listing.drive_serial == second.certificate.media.serial
    assert checked.listing.lot == "LOT-2025-01"


def test_another_key_is_refused_by_name(datadir: DataDir, tmp_path: object) -> None:
    first, _ = issue_two(datadir)
    stranger = keys.load_or_create(DataDir(datadir.root.parent / "other", "option").ensure()).public
    with pytest.raises(check.Refusal) as refused:
        check.check_record(_upload(datadir, first.certificate_id), stranger)
    assert (refused.value.status, refused.value.code) == (422, "key-mismatch")


def test_a_flipped_byte_is_a_bad_signature(datadir: DataDir) -> None:
    first, _ = issue_two(datadir)
    data = bytearray((datadir.certificates / f"{first.certificate_id}.json").read_bytes())
    data[-3] ^= 0x01
    flipped = _upload(datadir, first.certificate_id, json=base64.b64encode(bytes(data)).decode(), sha256=None)
    with pytest.raises(check.Refusal) as refused:
        check.check_record(flipped, keys.load_or_create(datadir).public)
    assert refused.value.code == "bad-signature"


def test_an_audit_sent_as_a_certificate_fails_the_schema(datadir: DataDir) -> None:
    first, _ = issue_two(datadir)
    as_audit = _upload(datadir, first.certificate_id, kind="audit")
    with pytest.raises(check.Refusal) as refused:
        check.check_record(as_audit, keys.load_or_create(datadir).public)
    assert refused.value.code == "schema"


@pytest.mark.parametrize(("body", "code"), [
    (b"", "bad-json"), (b"null", "bad-json"), (b'{"certificate_id": 5}', "bad-id"),
    (b'{"certificate_id": "A B"}', "bad-id"), (b'{"certificate_id": "A", "record_id": "B"}', "bad-id"),
    (b'{"certificate_id": "A", "json": "@@", "signature": ""}', "bad-base64"),
    (b'{"certificate_id": "A", "json": "", "signature": "", "lot": 3}', "bad-field"),
    (b'{"certificate_id": "A", "json": "", "signature": "", "sha256": "XYZ"}', "bad-field"),
])
def test_malformed_bodies_name_their_fault(body: bytes, code: str) -> None:
    with pytest.raises(check.Refusal) as refused:
        check.parse_upload(body, None)
    assert (refused.value.status, refused.value.code) == (400, code)


def _checked(sequence: int, sha: str, previous: str | None) -> check.Checked:
    return check.Checked(check.Kind.CERTIFICATE, f"ABCDEF12-{sequence:06d}", sha, sequence, previous,
                         check.Listing())


def test_chain_positions() -> None:
    held = {1: check.Held("a" * 64, None), 2: check.Held("b" * 64, "a" * 64), 4: check.Held("d" * 64, "c" * 64)}
    position = lambda c: check.chain_position(c, held.get)  # noqa: E731
    assert position(_checked(1, "a" * 64, None)) is check.Position.NEXT  # a replay of the first
    assert position(_checked(3, "c" * 64, "b" * 64)) is check.Position.NEXT  # fills the gap, fits both sides
    assert position(_checked(3, "x" * 64, "b" * 64)) is check.Position.FORK  # 4 names another 3
    assert position(_checked(3, "c" * 64, "x" * 64)) is check.Position.FORK  # names another 2
    assert position(_checked(6, "f" * 64, "e" * 64)) is check.Position.GAP  # 5 never seen
    assert position(_checked(1, "z" * 64, "0" * 64)) is check.Position.FORK  # a first one with a predecessor
    audit = check.Checked(check.Kind.AUDIT, "AUD-X", "a" * 64, None, None, check.Listing())
    assert check.chain_position(audit, held.get) is check.Position.NEXT


def test_a_pdf_must_carry_the_certificate_it_comes_with(datadir: DataDir) -> None:
    """The donor downloads the station's PDF: the PDF of another certificate, or not a PDF, is refused."""
    first, second = issue_two(datadir)
    key = keys.load_or_create(datadir).public
    own = _upload(datadir, first.certificate_id)
    assert own.pdf is not None and check.check_record(own, key).sequence == 1  # its own PDF passes
    other_pdf = (datadir.certificates / f"{second.certificate_id}.pdf").read_bytes()
    cases = {"pdf-mismatch": other_pdf, "bad-pdf": b"%PDF-1.4 nothing else", "bad-pdf ": b"<html>a page</html>"}
    for code, pdf_bytes in cases.items():
        swapped = _upload(datadir, first.certificate_id, pdf=base64.b64encode(pdf_bytes).decode())
        with pytest.raises(check.Refusal) as refused:
            check.check_record(swapped, key)
        assert (refused.value.status, refused.value.code) == (422, code.strip()), refused.value.detail
    without = _upload(datadir, first.certificate_id, pdf=None)
    assert check.check_record(without, key).record_id == first.certificate_id  # the PDF is optional
