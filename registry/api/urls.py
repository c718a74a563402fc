"""The stations' API under /api/v1/ (docs/registry-api.md)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from registry.api.views import api

urlpatterns: list[URLPattern | URLResolver] = [path("", api.urls)]
