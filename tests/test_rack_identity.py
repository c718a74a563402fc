"""Identity and safety in the rack: the bay a drive sits in reaches its job and certificate (issue 15).

The drives come from a recorded machine profile (real udev/sysfs data, tests/fixtures/profiles); the bay
map is the station's bays.json, the file `station drives` reads.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.detect import drives as detect
from station.erase.blockio import BlockTarget, OsTarget
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
