"""Derived data follows the records: facts are projected when a record is stored, and the journeys of the devices
it belongs to are brought up to date in the same transaction; a station's revocation (or its undoing) re-derives
the devices holding its records, since their flags change."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from registry.core.models import Record, Station
from registry.lots import devices
from registry.lots.projection import project

_revocation_changing: set[int] = set()  # stations saved with a changed revoked_at, between pre_save and post_save


@receiver(post_save, sender=Record, dispatch_uid="lots-record-facts")
def record_stored(sender: type[Record], instance: Record, created: bool, **kwargs: Any) -> None:
    if created and project(instance) is not None:
        devices.follow(instance)


@receiver(pre_save, sender=Station, dispatch_uid="lots-station-revocation-before")
def station_saving(sender: type[Station], instance: Station, update_fields: frozenset[str] | None,
                   **kwargs: Any) -> None:
    if instance.pk is None or (update_fields is not None and "revoked_at" not in update_fields):
        return
    before = Station.objects.filter(pk=instance.pk).values_list("revoked_at", flat=True).first()
    if (before is None) != (instance.revoked_at is None):
        _revocation_changing.add(instance.pk)


@receiver(post_save, sender=Station, dispatch_uid="lots-station-revocation")
def station_saved(sender: type[Station], instance: Station, **kwargs: Any) -> None:
    if instance.pk in _revocation_changing:
        _revocation_changing.discard(instance.pk)
        devices.rebuild_station(instance)
