from __future__ import annotations

from django.apps import AppConfig


class LotsConfig(AppConfig):
    name = "registry.lots"
    label = "lots"
    verbose_name = "Lots"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from registry.lots import signals  # noqa: F401  (facts and device rows follow records and revocations)
