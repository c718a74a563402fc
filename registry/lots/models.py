"""Lots (what a donor gave, assigned to one refurbisher) and the facts projection of each uploaded record.

A station tags its records with the lot reference its technician typed; the registry resolves a lot by
(the uploading station's organisation, that reference), so two refurbishers may both use "LOT-1".
RecordFacts is derived from the record's signed bytes once, at ingest (registry.lots.signals), and can be
rebuilt at any time from them (`manage.py refresh_facts`); it is never the source of truth.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from registry.core.models import Organisation, Record


class Lot(models.Model):
    donor = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="donated_lots")
    refurbisher = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="assigned_lots")
    reference = models.CharField(max_length=200)
    expected_devices = models.PositiveIntegerField(null=True, blank=True)
    received_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["refurbisher", "reference"], name="lot_unique_reference")]
        ordering = ["-received_on", "reference"]

    def __str__(self) -> str:
        return f"{self.reference} ({self.donor.name} -> {self.refurbisher.name})"


class RecordFacts(models.Model):
    record = models.OneToOneField(Record, on_delete=models.PROTECT, primary_key=True, related_name="facts")
    kind = models.CharField(max_length=20)
    issued_at = models.CharField(max_length=40, blank=True, default="")
    issued_month = models.DateField(null=True, blank=True)  # first day of the month the station signed it
    machine_serial = models.CharField(max_length=200, blank=True, default="")
    label_serial = models.CharField(max_length=200, blank=True, default="")
    machine_model = models.CharField(max_length=200, blank=True, default="")
    verdict = models.CharField(max_length=40, blank=True, default="")
    disk_serials = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    drive_serial = models.CharField(max_length=200, blank=True, default="")
    drive_model = models.CharField(max_length=200, blank=True, default="")
    host_serial = models.CharField(max_length=200, blank=True, default="")
    result = models.CharField(max_length=40, blank=True, default="")
    method = models.CharField(max_length=100, blank=True, default="")
    nist_category = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["machine_serial"]), models.Index(fields=["label_serial"]),
                   models.Index(fields=["drive_serial"]), models.Index(fields=["host_serial"])]
