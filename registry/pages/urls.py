from __future__ import annotations

from django.urls import URLPattern, path, re_path

from registry.pages import views

app_name = "pages"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("lots/new/", views.lot_new, name="lot-new"),
    path("lots/<int:pk>/", views.lot_page, name="lot"),
    re_path(r"^lots/(?P<pk>[0-9]+)/attestation\.(?P<fmt>csv|pdf-fr|pdf-en)$", views.lot_attestation,
            name="lot-attestation"),
    path("records/<int:pk>.json", views.record_json, name="record-json"),
    path("records/<int:pk>.json.sig", views.record_sig, name="record-sig"),
    path("records/<int:pk>.pdf", views.record_pdf, name="record-pdf"),
    path("search/", views.search, name="search"),
    path("verify/", views.verify, name="verify"),
    path("v/<str:record_id>", views.verify_record, name="verify-record"),
]
