"""Rebuild the facts projection from the records' signed bytes (after an upgrade, or for records without facts)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from registry.core.models import Record
from registry.lots.projection import project


class Command(BaseCommand):
    help = "Project every record (or only those without facts) into the portal's facts table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="rebuild every record's facts, not only missing ones")

    def handle(self, *args: Any, **options: Any) -> None:
        records = Record.objects.all() if options["all"] else Record.objects.filter(facts__isnull=True)
        done = unreadable = 0
        for record in records.iterator(chunk_size=500):
            if project(record) is None:
                unreadable += 1
            else:
                done += 1
        self.stdout.write(f"facts: {done} projected, {unreadable} unreadable")
