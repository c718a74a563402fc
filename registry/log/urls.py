"""C2SP tlog-tiles under /log/ (docs/registry-api.md)."""

from __future__ import annotations

from django.urls import URLPattern, path

from registry.log import views

urlpatterns: list[URLPattern] = [
    path("checkpoint", views.checkpoint),
    path("tile/<path:path>", views.tile),
]
