"""Enrolling the station with a registry (docs/registry-api.md, "Enrollment"): the station's public key goes out
with a one-time code; the upload endpoint, token, log key and certificate page come back into the settings.

Plain library (the `station enroll` command only renders); nothing is saved unless the whole answer checks out, and
the settings are written atomically, so a failed enrollment leaves the previous configuration as it was.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass

from station import __version__
from station.certify import keys
from station.certify.checkpoint import NoteError, Verifier
from station.hw import now_iso
from station.store import atomic, config, logstate
from station.store.datadir import DataDir
from station.store.upload import UploadError, check_endpoint


class EnrollError(Exception):
    """Enrollment refused or impossible; `code` names the case (bad-code, key-enrolled, no-answer, bad-answer,
    refused) so a face can say it in the technician's language."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Enrollment:
    station_id: str
    organisation: str
    upload_endpoint: str
    log_origin: str
    log_key: str
    certificate_page: str


def _text(data: dict[str, object], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise EnrollError("bad-answer", f"the registry's answer has no {name}")
    return value


def parse_answer(body: bytes) -> tuple[Enrollment, str]:
    """The 201 body, checked field by field: (enrollment, upload token)."""
    try:
        data = json.loads(body)
    except ValueError:
        raise EnrollError("bad-answer", "the registry's answer is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("log"), dict):
        raise EnrollError("bad-answer", "the registry's answer is not the documented object")
    log: dict[str, object] = data["log"]
    station_id = data.get("station_id")
    if not isinstance(station_id, (str, int)) or isinstance(station_id, bool):
        raise EnrollError("bad-answer", "the registry's answer has no station_id")
    enrollment = Enrollment(str(station_id), _text(data, "organisation"), _text(data, "upload_endpoint"),
                            _text(log, "origin"), _text(log, "verifier_key"), _text(data, "certificate_page"))
    try:
        verifier = Verifier.parse(enrollment.log_key)
        check_endpoint(enrollment.upload_endpoint)
    except (NoteError, UploadError) as exc:
        raise EnrollError("bad-answer", f"the registry's answer is unusable: {exc}") from None
    if verifier.name != enrollment.log_origin:
        raise EnrollError("bad-answer", f"the log key is named {verifier.name!r}, the log {enrollment.log_origin!r}")
    if "{record_id}" not in enrollment.certificate_page:
        raise EnrollError("bad-answer", "the certificate page template has no {record_id}")
    return enrollment, _text(data, "upload_token")


def enroll(datadir: DataDir, registry_url: str, code: str, name: str | None = None,
           timeout: float = 20.0) -> Enrollment:
    """Sends the station's key and name with the code; on success saves everything the station needs to upload
    and to check the registry's log. EnrollError otherwise (settings untouched)."""
    base = registry_url.rstrip("/")
    try:
        check_endpoint(base)
    except UploadError as exc:
        raise EnrollError("refused", str(exc)) from None
    settings = config.load(datadir)
    previous_key = settings.log_key
    station_name = name or settings.station_name or socket.gethostname()
    key = keys.load_or_create(datadir)
    body = json.dumps({"code": code, "name": station_name, "public_key_pem": key.public_pem().decode()}).encode()
    request = urllib.request.Request(f"{base}/api/v1/enroll", data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": f"station/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, answer = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, answer = exc.code, exc.read() or b""
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise EnrollError("no-answer", f"no answer from {base}: {getattr(exc, 'reason', exc)}") from None
    if status != 201:
        try:
            error = json.loads(answer).get("error")
        except (ValueError, AttributeError):
            error = None
        if error in ("bad-code", "key-enrolled"):
            raise EnrollError(str(error), f"the registry answered {status} {error}")
        raise EnrollError("refused", f"the registry answered HTTP {status}" + (f" ({error})" if error else ""))
    enrollment, token = parse_answer(answer)
    values = {"upload_endpoint": enrollment.upload_endpoint, "upload_token": token, "registry_url": base,
              "log_origin": enrollment.log_origin, "log_key": enrollment.log_key,
              "certificate_page": enrollment.certificate_page, "station_name": station_name,
              "organisation": settings.organisation or enrollment.organisation}
    try:
        for setting, value in values.items():
            settings = config.with_value(settings, setting, value)
    except config.SettingError as exc:
        raise EnrollError("bad-answer", f"the registry's answer does not fit the settings: {exc}") from None
    old_checkpoint = logstate.checkpoint_path(datadir)
    if old_checkpoint.exists() and previous_key != enrollment.log_key:
        # another log: its checkpoint says nothing of this one; kept aside, never deleted
        atomic.move(old_checkpoint, old_checkpoint.with_name(f"checkpoint.before-{now_iso().replace(':', '')}"))
    config.save(datadir, settings)
    return enrollment
