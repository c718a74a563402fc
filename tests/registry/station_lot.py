"""A real station data directory holding one lot, built with station's own code from captured fixtures.

A ThinkPad audited (its NVMe drive listed by serial) whose NVMe is then erased in the machine, plus a loose
HDD that failed on a rack bay: one device reaching "reuse", one "not erased". Labelled synthetic: the drives
and the machine come from real captures (tests/fixtures), the jobs are built by the test, not run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from audit_helpers import disk, inventory
from cert_helpers import FIXTURES, HDD_FIXTURE, disk_from_smartctl, erased_job, failed_job, settings

from station.certify import keys
from station.certify.certificate import IssuedCertificate
from station.certify.issue import issue
from station.detect.disk import DiskKind
from station.inventory import record as audit
from station.inventory.dmi import HostIdentity
from station.inventory.verdict import Checklist, decide
from station.store.datadir import DataDir

NVME_FIXTURE = FIXTURES / "nvme-intel-ssdpeknw010t8-healthy.json"
LAPTOP_SERIAL = "PF1ABCDE"
NVME_SERIAL = "BTNH93710FS91P0B"
WHEN = datetime(2025, 3, 14, 9, 30, 0, tzinfo=UTC)


@dataclass(frozen=True)
class StationLot:
    datadir: DataDir
    key: keys.StationKey
    audit_id: str
    audit_json: bytes
    audit_sig: bytes
    erased: IssuedCertificate
    failed: IssuedCertificate


def build(tmp_path: Path, lot: str = "LOT-2025-01", *, name: str = "data") -> StationLot:
    datadir = DataDir(tmp_path / name, "option").ensure()
    key = keys.load_or_create(datadir)
    inv = inventory(tmp_path, disks=[disk("nvme0n1", "nvme-intel-ssdpeknw010t8-healthy.json")])
    checklist = Checklist.from_pairs(["all=ok"], tester="Camille Martin")
    record = audit.build(inv, decide(inv, checklist), checklist,
                         responsible=audit.Responsible("Atelier Solidaire", "12 rue des Lilas, 75020 Paris", None),
                         station_name="poste-1", key_fingerprint=key.fingerprint, created=WHEN, lang="fr")
    datadir.audits.mkdir(parents=True, exist_ok=True)
    files = audit.write(record, inv, datadir.audits, key)
    audit_json = files.json_path.read_bytes()
    nvme = replace(disk_from_smartctl(NVME_FIXTURE, DiskKind.NVME, name="nvme0n1", bay=None), bus="nvme")
    lot_settings = replace(settings(), lot=lot)
    host = HostIdentity("LENOVO", "ThinkPad T480", LAPTOP_SERIAL, True)
    erased = issue(erased_job("20250314T100000Z-0001", nvme), datadir, lot_settings, host,
                   {"smartctl.json": NVME_FIXTURE.read_bytes()}, "fr", key=key)
    failed = issue(failed_job("20250314T120000Z-0002"), datadir, lot_settings, None,
                   {"smartctl.json": HDD_FIXTURE.read_bytes()}, "fr", key=key)
    return StationLot(datadir, key, str(record["audit_id"]), audit_json, files.sig_path.read_bytes(), erased, failed)
