"""Create (or update) a portal login tied to one organisation, for scripted set-up beside the admin.

    python -m registry add_user alice --organisation "Région Exemple" --kind donor --password-env ALICE_PW

The organisation is created with --kind when it does not exist; an existing one must have that kind.
The password comes from an environment variable, never the command line (it would show in `ps`).
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from registry.accounts.models import Membership
from registry.core.models import Organisation


class Command(BaseCommand):
    help = "Create or update a portal user and its organisation membership."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--organisation", required=True)
        parser.add_argument("--kind", choices=[k.value for k in Organisation.Kind], required=True)
        parser.add_argument("--password-env", required=True, help="name of the environment variable holding it")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(options["password_env"])
        if not password:
            raise CommandError(f"environment variable {options['password_env']} is empty or not set")
        with transaction.atomic():
            organisation, created = Organisation.objects.get_or_create(
                name=options["organisation"], defaults={"kind": options["kind"]})
            if organisation.kind != options["kind"]:
                raise CommandError(f"organisation {organisation.name!r} is a {organisation.kind}, "
                                   f"not a {options['kind']}")
            user, _ = get_user_model().objects.get_or_create(username=options["username"])
            user.email = options["email"]
            user.set_password(password)
            user.save()
            Membership.objects.update_or_create(user=user, defaults={"organisation": organisation})
        self.stdout.write(f"user {user.username}: {organisation.kind} of {organisation.name}"
                          + (" (organisation created)" if created else ""))
