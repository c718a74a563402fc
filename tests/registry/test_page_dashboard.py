"""The programme dashboard: figures from real records and lots, scoped by role, with its SVG charts."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from portal_world import World, client, upload
from station_lot import StationLot

from registry.accounts.roles import scope_of
from registry.core import secrets
from registry.core.models import Organisation, Station
from registry.lots.models import Lot
from registry.pages import dashboard


def test_coordinator_figures_count_machines_drives_and_lots(world: World) -> None:
    """Exact for this test's refurbisher (other tests may have committed their own organisations' records)."""
    f = dashboard.figures(scope_of(world.coordinator))
    atelier = next(o for o in f.per_org if o.name == world.lot.refurbisher.name)
    assert (atelier.received, atelier.reused, atelier.parts, atelier.recycled, atelier.drives_erased,
            atelier.drives_failed) == (7, 1, 0, 0, 1, 1)  # received: the two lots' expected devices
    assert f.reused >= 1 and f.drives_failed >= 1 and f.received >= 7
    mine = dashboard.figures(scope_of(world.refurbisher))
    assert (mine.audited, mine.reused, mine.drives_erased, mine.drives_failed, mine.received) == (1, 1, 1, 1, 7)
    months = {m.month: m for m in mine.per_month}
    assert months["2025-03"].audited == 1  # the audit's date; certificates count in the month they were issued
    assert sum(m.drives_erased for m in mine.per_month) == 1


def test_scopes(world: World) -> None:
    donor = dashboard.figures(scope_of(world.donor))
    assert (donor.received, donor.drives_erased, donor.reused) == (2, 1, 1)
    other = dashboard.figures(scope_of(world.other_donor))
    assert (other.received, other.drives_erased, other.audited) == (5, 0, 0)
    envie = dashboard.figures(scope_of(world.other_refurbisher))
    assert (envie.received, envie.drives_erased, envie.audited) == (0, 0, 0)


def test_page_draws_charts_and_lists_only_visible_lots(world: World) -> None:
    page = client(world.donor, "en").get(reverse("pages:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") == 3 and "Progress toward 20000 devices" in html
    assert "LOT-2025-01" in html and "LOT-B" not in html
    assert "New lot" not in html  # donors do not create lots
    assert "New lot" in client(world.coordinator, "en").get(reverse("pages:dashboard")).content.decode()
    assert re.search(r"Drives erased<b>1</b>", html)


def test_no_role_and_anonymous(world: World) -> None:
    assert client(world.stranger).get(reverse("pages:dashboard")).status_code == 404
    assert client().get(reverse("pages:dashboard")).status_code == 302


def test_a_machine_counts_reused_only_once_its_drive_is_erased(station_files: StationLot) -> None:
    """The dashboard says what the lot page and the donor's attestation say: a machine audited for reuse whose
    drive has no certificate yet is audited, not reused; its drive's certificate makes it reused."""
    built = station_files
    with transaction.atomic():
        atelier = Organisation.objects.create(name="Atelier Seul (test)", kind="refurbisher")
        Lot.objects.create(donor=Organisation.objects.create(name="Donateur (test)", kind="donor"),
                           refurbisher=atelier, reference="LOT-2025-01", expected_devices=1)
        token = secrets.new_token()
        public = built.key.public
        Station.objects.create(organisation=atelier, name="poste-1", public_key_pem=public.public_pem().decode(),
                               fingerprint=public.fingerprint, token_hash=secrets.digest(token))
        coordinator = scope_of(_coordinator())

        def mine() -> dashboard.OrgFigures:
            return next(o for o in dashboard.figures(coordinator).per_org if o.name == atelier.name)

        upload(token, "audit", built.audit_id, built.audit_json, built.audit_sig, None, "LOT-2025-01")
        audited = mine()
        assert (audited.reused, audited.drives_erased) == (0, 0)
        assert sum(m.audited for m in dashboard.figures(coordinator).per_month) >= 1
        upload(token, "certificate", built.erased.certificate_id, built.erased.json_path.read_bytes(),
               built.erased.sig_path.read_bytes(), built.erased.pdf_path.read_bytes(), None)
        erased = mine()
        assert (erased.reused, erased.drives_erased) == (1, 1)
        transaction.set_rollback(True)


def _coordinator() -> User:
    return User.objects.create_superuser("coord-alone")
