"""The stations' API (docs/registry-api.md): enroll, upload records, and Merkle proofs, as django-ninja
operations. Bodies are read raw (the exact bytes matter, and a malformed body is answered 400, never
500); the schemas below type the answers and make the OpenAPI description at /api/v1/docs."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, NinjaAPI, Schema
from ninja.errors import ValidationError

from registry.api.body import error, limited
from registry.core import secrets
from registry.core.models import EnrollmentCode, Quarantine, Record, Station
from registry.log import store
from registry.records import ingest
from station.certify import keys, merkle

log = logging.getLogger(__name__)
api = NinjaAPI(title="Station registry", version="1", urls_namespace="api")


class Error(Schema):
    error: str
    detail: str | None = None
    quarantine_id: int | None = None


class LogInfo(Schema):
    origin: str
    verifier_key: str


class Enrolled(Schema):
    station_id: int
    organisation: str
    upload_endpoint: str
    upload_token: str
    log: LogInfo
    certificate_page: str


class Stored(Schema):
    sha256: str
    log_index: int | None = None
    checkpoint: str | None = None
    flags: list[str] = Field(default_factory=list)
    error: str | None = None
    quarantine_id: int | None = None


class Inclusion(Schema):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]


class Consistency(Schema):
    from_: int = Field(alias="from")
    to: int
    proof: list[str]


@api.exception_handler(ValidationError)
def _malformed_query(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error(400, "malformed", "; ".join(str(e.get("msg", e)) for e in exc.errors)[:500])


def base_url(request: HttpRequest) -> str:
    configured: str = settings.REGISTRY_PUBLIC_URL
    return configured.rstrip("/") if configured else request.build_absolute_uri("/").rstrip("/")


@api.post("/enroll", response={201: Enrolled, 400: Error, 409: Error, 413: Error})
def enroll(request: HttpRequest) -> HttpResponse:
    body = limited(request)
    if isinstance(body, HttpResponse):
        return body
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return error(400, "malformed", "the body is not JSON")
    fields = {name: data.get(name) if isinstance(data, dict) else None
              for name in ("code", "name", "public_key_pem")}
    if not all(isinstance(v, str) and v for v in fields.values()) or len(str(fields["name"])) > 200:
        return error(400, "malformed", "send code, name (at most 200 characters) and public_key_pem as texts")
    try:
        key = keys.load_public(str(fields["public_key_pem"]).encode())
    except keys.KeyFileError as exc:
        return error(400, "bad-key", str(exc))
    code_hash = secrets.digest(secrets.normalise_code(str(fields["code"])))
    token = secrets.new_token()
    with transaction.atomic():
        code = EnrollmentCode.objects.select_for_update().filter(code_hash=code_hash).first()
        if code is None or code.used_at is not None or code.expires_at <= timezone.now():
            return error(400, "bad-code", "unknown, used or expired enrollment code")
        if Station.objects.filter(fingerprint=key.fingerprint).exists():
            return error(409, "key-enrolled", f"the key {key.fingerprint} is already enrolled")
        station = Station.objects.create(organisation=code.organisation, name=str(fields["name"]),
                                         public_key_pem=key.public_pem().decode(), fingerprint=key.fingerprint,
                                         token_hash=secrets.digest(token))
        code.used_at, code.used_by = timezone.now(), station
        code.save(update_fields=["used_at", "used_by"])
    base = base_url(request)
    return JsonResponse({"station_id": station.pk, "organisation": station.organisation.name,
                         "upload_endpoint": f"{base}/api/v1/records", "upload_token": token,
                         "log": {"origin": store.origin(), "verifier_key": store.verifier_key()},
                         "certificate_page": base + "/v/{record_id}"}, status=201)


@api.post("/records", response={201: Stored, 409: Stored, 400: Error, 401: Error, 403: Error, 411: Error,
                                413: Error, 422: Error})
def records(request: HttpRequest) -> HttpResponse:
    body = limited(request)
    if isinstance(body, HttpResponse):
        return body
    authorization = request.headers.get("Authorization")
    try:
        answer = ingest.ingest(body, authorization, request.headers.get("Idempotency-Key"))
    except Exception as exc:
        # our fault, not the station's: keep the bytes (if the sender is known), answer 500 so it retries later
        station = ingest.station_for(authorization)
        if station is not None:
            Quarantine.objects.create(station=station, error="internal-error", reason=repr(exc)[:2000], body=body,
                                      record_id=(request.headers.get("Idempotency-Key") or "")[:200])
        log.exception("upload failed inside the registry")
        return error(500, "internal-error", "the registry failed; the upload is kept, retry later")
    return JsonResponse(answer.body, status=answer.status)


class Held(Schema):
    record_id: str
    kind: str
    sha256: str
    log_index: int
    flags: list[str]
    received_at: str


class HeldList(Schema):
    records: list[Held]
    checkpoint: str | None


@api.get("/records", response={200: HeldList, 401: Error})
def held(request: HttpRequest, after: int = -1, limit: int = 1000) -> HttpResponse:
    """What the registry holds from the calling station (its token), by log index: for a station to check
    that everything it sent is there. Only its own records, never another station's."""
    station = ingest.station_for(request.headers.get("Authorization"))
    if station is None:
        return error(401, "bad-token", "unknown or missing upload token")
    rows = (Record.objects.filter(station=station, log_index__gt=after).order_by("log_index")
            .only("record_id", "kind", "sha256", "log_index", "flags", "received_at")[:max(1, min(limit, 1000))])
    last = store.latest()
    return JsonResponse({"records": [{"record_id": r.record_id, "kind": r.kind, "sha256": r.sha256,
                                      "log_index": r.log_index, "flags": list(r.flags),
                                      "received_at": r.received_at.isoformat()} for r in rows],
                         "checkpoint": last.note if last else None})


def _size_ok(*sizes: int) -> str | None:
    last = store.latest()
    top = last.size if last else 0
    bad = [s for s in sizes if not 0 <= s <= top]
    return f"sizes must be between 0 and the log's size {top}" if bad else None


@api.get("/proof/inclusion", response={200: Inclusion, 400: Error})
def inclusion(request: HttpRequest, index: int, size: int) -> HttpResponse:
    problem = _size_ok(size)
    if problem or not 0 <= index < size:
        return error(400, "bad-range", problem or f"index must be in [0, {size})")
    leaf, proof = store.inclusion(index, size)
    return JsonResponse({"index": index, "size": size, "leaf_hash": leaf.hex(), "proof": [h.hex() for h in proof]})


@api.get("/proof/consistency", response={200: Consistency, 400: Error})
def consistency(request: HttpRequest) -> HttpResponse:
    """`?from=A&to=B` (`from` is a Python keyword, so read by hand)."""
    old, new = request.GET.get("from", ""), request.GET.get("to", "")
    if not (old.isdigit() and new.isdigit()):
        return error(400, "malformed", "from and to must be tree sizes")
    problem = _size_ok(int(old), int(new))
    if problem or int(old) > int(new):
        return error(400, "bad-range", problem or "from must not be larger than to")
    try:
        proof = store.consistency(int(old), int(new))
    except merkle.ProofError as exc:
        return error(400, "bad-range", str(exc))
    return JsonResponse({"from": int(old), "to": int(new), "proof": [h.hex() for h in proof]})
