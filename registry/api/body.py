"""Reading a request body within the size limit, before anything parses it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse


def limited(request: HttpRequest) -> bytes | JsonResponse:
    """The body, or the answer refusing it: 411 without a Content-Length, 413 over the limit (the length is
    checked before reading, and the bytes read are counted too, whatever the header said)."""
    limit: int = settings.REGISTRY_MAX_UPLOAD_BYTES
    header = request.META.get("CONTENT_LENGTH") or ""
    if not header.strip().isdigit():
        return JsonResponse({"error": "length-required", "detail": "send a Content-Length"}, status=411)
    if int(header) > limit:
        return JsonResponse({"error": "too-large", "detail": f"the limit is {limit} bytes"}, status=413)
    data = request.read(limit + 1)
    if len(data) > limit:
        return JsonResponse({"error": "too-large", "detail": f"the limit is {limit} bytes"}, status=413)
    return data


def error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail}, status=status)
