"""Identity and safety in the rack: the bay a drive sits in reaches its job and certificate (issue 15).

The drives come from a recorded machine profile (real udev/sysfs data, tests/fixtures/profiles); the bay
map is the station's bays.json, the file `station drives` reads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from station.detect import drives as detect
from station.detect import identity
from station.detect.disk import Disk
from station.detect.identity import IdentityError
from station.erase.blockio import BlockTarget, OsTarget
from station.erase.jobs import EraseJob, JobState, Phase, new_job_id
from station.hw import Host
from station.session import Session
from station.store.datadir import DataDir

PROFILES = Path(__file__).parent / "fixtures" / "profiles"
MIB = 1 << 20
BAYS = {"pci-0000:00:17.0-ata-1": "Baie 1", "pci-0000:00:17.0-ata-4.0": "Baie 4"}


def datadir_with_bays(tmp_path: Path, bays: dict[str, str] | str) -> DataDir:
    data = DataDir(tmp_path / "data", "option").ensure()
    text = bays if isinstance(bays, str) else json.dumps(bays)
    (data.root / detect.BAYS_FILE).write_text(text)
    return data


def test_wipe_and_drives_read_the_same_bay(tmp_path: Path) -> None:
    host = Host.recorded(PROFILES / "desktop-sata-hdd-ssd")
    session = Session(datadir_with_bays(tmp_path, BAYS), host=host)
    shown = {d.devnode: d.bay for d in detect.detect(host, bays=detect.load_bays(session.datadir.root / "bays.json"),
                                                     identify=False).disks}
    [sda, sdb, sdc] = session.resolve(["/dev/sda", "/dev/sdb", "/dev/sdc"])
    assert (sda.bay, sdb.bay, sdc.bay) == ("Baie 1", None, "Baie 4")
    assert shown["/dev/sda"] == sda.bay and shown["/dev/sdc"] == sdc.bay
    assert session.bay_problem is None


def test_the_certificate_names_the_bay(tmp_path: Path) -> None:
    """The whole way: plan on the recorded drive, run (its writes land in a file standing in for it), certify."""
    host = Host.recorded(PROFILES / "desktop-sata-hdd-ssd")
    stand_in = tmp_path / "sda.img"
    stand_in.write_bytes(b"\xa5" * (2 * MIB))

    def opener(path: str) -> BlockTarget:
        assert path == "/dev/sda"  # nothing else may be opened
        return OsTarget(str(stand_in))

    session = Session(datadir_with_bays(tmp_path, BAYS), host=host, opener=opener)
    plan = session.plan(session.resolve(["/dev/sda"]), "zero", "full")
    [outcome] = session.run(plan)
    assert outcome.job.erased, outcome.job.failure
    assert outcome.job.disk is not None and outcome.job.disk.bay == "Baie 1"
    assert outcome.certificate is not None
    record = json.loads(outcome.certificate.read_text())
    assert record["media"]["source"]["bay"] == "Baie 1"
    assert record["media"]["serial"] == outcome.job.disk.serial.value


def test_a_broken_bay_map_is_reported_and_the_bay_stays_unknown(tmp_path: Path) -> None:
    host = Host.recorded(PROFILES / "desktop-sata-hdd-ssd")
    session = Session(datadir_with_bays(tmp_path, "{not json"), host=host)
    assert session.bay_problem is not None and "bays.json" in session.bay_problem
    [sda] = session.resolve(["/dev/sda"])
    assert sda.bay is None


def test_a_recorded_profile_never_writes_this_machines_device_of_that_name(tmp_path: Path) -> None:
    host = Host.recorded(PROFILES / "desktop-sata-hdd-ssd")
    session = Session(datadir_with_bays(tmp_path, BAYS), host=host)  # the real opener
    plan = session.plan(session.resolve(["/dev/sda"]), "zero", "full")
    assert plan.runnable
    with pytest.raises(ValueError, match="recorded machine profile"):
        session.start(plan)
    assert session.journal.all() == []


def test_the_tui_source_reads_the_bay_map(tmp_path: Path) -> None:
    from station.tui.source import UdevDriveSource

    source = UdevDriveSource(Host.recorded(PROFILES / "desktop-sata-hdd-ssd"), bays=BAYS)
    try:
        disks = {d.devnode: d.bay for d in source.initial()}
    except OSError as exc:  # no netlink socket in this sandbox
        pytest.skip(f"udev monitor unavailable: {exc}")
    finally:
        source.stop()
    assert disks["/dev/sda"] == "Baie 1" and disks["/dev/sdc"] == "Baie 4"


# --- restarting an interrupted job finds its drive by every identity it recorded ---------------------------

def recorded_disks(profile: str, bays: dict[str, str] | None = None) -> dict[str, Disk]:
    host = Host.recorded(PROFILES / profile)
    return {d.devnode: d for d in detect.detect(host, bays=bays, include_loops=True).disks}


def interrupted(session: Session, disk: Disk, hidden_area: str = "not-checked") -> EraseJob:
    """What a power loss mid-pass leaves in the journal for `disk` (its record as planned)."""
    job = EraseJob(job_id=new_job_id(), target=disk.devnode, method="zero", verify="full", passes=["zero"],
                   nist_category="clear", technique="overwrite", disk=disk, state=JobState.RUNNING,
                   phase=Phase.WRITING, bytes_total=disk.size_bytes, pid=None, boot_id="gone",
                   hidden_area=hidden_area)
    session.journal.save(job)
    return job


def session_on(tmp_path: Path, profile: str, bays: dict[str, str] | None = None) -> Session:
    return Session(datadir_with_bays(tmp_path, bays or {}), host=Host.recorded(PROFILES / profile))


def test_restart_finds_a_renamed_drive_by_its_serial_and_wwn(tmp_path: Path) -> None:
    session = session_on(tmp_path, "desktop-sata-hdd-ssd")
    sda = recorded_disks("desktop-sata-hdd-ssd")["/dev/sda"]
    # planned when the kernel called it sdq (names change across reboots)
    old = interrupted(session, replace(sda, name="sdq", devnode="/dev/sdq"))
    _old, plan = session.restart_plan(old.job_id)
    assert [a.target for a in plan.runnable] == ["/dev/sda"]


def test_restart_refuses_another_drive_now_in_its_place(tmp_path: Path) -> None:
    session = session_on(tmp_path, "desktop-sata-hdd-ssd", BAYS)
    sda = recorded_disks("desktop-sata-hdd-ssd", BAYS)["/dev/sda"]
    # the drive the job was erasing, in bay 1 (its serial and WWN are not on any drive present now)
    gone = replace(sda, serial=replace(sda.serial, value="21122DB90000"), wwn="0x500a07512db90000")
    old = interrupted(session, gone)
    with pytest.raises(IdentityError) as refused:
        session.restart_plan(old.job_id)
    text = str(refused.value)
    assert text.startswith("bay Baie 1 now holds another drive (serial 21122DB99114")
    assert "serial 21122DB90000" in text and "refusing to restart" in text


def test_restart_refuses_a_drive_that_is_not_attached(tmp_path: Path) -> None:
    session = session_on(tmp_path, "desktop-sata-hdd-ssd")
    sda = recorded_disks("desktop-sata-hdd-ssd")["/dev/sda"]
    old = interrupted(session, replace(sda, name="sdz", devnode="/dev/sdz", id_path="pci-0000:00:17.0-ata-6.0",
                                       serial=replace(sda.serial, value="WD-GONE0001"), wwn=None))
    with pytest.raises(IdentityError, match=r"\(serial WD-GONE0001.*\) is not attached"):
        session.restart_plan(old.job_id)


def test_restart_takes_the_drive_in_its_port_not_the_one_with_its_name(tmp_path: Path) -> None:
    """junk-serials (real layout, synthetic serials): sdd and sde carry one serial, same model and size.
    After a reboot that swapped their names, the job planned on the drive in port ata-4 as /dev/sde restarts
    on the drive in port ata-4, not on the drive now called sde (the serial alone could not tell them apart)."""
    disks = recorded_disks("junk-serials")
    sdd, sde = disks["/dev/sdd"], disks["/dev/sde"]
    assert sdd.serial.value == sde.serial.value and sdd.model == sde.model and sdd.size_bytes == sde.size_bytes
    session = session_on(tmp_path, "junk-serials")
    old = interrupted(session, replace(sdd, name="sde", devnode="/dev/sde"))
    _old, plan = session.restart_plan(old.job_id)
    assert [a.target for a in plan.runnable] == ["/dev/sdd"]


def test_restart_refuses_when_two_drives_match_and_nothing_tells_which(tmp_path: Path) -> None:
    disks = recorded_disks("junk-serials")
    session = session_on(tmp_path, "junk-serials")
    # planned in a port that is empty now: both drives with its serial, model and size are candidates
    moved = replace(disks["/dev/sdd"], name="sdx", devnode="/dev/sdx", id_path="pci-0000:00:17.0-ata-7")
    old = interrupted(session, moved)
    with pytest.raises(IdentityError) as refused:
        session.restart_plan(old.job_id)
    assert str(refused.value).startswith("2 drives match the one this job was erasing (serial AA000000000000000423")
    assert "/dev/sdd, /dev/sde" in str(refused.value)


def test_jobs_restart_on_the_cli_says_why(tmp_path: Path) -> None:
    disks = recorded_disks("junk-serials")
    session = session_on(tmp_path, "junk-serials")
    old = interrupted(session, replace(disks["/dev/sdd"], devnode="/dev/sdx", id_path="pci-0000:00:17.0-ata-7"))
    res = subprocess.run([sys.executable, "-m", "station.cli", "--lang", "fr", "--data-dir",
                          str(session.datadir.root), "--profile", str(PROFILES / "junk-serials"), "jobs", "restart",
                          old.job_id, "--yes"], capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 2, res.stderr
    assert "2 disques correspondent à celui que cette tâche effaçait" in res.stderr
    assert [j.state for j in session.journal.all()] == [JobState.INTERRUPTED]  # nothing started


# find_drive on its own: the desktop profile's drives, with identities changed in the test (synthetic, as cloned
# firmware or a swapped drive would show them)

def cloned_pair() -> tuple[Disk, Disk]:
    """sda and sdb of desktop-sata-hdd-ssd (same model and size), sdb given sda's serial, neither a WWN."""
    disks = recorded_disks("desktop-sata-hdd-ssd")
    sda = replace(disks["/dev/sda"], wwn=None)
    sdb = replace(disks["/dev/sdb"], wwn=None, serial=sda.serial)
    assert sda.model == sdb.model and sda.size_bytes == sdb.size_bytes
    return sda, sdb


def test_two_drives_with_one_serial_the_port_decides() -> None:
    sda, sdb = cloned_pair()
    assert identity.find_drive(sda, [sdb, sda]).disk == sda
    assert identity.find_drive(sdb, [sda, sdb]).disk == sdb


def test_two_drives_with_one_serial_and_no_place_are_ambiguous() -> None:
    sda, sdb = cloned_pair()
    nowhere = replace(sda, id_path=None, devnode="/dev/sdq")
    match = identity.find_drive(nowhere, [sda, sdb])
    assert match.disk is None and match.refusal is not None and match.refusal.code == "identity.ambiguous"
    # the kernel name alone does not break the tie: names change across reboots
    match = identity.find_drive(replace(sda, id_path=None), [replace(sda, id_path=None), replace(sdb, id_path=None)])
    assert match.disk is None and match.refusal is not None and match.refusal.code == "identity.ambiguous"


def test_a_moved_drive_whose_serial_was_shared_is_not_taken_on_its_serial() -> None:
    sda, _sdb = cloned_pair()
    shared = replace(sda, serial=replace(sda.serial, doubts=("duplicate",)))
    moved = replace(shared, id_path="pci-0000:00:17.0-ata-2.0", devnode="/dev/sdq")
    match = identity.find_drive(moved, [shared])
    assert match.disk is None and match.refusal is not None and match.refusal.code == "identity.moved-unsure"
    unique = replace(sda, id_path="pci-0000:00:17.0-ata-2.0", devnode="/dev/sdq")
    assert identity.find_drive(unique, [sda]).disk == sda  # an unshared serial follows the drive anywhere


def test_every_identity_must_agree() -> None:
    disks = recorded_disks("desktop-sata-hdd-ssd")
    sda = disks["/dev/sda"]
    present = list(disks.values())
    assert identity.find_drive(sda, present).disk == sda
    for changed in (replace(sda, model="CT1000MX500SSD1"), replace(sda, size_bytes=sda.size_bytes - 512),
                    replace(sda, wwn="0x500a07512db90000")):
        match = identity.find_drive(changed, present)
        assert match.disk is None and match.refusal is not None and match.refusal.code == "identity.changed"


def test_a_drive_grown_by_its_removed_hidden_area_is_still_the_drive() -> None:
    sda = recorded_disks("desktop-sata-hdd-ssd")["/dev/sda"]
    before_hpa = replace(sda, size_bytes=sda.size_bytes - 8 * MIB)  # as planned, with an HPA hiding 8 MiB
    assert identity.find_drive(before_hpa, [sda]).disk is None
    assert identity.find_drive(before_hpa, [sda], grown_ok=True).disk == sda
