"""Rebuild the facts projection from the records' signed bytes (after an upgrade, or for records without facts),
then the device rows derived from the facts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from registry.core.models import Record
from registry.lots import devices
from registry.lots.projection import project


class Command(BaseCommand):
    help = ("Project every record (or only those without facts) into the portal's facts table, then derive the "
            "device rows again (every lot's with --all, else those of the lots holding the records projected).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="rebuild every record's facts, not only missing ones")

    def handle(self, *args: Any, **options: Any) -> None:
        records = Record.objects.all() if options["all"] else Record.objects.filter(facts__isnull=True)
        done = unreadable = 0
        projected: list[int] = []
        for record in records.iterator(chunk_size=500):
            if project(record) is None:
                unreadable += 1
            else:
                done += 1
                projected.append(record.pk)
        self.stdout.write(f"facts: {done} projected, {unreadable} unreadable")
        if options["all"]:
            count, groups = devices.rebuild_all()
        else:
            with transaction.atomic():
                found = devices.groups(Record.objects.filter(pk__in=projected))
                count, groups = sum(devices.rebuild(org, ref) for org, ref in found), len(found)
        self.stdout.write(f"devices: {count} derived from {groups} lot references")
