"""`python -m registry revoke_station FINGERPRINT --reason TEXT`: stops its uploads; keeps what it sent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from registry.core.models import Station


class Command(BaseCommand):
    help = "Revoke a station (by key fingerprint or id): its token stops working; its records stay, marked."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("station", help="key fingerprint (3f9a-1c2b-77d0-e415) or id")
        parser.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        ident = options["station"]
        query = Station.objects.filter(pk=int(ident)) if ident.isdigit() else Station.objects.filter(fingerprint=ident)
        station = query.first()
        if station is None:
            raise CommandError(f"no station {ident!r}")
        if station.revoked_at is None:
            station.revoked_at = timezone.now()
            station.revoked_reason = options["reason"]
            with transaction.atomic():  # the portal's device rows are re-derived with it (registry.lots.signals)
                station.save(update_fields=["revoked_at", "revoked_reason"])
        self.stdout.write(f"{station.fingerprint} revoked at {station.revoked_at.isoformat()}")
