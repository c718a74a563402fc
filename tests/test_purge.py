"""Drive-command execution through a scripted fake runner whose answers change between calls."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from purge_helpers import ScriptedRunner, fixture, host_with, make_disk, security_variant

from station import i18n
from station.detect.disk import DiskKind
from station.erase import markers
from station.erase.jobs import EraseJob
from station.erase.purge import capabilities as cap
from station.erase.purge import drive_commands as purge
from station.erase.purge.choose import PlanError, choose

HGST = fixture("hdparm/sata-hdd-hgst-huh721212ale600-not-frozen-sanitize-crypto-overwrite.txt")
TESLA = fixture("hdparm/sata-ssd-tesla-2tb-frozen-sanitize-block-erase.txt")
PM1733 = fixture("nvme/id-ctrl-H-samsung-pm1733-mzwlj7t6hala.txt")
TFORCE = fixture("nvme/id-ctrl-H-tforce-tm8fpl500g-sanicap-block-erase.txt")
OPTANE = fixture("nvme/id-ctrl-H-intel-optane-m10-mempek1j016gal.txt")
LOG = "nvme-sanitize-log/"
OPEN = security_variant(HGST, enabled=False)
ENABLED = security_variant(HGST, enabled=True)
LOCKED = security_variant(HGST, enabled=True, locked=True)
ABORT = "SG_IO: bad/missing sense data, sb[]:  70 00 0b 00 00 00 00 0a 00 00 00 00 00 00 00 00"


def job() -> EraseJob:
    return EraseJob("j1", "/dev/sda", "purge", "markers", [], "purge", "block-erase")


def run(runner: ScriptedRunner, disk_kind: str, technique: str, *, disk=None, cancel=None, root=None,
        j: EraseJob | None = None):
    disk = disk or (make_disk("/dev/nvme0n1", DiskKind.NVME, "nvme") if disk_kind == "nvme" else make_disk())
    host = host_with(runner, root)
    caps = cap.probe(host, disk)
    choice = choose(disk, caps, technique)
    seen: list[float] = []
    outcome = purge.run(host, disk, choice, j or job(), seen.append, cancel or threading.Event(),
                        poll_interval=0, caps=caps)
    return outcome, seen


# ---------------------------------------------------------------- ATA SANITIZE

def ata_sanitize_runner(*statuses: str) -> ScriptedRunner:
    r = ScriptedRunner().on("hdparm -I /dev/sda", (0, TESLA, ""))
    r.on("hdparm --sanitize-status /dev/sda",
         *[(0, fixture(f"hdparm-sanitize-status/{s}.txt"), "") for s in statuses])
    return r


def test_ata_sanitize_polls_to_success() -> None:
    r = ata_sanitize_runner("synthetic-idle-completed", "synthetic-idle-completed",
                            "synthetic-in-progress-25pct", "synthetic-idle-completed")
    r.on("hdparm --yes-i-know-what-i-am-doing --sanitize-block-erase /dev/sda",
         (0, "Operation started in background\nYou may use `--sanitize-status` to check progress\n", ""))
    outcome, seen = run(r, "ata", "purge")
    assert outcome.reported_success and outcome.sent
    assert any(0.25 < f < 0.26 for f in seen) and seen[-1] == 1.0
    assert outcome.technique == "ata-sanitize-block"


def test_ata_sanitize_frozen_is_never_sent() -> None:
    r = ata_sanitize_runner("synthetic-frozen")
    outcome, _ = run(r, "ata", "ata-sanitize-block")
    assert outcome.frozen and not outcome.reported_success and not outcome.sent
    assert not any("--sanitize-block-erase" in c for c in r.calls)
    assert outcome.advice is not None and outcome.advice.code == "purge.frozen-advice.fixed"
    i18n.set_language("fr")
    try:
        assert "gelé" in outcome.advice.translated()  # a French technician reads French advice
    finally:
        i18n.set_language("en")
    assert "frozen" in outcome.advice.text()


def test_ata_sanitize_failure_reported_by_drive() -> None:
    r = ata_sanitize_runner("synthetic-idle-completed", "synthetic-idle-completed", "synthetic-failed")
    r.on("hdparm --yes-i-know-what-i-am-doing --sanitize-block-erase /dev/sda", (0, "", ""))
    outcome, _ = run(r, "ata", "ata-sanitize-block")
    assert not outcome.reported_success and any("FAILED" in m.text() for m in outcome.messages)


def test_ata_sanitize_unsupported_as_qemu_answers() -> None:
    r = ScriptedRunner().on("hdparm -I /dev/sda", (0, HGST, ""))
    r.on("hdparm --sanitize-status /dev/sda", (22, "", "SANITIZE feature set is not supported"))
    r.on("hdparm --yes-i-know-what-i-am-doing --sanitize-crypto-scramble /dev/sda",
         (22, "", "SANITIZE feature set is not supported"))
    outcome, _ = run(r, "ata", "ata-sanitize-crypto")
    assert not outcome.reported_success and not outcome.sent


def test_ata_sanitize_already_running_after_power_cycle_is_resumed() -> None:
    r = ata_sanitize_runner("synthetic-idle-completed", "synthetic-in-progress-25pct",
                            "synthetic-in-progress-25pct", "synthetic-idle-completed")
    outcome, _ = run(r, "ata", "ata-sanitize-block")
    assert outcome.reported_success and not any("--sanitize-block-erase" in c for c in r.calls)
    assert any("already in progress" in m.text() for m in outcome.messages)


# ---------------------------------------------------------------- ATA SECURITY ERASE

def security_runner(*identify: str) -> ScriptedRunner:
    r = ScriptedRunner().on("hdparm -I /dev/sda", *[(0, t, "") for t in identify])
    r.on("hdparm --sanitize-status /dev/sda", (0, fixture("hdparm-sanitize-status/synthetic-idle-completed.txt"), ""))
    return r


def password_of(j: EraseJob) -> str:
    return purge._known_passwords(j)[-1]


def test_security_erase_success_clears_password_itself() -> None:
    # probe, before, after set-pass, after erase, final check
    r = security_runner(OPEN, OPEN, ENABLED, OPEN, OPEN)
    r.on("--security-set-pass", (0, "", ""))
    r.on("--security-erase", (0, "", ""))
    j = job()
    outcome, _ = run(r, "ata", "ata-secure-erase", disk=make_disk(kind=DiskKind.HDD), j=j)
    assert outcome.reported_success and outcome.security_left_enabled is False
    assert password_of(j) in " ".join(c for c in r.calls if "--security-erase" in c)
    assert not any("--security-disable" in c for c in r.calls)


def test_security_set_pass_aborted_like_qemu_is_caught() -> None:
    r = security_runner(OPEN, OPEN, OPEN, OPEN)
    r.on("--security-set-pass", (0, "", ABORT))
    r.on("--security-erase", (0, "", ""))
    outcome, _ = run(r, "ata", "ata-secure-erase", disk=make_disk(kind=DiskKind.HDD))
    assert not outcome.reported_success and not outcome.sent
    assert not any("--security-erase " in c for c in r.calls)


def test_security_erase_exit_0_but_password_still_set_is_a_lie() -> None:
    r = security_runner(OPEN, OPEN, ENABLED, ENABLED, ENABLED, OPEN)
    r.on("--security-set-pass", (0, "", ""))
    r.on("--security-disable", (0, "", ""))
    r.on("--security-erase", (0, "", ""))
    outcome, _ = run(r, "ata", "ata-secure-erase", disk=make_disk(kind=DiskKind.HDD))
    assert not outcome.reported_success and any("did not run" in m.text() for m in outcome.messages)
    assert any("--security-disable" in c for c in r.calls) and outcome.security_left_enabled is False


def test_interrupted_security_erase_leaves_drive_unlocked() -> None:
    r = security_runner(OPEN, OPEN, ENABLED, LOCKED, LOCKED, OPEN)
    r.on("--security-set-pass", (0, "", ""))
    r.on("--security-unlock", (0, "", ""))
    r.on("--security-disable", (0, "", ""))
    r.on("--security-erase", (124, "", "hdparm: timed out"))
    j = job()
    outcome, _ = run(r, "ata", "ata-secure-erase", disk=make_disk(kind=DiskKind.HDD), j=j)
    assert not outcome.reported_success
    pw = password_of(j)
    assert f"hdparm --user-master u --security-unlock {pw} /dev/sda" in r.calls
    assert f"hdparm --user-master u --security-disable {pw} /dev/sda" in r.calls
    assert outcome.security_left_locked is False and outcome.security_left_enabled is False


def test_drive_left_locked_when_unlock_fails_says_so_with_password() -> None:
    r = security_runner(OPEN, OPEN, ENABLED, LOCKED, LOCKED, LOCKED)
    r.on("--security-set-pass", (0, "", ""))
    r.on("--security-unlock", (5, "", ABORT))
    r.on("--security-disable", (5, "", ABORT))
    r.on("--security-erase", (5, "", ABORT))
    j = job()
    outcome, _ = run(r, "ata", "ata-secure-erase", disk=make_disk(kind=DiskKind.HDD), j=j)
    assert outcome.security_left_locked is True and not outcome.reported_success
    assert any(password_of(j) in m.text() and "WARNING" in m.text() for m in outcome.messages)


def test_restart_reuses_password_recorded_by_interrupted_job() -> None:
    r = security_runner(LOCKED, LOCKED, OPEN, OPEN)
    r.on("--security-unlock", (0, "", ""))
    r.on("--security-erase", (0, "", ""))
    j = job()
    j.notes.append(purge.PASSWORD_NOTE + "stabcdef012345")
    outcome, _ = run(r, "ata", "ata-secure-erase", disk=make_disk(kind=DiskKind.HDD), j=j)
    assert outcome.reported_success
    assert "hdparm --user-master u --security-erase stabcdef012345 /dev/sda" in r.calls
    assert not any("--security-set-pass" in c for c in r.calls)


def test_foreign_password_is_refused() -> None:
    r = security_runner(LOCKED)
    r.on("--security-erase", (0, "", ""))
    outcome, _ = run(r, "ata", "ata-secure-erase", disk=make_disk(kind=DiskKind.HDD))
    assert not outcome.sent and any("did not set" in m.text() for m in outcome.messages)


def test_security_frozen_advice_rack_vs_laptop(tmp_path: Path) -> None:
    frozen = security_variant(HGST, enabled=False, frozen=True)
    r = security_runner(frozen)
    outcome, _ = run(r, "ata", "ata-secure-erase", disk=make_disk(kind=DiskKind.HDD, bay="bay-2"))
    assert outcome.frozen and outcome.advice is not None and "rack" in outcome.advice.text()
    assert outcome.advice.code == "purge.frozen-advice.replug"
    bat = tmp_path / "sys/class/power_supply/BAT0"
    bat.mkdir(parents=True)
    (bat / "type").write_text("Battery\n")
    outcome2, _ = run(security_runner(frozen), "ata", "ata-secure-erase", disk=make_disk(kind=DiskKind.HDD),
                      root=tmp_path)
    assert outcome2.advice is not None and outcome2.advice.code == "purge.frozen-advice.laptop"
    assert "Suspend the laptop" in outcome2.advice.text()  # the technician's act: Station promises no rtcwake
    assert "rtcwake" not in outcome2.advice.text()


# ---------------------------------------------------------------- NVMe

def nvme_runner(idctrl: str, *logs: str) -> ScriptedRunner:
    r = ScriptedRunner().on("nvme id-ctrl -H /dev/nvme0n1", (0, idctrl, ""))
    r.on("nvme sanitize-log /dev/nvme0n1", *[(0, fixture(LOG + name + ".txt"), "") for name in logs])
    return r


def test_nvme_sanitize_block_with_progress_from_the_real_log() -> None:
    r = nvme_runner(PM1733, "block-erase-done-0x101", "block-erase-done-0x101", "block-erase-in-progress-5pct",
                    "block-erase-in-progress-50pct", "block-erase-done-0x101")
    r.on("nvme sanitize /dev/nvme0n1 --sanact=2 --no-dealloc", (0, "", ""))
    outcome, seen = run(r, "nvme", "purge")
    assert outcome.reported_success and any(0.49 < f < 0.5 for f in seen)
    assert any("global data erased" in m.text() for m in outcome.messages)


def test_nvme_no_deallocate_omitted_when_drive_inhibits_it() -> None:
    r = nvme_runner(TFORCE, "block-erase-done-0x101", "block-erase-done-0x101", "block-erase-done-0x101")
    r.on("nvme sanitize /dev/nvme0n1 --sanact=2", (0, "", ""))
    outcome, _ = run(r, "nvme", "purge")
    assert outcome.reported_success and "nvme sanitize /dev/nvme0n1 --sanact=2" in r.calls


def test_nvme_sanitize_failure_from_log() -> None:
    r = nvme_runner(PM1733, "block-erase-done-0x101", "block-erase-done-0x101", "synthetic-crypto-erase-failed-0x3")
    r.on("nvme sanitize /dev/nvme0n1 --sanact=4 --no-dealloc", (0, "", ""))
    outcome, _ = run(r, "nvme", "nvme-sanitize-crypto")
    assert not outcome.reported_success and any("FAILED" in m.text() for m in outcome.messages)


def test_nvme_sanitize_not_advertised_is_refused_at_planning() -> None:
    r = ScriptedRunner().on("nvme id-ctrl -H /dev/nvme0n1", (0, OPTANE, ""))
    with pytest.raises(PlanError, match="does not advertise nvme-sanitize-block"):
        run(r, "nvme", "nvme-sanitize-block")
    assert not any(c.startswith("nvme sanitize ") for c in r.calls)


def test_nvme_sanitize_refused_like_qemu() -> None:
    """The drive advertises block erase but refuses the command when it comes, as QEMU's NVMe does."""
    r = ScriptedRunner().on("nvme id-ctrl -H /dev/nvme0n1", (0, TFORCE, ""))
    r.on("nvme sanitize-log /dev/nvme0n1", (1, "", "NVMe status: Invalid Field in Command(0x4002)"))
    r.on("nvme sanitize /dev/nvme0n1 --sanact=2 --no-dealloc", (1, "", "NVMe status: Invalid Command Opcode(0x4001)"))
    r.on("nvme sanitize /dev/nvme0n1 --sanact=2", (1, "", "NVMe status: Invalid Command Opcode(0x4001)"))
    outcome, _ = run(r, "nvme", "nvme-sanitize-block")
    assert not outcome.reported_success and any("refused" in m.text() for m in outcome.messages)


def test_nvme_sanitize_running_after_power_cycle_is_awaited_not_restarted() -> None:
    r = nvme_runner(PM1733, "block-erase-done-0x101", "block-erase-in-progress-50pct",
                    "block-erase-in-progress-50pct", "block-erase-done-0x101")
    outcome, _ = run(r, "nvme", "nvme-sanitize-block")
    assert outcome.reported_success and not any(c.startswith("nvme sanitize /dev") for c in r.calls)


def test_cancel_while_sanitizing_is_not_success() -> None:
    r = nvme_runner(PM1733, "block-erase-done-0x101", "block-erase-done-0x101", "block-erase-in-progress-5pct")
    r.on("nvme sanitize /dev/nvme0n1 --sanact=2 --no-dealloc", (0, "", ""))
    cancel = threading.Event()
    cancel.set()
    disk = make_disk("/dev/nvme0n1", DiskKind.NVME, "nvme")
    host = host_with(r)
    caps = cap.probe(host, disk)
    outcome = purge.run(host, disk, choose(disk, caps, "purge"), job(), lambda f: None, cancel,
                        poll_interval=0, caps=caps)
    assert outcome.cancelled and not outcome.reported_success and not outcome.sent


# ---------------------------------------------------------------- SCSI: the device's own progress indication

SG = "sg3-utils/"
SG_IDLE = (0, fixture(SG + "qemu-scsi-hd-sg_requests-progress-idle.txt"), "")
SG_12 = (0, fixture(SG + "synthetic-sg_requests-progress-12pct.txt"), "")
SG_87 = (0, fixture(SG + "synthetic-sg_requests-progress-87pct.txt"), "")
SCSI_DISK = make_disk("/dev/sdb", DiskKind.SSD, "scsi")
SANITIZE_BLOCK = "sg_sanitize --quick --early --block /dev/sdb"


def scsi_runner(*progress: tuple[int, str, str], ready: tuple[int, str, str] = (0, "", "")) -> ScriptedRunner:
    r = ScriptedRunner().on("sg_requests --progress /dev/sdb", *progress)
    r.on("sg_turs /dev/sdb", ready)
    return r


def test_scsi_sanitize_feeds_the_devices_progress_indication() -> None:
    r = scsi_runner(SG_IDLE, SG_12, SG_87, SG_IDLE).on(SANITIZE_BLOCK, (0, "", ""))
    outcome, seen = run(r, "scsi", "scsi-sanitize-block", disk=SCSI_DISK)
    assert outcome.reported_success and outcome.sent
    assert seen == pytest.approx([0.125, 0.8749, 1.0])
    assert r.calls.index(SANITIZE_BLOCK) < r.calls.index("sg_turs /dev/sdb")
    assert r.calls.count("sg_requests --progress /dev/sdb") == 4


def test_scsi_sanitize_not_ready_afterwards_is_not_success() -> None:
    # exit status 3: sg3-utils' "medium or hardware error" (sg3_utils(8)), as after SANITIZE COMMAND FAILED
    r = scsi_runner(SG_IDLE, SG_87, SG_IDLE, ready=(3, "", "")).on(SANITIZE_BLOCK, (0, "", ""))
    outcome, seen = run(r, "scsi", "scsi-sanitize-block", disk=SCSI_DISK)
    assert not outcome.reported_success and outcome.sent and seen == pytest.approx([0.8749])
    assert any("not ready" in m.text() for m in outcome.messages)


def test_scsi_operation_running_after_power_cycle_is_awaited_then_the_command_sent() -> None:
    r = scsi_runner(SG_12, SG_87, SG_IDLE, SG_IDLE).on(SANITIZE_BLOCK, (0, "", ""))
    outcome, seen = run(r, "scsi", "scsi-sanitize-block", disk=SCSI_DISK)
    assert outcome.reported_success and SANITIZE_BLOCK in r.calls
    assert r.calls.index(SANITIZE_BLOCK) > 2 and seen[:2] == pytest.approx([0.125, 0.8749])
    assert any("already in progress" in m.text() for m in outcome.messages)


def test_scsi_progress_unreadable_after_sending_is_not_success() -> None:
    r = scsi_runner(SG_IDLE, (1, "", "sg_requests: error opening file: /dev/sdb: No such device"))
    r.on("sg_format --format --quick --early /dev/sdb", (0, "", ""))
    outcome, _ = run(r, "scsi", "scsi-format-unit", disk=SCSI_DISK)
    assert not outcome.reported_success and outcome.sent
    assert any("could not be read" in m.text() and "No such device" in m.text() for m in outcome.messages)
    assert "sg_turs /dev/sdb" not in r.calls


def test_scsi_progress_line_counts_even_with_a_nonzero_exit_status() -> None:
    r = scsi_runner(SG_IDLE, (2, SG_87[1], ""), SG_IDLE).on(SANITIZE_BLOCK, (0, "", ""))
    outcome, seen = run(r, "scsi", "scsi-sanitize-block", disk=SCSI_DISK)
    assert outcome.reported_success and seen == pytest.approx([0.8749, 1.0])


def test_scsi_sanitize_refused_is_never_success() -> None:
    r = scsi_runner(SG_IDLE).on(SANITIZE_BLOCK, (5, "", "Sanitize failed: Illegal request, Invalid opcode"))
    outcome, seen = run(r, "scsi", "scsi-sanitize-block", disk=SCSI_DISK)
    assert not outcome.reported_success and not outcome.sent and not seen
    assert any("refused" in m.text() for m in outcome.messages)


def test_cancel_while_scsi_sanitize_runs_is_not_success() -> None:
    cancel = threading.Event()

    def progressing() -> tuple[int, str, str]:
        cancel.set()  # the operator presses cancel while the device reports progress
        return SG_12

    r = scsi_runner(SG_IDLE, progressing).on(SANITIZE_BLOCK, (0, "", ""))
    outcome, seen = run(r, "scsi", "scsi-sanitize-block", disk=SCSI_DISK, cancel=cancel)
    assert outcome.cancelled and outcome.sent and not outcome.reported_success and seen == [0.125]


# ---------------------------------------------------------------- end to end with markers on a file

def test_nvme_format_that_zeroes_passes_markers_and_format_unit_noop_fails(disk_dir: Path) -> None:
    size = 4 << 20
    target = disk_dir / "drive.img"
    target.write_bytes(b"\x5a" * size)

    def zero() -> tuple[int, str, str]:
        target.write_bytes(b"\0" * size)
        return 0, "Success formatting namespace:1\n", ""

    disk = make_disk(str(target), DiskKind.NVME, "nvme", size=size)
    r = ScriptedRunner().on(f"nvme id-ctrl -H {target}", (0, OPTANE, ""))
    r.on(f"nvme format {target} --ses=1 --force", zero)
    ms = markers.write(str(target), size, 512, seed=11)
    host = host_with(r)
    caps = cap.probe(host, disk)
    choice = choose(disk, caps, "nvme-format-user-data")
    outcome = purge.run(host, disk, choice, job(), lambda f: None, threading.Event(), poll_interval=0, caps=caps)
    verdict = markers.judge(outcome.reported_success, markers.check(str(target), ms))
    assert outcome.reported_success and verdict.passed and choice.nist_category == "clear"

    scsi = make_disk(str(target), DiskKind.HDD, "scsi", size=size)
    r2 = ScriptedRunner().on(f"sg_format --format --quick --early {target}",
                             (0, fixture("sg3-utils/qemu-scsi-hd-sg_format-early.txt"), ""))
    r2.on(f"sg_requests --progress {target}", SG_IDLE).on(f"sg_turs {target}", (0, "", ""))
    ms2 = markers.write(str(target), size, 512, seed=12)
    host2 = host_with(r2)
    caps2 = cap.probe(host2, scsi)
    outcome2 = purge.run(host2, scsi, choose(scsi, caps2, "scsi-format-unit"), job(), lambda f: None,
                         threading.Event(), poll_interval=0, caps=caps2)
    verdict2 = markers.judge(outcome2.reported_success, markers.check(str(target), ms2))
    assert outcome2.reported_success and not verdict2.passed
    assert verdict2.failure is not None and verdict2.failure.startswith(markers.FAILURE_DATA_REMAINED)
