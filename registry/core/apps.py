from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "registry.core"
    label = "core"
    verbose_name = "Registry"
    default_auto_field = "django.db.models.BigAutoField"
