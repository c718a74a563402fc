"""Create a lot for scripted set-up: a donor's gift assigned to one refurbisher.

    python -m registry add_lot LOT-2025-01 --donor "Région Exemple" --refurbisher "Atelier Solidaire" \
        --expected 300 --received 2025-03-01
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.core.models import Organisation
from registry.lots.models import Lot


def organisation(name: str, kind: str) -> Organisation:
    try:
        return Organisation.objects.get(name=name, kind=kind)
    except Organisation.DoesNotExist:
        raise CommandError(f"no {kind} organisation named {name!r} (add_user --kind {kind} creates one)") from None


class Command(BaseCommand):
    help = "Create a lot (donor, reference, expected device count, date received, refurbisher assigned)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference")
        parser.add_argument("--donor", required=True)
        parser.add_argument("--refurbisher", required=True)
        parser.add_argument("--expected", type=int, default=None)
        parser.add_argument("--received", type=datetime.date.fromisoformat, default=None, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        donor = organisation(options["donor"], Organisation.Kind.DONOR)
        refurbisher = organisation(options["refurbisher"], Organisation.Kind.REFURBISHER)
        if Lot.objects.filter(refurbisher=refurbisher, reference=options["reference"]).exists():
            raise CommandError(f"{refurbisher.name} already has a lot {options['reference']!r}")
        lot = Lot.objects.create(donor=donor, refurbisher=refurbisher, reference=options["reference"],
                                 expected_devices=options["expected"], received_on=options["received"])
        self.stdout.write(f"lot {lot.pk}: {lot}")
