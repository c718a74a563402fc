"""Issuing certificates: what the record says, what it refuses to say, the chain, crash recovery."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema
import pytest
from cert_helpers import HDD_FIXTURE, SSD_FIXTURE, erased_job, failed_job, host, issue_two, settings

from station.certify import certificate, chain, check, keys
from station.certify.certificate import CertificateError, schema
from station.certify.issue import issue
from station.erase.jobs import JobState, Verification
from station.notes import Note
from station.store import outbox
from station.store.datadir import DataDir


def _record(issued: certificate.IssuedCertificate) -> dict[str, object]:
    data: dict[str, object] = json.loads(issued.json_path.read_bytes())
    return data


def test_erased_job_gives_a_certificate_with_the_published_names(datadir: DataDir) -> None:
    first, _ = issue_two(datadir)
    data = json.loads(first.json_path.read_bytes())
    jsonschema.Draft202012Validator(schema()).validate(data)
    assert data["certificate_id"] == first.certificate_id and first.json_path.name == f"{first.certificate_id}.json"
    assert data["result"] == "erased" and data["kind"] == "certificate"
    smart = json.loads(SSD_FIXTURE.read_text())
    assert data["media"]["serial"] == smart["serial_number"]
    assert data["media"]["model"] == smart["model_name"]
    assert data["media"]["serial_source"] == "drive-identify" and data["media"]["media_type"] == "flash"
    assert data["media"]["source"]["kind"] == "host"
    assert data["media"]["source"]["host"]["serial"] == "7XK2Y32"
    assert data["sanitization"]["nist_category"] == "clear"
    assert data["sanitization"]["technique"] == "overwrite"
    assert data["verification"]["method"] == "full" and data["verification"]["passed"] is True
    assert data["previous_certificate_sha256"] is None
    assert data["hidden_area"]["status"] == "not-checked"
    assert data["sanitization"]["performed_by"]["name"] == "Camille Martin"
    assert data["donor"] == "Région Exemple" and data["lot"] == "LOT-2025-01"


def test_evidence_is_stored_and_hashed(datadir: DataDir) -> None:
    first, _ = issue_two(datadir)
    evidence = {e.name: e for e in first.certificate.evidence}
    assert set(evidence) == {"smartctl.json", "job-journal.json"}
    stored = datadir.root / evidence["smartctl.json"].file
    assert stored.read_bytes() == SSD_FIXTURE.read_bytes()
    assert evidence["smartctl.json"].sha256 == keys.sha256_hex(SSD_FIXTURE.read_bytes())
    journal = json.loads((datadir.root / evidence["job-journal.json"].file).read_text())
    assert journal["job_id"] == first.certificate.job.job_id


def test_failed_job_gives_a_failure_report(datadir: DataDir) -> None:
    _, second = issue_two(datadir)
    data = _record(second)
    assert data["kind"] == "failure-report" and data["result"] == "failed"
    assert "Input/output error" in str(data["result_reason"])
    assert data["media"]["source"] == {"kind": "rack", "host": None, "station_name": "banc-1", "bay": "3"}
    assert data["media"]["media_type"] == "magnetic"
    assert not second.certificate.is_certificate


@pytest.mark.parametrize("state,result", [(JobState.CANCELLED, "cancelled"), (JobState.INTERRUPTED, "interrupted")])
def test_cancelled_and_interrupted_are_named(datadir: DataDir, state: JobState, result: str) -> None:
    job = replace(erased_job(), state=state, verification=None, failure=f"{result} by test")
    issued = issue(job, datadir, settings(), None, {}, "en")
    assert issued.certificate.result == result and issued.certificate.kind == "failure-report"


def test_erased_state_without_proof_is_not_certified(datadir: DataDir) -> None:
    """The engine's ERASED state alone is not enough: verification must have passed over every pass."""
    job = replace(erased_job(), verification=Verification("full", 100.0, passed=False, mismatch_offsets=[512]))
    issued = issue(job, datadir, settings(), None, {}, "en")
    assert issued.certificate.result == "failed"
    assert "verification did not pass" in str(issued.certificate.result_reason)


def test_hidden_area_left_behind_is_not_certified(datadir: DataDir) -> None:
    job = replace(erased_job(), hidden_area="present-not-erased",
                  hidden_area_detail="HPA of 8 GiB, drive refused SET MAX")
    issued = issue(job, datadir, settings(), None, {}, "en")
    assert issued.certificate.result == "failed"
    assert issued.certificate.hidden_area.status == "present-not-erased"
    assert issued.certificate.hidden_area.detail == "HPA of 8 GiB, drive refused SET MAX"


def test_removed_hidden_area_is_recorded(datadir: DataDir) -> None:
    job = replace(erased_job(), hidden_area="removed", hidden_area_detail="HPA restored to 976773168 sectors")
    issued = issue(job, datadir, settings(), None, {}, "en")
    assert issued.certificate.result == "erased" and issued.certificate.hidden_area.status == "removed"
    assert issued.certificate.hidden_area.detail == "HPA restored to 976773168 sectors"


def test_hidden_area_from_notes_when_the_field_is_unset(datadir: DataDir) -> None:
    job = erased_job()
    job.notes.append("hidden-area:none")
    issued = issue(job, datadir, settings(), None, {}, "en")
    assert issued.certificate.hidden_area.status == "none"


def test_host_overwrite_of_an_ssd_stays_clear(datadir: DataDir) -> None:
    job = erased_job(nist_category="purge")  # a buggy caller claims Purge for a host overwrite
    issued = issue(job, datadir, settings(), None, {}, "en")
    assert issued.certificate.sanitization.nist_category == "clear"
    assert Note.of("cert.recorded-as-clear", method="zero") in issued.certificate.sanitization.notes


def test_drive_purge_is_recorded_as_purge(datadir: DataDir) -> None:
    job = erased_job(method="crypto-erase", passes=("crypto-erase",), nist_category="purge",
                     technique="crypto-erase")
    issued = issue(job, datadir, settings(), None, {}, "en")
    assert issued.certificate.sanitization.nist_category == "purge"
    assert issued.certificate.sanitization.technique == "crypto-erase"


def test_unfinished_job_is_refused(datadir: DataDir) -> None:
    job = replace(erased_job(), state=JobState.RUNNING)
    with pytest.raises(CertificateError, match="unfinished"):
        issue(job, datadir, settings(), None, {}, "en")
    assert list(datadir.certificates.glob("*.json")) == []


def test_evidence_names_cannot_escape(datadir: DataDir) -> None:
    with pytest.raises(CertificateError):
        issue(erased_job(), datadir, settings(), None, {"../../etc/passwd": b"x"}, "en")


def test_chain_links_each_certificate_to_the_previous(datadir: DataDir) -> None:
    first, second = issue_two(datadir)
    third = issue(erased_job("20250101T130000Z-0003"), datadir, settings(), host(), {}, "en")
    assert [first.certificate.sequence, second.certificate.sequence, third.certificate.sequence] == [1, 2, 3]
    assert second.certificate.previous_certificate_sha256 == first.sha256
    assert third.certificate.previous_certificate_sha256 == second.sha256
    outcomes, problems = check.verify_chain(datadir.certificates)
    assert problems == [] and [o.status for o in outcomes] == [check.Status.VALID] * 3


def test_same_job_issues_once(datadir: DataDir) -> None:
    first, _ = issue_two(datadir)
    again = issue(erased_job(), datadir, settings(), host(), {}, "fr")
    assert again.certificate_id == first.certificate_id
    assert len(list(datadir.certificates.glob("*.json"))) == 3  # two certificates + the chain head


def test_every_certificate_is_queued(datadir: DataDir) -> None:
    first, second = issue_two(datadir)
    assert [e.certificate_id for e in outbox.pending(datadir)] == [first.certificate_id, second.certificate_id]


def test_power_cut_after_commit_is_recovered(datadir: DataDir) -> None:
    """JSON written, then the power went: no head update, no outbox entry. The next issue repairs both."""
    first, second = issue_two(datadir)
    (datadir.certificates / chain.HEAD_NAME).write_text(json.dumps({
        "sequence": 1, "sha256": first.sha256, "certificate_id": first.certificate_id,
        "key_fingerprint": first.certificate.station.key_fingerprint}))
    (datadir.outbox / f"{second.certificate_id}.json").unlink()
    (datadir.certificates / "by-job" / f"{second.certificate.job.job_id}.txt").unlink()
    third = issue(erased_job("20250101T130000Z-0003"), datadir, settings(), None, {}, "en")
    assert third.certificate.sequence == 3
    assert third.certificate.previous_certificate_sha256 == second.sha256
    assert second.certificate_id in {e.certificate_id for e in outbox.pending(datadir)}
    # and asking again for the second job returns its certificate rather than a duplicate
    assert issue(failed_job(), datadir, settings(), None, {}, "en").certificate_id == second.certificate_id


def test_lost_chain_head_is_rebuilt_from_the_files(datadir: DataDir) -> None:
    _, second = issue_two(datadir)
    (datadir.certificates / chain.HEAD_NAME).write_text("garbage")
    third = issue(erased_job("20250101T130000Z-0003"), datadir, settings(), None, {}, "en")
    assert third.certificate.previous_certificate_sha256 == second.sha256


def test_certificate_reads_back_as_the_same_record(datadir: DataDir) -> None:
    first, _ = issue_two(datadir)
    loaded = certificate.load_issued(datadir, first.certificate_id)
    assert loaded.certificate == first.certificate
    assert loaded.certificate.to_json_bytes() == first.json_path.read_bytes()


def test_unknown_serial_is_explicit(datadir: DataDir) -> None:
    from cert_helpers import disk_from_smartctl

    from station.detect.disk import DiskKind, SerialInfo, SerialSource

    disk = replace(disk_from_smartctl(HDD_FIXTURE, DiskKind.HDD),
                   serial=SerialInfo("152D00539000", SerialSource.BRIDGE, ("bridge-serial",)), bus="usb")
    issued = issue(erased_job(disk=disk), datadir, settings(), None, {}, "en")
    media = issued.certificate.media
    assert media.serial_source == "usb-bridge" and media.serial_trusted is False
    assert media.serial_doubts == ("bridge-serial",)


def test_concurrent_issues_do_not_fork_the_chain(datadir: DataDir) -> None:
    """Eight drives finishing at once (one thread each, as the session does): one sequence, one chain."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [erased_job(f"20250101T1{i:05d}Z-c") for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        issued = list(pool.map(lambda j: issue(j, datadir, settings(), None, {}, "en"), jobs))
    assert sorted(i.certificate.sequence for i in issued) == list(range(1, 9))
    outcomes, problems = check.verify_chain(datadir.certificates)
    assert problems == [] and [o.status for o in outcomes] == [check.Status.VALID] * 8


def test_settings_command(datadir: DataDir, capsys: pytest.CaptureFixture[str]) -> None:
    from station.cli import main
    from station.store import config

    base = ["--data-dir", str(datadir.root), "settings"]
    assert main([*base, "set", "organisation", "Envie Lyon"]) == 0
    assert main([*base, "set", "upload_token", "zz-secret-42"]) == 0
    assert main([*base, "set", "language", "de"]) == 2
    assert config.load(datadir).organisation == "Envie Lyon"
    capsys.readouterr()
    assert main([*base, "show"]) == 0
    out = capsys.readouterr().out
    assert "Envie Lyon" in out and "zz-secret-42" not in out and "key_fingerprint" in out


def test_every_documented_field_is_in_the_record(datadir: DataDir) -> None:
    """docs/certificate.md maps NIST SP 800-88 fields to JSON paths; each path must exist in a real record."""
    import re
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "certificate.md").read_text()
    first, _ = issue_two(datadir)
    record = json.loads(first.json_path.read_bytes())
    paths = set()
    for row in doc.splitlines():
        cells = row.split("|")
        if len(cells) > 2:
            paths.update(re.findall(r"`([a-z_]+(?:\.[a-z_]+|\[\])*)`", cells[2]))
    assert len(paths) > 30
    for path in sorted(paths):
        node: object = record
        for part in path.replace("[]", "").split("."):
            if isinstance(node, list):
                node = node[0]
            assert isinstance(node, dict) and part in node, f"{path} not in the certificate"
            node = node[part]


def test_certificate_says_how_the_read_back_was_compared(datadir: DataDir) -> None:
    """A random pass verified against the digests taken while writing says so; a zero pass says 'pattern'."""
    job = replace(erased_job("20250101T140000Z-0004", method="random", passes=("random",)),
                  verification=Verification(mode="full", percent=100.0, bytes_verified=4096, regions=1, passed=True,
                                            expected="random-stream", comparison="xxh3-128/2097152"))
    issued = issue(job, datadir, settings(), None, {}, "en")
    record = _record(issued)
    assert record["verification"]["comparison"] == "xxh3-128/2097152"  # type: ignore[index]
    jsonschema.validate(record, schema())
    zero = issue(erased_job(), datadir, settings(), None, {}, "en")
    assert _record(zero)["verification"]["comparison"] == "pattern"  # type: ignore[index]
    bad = json.loads(issued.json_path.read_bytes())
    bad["verification"]["comparison"] = "trust me"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema())


def test_certificate_issued_before_the_comparison_field_still_reads(datadir: DataDir) -> None:
    """Certificates issued before verification.comparison existed stay valid and load, with no comparison."""
    first, _ = issue_two(datadir)
    older = json.loads(first.json_path.read_bytes())
    del older["verification"]["comparison"]
    jsonschema.validate(older, schema())
    assert certificate.Certificate.from_dict(older).verification.comparison is None


def test_only_a_drive_inside_the_machine_names_it_as_its_source(datadir: DataDir) -> None:
    """On a machine with DMI (the station's PC, or a donated laptop), a drive in a rack bay or on a USB dock is
    loose media: its certificate names the station and the bay, not the PC, and the lot counts no machine for it."""
    from cert_helpers import disk_from_smartctl

    from station.certify import lot
    from station.detect.disk import DiskKind

    internal = disk_from_smartctl(SSD_FIXTURE, DiskKind.SSD)
    in_bay = disk_from_smartctl(HDD_FIXTURE, DiskKind.HDD, name="sdc", bay="Baie 4")
    on_usb = replace(disk_from_smartctl(HDD_FIXTURE, DiskKind.HDD, name="sdd"), bus="usb")
    sources = [issue(erased_job(f"20250101T10000{i}Z-000{i}", disk), datadir, settings(), host(), {}, "en")
               .certificate.media.source for i, disk in enumerate((internal, in_bay, on_usb), 1)]
    assert [(s.kind, s.host, s.bay) for s in sources] == [("host", host(), None), ("rack", None, "Baie 4"),
                                                          ("rack", None, None)]
    members, _skipped = lot.collect(datadir, settings().lot, keys.load_or_create(datadir).public)
    assert lot.counts_of([m.certificate for m in members]).machines == 1
