"""`python -m registry create_organisation NAME --kind refurbisher`: scripted set-up beside the admin."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.core.models import Organisation


class Command(BaseCommand):
    help = "Create an organisation (coordinator, refurbisher or donor); prints its id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--kind", choices=[k.value for k in Organisation.Kind], required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        organisation, created = Organisation.objects.get_or_create(name=options["name"],
                                                                   defaults={"kind": options["kind"]})
        if not created and organisation.kind != options["kind"]:
            raise CommandError(f"{organisation.name} exists as a {organisation.kind}")
        self.stdout.write(str(organisation.pk))
