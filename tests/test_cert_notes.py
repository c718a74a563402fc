"""Notes in signed records are codes with parameters: the engine emits them, the signed JSON carries them, and
each reader (PDF, `station verify`, `station certs`) reads them in their language; a record signed before notes had
codes, and a code from a newer Station, still verify and read."""

from __future__ import annotations

import json
import shutil
import string
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from cert_helpers import failed_job, settings
from engine_helpers import LyingDrive
from test_tui_i18n import po_entries

from station import i18n, notes
from station.certify import keys, pdf
from station.certify.certificate import Certificate, IssuedCertificate, schema_errors
from station.certify.check import Status, verify_file
from station.certify.issue import issue
from station.cli import main
from station.erase.blockio import BlockTarget, OsTarget
from station.erase.engine import EraseRunner
from station.erase.jobs import EraseJob, JobState, new_job_id
from station.notes import Note
from station.store.datadir import DataDir

MIB = 1 << 20
OLD = Path(__file__).parent / "fixtures/certificates/station-certificate-1"  # signed by a Station before codes
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


class BufferedLyingDrive(LyingDrive):
    """A file on a filesystem that refuses O_DIRECT, which also drops the writes to [start, end)."""

    def __init__(self, inner: BlockTarget, start: int, end: int):
        super().__init__(inner, start, end)
        self.direct = False


def _engine_job(disk_dir: Path) -> tuple[EraseJob, int]:
    target = disk_dir / "drive.img"
    target.write_bytes(bytes(range(256)) * (8 * MIB // 256))
    start = 2 * MIB
    job = EraseJob(new_job_id(), str(target), "zero", "full", ["zero"], "clear", "overwrite")
    EraseRunner(job, opener=lambda path: BufferedLyingDrive(OsTarget(path), start, start + 2 * 4096),
                chunk=MIB, verify_chunk=MIB).run()
    assert job.state is JobState.FAILED and not job.direct_io
    return job, start


def _issued(job: EraseJob, root: Path, lang: str) -> IssuedCertificate:
    return issue(job, DataDir(root / lang, "option").ensure(), settings(), None, {}, lang)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_engine_notes_are_signed_as_codes_with_parameters(disk_dir: Path, tmp_path: Path) -> None:
    job, start = _engine_job(disk_dir)
    issued = _issued(job, tmp_path, "fr")
    data = json.loads(issued.json_path.read_bytes())
    assert data["format"] == "station-certificate/2" and schema_errors(data) == []
    assert data["sanitization"]["notes"] == [
        {"code": "erase.buffered-io", "params": {}},
        {"code": "erase.verify-mismatch", "params": {"blocks": 2, "block_size": 4096}}]
    assert data["result_reason"] == {"code": "erase.verify-failed", "params": {"offsets": f"{start}, {start + 4096}"}}
    assert job.failure == f"verification failed: data differs from the written pattern at byte(s) {start}, " \
                          f"{start + 4096}"  # the journal and the technician's log keep the English words
    outcome = verify_file(issued.json_path, keys.load_public(keys.public_path(DataDir(tmp_path / "fr",
                                                                                      "option")).read_bytes()))
    assert outcome.status is Status.VALID and outcome.result_reason == Note.from_dict(data["result_reason"])
    i18n.set_language("fr")
    try:  # the TUI's rack and `station jobs` say why in the technician's language
        assert (job.failure_text() or "").startswith("échec de la vérification : les données diffèrent")
    finally:
        i18n.set_language("en")


@needs_poppler
@pytest.mark.parametrize("lang,words,foreign", [
    ("fr", ["O_DIRECT non pris en charge par le système de fichiers de ce fichier",
            "vérification : 2 bloc(s) de 4096 octets ne contenai(en)t pas le motif attendu",
            "échec de la vérification : les données diffèrent du motif écrit"],
     "buffered I/O with fsync"),
    ("en", ["O_DIRECT unsupported on this file's filesystem: buffered I/O with fsync",
            "verification: 2 block(s) of 4096 bytes did not hold the expected pattern",
            "verification failed: data differs from the written pattern"],
     "motif"),
])
def test_pdf_reads_the_engine_notes_in_its_language(disk_dir: Path, tmp_path: Path, lang: str, words: list[str],
                                                   foreign: str) -> None:
    job, _ = _engine_job(disk_dir)
    issued = _issued(job, tmp_path, lang)
    done = subprocess.run(["pdftotext", "-layout", str(issued.pdf_path), "-"], capture_output=True, text=True,
                          check=True)
    text = _flat(done.stdout)
    for sentence in words:
        assert sentence in text
    assert foreign not in text


def test_station_verify_and_certs_say_the_reason_in_the_chosen_language(
        disk_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job, _ = _engine_job(disk_dir)
    issued = _issued(job, tmp_path, "en")
    pub = str(keys.public_path(DataDir(tmp_path / "en", "option")))
    try:
        assert main(["--lang", "fr", "verify", "--pubkey", pub, str(issued.json_path)]) == 0
        out = _flat(capsys.readouterr().out)
        assert "motif : échec de la vérification" in out
        assert "remarque : O_DIRECT non pris en charge" in out
        assert main(["--lang", "fr", "--data-dir", str(tmp_path / "en"), "certs"]) == 0
        assert "motif : échec de la vérification" in _flat(capsys.readouterr().out)
        assert main(["--lang", "en", "verify", "--json", "--pubkey", pub, str(issued.json_path)]) == 0
        said = json.loads(capsys.readouterr().out)
        assert said["result_reason"]["code"] == "erase.verify-failed"
        assert [n["code"] for n in said["notes"]] == ["erase.buffered-io", "erase.verify-mismatch"]
    finally:
        i18n.set_language("en")


def test_a_certificate_signed_before_notes_had_codes_still_verifies_and_reads(tmp_path: Path) -> None:
    record = OLD / "9F8E13D7-000001.json"
    outcome = verify_file(record, keys.load_public((OLD / "station.pub.pem").read_bytes()))
    assert outcome.status is Status.VALID, outcome.reasons
    assert outcome.notes[0] == "O_DIRECT unsupported on this file's filesystem: buffered I/O with fsync"
    data = json.loads(record.read_bytes())
    assert data["format"] == "station-certificate/1"
    cert = Certificate.from_dict(data)
    assert isinstance(cert.result_reason, str) and notes.render(cert.result_reason, "fr") == cert.result_reason
    assert cert.to_json_bytes() == record.read_bytes()  # read back unchanged: its signature still covers it
    document = pdf.render_certificate(cert, record.read_bytes(), (OLD / f"{record.name}.sig").read_bytes(),
                                      (OLD / "station.pub.pem").read_bytes(), "fr")
    if shutil.which("pdftotext"):
        path = tmp_path / "old.pdf"
        path.write_bytes(document)
        text = _flat(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout)
        assert "verification failed: data differs" in text  # its English words, shown as written


def test_each_format_carries_its_own_kind_of_note(disk_dir: Path, tmp_path: Path) -> None:
    old = json.loads((OLD / "9F8E13D7-000001.json").read_bytes())
    old["sanitization"]["notes"] = [{"code": "erase.buffered-io", "params": {}}]
    assert schema_errors(old)  # a /1 record holds words, not codes
    job, _ = _engine_job(disk_dir)
    new = json.loads(_issued(job, tmp_path, "en").json_path.read_bytes())
    assert schema_errors({**new, "result_reason": "verification failed"})
    new["sanitization"]["notes"] = ["O_DIRECT unsupported"]
    assert schema_errors(new)  # a /2 record holds codes
    new["sanitization"]["notes"] = [{"code": "erase.buffered-io", "params": {"nested": {"no": 1}}}]
    assert schema_errors(new)  # parameters are strings or integers


def test_every_note_code_has_a_french_translation() -> None:
    french = po_entries(i18n.LOCALE_DIR / "fr/LC_MESSAGES/documents.po")
    assert len(notes.TEMPLATES) > 25
    missing = sorted(code for code, template in notes.TEMPLATES.items() if not french.get(template))
    assert missing == []
    for code, template in notes.TEMPLATES.items():
        names = {f[1] for f in string.Formatter().parse(template) if f[1]}
        assert names == {f[1] for f in string.Formatter().parse(french[template]) if f[1]}, code
        note = Note.of(code, **{name: 7 for name in names})
        assert notes.render(note, "fr") == french[template].format(**{name: 7 for name in names})  # from the .mo


def test_a_code_from_a_newer_station_renders_as_its_code_and_parameters(tmp_path: Path) -> None:
    future = Note.from_dict({"code": "erase.from-the-future", "params": {"n": 3, "where": "bay 2"}})
    assert notes.render(future, "fr") == notes.render(future, "en") == "erase.from-the-future n=3 where=bay 2"
    short = Note("erase.verify-mismatch", {"blocks": 2})  # a known code with other parameters than ours
    assert notes.render(short, "fr") == "erase.verify-mismatch blocks=2"
    job = replace(failed_job(), failure_note=future)
    issued = _issued(job, tmp_path, "fr")
    data = json.loads(issued.json_path.read_bytes())
    assert schema_errors(data) == [] and data["result_reason"]["code"] == "erase.from-the-future"
    assert issued.pdf_path.stat().st_size > 0


def test_a_producer_cannot_emit_an_uncatalogued_note() -> None:
    with pytest.raises(KeyError):
        Note.of("erase.no-such-code")
    with pytest.raises(ValueError):
        Note.of("erase.verify-mismatch", blocks=2)  # block_size missing
    assert Note.of("erase.verify-mismatch", blocks=2, block_size=512).text() == \
        "verification: 2 block(s) of 512 bytes did not hold the expected pattern"
