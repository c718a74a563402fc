"""The registry's tables: organisations, their stations, what the stations sent, and the transparency log.

Records keep the exact bytes a station signed (the JSON, its signature, the PDF); the fields beside them
are parsed copies for listing and search only. LogEntry, Checkpoint and Quarantine are append-only: a
PostgreSQL trigger (migration 0002) refuses UPDATE, DELETE and TRUNCATE on them whoever asks.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class Organisation(models.Model):
    class Kind(models.TextChoices):
        COORDINATOR = "coordinator", "coordinator"
        REFURBISHER = "refurbisher", "refurbisher"
        DONOR = "donor", "donor"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Station(models.Model):
    """One station key bound to one organisation by enrollment; revoked, never deleted."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="stations")
    name = models.CharField(max_length=200)
    public_key_pem = models.TextField()
    fingerprint = models.CharField(max_length=19, unique=True)  # as printed on certificates: 3f9a-1c2b-77d0-e415
    token_hash = models.CharField(max_length=64, unique=True)  # sha256 hex of the upload token
    enrolled_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True, default="")
    # the newest certificate seen in the station's chain (sequence, sha256): what the next one should follow
    chain_sequence = models.BigIntegerField(null=True, blank=True)
    chain_sha256 = models.CharField(max_length=64, blank=True, default="")
    flags = ArrayField(models.CharField(max_length=40), default=list, blank=True)  # chain-gap, chain-fork

    def __str__(self) -> str:
        return f"{self.name} [{self.fingerprint}]"


class EnrollmentCode(models.Model):
    """A one-time code an admin hands to a technician; only its hash is kept."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="enrollment_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.OneToOneField(Station, null=True, blank=True, on_delete=models.PROTECT)
    note = models.CharField(max_length=200, blank=True, default="")


class Record(models.Model):
    """A certificate or an audit record as the station signed it, valid when stored, with its log index."""

    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", "certificate"
        AUDIT = "audit", "audit"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    record_id = models.CharField(max_length=100, unique=True)
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="records")
    sha256 = models.CharField(max_length=64)
    json_bytes = models.BinaryField()
    signature = models.BinaryField()
    pdf_bytes = models.BinaryField(null=True, blank=True)
    lot_reference = models.CharField(max_length=200, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)
    log_index = models.BigIntegerField(unique=True)
    flags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    # parsed copies of key fields, for listing and search (the JSON bytes stay the truth)
    sequence = models.BigIntegerField(null=True, blank=True)  # certificates: place in the station's chain
    previous_sha256 = models.CharField(max_length=64, blank=True, default="")
    drive_serial = models.CharField(max_length=200, blank=True, default="", db_index=True)
    machine_serial = models.CharField(max_length=200, blank=True, default="", db_index=True)
    result = models.CharField(max_length=40, blank=True, default="")  # erased/failed/... or the audit verdict
    nist_category = models.CharField(max_length=20, blank=True, default="")
    method = models.CharField(max_length=100, blank=True, default="")
    issued_at = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["station", "sequence"]), models.Index(fields=["lot_reference"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id}"


class Quarantine(models.Model):
    """Exactly what was received and refused, with the reason; kept for someone to look at, never deleted."""

    received_at = models.DateTimeField(auto_now_add=True)
    station = models.ForeignKey(Station, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="quarantined")
    record_id = models.CharField(max_length=200, blank=True, default="")  # the Idempotency-Key or body id, as sent
    error = models.CharField(max_length=40)  # the code answered: bad-signature, schema, different-bytes...
    reason = models.TextField()
    body = models.BinaryField()  # the request body exactly as received


class LogEntry(models.Model):
    """One leaf of the transparency log (docs/registry-api.md: the entry text); append-only."""

    index = models.BigIntegerField(primary_key=True)
    entry = models.BinaryField()
    leaf_hash = models.BinaryField()
    appended_at = models.DateTimeField(auto_now_add=True)


class LogSubtree(models.Model):
    """A complete subtree's hash (station.certify.merkle.Subtree): written once when its last leaf arrives, so
    any root, proof or tile is one batched read of O(log^2 n) rows, never a walk over every leaf. Append-only."""

    level = models.SmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="core_logsubtree_level_index")]


class Checkpoint(models.Model):
    """A signed tree head (C2SP tlog-checkpoint), one per tree size the registry committed to. Append-only."""

    size = models.BigIntegerField(primary_key=True)
    root = models.BinaryField()
    note = models.TextField()  # the C2SP signed note, as served at /log/checkpoint
    signed_at = models.DateTimeField(auto_now_add=True)
