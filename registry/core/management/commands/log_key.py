"""`python -m registry log_key`: the log's verifier key, to give to stations and independent verifiers."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from registry.log import store


class Command(BaseCommand):
    help = "Print the log's signed-note verifier key (<origin>+<key id>+<base64 key>); makes the key if none."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(store.verifier_key())
