"""Real EraseJob/Disk records for certificate tests, built from captured smartctl output (tests/fixtures)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from station.certify.certificate import IssuedCertificate
from station.certify.issue import issue
from station.detect.disk import Disk, DiskKind, SerialInfo, SerialSource
from station.erase.jobs import EraseJob, IORange, JobState, Phase, Verification
from station.inventory.dmi import HostIdentity
from station.notes import Note
from station.store.config import Settings
from station.store.datadir import DataDir

FIXTURES = Path(__file__).parent / "fixtures" / "smartctl"
SSD_FIXTURE = FIXTURES / "sat-samsung-860evo-ssd-healthy-xall.json"
HDD_FIXTURE = FIXTURES / "sat-wdc-wd140edfz-hdd-healthy.json"


def disk_from_smartctl(path: Path, kind: DiskKind, name: str = "sdb", bay: str | None = None) -> Disk:
    data = json.loads(path.read_text())
    return Disk(
        name=name, devnode=f"/dev/{name}", kind=kind, bus="ata", size_bytes=data["user_capacity"]["bytes"],
        serial=SerialInfo(data["serial_number"], SerialSource.IDENTIFY), model=data["model_name"],
        vendor=data.get("model_family"), firmware=data.get("firmware_version"), bay=bay,
        rotational=kind is DiskKind.HDD,
    )


def erased_job(job_id: str = "20250101T100000Z-0001", disk: Disk | None = None, *, method: str = "zero",
               passes: tuple[str, ...] = ("zero",), nist_category: str = "clear",
               technique: str = "overwrite") -> EraseJob:
    disk = disk or disk_from_smartctl(SSD_FIXTURE, DiskKind.SSD)
    return EraseJob(
        job_id=job_id, target=disk.devnode, method=method, verify="full", passes=list(passes),
        nist_category=nist_category, technique=technique, disk=disk, state=JobState.ERASED, phase=Phase.DONE,
        created="2025-01-01T10:00:00+00:00", started="2025-01-01T10:00:05+00:00",
        ended="2025-01-01T11:02:41+00:00", bytes_total=disk.size_bytes, bytes_done=disk.size_bytes,
        passes_done=len(passes),
        verification=Verification(mode="full", percent=100.0, bytes_verified=disk.size_bytes, regions=1,
                                  passed=True, expected="zero", comparison="pattern"),
    )


def failed_job(job_id: str = "20250101T120000Z-0002", disk: Disk | None = None) -> EraseJob:
    job = erased_job(job_id, disk or disk_from_smartctl(HDD_FIXTURE, DiskKind.HDD, name="sdc", bay="3"))
    reason = Note.of("erase.io-errors", count=1, op="write", length=4096, offset=4096 * 1000,
                     message="Input/output error")
    return replace(job, state=JobState.FAILED, passes_done=0,
                   errors=[IORange("write", 4096 * 1000, 4096, 5, "Input/output error")],
                   verification=None, failure=reason.text(), failure_note=reason)


def settings() -> Settings:
    return Settings(organisation="Atelier Solidaire", operator="Camille Martin", donor="Région Exemple",
                    lot="LOT-2025-01", language="fr", station_name="banc-1", operator_title="technicienne",
                    location="Lyon", contact="atelier@example.org")


def host() -> HostIdentity:
    return HostIdentity("Dell Inc.", "Latitude E7450", "7XK2Y32", True)


def issue_two(datadir: DataDir, lang: str = "fr") -> tuple[IssuedCertificate, IssuedCertificate]:
    """An erased SSD (in a laptop, with its smartctl evidence) then a failed HDD (on a rack bay)."""
    first = issue(erased_job(), datadir, settings(), host(), {"smartctl.json": SSD_FIXTURE.read_bytes()}, lang)
    second = issue(failed_job(), datadir, settings(), None, {"smartctl.json": HDD_FIXTURE.read_bytes()}, lang)
    return first, second
