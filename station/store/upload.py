"""Sending queued certificates and audit records: HTTP POST to the registry (or any endpoint of
docs/http-upload.md), or a copy to a mounted share.

An outbox entry moves to `sent/` only after the destination confirmed it holds the exact bytes
(HTTP 200/201, or 409 "already have it"; for a share, the copy read back). Anything else leaves
it queued with the error, to be retried next time. With an enrolled registry (docs/registry-api.md) each answer's
checkpoint is verified, checked consistent with the last one kept, and the record's inclusion proof is fetched,
verified and kept beside it (station.store.logstate); a log that fails any of this stops the run, loudly.
Plain library: no terminal, the commands render the Summary.
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
from station.certify import keys
from station.certify.checkpoint import Verifier
from station.certify.keys import sha256_hex
from station.certify.logentry import LogEntry, station_key_sha256
from station.store import atomic, config, logstate, outbox
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
    stopped: str | None = None  # why the run stopped early (authentication refused, the log failed a check)
    proved: list[str] = field(default_factory=list)  # records whose inclusion proof was verified and kept
    proof_pending: dict[str, str] = field(default_factory=dict)  # sent, proof not fetched yet (retried next run)
    log_problems: list[str] = field(default_factory=list)  # bad checkpoint signature, fork, failing proof
    checkpoint_size: int | None = None  # size of the newest checkpoint verified in this run

    @property
    def ok(self) -> bool:
        return not self.failed and self.stopped is None and not self.log_problems


@dataclass(frozen=True)
class LogSettings:
    """The enrolled registry's log: where to ask for proofs and the key its checkpoints must carry."""

    registry_url: str
    verifier: Verifier
    origin: str | None

    @classmethod
    def from_settings(cls, settings: config.Settings) -> LogSettings | None:
        if not (settings.registry_url and settings.log_key):
            return None
        return cls(settings.registry_url.rstrip("/"), logstate.verifier_of(settings.log_key),
                   settings.log_origin or None)


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


def record_files(datadir: DataDir, entry: outbox.OutboxEntry) -> tuple[Path, Path, Path]:
    """JSON, signature and PDF of a queued record (a certificate, or an audit record under audits/)."""
    if entry.kind == "audit":
        base = datadir.audits / entry.certificate_id
        return base.with_name(base.name + ".json"), base.with_name(base.name + ".json.sig"), \
            base.with_name(base.name + ".pdf")
    return datadir.certificate_files(entry.certificate_id)


def _lot_of(data: bytes, entry: outbox.OutboxEntry) -> str | None:
    """The lot named in the record itself (certificates carry it), else the one noted when it was queued."""
    try:
        record = json.loads(data)
    except ValueError:
        return entry.lot
    lot = record.get("lot") if isinstance(record, dict) else None
    return lot if isinstance(lot, str) and lot else entry.lot


def _payload(datadir: DataDir, entry: outbox.OutboxEntry) -> tuple[bytes, str]:
    json_path, sig_path, pdf_path = record_files(datadir, entry)
    data = json_path.read_bytes()
    signature = sig_path.read_bytes()
    pdf = pdf_path.read_bytes() if pdf_path.exists() else None
    digest = sha256_hex(data)
    body = {"certificate_id": entry.certificate_id, "kind": entry.kind, "lot": _lot_of(data, entry),
            "sha256": digest, "json": base64.b64encode(data).decode(),
            "signature": base64.b64encode(signature).decode(),
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


def get(url: str, token: str, timeout: float) -> Reply:
    request = urllib.request.Request(url, method="GET", headers={
        "Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": f"station/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, exc.read() or b"", f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return Reply(0, b"", f"no answer: {getattr(exc, 'reason', exc)}")


class ProofUnavailable(Exception):
    """The registry did not hand a proof over this time (network, HTTP error): fetched again on a later run."""


def _hashes(value: object) -> list[bytes]:
    if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
        raise logstate.LogError("a proof is a list of hex hashes")
    try:
        return [bytes.fromhex(h) for h in value]
    except ValueError:
        raise logstate.LogError("a proof hash is not hex") from None


def _proof_json(log: LogSettings, token: str, timeout: float, query: str) -> dict[str, object]:
    reply = get(f"{log.registry_url}/api/v1/proof/{query}", token, timeout)
    if reply.status != 200:
        raise ProofUnavailable(reply.error or f"HTTP {reply.status}")
    try:
        data = json.loads(reply.body)
    except ValueError:
        raise logstate.LogError(f"the registry's proof answer to {query} is not JSON") from None
    if not isinstance(data, dict):
        raise logstate.LogError(f"the registry's proof answer to {query} is not an object")
    return data


def _fetchers(log: LogSettings, token: str, timeout: float) -> tuple[logstate.ConsistencyFetcher,
                                                                     logstate.InclusionFetcher]:
    def consistency(old: int, new: int) -> list[bytes]:
        data = _proof_json(log, token, timeout, f"consistency?from={old}&to={new}")
        if data.get("from") != old or data.get("to") != new:
            raise logstate.LogError(f"asked a consistency proof {old}->{new}, got {data.get('from')}->{data.get('to')}")
        return _hashes(data.get("proof"))

    def inclusion(index: int, size: int) -> tuple[bytes, list[bytes]]:
        data = _proof_json(log, token, timeout, f"inclusion?index={index}&size={size}")
        if data.get("index") != index or data.get("size") != size:
            raise logstate.LogError(f"asked the proof of {index} in {size}, got {data.get('index')} in "
                                    f"{data.get('size')}")
        leaf = _hashes([data.get("leaf_hash")])[0] if isinstance(data.get("leaf_hash"), str) else b""
        return leaf, _hashes(data.get("proof"))

    return consistency, inclusion


@dataclass(frozen=True)
class Witnessed:
    """What the log said of one record: its index, and whether its proof is kept (or why not yet)."""

    log_index: int | None
    proof_error: str | None = None


def _witness(datadir: DataDir, entry: outbox.OutboxEntry, digest: str, reply: Reply, log: LogSettings,
             station: str, token: str, timeout: float, summary: Summary) -> Witnessed:
    """Checkpoint, consistency, inclusion for one confirmed record; raises logstate.LogError when the log fails."""
    try:
        data = json.loads(reply.body)
    except ValueError:
        data = None
    index = data.get("log_index") if isinstance(data, dict) else None
    note = data.get("checkpoint") if isinstance(data, dict) else None
    if not isinstance(index, int) or not isinstance(note, str):
        raise logstate.LogError("the registry stored the record but named no log index and checkpoint")
    consistency, inclusion = _fetchers(log, token, timeout)
    try:
        checkpoint = logstate.accept_checkpoint(datadir, note.encode(), log.verifier, log.origin, consistency)
    except ProofUnavailable as exc:
        # stored, but its checkpoint cannot be checked yet: not kept; proved at a later run
        return Witnessed(index, f"consistency proof unavailable ({exc})")
    summary.checkpoint_size = max(checkpoint.size, summary.checkpoint_size or 0)
    if not 0 <= index < checkpoint.size:
        raise logstate.LogError(f"the checkpoint (size {checkpoint.size}) does not hold the record's index {index}")
    log_entry = LogEntry(entry.kind, entry.certificate_id, digest, station)
    try:
        logstate.prove_and_keep(datadir, log_entry, index, checkpoint, note.encode(), inclusion)
    except ProofUnavailable as exc:
        return Witnessed(index, str(exc))
    return Witnessed(index)


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


def _station_key_sha256(datadir: DataDir) -> str:
    try:
        return station_key_sha256(keys.load_public(keys.public_path(datadir).read_bytes()).key)
    except (OSError, keys.KeyFileError) as exc:
        raise UploadError(f"the station's public key is unreadable ({exc}): cannot name its log entries") from None


def _log_stop(summary: Summary, datadir: DataDir, entry: outbox.OutboxEntry, problem: str) -> Summary:
    summary.log_problems.append(f"{entry.certificate_id}: {problem}")
    summary.failed[entry.certificate_id] = f"registry log: {problem}"
    summary.stopped = f"the registry's transparency log failed a check ({problem}): nothing more sent"
    outbox.record_failure(datadir, entry, summary.failed[entry.certificate_id])
    return summary


def upload_http(datadir: DataDir, endpoint: str, token: str, policy: Policy = Policy(),
                sleep: Callable[[float], None] = time.sleep, log: LogSettings | None = None) -> Summary:
    """Sends every queued record; with `log`, each is witnessed by the registry's log before it counts as sent."""
    check_endpoint(endpoint)
    if not token:
        raise UploadError("no upload token: station settings set upload_token TOKEN")
    if log is not None:
        check_endpoint(log.registry_url)
    station = _station_key_sha256(datadir) if log is not None else ""
    summary = Summary()
    for entry in outbox.pending(datadir):
        cid = entry.certificate_id
        try:
            body, digest = _payload(datadir, entry)
        except OSError as exc:
            summary.failed[cid] = f"certificate files unreadable: {exc}"
            outbox.record_failure(datadir, entry, summary.failed[cid])
            continue
        wait = policy.backoff
        for attempt in range(1, policy.attempts + 1):
            reply = post(endpoint, token, cid, body, policy.timeout)
            stored, error = _confirmed(reply, digest)
            if stored:
                witnessed = Witnessed(None)
                if log is not None:
                    try:
                        witnessed = _witness(datadir, entry, digest, reply, log, station, token, policy.timeout,
                                             summary)
                    except logstate.LogError as exc:
                        return _log_stop(summary, datadir, entry, str(exc))
                outbox.mark_sent(datadir, entry, endpoint, witnessed.log_index)
                (summary.already if reply.status == 409 else summary.sent).append(cid)
                if log is not None:
                    if witnessed.proof_error:
                        summary.proof_pending[cid] = witnessed.proof_error
                    else:
                        summary.proved.append(cid)
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
    if log is not None:
        _fetch_missing_proofs(datadir, log, token, policy.timeout, station, summary)
    return summary


def _fetch_missing_proofs(datadir: DataDir, log: LogSettings, token: str, timeout: float, station: str,
                          summary: Summary) -> None:
    """Sent records whose proof could not be fetched when they were sent: proved against the newest checkpoint."""
    missing = [e for e in outbox.sent(datadir) if e.log_index is not None and e.certificate_id not in summary.proved
               and not logstate.proof_path(logstate.record_path(datadir, e.certificate_id, e.kind)).exists()]
    if not missing:
        return
    consistency, inclusion = _fetchers(log, token, timeout)
    try:
        checkpoint = logstate.saved_checkpoint(datadir, log.verifier, log.origin)
        if checkpoint is None or any(e.log_index is not None and e.log_index >= checkpoint.size for e in missing):
            reply = get(f"{log.registry_url}/log/checkpoint", token, timeout)
            if reply.status != 200:
                raise ProofUnavailable(f"no checkpoint: {reply.error or reply.status}")
            checkpoint = logstate.accept_checkpoint(datadir, reply.body, log.verifier, log.origin, consistency)
            summary.checkpoint_size = max(checkpoint.size, summary.checkpoint_size or 0)
        note = logstate.checkpoint_path(datadir).read_bytes()
        checkpoint = logstate.open_signed(note, log.verifier, log.origin)
    except ProofUnavailable as exc:
        for entry in missing:
            summary.proof_pending[entry.certificate_id] = str(exc)
        return
    except (logstate.LogError, OSError) as exc:
        summary.log_problems.append(f"checkpoint: {exc}")
        return
    for entry in missing:
        assert entry.log_index is not None
        if entry.log_index >= checkpoint.size:
            continue
        try:
            data = logstate.record_path(datadir, entry.certificate_id, entry.kind).read_bytes()
            log_entry = LogEntry(entry.kind, entry.certificate_id, sha256_hex(data), station)
            logstate.prove_and_keep(datadir, log_entry, entry.log_index, checkpoint, note, inclusion)
        except ProofUnavailable as exc:
            summary.proof_pending[entry.certificate_id] = str(exc)
            continue
        except OSError as exc:
            summary.proof_pending[entry.certificate_id] = f"record unreadable: {exc}"
            continue
        except logstate.LogError as exc:
            summary.log_problems.append(f"{entry.certificate_id}: {exc}")
            continue
        summary.proof_pending.pop(entry.certificate_id, None)
        summary.proved.append(entry.certificate_id)


def upload_from_settings(datadir: DataDir, policy: Policy = Policy(),
                         sleep: Callable[[float], None] = time.sleep) -> Summary:
    """What `station upload` does: queue saved audit records, then send everything to the configured endpoint,
    witnessed by the enrolled registry's log when there is one (the entry point for scripts and tests)."""
    settings = config.load(datadir)
    if not settings.upload_endpoint:
        raise UploadError("no upload endpoint: station enroll URL CODE, or station settings set upload_endpoint URL")
    outbox.enqueue_saved_audits(datadir, settings.lot or None)
    try:
        log = LogSettings.from_settings(settings)
    except logstate.LogError as exc:
        raise UploadError(str(exc)) from None
    return upload_http(datadir, settings.upload_endpoint, settings.upload_token, policy, sleep, log)


def copy_to_dir(datadir: DataDir, target: Path) -> Summary:
    """Copy JSON, signature and PDF to a mounted share; confirmed by reading the copies back."""
    summary = Summary()
    if not target.is_dir():
        raise UploadError(f"{target} is not a directory (is the share mounted?)")
    for entry in outbox.pending(datadir):
        cid = entry.certificate_id
        try:
            for source in record_files(datadir, entry):
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
