"""Lots (what a donor gave, assigned to one refurbisher) and the facts projection of each uploaded record.

A station tags its records with the lot reference its technician typed; the registry resolves a lot by
(the uploading station's organisation, that reference), so two refurbishers may both use "LOT-1".
RecordFacts is derived from the record's signed bytes once, at ingest (registry.lots.signals), and can be
rebuilt at any time from them (`manage.py refresh_facts`); it is never the source of truth. LotDevice is the
same kind of derived data one step further: each device's journey, kept current in the record's transaction.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
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
                   models.Index(fields=["drive_serial"]), models.Index(fields=["host_serial"]),
                   # no pending list: each upload looks its drives up here (devices.linked), and a scan reads it all
                   GinIndex(fields=["disk_serials"], name="lots_facts_disk_serials_gin", fastupdate=False)]


class LotDevice(models.Model):
    """One device's journey (registry.lots.journey.Device) in the records one refurbisher tagged with one lot
    reference, so a lot page or the dashboard reads rows instead of deriving thousands of journeys per view.

    Keyed by (refurbisher, reference) rather than by Lot: stations may upload before the lot is created.
    Written only by registry.lots.devices, in the transaction that stores a record or revokes a station.
    """

    # indexed through the unique constraint below, which leads with it
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", db_index=False)
    lot_reference = models.CharField(max_length=200, blank=True, default="")
    key = models.CharField(max_length=220)  # journey.Device.key: machine:<serial>, drive:<serial>, cert:<id>
    attention = models.BooleanField(default=False)
    machine_serial = models.CharField(max_length=200, blank=True, default="")
    label_serial = models.CharField(max_length=200, blank=True, default="")
    model = models.CharField(max_length=200, blank=True, default="")
    audit_id = models.CharField(max_length=100, blank=True, default="")
    audit_ref = models.BigIntegerField(null=True, blank=True)  # Record pk of the newest audit
    audit_month = models.DateField(null=True, blank=True)  # the month that audit was signed
    verdict = models.CharField(max_length=40, blank=True, default="")
    stage = models.CharField(max_length=20)
    outcome = models.CharField(max_length=20)
    flags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    drives = models.JSONField(default=list, blank=True)  # journey.DriveStep fields, one object per drive
    drives_done = models.PositiveIntegerField(default=0)
    drives_failed = models.PositiveIntegerField(default=0)
    erased_months = ArrayField(models.DateField(), default=list, blank=True)  # one per drive done, when known

    class Meta:
        # also the index every read goes through: a lot's rows, or one device by key at ingest
        constraints = [models.UniqueConstraint(fields=["organisation", "lot_reference", "key"],
                                               name="lots_device_unique_key")]
