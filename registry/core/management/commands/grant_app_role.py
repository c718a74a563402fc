"""`python -m registry grant_app_role ROLE`: what the web processes may do, run by the owner after migrate.

The app role reads and writes the registry's tables but cannot UPDATE, DELETE or TRUNCATE the log, its
checkpoints or the quarantine, nor DELETE records: the second lock beside the triggers of migration 0002.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

APPEND_ONLY = ("core_logentry", "core_logsubtree", "core_checkpoint", "core_quarantine")


class Command(BaseCommand):
    help = "Grant the app role its rights (no UPDATE/DELETE on the log tables); run as the tables' owner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role")

    def handle(self, *args: Any, **options: Any) -> None:
        role = connection.ops.quote_name(options["role"])
        statements = [
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            *(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {role}" for table in APPEND_ONLY),
            f"REVOKE DELETE, TRUNCATE ON core_record FROM {role}",
        ]
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"granted {options['role']}: no UPDATE/DELETE on {', '.join(APPEND_ONLY)}")
