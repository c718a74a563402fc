"""Record downloads (JSON, signature, PDF): the exact bytes the station signed, for those who may see them."""

from __future__ import annotations

from django.urls import reverse
from portal_world import World, client


def test_exact_bytes_for_the_lots_donor(world: World) -> None:
    erased, record = world.station_lot.erased, world.records["erased"]
    c = client(world.donor)
    assert c.get(reverse("pages:record-json", args=[record.pk])).content == erased.json_path.read_bytes()
    assert c.get(reverse("pages:record-sig", args=[record.pk])).content == erased.sig_path.read_bytes()
    assert c.get(reverse("pages:record-pdf", args=[record.pk])).content == erased.pdf_path.read_bytes()
    assert c.get(reverse("pages:record-pdf", args=[world.records["audit"].pk])).status_code == 404  # no PDF sent


def test_not_found_for_anyone_else(world: World) -> None:
    record = world.records["erased"]
    for user in (world.other_donor, world.other_refurbisher, world.stranger):
        for name in ("record-json", "record-sig", "record-pdf"):
            assert client(user).get(reverse(f"pages:{name}", args=[record.pk])).status_code == 404
    assert client(world.refurbisher).get(reverse("pages:record-json", args=[record.pk])).status_code == 200
