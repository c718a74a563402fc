from __future__ import annotations

from django.contrib import admin

from registry.lots.models import Lot


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin[Lot]):
    list_display = ("reference", "donor", "refurbisher", "expected_devices", "received_on")
    list_filter = ("refurbisher", "donor")
    search_fields = ("reference",)
