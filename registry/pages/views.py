"""Pages for people: rendered on the server, usable without JavaScript, every query scoped by the user's role."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from registry.accounts.roles import Role, Scope, lot_or_404, lots, records, scope_of
from registry.core.models import Record
from registry.lots import devices
from registry.lots.models import RecordFacts
from registry.lots.projection import lot_version
from registry.pages import attest, charts, dashboard, verification
from registry.pages.forms import LotForm, SearchForm, VerifyForm
from registry.pages.lot_table import rows

PROGRAMME_TARGET = 20000
LOT_PAGE_SIZE = 500  # devices per lot page: a usual donation (a few hundred) is one page


def _member(request: HttpRequest) -> Scope:
    """The scope of a logged-in member; a login without a role sees nothing here (404, like a guessed URL)."""
    scope = scope_of(request.user)
    if scope.role is Role.NONE:
        raise Http404("no role")
    return scope


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("pages:verify"))
    scope = scope_of(request.user)
    if scope.role is Role.NONE:
        return render(request, "pages/no_role.html")
    return HttpResponseRedirect(reverse("pages:dashboard"))


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    scope = _member(request)
    key = (f"dashboard:{scope.role}:{scope.organisation.pk if scope.organisation else 0}:"
           f"{dashboard.version()}")
    f = cache.get(key)
    if f is None:
        f = dashboard.figures(scope)
        cache.set(key, f, 60)  # the version catches uploads, revocations and new lots; 60 s bounds an admin edit
    target = int(getattr(settings, "REGISTRY_PROGRAMME_TARGET", PROGRAMME_TARGET))
    months = [m.month for m in f.per_month]
    context = {
        "scope": scope, "f": f, "target": target,
        "progress_svg": charts.progress(_("Progress toward the programme's target"), f.decided, target,
                                        caption=_("Devices with an outcome (reused, parts, recycled)")),
        "month_svg": charts.grouped_bars(_("Per month"), months, [
            charts.Series(_("received"), charts.GREY, tuple(m.received for m in f.per_month)),
            charts.Series(_("audited"), charts.BLUE, tuple(m.audited for m in f.per_month)),
            charts.Series(_("drives erased"), charts.GREEN, tuple(m.drives_erased for m in f.per_month))]),
        "org_svg": charts.stacked_rows(_("Per refurbisher"), [o.name for o in f.per_org], [
            charts.Series(_("reused"), charts.GREEN, tuple(o.reused for o in f.per_org)),
            charts.Series(_("parts"), charts.ORANGE, tuple(o.parts for o in f.per_org)),
            charts.Series(_("recycled"), charts.GREY, tuple(o.recycled for o in f.per_org))]),
        "lots": lots(scope)[:200],
    }
    return render(request, "pages/dashboard.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def lot_new(request: HttpRequest) -> HttpResponse:
    scope = _member(request)
    if not scope.can_manage_lots:
        raise Http404("only coordinators create lots")
    form = LotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        lot = form.save()
        return HttpResponseRedirect(reverse("pages:lot", args=[lot.pk]))
    return render(request, "pages/lot_new.html", {"form": form, "scope": scope})


@login_required
def lot_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Counts of the whole lot, then its devices a page at a time (attention first); every device stays one click
    away on a single page (`?page=all`), as in the attestation's CSV."""
    scope = _member(request)
    lot = lot_or_404(scope, pk)
    size = int(getattr(settings, "REGISTRY_LOT_PAGE_SIZE", LOT_PAGE_SIZE))
    wanted = request.GET.get("page", "1")
    # the device rows are kept current at ingest; what is drawn from them is cached per process, keyed on what
    # would change it (a new upload or a revocation)
    key = f"lot-table:{lot.pk}:{get_language()}:{lot_version(lot)}:{size}:{wanted}"
    cached = cache.get(key)
    if cached is None:
        counts, attention = devices.group_counts(lot.refurbisher_id, lot.reference)
        pages = max(1, -(-counts.devices // size))
        if wanted == "all":
            offset, limit = 0, None
        elif wanted.isdigit() and 1 <= int(wanted) <= pages:
            offset, limit = (int(wanted) - 1) * size, size
        else:
            raise Http404("no such page")
        found = devices.group_devices(lot.refurbisher_id, lot.reference, offset, limit)
        cached = (counts, attention, pages, offset, len(found), str(rows(found)))
        cache.set(key, cached, 3600)
    counts, attention, pages, offset, shown, table = cached
    return render(request, "pages/lot.html", {
        "scope": scope, "lot": lot, "counts": counts, "attention": attention,
        "rows": mark_safe(table),  # built escaped by lot_table.rows
        "pages": pages, "page_numbers": range(1, pages + 1), "current": wanted if wanted == "all" else int(wanted),
        "first": offset + 1 if shown else 0, "last": offset + shown})


@login_required
def lot_attestation(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    scope = _member(request)
    lot = lot_or_404(scope, pk)
    document = attest.build(lot)
    name = f"attestation-{attest.safe_name(lot.reference)}"
    if fmt == "csv":
        response = HttpResponse(attest.csv_bytes(document), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    lang = fmt.removeprefix("pdf-")
    if lang not in ("fr", "en"):
        raise Http404("language")
    response = HttpResponse(attest.pdf_bytes(document, lang), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.{lang}.pdf"'
    return response


def _record_or_404(request: HttpRequest, pk: int) -> Record:
    scope = _member(request)
    return get_object_or_404(records(scope).select_related("station"), pk=pk)


@login_required
def record_json(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record_or_404(request, pk)
    response = HttpResponse(bytes(record.json_bytes), content_type="application/json")
    response["Content-Disposition"] = f'inline; filename="{record.record_id}.json"'
    return response


@login_required
def record_sig(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record_or_404(request, pk)
    response = HttpResponse(bytes(record.signature), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{record.record_id}.json.sig"'
    return response


@login_required
def record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record_or_404(request, pk)
    if not record.pdf_bytes:
        raise Http404("no PDF uploaded with this record")
    response = HttpResponse(bytes(record.pdf_bytes), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{record.record_id}.pdf"'
    return response


@login_required
def search(request: HttpRequest) -> HttpResponse:
    scope = _member(request)
    form = SearchForm(request.GET or None)
    found: list[dict[str, object]] = []
    if form.is_valid():
        q = form.cleaned_data["q"]
        scoped = RecordFacts.objects.filter(record__in=records(scope))
        hits = scoped.filter(Q(drive_serial__iexact=q) | Q(machine_serial__iexact=q) | Q(label_serial__iexact=q)
                             | Q(host_serial__iexact=q) | Q(disk_serials__contains=[q])
                             | Q(disk_serials__contains=[q.upper()]))
        visible = {(lot.refurbisher_id, lot.reference): lot for lot in lots(scope)}
        for row in hits.select_related("record", "record__station").order_by("-issued_at")[:200]:
            key = (row.record.station.organisation_id, row.record.lot_reference)
            found.append({"facts": row, "lot": visible.get(key)})
    return render(request, "pages/search.html", {"scope": scope, "form": form, "found": found})


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Public: drop a certificate PDF or JSON and see which checks hold."""
    form = VerifyForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        document = form.cleaned_data["document"].read(verification.MAX_BYTES + 1)
        sig_file = form.cleaned_data.get("signature")
        signature = sig_file.read(1024) if sig_file else None
        report = verification.check_upload(document, signature, form.cleaned_data["document"].name)
    return render(request, "pages/verify.html", {"form": form, "report": report,
                                                 "scope": scope_of(request.user)})


def verify_record(request: HttpRequest, record_id: str) -> HttpResponse:
    """Public: the page a certificate's QR code names."""
    report = verification.check_stored(record_id)
    if report is None:
        raise Http404("no such record")
    return render(request, "pages/verify.html", {"form": VerifyForm(), "report": report,
                                                 "scope": scope_of(request.user)})

