"""Real stations for the registry's tests: a data directory with its own key, certificates issued by the station
library from captured drive data (tests/cert_helpers.py), enrolled through the API, and upload bodies built by
the station's own upload code (the bytes a station really sends)."""

from __future__ import annotations

import itertools
import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from cert_helpers import HDD_FIXTURE, SSD_FIXTURE, erased_job, failed_job, host, settings
from django.core.management import call_command
from django.test import Client

from station.certify import keys
from station.certify.certificate import IssuedCertificate
from station.certify.issue import issue
from station.hw import now_iso
from station.store import outbox, upload
from station.store.datadir import DataDir

_names = itertools.count(1)


def organisation(kind: str = "refurbisher") -> str:
    name = f"Atelier {kind} {next(_names)} (test)"
    call_command("create_organisation", name, kind=kind, stdout=_Null())
    return name


class _Null:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def enrollment_code(organisation_name: str, days: int = 7) -> str:
    out = _Capture()
    call_command("create_enrollment_code", organisation_name, days=days, stdout=out)
    return out.text.strip()


class _Capture:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


@dataclass
class RealStation:
    datadir: DataDir
    key: keys.StationKey
    token: str = ""
    enrolled: dict[str, object] | None = None
    count: int = 0

    def issue(self, failed: bool = False) -> IssuedCertificate:
        """The next certificate of this station's chain (an erased SSD, or a failed HDD)."""
        self.count += 1
        job_id = f"20250101T10{self.count:04d}Z-{self.count:04d}"
        job = failed_job(job_id) if failed else erased_job(job_id)
        evidence = {"smartctl.json": (HDD_FIXTURE if failed else SSD_FIXTURE).read_bytes()}
        return issue(job, self.datadir, replace(settings(), station_name=self.datadir.root.name), host(), evidence,
                     "fr", key=self.key)

    def body(self, certificate_id: str, **changes: object) -> bytes:
        """What `station upload` sends for this certificate, optionally with fields changed."""
        body, _digest = upload._payload(self.datadir, outbox.OutboxEntry(certificate_id, now_iso()))
        if not changes:
            return body
        data = json.loads(body)
        data.update(changes)
        return json.dumps(data).encode()

    def json_bytes(self, certificate_id: str) -> bytes:
        return (self.datadir.certificates / f"{certificate_id}.json").read_bytes()


def new_station(base: Path, name: str = "banc") -> RealStation:
    root = base / f"{name}-{next(_names)}"
    datadir = DataDir(root, "test").ensure()
    return RealStation(datadir, keys.load_or_create(datadir))


def twin(station: RealStation, base: Path) -> RealStation:
    """Another data directory holding the same key: its chain diverges from the first (a restored backup)."""
    other = new_station(base, "jumeau")
    shutil.copy(station.datadir.keys / keys.PRIVATE_NAME, other.datadir.keys / keys.PRIVATE_NAME)
    return RealStation(other.datadir, keys.load_or_create(other.datadir))


def enroll(client: Client, station: RealStation, code: str) -> dict[str, object]:
    reply = client.post("/api/v1/enroll", data=json.dumps(
        {"code": code, "name": station.datadir.root.name, "public_key_pem": station.key.public_pem().decode()}),
        content_type="application/json")
    assert reply.status_code == 201, reply.content
    data: dict[str, object] = reply.json()
    station.token = str(data["upload_token"])
    station.enrolled = data
    return data


def enrolled_station(client: Client, base: Path) -> RealStation:
    station = new_station(base)
    enroll(client, station, enrollment_code(organisation()))
    return station


def post(client: Client, station: RealStation | None, body: bytes, record_id: str | None = None,
         token: str | None = None) -> tuple[int, dict[str, object]]:
    headers = {}
    bearer = token if token is not None else (station.token if station else "")
    if bearer:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
    if record_id:
        headers["HTTP_IDEMPOTENCY_KEY"] = record_id
    reply = client.post("/api/v1/records", data=body, content_type="application/json", **headers)  # type: ignore[arg-type]
    try:
        payload = reply.json()
    except ValueError:
        payload = {"raw": reply.content.decode(errors="replace")}
    return reply.status_code, payload
