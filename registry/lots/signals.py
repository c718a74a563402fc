"""Facts are projected when a record is stored, so pages never parse JSON per request."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from registry.core.models import Record
from registry.lots.projection import project


@receiver(post_save, sender=Record, dispatch_uid="lots-record-facts")
def record_stored(sender: type[Record], instance: Record, created: bool, **kwargs: Any) -> None:
    if created:
        project(instance)
