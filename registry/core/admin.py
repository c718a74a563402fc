"""The admin: organisations, stations and enrollment codes are managed here; records, the quarantine and the
log are shown read-only (the log tables refuse changes in PostgreSQL anyway)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from registry.core.models import Checkpoint, EnrollmentCode, LogEntry, Organisation, Quarantine, Record, Station


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ("name", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(Station)
class StationAdmin(admin.ModelAdmin[Station]):
    list_display = ("name", "fingerprint", "organisation", "enrolled_at", "revoked_at", "chain_sequence", "flags")
    list_filter = ("organisation",)
    search_fields = ("name", "fingerprint")
    readonly_fields = ("public_key_pem", "fingerprint", "token_hash", "chain_sequence", "chain_sha256", "flags")


@admin.register(EnrollmentCode)
class EnrollmentCodeAdmin(admin.ModelAdmin[EnrollmentCode]):
    list_display = ("organisation", "created_at", "expires_at", "used_at", "used_by", "note")
    readonly_fields = ("code_hash", "used_at", "used_by")


class ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Record)
class RecordAdmin(ReadOnly):
    list_display = ("record_id", "kind", "station", "result", "drive_serial", "machine_serial", "log_index", "flags")
    list_filter = ("kind", "result")
    search_fields = ("record_id", "drive_serial", "machine_serial", "lot_reference")
    exclude = ("json_bytes", "signature", "pdf_bytes")


@admin.register(Quarantine)
class QuarantineAdmin(ReadOnly):
    list_display = ("received_at", "error", "station", "record_id")
    list_filter = ("error",)


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnly):
    list_display = ("index", "appended_at")


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnly):
    list_display = ("size", "signed_at")
