"""The lot page: counts and per-device table from real records, failures and chain gaps standing out, and
nobody outside the lot's donor, its refurbisher and coordinators sees it (404, as for a lot that does not exist)."""

from __future__ import annotations

import re

from django.urls import reverse
from portal_world import World, client
from station_lot import LAPTOP_SERIAL, NVME_SERIAL

_client = client


def _counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-count="(\w+)">([^<]+)<', html))


def test_donor_sees_their_lot_with_counts_devices_and_links(world: World) -> None:
    page = _client(world.donor, "en").get(reverse("pages:lot", args=[world.lot.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert _counts(html) == {"devices": "2", "audited": "1", "drives_erased": "1 / 2", "reuse": "1", "parts": "0",
                             "recycle": "0", "blocked": "1", "flagged": "1"}
    assert LAPTOP_SERIAL in html and NVME_SERIAL in html and "ThinkPad T480" in html
    erased = world.records["erased"]
    for name in ("record-json", "record-sig", "record-pdf"):
        assert reverse(f"pages:{name}", args=[erased.pk]) in html
    # the failed loose drive comes first, shaded, with its flag
    first = html.index('<tbody class="attention">')
    assert first < html.index(LAPTOP_SERIAL)
    assert "FAILED" in html and "chain gap" in html


def test_page_speaks_french_by_default(world: World) -> None:
    html = _client(world.donor).get(reverse("pages:lot", args=[world.lot.pk])).content.decode()
    assert "Supports effacés" in html and "ÉCHEC" in html and "rupture de chaîne" in html


def test_refurbisher_and_coordinator_see_it(world: World) -> None:
    for user in (world.refurbisher, world.coordinator):
        assert _client(user).get(reverse("pages:lot", args=[world.lot.pk])).status_code == 200


def test_others_get_not_found_even_by_guessing(world: World) -> None:
    url = reverse("pages:lot", args=[world.lot.pk])
    for user in (world.other_donor, world.other_refurbisher, world.stranger):
        assert _client(user).get(url).status_code == 404
    # the other donor's own lot answers, a lot id that does not exist answers exactly the same 404
    assert _client(world.other_donor).get(reverse("pages:lot", args=[world.other_lot.pk])).status_code == 200
    assert _client(world.other_donor).get(reverse("pages:lot", args=[10**9])).status_code == 404
    anonymous = client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_records_of_another_refurbishers_lot_with_the_same_reference_stay_out(world: World) -> None:
    from registry.lots.models import Lot

    twin = Lot.objects.create(donor=world.other_lot.donor, refurbisher=world.other_refurbisher.membership.organisation,
                              reference="LOT-2025-01")
    html = _client(world.coordinator).get(reverse("pages:lot", args=[twin.pk])).content.decode()
    assert _counts(html)["devices"] == "0"


def test_a_big_lot_comes_a_page_at_a_time_with_every_device_one_click_away(world: World) -> None:
    """Pages of REGISTRY_LOT_PAGE_SIZE devices, attention first, counts always of the whole lot; the whole table
    on one page (?page=all) for an auditor who reads or searches it through."""
    from django.test import override_settings

    url = reverse("pages:lot", args=[world.lot.pk])
    donor = _client(world.donor, "en")
    with override_settings(REGISTRY_LOT_PAGE_SIZE=1):
        first, second, every = (donor.get(url + q).content.decode() for q in ("", "?page=2", "?page=all"))
        for html in (first, second, every):
            assert _counts(html)["devices"] == "2" and _counts(html)["blocked"] == "1"
            assert 'href="?page=all"' in html or 'aria-current="page">all 2 devices' in html
        assert '<tbody class="attention">' in first and LAPTOP_SERIAL not in first
        assert "Devices 1 to 1 of 2" in first and 'href="?page=2"' in first
        assert LAPTOP_SERIAL in second and '<tbody class="attention">' not in second
        assert LAPTOP_SERIAL in every and '<tbody class="attention">' in every and "Devices 1 to 2 of 2" in every
        for wrong in ("3", "0", "x", "-1"):
            assert donor.get(url, {"page": wrong}).status_code == 404
    # a lot that fits on one page has no page links
    assert "?page=" not in donor.get(url).content.decode()
