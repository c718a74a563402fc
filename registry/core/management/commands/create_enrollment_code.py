"""`python -m registry create_enrollment_code ORGANISATION`: a one-time code for `station enroll URL CODE`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from registry.core import secrets
from registry.core.models import EnrollmentCode, Organisation


class Command(BaseCommand):
    help = "Create a single-use enrollment code for an organisation; prints the code (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", help="organisation name or id")
        parser.add_argument("--days", type=int, default=settings.REGISTRY_ENROLL_CODE_DAYS,
                            help="validity in days")
        parser.add_argument("--note", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = find_organisation(options["organisation"])
        if organisation.kind == Organisation.Kind.DONOR:
            raise CommandError("stations belong to refurbishers or coordinators, not donors")
        code = secrets.new_code()
        EnrollmentCode.objects.create(organisation=organisation, code_hash=secrets.digest(code),
                                      expires_at=timezone.now() + timedelta(days=options["days"]),
                                      note=options["note"])
        self.stdout.write(code)


def find_organisation(name_or_id: str) -> Organisation:
    try:
        if name_or_id.isdigit():
            return Organisation.objects.get(pk=int(name_or_id))
        return Organisation.objects.get(name=name_or_id)
    except Organisation.DoesNotExist as exc:
        raise CommandError(f"no organisation {name_or_id!r}") from exc
