from __future__ import annotations

from django.contrib import admin

from registry.accounts.models import Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "organisation")
    list_filter = ("organisation",)
