"""Top-level routes: the stations' API, the log's read side (C2SP tlog-tiles) and the admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", include("registry.api.urls")),
    path("log/", include("registry.log.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("registry.pages.urls")),
]
