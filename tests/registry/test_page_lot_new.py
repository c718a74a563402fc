"""Creating a lot: coordinators only, labelled form, a duplicate reference for the same refurbisher refused."""

from __future__ import annotations

from django.urls import reverse
from portal_world import World, client

from registry.lots.models import Lot


def _form(world: World, reference: str) -> dict[str, object]:
    return {"reference": reference, "donor": world.lot.donor.pk, "refurbisher": world.lot.refurbisher.pk,
            "expected_devices": 40, "received_on": "2025-04-02"}


def test_coordinator_creates_a_lot(world: World) -> None:
    c = client(world.coordinator, "en")
    form = c.get(reverse("pages:lot-new")).content.decode()
    for field in ("reference", "donor", "refurbisher", "expected_devices", "received_on"):
        assert f'<label for="id_{field}">' in form
    answer = c.post(reverse("pages:lot-new"), _form(world, "LOT-2025-07"))
    lot = Lot.objects.get(reference="LOT-2025-07")
    assert answer.status_code == 302 and answer["Location"] == reverse("pages:lot", args=[lot.pk])
    assert (lot.expected_devices, lot.received_on.isoformat()) == (40, "2025-04-02")  # type: ignore[union-attr]


def test_duplicate_reference_is_refused_with_a_message(world: World) -> None:
    page = client(world.coordinator, "en").post(reverse("pages:lot-new"), _form(world, "LOT-2025-01"))
    assert page.status_code == 200 and "already has a lot with this reference" in page.content.decode()


def test_others_cannot_create(world: World) -> None:
    for user in (world.donor, world.refurbisher, world.stranger):
        assert client(user).post(reverse("pages:lot-new"), _form(world, "X")).status_code == 404
    assert not Lot.objects.filter(reference="X").exists()
