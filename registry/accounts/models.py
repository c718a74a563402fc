"""Who a person is for the portal: a login (Django's User) tied to one organisation, whose kind is the role.

coordinator: every organisation and lot; refurbisher staff: their organisation's lots; donor: their own lots,
read-only. A login without a membership sees nothing but the public verification page (superusers aside,
who act as coordinators).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from registry.core.models import Organisation


class Membership(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="members")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"
