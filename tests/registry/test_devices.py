"""The per-device rows the lot page and the dashboard read: kept current by each upload and each revocation, in
their own transaction, and always the rows a derivation from scratch gives (otherwise a page would show a stale
journey to a donor).

Records are real signed bytes (station's own code) sent through the registry's ingest; the retry certificate is
issued by the station library on the same data directory, as a technician redoing a failed erase would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cert_helpers import HDD_FIXTURE, disk_from_smartctl, erased_job, settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from portal_world import World, client, upload
from station_lot import LAPTOP_SERIAL, NVME_SERIAL, StationLot, build

from registry.accounts.models import Membership
from registry.accounts.roles import Role, Scope
from registry.core import secrets
from registry.core.models import Organisation, Record, Station
from registry.lots import devices
from registry.lots.models import Lot, LotDevice
from registry.pages import dashboard
from station.certify.certificate import IssuedCertificate
from station.certify.issue import issue
from station.detect.disk import DiskKind
from station.inventory.dmi import HostIdentity

LOT = "LOT-2025-01"


def rows(organisation: Organisation, reference: str = LOT) -> dict[str, dict[str, Any]]:
    """The group's rows as the pages read them (no ids: a rebuild makes new ones)."""
    found = LotDevice.objects.filter(organisation=organisation, lot_reference=reference).values()
    return {r["key"]: {k: v for k, v in r.items() if k != "id"} for r in found}


def assert_as_derived_from_scratch(organisation: Organisation) -> dict[str, dict[str, Any]]:
    """The rows each upload left are exactly those a full derivation of the group gives."""
    kept = rows(organisation)
    with transaction.atomic():
        devices.rebuild(organisation.pk, LOT)
        assert rows(organisation) == kept
        transaction.set_rollback(True)
    return kept


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[StationLot, Organisation, Lot, str]]:
    """A station data directory of this test's own (it issues more), enrolled at a new refurbisher; rolled back."""
    built = build(tmp_path, LOT)
    with transaction.atomic():
        atelier = Organisation.objects.create(name="Atelier des lignes (test)", kind="refurbisher")
        donor = Organisation.objects.create(name="Commune des lignes (test)", kind="donor")
        lot = Lot.objects.create(donor=donor, refurbisher=atelier, reference=LOT, expected_devices=2)
        token = secrets.new_token()
        Station.objects.create(organisation=atelier, name="poste-1", public_key_pem=built.key.public.public_pem()
                               .decode(), fingerprint=built.key.public.fingerprint, token_hash=secrets.digest(token))
        yield built, atelier, lot, token
        transaction.set_rollback(True)


def _cert(token: str, issued: IssuedCertificate) -> None:
    upload(token, "certificate", issued.certificate_id, issued.json_path.read_bytes(), issued.sig_path.read_bytes(),
           issued.pdf_path.read_bytes(), None)


def test_each_upload_moves_its_devices_journey(fresh: tuple[StationLot, Organisation, Lot, str]) -> None:
    built, atelier, lot, token = fresh
    # the NVMe's certificate before its machine's audit: a drive on its own, erased, nothing decided yet
    _cert(token, built.erased)
    drive = assert_as_derived_from_scratch(atelier)[f"drive:{NVME_SERIAL}"]
    assert (drive["stage"], drive["outcome"], drive["audit_id"], drive["drives_done"]) == ("erased", "pending", "", 1)
    # the audit listing that drive: the loose drive's row goes, the machine's row holds it and reaches reuse
    upload(token, "audit", built.audit_id, built.audit_json, built.audit_sig, None, LOT)
    found = assert_as_derived_from_scratch(atelier)
    assert set(found) == {f"machine:{LAPTOP_SERIAL}"}
    machine = found[f"machine:{LAPTOP_SERIAL}"]
    assert (machine["stage"], machine["outcome"], machine["verdict"]) == ("erased", "reuse", "reuse-with-warnings")
    assert [d["serial"] for d in machine["drives"]] == [NVME_SERIAL]
    # the HDD fails on a rack bay: a device of its own that must not leave
    _cert(token, built.failed)
    hdd_serial = built.failed.certificate.media.serial
    hdd = assert_as_derived_from_scratch(atelier)[f"drive:{hdd_serial}"]
    assert (hdd["stage"], hdd["outcome"], hdd["attention"], hdd["drives_failed"]) == ("blocked", "not-erased",
                                                                                       True, 1)
    # redone with success: the same row now says erased, second attempt, and the page and dashboard follow
    reader = User.objects.create_user("lignes")
    Membership.objects.create(user=reader, organisation=lot.donor)
    url = reverse("pages:lot", args=[lot.pk])
    html = client(reader, "en").get(url).content.decode()
    assert 'data-count="blocked">1<' in html and "FAILED" in html
    hdd_disk = disk_from_smartctl(HDD_FIXTURE, DiskKind.HDD, name="sdc", bay="3")
    retry = issue(erased_job("20250315T090000Z-0003", hdd_disk), built.datadir, replace(settings(), lot=LOT), None,
                  {"smartctl.json": HDD_FIXTURE.read_bytes()}, "fr", key=built.key)
    _cert(token, retry)
    hdd = assert_as_derived_from_scratch(atelier)[f"drive:{hdd_serial}"]
    assert (hdd["stage"], hdd["attention"], hdd["drives_done"], hdd["drives_failed"]) == ("erased", False, 1, 0)
    assert hdd["drives"][0]["attempts"] == 2 and hdd["drives"][0]["result"] == "erased"
    html = client(reader, "en").get(url).content.decode()
    assert 'data-count="blocked">0<' in html and "FAILED" not in html and "(2×)" in html
    figures = {o.name: o for o in dashboard.figures(Scope(Role.REFURBISHER, atelier)).per_org}[atelier.name]
    assert (figures.drives_erased, figures.drives_failed, figures.reused) == (2, 0, 1)


def test_revocation_shows_on_every_device_of_the_station_and_its_undoing_too(world: World) -> None:
    atelier = world.lot.refurbisher
    url = reverse("pages:lot", args=[world.lot.pk])
    before = rows(atelier)
    assert {k: r["flags"] for k, r in before.items()} == {f"machine:{LAPTOP_SERIAL}": [],
                                                           f"drive:{world.station_lot.failed.certificate.media.serial}":
                                                           ["chain-gap"]}
    assert client(world.donor, "en").get(url).content.decode().count("station revoked") == 0
    call_command("revoke_station", world.station.fingerprint, "--reason", "stolen", stdout=_Null())
    revoked = rows(atelier)
    assert all("revoked-station" in r["flags"] and r["attention"] for r in revoked.values())
    html = client(world.donor, "en").get(url).content.decode()
    assert html.count("station revoked") == 2 and 'data-count="flagged">2<' in html
    # an administrator undoing it (the admin saves the whole station): the flags go, the chain gap stays
    station = Station.objects.get(pk=world.station.pk)
    station.revoked_at = None
    station.save()
    assert rows(atelier) == before
    assert client(world.donor, "en").get(url).content.decode().count("station revoked") == 0


class _Null:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def test_drives_erased_in_one_computer_join_only_once_it_is_audited(
        fresh: tuple[StationLot, Organisation, Lot, str]) -> None:
    """Every certificate names the computer its drive was erased in (a rack station: its own); until that computer
    is audited those drives are devices of their own and an upload must not re-derive the others."""
    built, atelier, _lot, token = fresh
    laptop = HostIdentity("LENOVO", "ThinkPad T480", LAPTOP_SERIAL, True)
    second = issue(erased_job("20250314T110000Z-0003", disk_from_smartctl(HDD_FIXTURE, DiskKind.HDD, name="sdc")),
                   built.datadir, replace(settings(), lot=LOT), laptop, {"smartctl.json": HDD_FIXTURE.read_bytes()},
                   "fr", key=built.key)
    hdd_serial = second.certificate.media.serial
    _cert(token, built.erased)
    _cert(token, second)
    stored = Record.objects.get(record_id=second.certificate_id)
    assert [e.facts.record_id for e in devices.linked(atelier.pk, LOT, stored.pk)] == [second.certificate_id]
    assert set(assert_as_derived_from_scratch(atelier)) == {f"drive:{NVME_SERIAL}", f"drive:{hdd_serial}"}
    # the laptop's audit lists the NVMe only; the HDD joins it through the computer its certificate names
    upload(token, "audit", built.audit_id, built.audit_json, built.audit_sig, None, LOT)
    found = assert_as_derived_from_scratch(atelier)
    assert set(found) == {f"machine:{LAPTOP_SERIAL}"}
    assert [d["serial"] for d in found[f"machine:{LAPTOP_SERIAL}"]["drives"]] == [NVME_SERIAL, hdd_serial]
