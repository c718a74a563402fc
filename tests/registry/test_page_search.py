"""Search by drive or machine serial, within what the user may see."""

from __future__ import annotations

from django.urls import reverse
from portal_world import World, client
from station_lot import LAPTOP_SERIAL, NVME_SERIAL


def _found(user: object, q: str) -> str:
    page = client(user, "en").get(reverse("pages:search"), {"q": q})  # type: ignore[arg-type]
    assert page.status_code == 200
    return page.content.decode()


def test_drive_serial_finds_its_certificate_and_the_audit_listing_it(world: World) -> None:
    html = _found(world.donor, NVME_SERIAL.lower())
    assert "2 records" in html
    assert world.records["erased"].record_id in html and world.records["audit"].record_id in html
    assert reverse("pages:lot", args=[world.lot.pk]) in html


def test_machine_serial_finds_audit_and_certificates_erased_in_it(world: World) -> None:
    html = _found(world.coordinator, LAPTOP_SERIAL)
    assert world.records["audit"].record_id in html and world.records["erased"].record_id in html


def test_other_donor_finds_nothing(world: World) -> None:
    assert "0 records" in _found(world.other_donor, NVME_SERIAL)
    assert "0 records" in _found(world.other_refurbisher, LAPTOP_SERIAL)
