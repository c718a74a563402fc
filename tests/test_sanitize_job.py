"""Drive-command jobs through the same plan, journal and certificate path as overwrites.

The drive's answers are real recorded outputs replayed at the command boundary; the target is a
file whose bytes the fake "drive" really changes (or, for a lying drive, leaves alone).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from purge_helpers import ScriptedRunner, fixture, make_disk, security_variant

from station import i18n, notes
from station.detect.disk import DiskKind
from station.erase.engine import Progress
from station.erase.jobs import EraseJob, Phase
from station.erase.purge.runner import SanitizeRunner
from station.hw import Host
from station.notes import Note
from station.session import Session
from station.store.datadir import DataDir

SIZE = 4 << 20
SG_IDLE = fixture("sg3-utils/qemu-scsi-hd-sg_requests-progress-idle.txt")


def session_on(runner: ScriptedRunner, datadir: DataDir) -> Session:
    return Session(datadir, host=Host(root=Path("/"), runner=runner, env={}))


def test_nvme_format_job_is_verified_by_markers_and_labelled_clear(disk_dir: Path, datadir: DataDir) -> None:
    target = disk_dir / "nvme.img"
    target.write_bytes(b"\x5a" * SIZE)

    def format_zeroes() -> tuple[int, str, str]:
        target.write_bytes(bytes(SIZE))
        return 0, "Success formatting namespace:1\n", ""

    optane = fixture("nvme/id-ctrl-H-intel-optane-m10-mempek1j016gal.txt")
    runner = ScriptedRunner().on(f"nvme id-ctrl -H {target}", (0, optane, ""))
    runner.on(f"nvme format {target} --ses=1 --force", format_zeroes)
    session = session_on(runner, datadir)
    disk = make_disk(str(target), DiskKind.NVME, "nvme", size=SIZE)
    plan = session.plan([disk], "nvme-format-user-data", "full")
    action = plan.runnable[0]
    assert action.choice is not None and action.nist_category == "clear"
    assert "proven by marker blocks" in plan.describe()
    [outcome] = session.run(plan)
    job = outcome.job
    assert job.erased, job.failure
    assert job.verification is not None and job.verification.mode == "markers" and job.verification.regions >= 2
    assert job.hidden_area == "none"
    cert = json.loads(Path(str(outcome.certificate)).read_text())
    assert cert["result"] == "erased" and cert["sanitization"]["nist_category"] == "clear"
    said = {"code": "drive.nvme-format-succeeded", "params": {"ses": 1, "output": "Success formatting namespace:1"}}
    assert said in cert["sanitization"]["notes"]  # what the drive said, coded: each reader words it
    assert notes.render(Note.from_dict(said), "fr") == \
        "Format NVM (SES=1) a signalé un succès : Success formatting namespace:1"


def test_lying_format_unit_ends_failed_with_data_remained(disk_dir: Path, datadir: DataDir) -> None:
    target = disk_dir / "scsi.img"
    target.write_bytes(b"\x5a" * SIZE)
    runner = ScriptedRunner().on(f"sg_format --format --quick --early {target}",
                                 (0, fixture("sg3-utils/qemu-scsi-hd-sg_format-early.txt"), ""))
    runner.on(f"sg_requests --progress {target}", (0, SG_IDLE, "")).on(f"sg_turs {target}", (0, "", ""))
    session = session_on(runner, datadir)
    disk = make_disk(str(target), DiskKind.HDD, "scsi", size=SIZE)
    [outcome] = session.run(session.plan([disk], "scsi-format-unit", "full"))
    job = outcome.job
    assert not job.erased and job.state.value == "failed"
    assert (job.failure or "").startswith("device reported success but data remained")
    cert = json.loads(Path(str(outcome.certificate)).read_text())
    assert cert["result"] != "erased" and cert["result_reason"]["code"] == "purge.data-remained"
    assert cert["result_reason"]["params"]["survivors"] > 0


def test_purge_without_drive_support_falls_back_to_clear_and_says_why(disk_dir: Path, datadir: DataDir) -> None:
    target = disk_dir / "usb.img"
    target.write_bytes(b"\x5a" * SIZE)
    session = session_on(ScriptedRunner(), datadir)  # every tool answers "missing": no capability known
    disk = make_disk(str(target), DiskKind.SSD, "usb", size=SIZE)
    plan = session.plan([disk], "purge", "full")
    action = plan.runnable[0]
    assert action.choice is None and action.nist_category == "clear" and action.passes == ("zero",)
    assert any("Clear" in w or "clear" in w for w in action.warnings)
    [outcome] = session.run(plan)
    assert outcome.job.erased and target.read_bytes() == bytes(SIZE)


def test_scsi_sanitize_progress_reaches_the_technician(disk_dir: Path, datadir: DataDir,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The device's REQUEST SENSE progress indication drives the job's progress events while it sanitizes."""
    monkeypatch.setattr(SanitizeRunner, "poll_interval", 0.0)
    target = disk_dir / "sas.img"
    target.write_bytes(b"\x5a" * SIZE)
    polls = [fixture(f"sg3-utils/{name}.txt") for name in
             ("qemu-scsi-hd-sg_requests-progress-idle", "synthetic-sg_requests-progress-12pct",
              "synthetic-sg_requests-progress-87pct")]

    def progress() -> tuple[int, str, str]:
        if len(polls) == 1:
            target.write_bytes(bytes(SIZE))  # the device finished its block erase
        return 0, polls.pop(0) if polls else SG_IDLE, ""

    runner = ScriptedRunner().on(f"sg_sanitize --quick --early --block {target}", (0, "", ""))
    runner.on(f"sg_requests --progress {target}", progress).on(f"sg_turs {target}", (0, "", ""))
    session = session_on(runner, datadir)
    disk = make_disk(str(target), DiskKind.SSD, "scsi", size=SIZE)
    seen: list[Progress] = []
    [outcome] = session.run(session.plan([disk], "scsi-sanitize-block", "full"), on_progress=seen.append)
    sanitizing = [round(p.fraction, 4) for p in seen if p.phase is Phase.SANITIZING]
    assert {0.125, 0.8749} <= set(sanitizing), sanitizing
    assert sanitizing == sorted(sanitizing)
    assert outcome.job.erased and outcome.job.nist_category == "purge", outcome.job.failure


def test_drive_frozen_at_run_time_fails_with_a_coded_reason_read_in_french(disk_dir: Path, datadir: DataDir) -> None:
    """The drive was not frozen when planned, frozen when run (recorded HGST identify, frozen bit set as the
    drive would after a firmware freeze): the job fails unsent, its reason is a code, a French technician reads
    French advice, and the signed record keeps the English words."""
    target = disk_dir / "sda.img"
    target.write_bytes(b"\x5a" * SIZE)
    hgst = fixture("hdparm/sata-hdd-hgst-huh721212ale600-not-frozen-sanitize-crypto-overwrite.txt")
    ready, frozen = (security_variant(hgst, enabled=False, frozen=f) for f in (False, True))
    runner = ScriptedRunner().on(f"hdparm -I {target}", (0, ready, ""), (0, frozen, ""), (0, frozen, ""))
    runner.on(f"hdparm --sanitize-status {target}",
              (0, fixture("hdparm-sanitize-status/synthetic-idle-completed.txt"), ""))
    session = session_on(runner, datadir)
    disk = make_disk(str(target), DiskKind.HDD, "ata", size=SIZE)
    [outcome] = session.run(session.plan([disk], "ata-secure-erase", "full"))
    job = outcome.job
    assert not job.erased and job.failure_notice is not None and job.failure_notice.code == "purge.frozen"
    assert job.failure == job.failure_notice.text() and "frozen" in job.failure
    i18n.set_language("fr")
    try:
        assert "gelé" in (job.failure_text() or "") and "Rebranchez" in (job.failure_text() or "")
    finally:
        i18n.set_language("en")
    again = EraseJob.from_dict(json.loads(json.dumps(job.to_dict())))  # through the journal's JSON
    assert again.failure_notice == job.failure_notice
    old = job.to_dict()
    del old["failure_notice"], old["failure_note"]  # a job recorded before reasons had codes
    assert EraseJob.from_dict(old).failure_text() == job.failure
    cert = json.loads(Path(str(outcome.certificate)).read_text())
    assert cert["result"] == "failed" and cert["result_reason"] == {"code": "purge.frozen", "params": {}}
