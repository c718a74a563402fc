"""Sending queued certificates: HTTP POST to the organisation's endpoint, or a copy to a mounted share.

An outbox entry moves to `sent/` only after the destination confirmed it holds the exact bytes
(HTTP 200/201, or 409 "already have it"; for a share, the copy read back). Anything else leaves
it queued with the error, to be retried next time; docs/http-upload.md is the server's contract.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from station import __version__
from station.certify.certificate import paths
from station.certify.keys import sha256_hex
from station.store import atomic, outbox
from station.store.datadir import DataDir

RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


class UploadError(Exception):
    """The upload cannot start at all (no endpoint, no token, unsafe URL)."""


@dataclass(frozen=True)
class Policy:
    attempts: int = 4  # per certificate and per run
    backoff: float = 1.0  # first wait in seconds, doubled after each failure
    max_backoff: float = 30.0
    timeout: float = 20.0  # per request


@dataclass
class Summary:
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # the destination had them (409): also sent
    failed: dict[str, str] = field(default_factory=dict)  # still queued, with the last error
    stopped: str | None = None  # why the run stopped early (authentication refused)

    @property
    def ok(self) -> bool:
        return not self.failed and self.stopped is None


@dataclass(frozen=True)
class Reply:
    status: int  # 0 when no HTTP answer came (network error, timeout)
    body: bytes
    error: str | None = None
    retry_after: float | None = None


def check_endpoint(endpoint: str) -> None:
    """HTTPS only, except plain HTTP to this machine (tests, a local relay): the token must not leak."""
    parsed = urllib.parse.urlsplit(endpoint)
    if parsed.scheme == "https" and parsed.hostname:
        return
    if parsed.scheme == "http" and parsed.hostname:
        host = parsed.hostname
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if loopback:
            return
        raise UploadError(f"refusing plain HTTP to {host}: use https:// (the bearer token would travel in clear)")
    raise UploadError(f"upload endpoint {endpoint!r} is not an http(s) URL")


def _payload(datadir: DataDir, certificate_id: str) -> tuple[bytes, str]:
    json_path, sig_path, pdf_path = paths(datadir, certificate_id)
    data = json_path.read_bytes()
    signature = sig_path.read_bytes()
    pdf = pdf_path.read_bytes() if pdf_path.exists() else None
    digest = sha256_hex(data)
    body = {"certificate_id": certificate_id, "sha256": digest,
            "json": base64.b64encode(data).decode(), "signature": base64.b64encode(signature).decode(),
            "pdf": base64.b64encode(pdf).decode() if pdf is not None else None}
    return json.dumps(body).encode(), digest


def post(endpoint: str, token: str, certificate_id: str, body: bytes, timeout: float) -> Reply:
    request = urllib.request.Request(endpoint, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json",
        "Idempotency-Key": certificate_id, "User-Agent": f"station/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.read())
    except urllib.error.HTTPError as exc:
        retry_after = exc.headers.get("Retry-After") if exc.headers else None
        try:
            wait = float(retry_after) if retry_after else None
        except ValueError:
            wait = None
        return Reply(exc.code, exc.read() or b"", f"HTTP {exc.code} {exc.reason}", wait)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Reply(0, b"", f"no answer: {reason}")


def _echoed_sha(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    value = data.get("sha256") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _confirmed(reply: Reply, digest: str) -> tuple[bool, str | None]:
    """(stored, error): a 2xx or 409 counts only if any sha256 the server echoes is ours."""
    if reply.status in (200, 201, 409):
        echoed = _echoed_sha(reply.body)
        if echoed is not None and echoed != digest:
            what = "holds a different document under this id" if reply.status == 409 else "stored other bytes"
            return False, f"server {what} (sha256 {echoed})"
        return True, None
    return False, reply.error or f"HTTP {reply.status}"


def upload_http(datadir: DataDir, endpoint: str, token: str, policy: Policy = Policy(),
                sleep: Callable[[float], None] = time.sleep) -> Summary:
    check_endpoint(endpoint)
    if not token:
        raise UploadError("no upload token: station settings set upload_token TOKEN")
    summary = Summary()
    for entry in outbox.pending(datadir):
        cid = entry.certificate_id
        try:
            body, digest = _payload(datadir, cid)
        except OSError as exc:
            summary.failed[cid] = f"certificate files unreadable: {exc}"
            outbox.record_failure(datadir, entry, summary.failed[cid])
            continue
        wait = policy.backoff
        for attempt in range(1, policy.attempts + 1):
            reply = post(endpoint, token, cid, body, policy.timeout)
            stored, error = _confirmed(reply, digest)
            if stored:
                outbox.mark_sent(datadir, entry, endpoint)
                (summary.already if reply.status == 409 else summary.sent).append(cid)
                summary.failed.pop(cid, None)
                break
            summary.failed[cid] = error or "unknown error"
            if reply.status in (401, 403):
                summary.stopped = f"the server refused the token ({error}): nothing more sent"
                outbox.record_failure(datadir, entry, summary.failed[cid])
                return summary
            retryable = reply.status == 0 or reply.status in RETRYABLE
            if not retryable or attempt == policy.attempts:
                outbox.record_failure(datadir, entry, summary.failed[cid])
                break
            sleep(min(policy.max_backoff, max(wait, reply.retry_after or 0.0)))
            wait *= 2
    return summary


def copy_to_dir(datadir: DataDir, target: Path) -> Summary:
    """Copy JSON, signature and PDF to a mounted share; confirmed by reading the copies back."""
    summary = Summary()
    if not target.is_dir():
        raise UploadError(f"{target} is not a directory (is the share mounted?)")
    for entry in outbox.pending(datadir):
        cid = entry.certificate_id
        try:
            for source in paths(datadir, cid):
                if not source.exists() and source.suffix == ".pdf":
                    continue
                data = source.read_bytes()
                destination = target / source.name
                if destination.exists() and destination.read_bytes() != data:
                    raise OSError(f"{destination} exists with different content")
                atomic.write_bytes(destination, data)
                if sha256_hex(destination.read_bytes()) != sha256_hex(data):
                    raise OSError(f"{destination} reads back different bytes")
        except OSError as exc:
            summary.failed[cid] = str(exc)
            outbox.record_failure(datadir, entry, str(exc))
            continue
        outbox.mark_sent(datadir, entry, f"dir:{target}")
        summary.sent.append(cid)
    return summary
