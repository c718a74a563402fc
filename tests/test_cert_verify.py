"""Offline verification: openssl, `station verify`, and every kind of tampering rejected with a reason."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cert_helpers import erased_job, issue_two, settings
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from station.certify import certificate, keys, pdf
from station.certify import issue as issuing
from station.certify.check import Status, verify_file
from station.cli import main
from station.store.datadir import DataDir

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")


def _pub(datadir: DataDir) -> str:
    return str(keys.public_path(datadir))


@needs_openssl
def test_the_documented_openssl_command_verifies(datadir: DataDir) -> None:
    first, _ = issue_two(datadir)
    argv = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", _pub(datadir), "-rawin",
            "-in", str(first.json_path), "-sigfile", str(first.sig_path)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Signature Verified Successfully" in done.stdout


@needs_openssl
def test_openssl_rejects_one_changed_byte(datadir: DataDir, tmp_path: Path) -> None:
    first, _ = issue_two(datadir)
    tampered = tmp_path / first.json_path.name
    tampered.write_bytes(first.json_path.read_bytes().replace(b'"erased"', b'"erasee"', 1))
    argv = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", _pub(datadir), "-rawin",
            "-in", str(tampered), "-sigfile", str(first.sig_path)]
    assert subprocess.run(argv, capture_output=True, check=False).returncode != 0


def test_genuine_json_and_pdf_verify(datadir: DataDir, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = issue_two(datadir)
    code = main(["--lang", "en", "verify", "--pubkey", _pub(datadir), str(first.json_path), str(first.pdf_path),
                 str(second.json_path), str(second.pdf_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("VALID") == 4 and "pinned key" in out
    assert "FAILURE REPORT (not a certificate of erasure)" in out


def test_key_found_beside_is_used_but_not_pinned(datadir: DataDir) -> None:
    first, _ = issue_two(datadir)
    outcome = verify_file(first.pdf_path)  # the PDF carries its own key: usable, not trusted by itself
    assert outcome.status is Status.VALID and not outcome.pinned
    assert outcome.key_fingerprint == first.certificate.station.key_fingerprint


def _copy(issued: certificate.IssuedCertificate, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in (issued.json_path, issued.sig_path):
        shutil.copy(path, target / path.name)
    return target / issued.json_path.name


def test_one_byte_changed_is_rejected(datadir: DataDir, tmp_path: Path) -> None:
    first, _ = issue_two(datadir)
    copy = _copy(first, tmp_path / "t")
    data = bytearray(copy.read_bytes())
    index = data.index(first.certificate.media.serial.encode())  # type: ignore[union-attr]
    data[index] ^= 0x01
    copy.write_bytes(bytes(data))
    outcome = verify_file(copy, keys.load_public(keys.public_path(datadir).read_bytes()))
    assert outcome.status is Status.INVALID
    assert any("signature does not match" in r for r in outcome.reasons)


def test_swapped_signature_is_rejected(datadir: DataDir, tmp_path: Path) -> None:
    first, second = issue_two(datadir)
    copy = _copy(first, tmp_path / "t")
    shutil.copy(second.sig_path, copy.with_name(copy.name + ".sig"))
    code = main(["--lang", "en", "verify", "--pubkey", _pub(datadir), str(copy)])
    assert code == 1


def test_missing_signature_is_rejected(datadir: DataDir, tmp_path: Path) -> None:
    first, _ = issue_two(datadir)
    copy = _copy(first, tmp_path / "t")
    copy.with_name(copy.name + ".sig").unlink()
    outcome = verify_file(copy, keys.load_public(keys.public_path(datadir).read_bytes()))
    assert outcome.status is Status.INVALID and any("no signature" in r for r in outcome.reasons)


def test_another_stations_key_is_rejected(datadir: DataDir, tmp_path: Path) -> None:
    """A forger re-signs an edited record with their own key; pinning our key catches it."""
    first, _ = issue_two(datadir)
    forged = first.json_path.read_bytes().replace(b'"failed"', b'"erased"')
    other = Ed25519PrivateKey.generate()
    copy = tmp_path / first.json_path.name
    copy.write_bytes(forged)
    copy.with_name(copy.name + ".sig").write_bytes(other.sign(forged))
    pinned = keys.load_public(keys.public_path(datadir).read_bytes())
    outcome = verify_file(copy, pinned)
    assert outcome.status is Status.INVALID and any("signature does not match" in r for r in outcome.reasons)
    # and with the forger's key shipped beside it, the record still names our fingerprint, not theirs
    (tmp_path / keys.PUBLIC_NAME).write_bytes(keys.PublicKey(other.public_key()).public_pem())
    unpinned = verify_file(copy)
    assert unpinned.status is Status.INVALID
    assert any("names station key" in r for r in unpinned.reasons)


def test_pdf_whose_attachment_was_edited_is_rejected(datadir: DataDir, tmp_path: Path) -> None:
    first, _ = issue_two(datadir)
    original = first.json_path.read_bytes()
    serial = first.certificate.media.serial or ""
    edited = original.replace(serial.encode(), b"S3YZNB0KB99999X")
    cert = certificate.Certificate.from_dict(json.loads(edited))
    forged = pdf.render_certificate(cert, edited, first.sig_path.read_bytes(),
                                    keys.public_path(datadir).read_bytes(), "fr")
    path = tmp_path / first.pdf_path.name
    path.write_bytes(forged)
    outcome = verify_file(path, keys.load_public(keys.public_path(datadir).read_bytes()))
    assert outcome.status is Status.INVALID and any("signature does not match" in r for r in outcome.reasons)


def test_pdf_whose_page_was_edited_is_rejected(datadir: DataDir, tmp_path: Path) -> None:
    """Genuine attachments under a page that shows another serial."""
    first, _ = issue_two(datadir)
    shown = certificate.Certificate.from_dict(json.loads(first.json_path.read_bytes().replace(
        (first.certificate.media.serial or "").encode(), b"OTHERSERIAL42")))
    forged = pdf.render_certificate(shown, first.json_path.read_bytes(), first.sig_path.read_bytes(),
                                    keys.public_path(datadir).read_bytes(), "en")
    path = tmp_path / "forged.pdf"
    path.write_bytes(forged)
    outcome = verify_file(path, keys.load_public(keys.public_path(datadir).read_bytes()))
    assert outcome.status is Status.INVALID
    assert any("visible page does not show" in r and "serial" in r for r in outcome.reasons)


def test_schema_violation_with_valid_signature_is_rejected(datadir: DataDir, tmp_path: Path) -> None:
    """Even a correctly signed record must match the published schema (e.g. an erased result without proof)."""
    key = keys.load_or_create(datadir)
    first, _ = issue_two(datadir)
    record = json.loads(first.json_path.read_bytes())
    record["verification"]["passed"] = False
    data = json.dumps(record).encode()
    copy = tmp_path / first.json_path.name
    copy.write_bytes(data)
    copy.with_name(copy.name + ".sig").write_bytes(key.sign(data))
    outcome = verify_file(copy, key.public)
    assert outcome.status is Status.INVALID and any(r.startswith("schema:") for r in outcome.reasons)


def test_renamed_file_is_rejected(datadir: DataDir, tmp_path: Path) -> None:
    first, _ = issue_two(datadir)
    copy = _copy(first, tmp_path / "t")
    renamed = copy.with_name("00000000-000009.json")
    copy.rename(renamed)
    copy.with_name(copy.name + ".sig").rename(renamed.with_name(renamed.name + ".sig"))
    outcome = verify_file(renamed, keys.load_public(keys.public_path(datadir).read_bytes()))
    assert outcome.status is Status.INVALID and any("file name" in r for r in outcome.reasons)


def test_unreadable_inputs_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "verify", str(tmp_path / "absent.json")]) == 2
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4 truncated nonsense")
    assert main(["--lang", "en", "verify", str(junk)]) == 2
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert main(["--lang", "en", "verify", str(text)]) == 2
    assert "UNREADABLE" in capsys.readouterr().out


def test_verify_does_not_create_a_data_directory(datadir: DataDir, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = issue_two(datadir)
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("STATION_DATA", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert main(["--lang", "en", "verify", str(first.pdf_path)]) == 0
    assert not home.exists()


def test_chain_intact(datadir: DataDir, capsys: pytest.CaptureFixture[str]) -> None:
    issue_two(datadir)
    issuing.issue(erased_job("20250101T130000Z-0003"), datadir, settings(), None, {}, "en")
    assert main(["--lang", "en", "verify", "--pubkey", _pub(datadir), "--chain", str(datadir.certificates)]) == 0
    assert "every link holds" in capsys.readouterr().err


def _history(datadir: DataDir, tmp_path: Path) -> tuple[Path, list[certificate.IssuedCertificate]]:
    first, second = issue_two(datadir)
    third = issuing.issue(erased_job("20250101T130000Z-0003"), datadir, settings(), None, {}, "en")
    fourth = issuing.issue(erased_job("20250101T140000Z-0004"), datadir, settings(), None, {}, "en")
    history = tmp_path / "history"
    for issued in (first, second, third, fourth):
        _copy(issued, history)
    return history, [first, second, third, fourth]


def test_chain_detects_a_deleted_certificate(datadir: DataDir, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    history, issued = _history(datadir, tmp_path)
    (history / issued[1].json_path.name).unlink()
    (history / issued[1].sig_path.name).unlink()
    assert main(["--lang", "en", "verify", "--pubkey", _pub(datadir), "--chain", str(history)]) == 1
    out = capsys.readouterr().out
    assert "sequence 2 missing (removed)" in out


def test_chain_detects_a_deleted_first_certificate(datadir: DataDir, tmp_path: Path) -> None:
    history, issued = _history(datadir, tmp_path)
    (history / issued[0].json_path.name).unlink()
    assert main(["--lang", "en", "verify", "--pubkey", _pub(datadir), "--chain", str(history)]) == 1


def test_chain_detects_a_replaced_certificate(datadir: DataDir, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Certificate 3 replaced by another validly signed record with the same id breaks link 3->4."""
    history, issued = _history(datadir, tmp_path)
    key = keys.load_or_create(datadir)
    record = json.loads(issued[2].json_path.read_bytes())
    record["media"]["serial"] = "SWAPPED-DRIVE"
    data = certificate.Certificate.from_dict(record).to_json_bytes()
    (history / issued[2].json_path.name).write_bytes(data)
    (history / issued[2].sig_path.name).write_bytes(key.sign(data))
    assert main(["--lang", "en", "verify", "--pubkey", _pub(datadir), "--chain", str(history)]) == 1
    assert "does not match" in capsys.readouterr().out


def test_chain_detects_reordering(datadir: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Swapping two certificates' files (names kept) is caught, whatever the file order says."""
    history, issued = _history(datadir, tmp_path)
    a, b = issued[1], issued[2]
    for suffix in (".json", ".json.sig"):
        pa, pb = history / f"{a.certificate_id}{suffix}", history / f"{b.certificate_id}{suffix}"
        da, db = pa.read_bytes(), pb.read_bytes()
        pa.write_bytes(db)
        pb.write_bytes(da)
    assert main(["--lang", "en", "verify", "--pubkey", _pub(datadir), "--chain", str(history)]) == 1
    assert "file name does not match" in capsys.readouterr().out


def test_file_checked_against_the_history(datadir: DataDir, tmp_path: Path) -> None:
    history, issued = _history(datadir, tmp_path)
    assert main(["--lang", "en", "verify", "--pubkey", _pub(datadir), "--chain", str(history),
                 str(issued[3].pdf_path)]) == 0
