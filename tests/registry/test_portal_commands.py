"""The portal's management commands for scripted set-up: add_user, add_lot, refresh_facts."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from portal_world import World

from registry.lots.models import Lot, LotDevice, RecordFacts


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_add_user_creates_organisation_membership_and_password(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEW_PW", "a long enough password")
    said = _run("add_user", "nouvelle", "--organisation", "Commune Nouvelle (test)", "--kind", "donor",
                "--password-env", "NEW_PW")
    assert "organisation created" in said
    user = authenticate(username="nouvelle", password="a long enough password")
    assert user is not None and user.membership.organisation.kind == "donor"  # type: ignore[union-attr]
    with pytest.raises(CommandError, match="is a donor, not a refurbisher"):
        _run("add_user", "x", "--organisation", "Commune Nouvelle (test)", "--kind", "refurbisher",
             "--password-env", "NEW_PW")
    with pytest.raises(CommandError, match="empty or not set"):
        _run("add_user", "y", "--organisation", "Z", "--kind", "donor", "--password-env", "UNSET_PW_VARIABLE")


def test_add_lot_resolves_organisations_by_kind_and_refuses_duplicates(world: World) -> None:
    donor, refurbisher = world.lot.donor.name, world.lot.refurbisher.name
    _run("add_lot", "LOT-CMD-1", "--donor", donor, "--refurbisher", refurbisher, "--expected", "12",
         "--received", "2025-05-02")
    lot = Lot.objects.get(reference="LOT-CMD-1")
    assert (lot.expected_devices, str(lot.received_on), lot.donor.name) == (12, "2025-05-02", donor)
    with pytest.raises(CommandError, match="already has a lot"):
        _run("add_lot", "LOT-CMD-1", "--donor", donor, "--refurbisher", refurbisher)
    with pytest.raises(CommandError, match="no refurbisher organisation"):
        _run("add_lot", "LOT-CMD-2", "--donor", donor, "--refurbisher", donor)


def test_refresh_facts_rebuilds_the_projection_from_the_signed_bytes(world: World) -> None:
    erased = world.records["erased"]
    assert RecordFacts.objects.filter(record=erased).update(drive_serial="wrong") == 1
    said = _run("refresh_facts", "--all")
    assert re.fullmatch(r"facts: [1-9]\d* projected, 0 unreadable\n"
                        r"devices: [1-9]\d* derived from [1-9]\d* lot references\n", said)
    assert RecordFacts.objects.get(record=erased).drive_serial == world.station_lot.erased.certificate.media.serial


def _device_rows(world: World) -> dict[str, dict[str, object]]:
    found = LotDevice.objects.filter(organisation=world.lot.refurbisher, lot_reference=world.lot.reference).values()
    return {r["key"]: {k: v for k, v in r.items() if k != "id"} for r in found}


def test_refresh_facts_derives_the_same_device_rows_again(world: World) -> None:
    """The rows are derived data: whatever became of them, the command makes the ones ingest had made."""
    made_at_ingest = _device_rows(world)
    assert len(made_at_ingest) == 2
    group = LotDevice.objects.filter(organisation=world.lot.refurbisher, lot_reference=world.lot.reference)
    group.filter(stage="blocked").update(stage="erased", outcome="reuse", attention=False)
    group.filter(stage="erased", audit_id__gt="").delete()
    LotDevice.objects.create(organisation=world.lot.refurbisher, lot_reference=world.lot.reference, key="drive:GHOST",
                             stage="erased", outcome="pending")
    assert _device_rows(world) != made_at_ingest
    assert re.search(r"^devices: [1-9]\d* derived", _run("refresh_facts", "--all"), re.MULTILINE)
    assert _device_rows(world) == made_at_ingest
    # without --all: only the records missing their facts, and the lots holding them
    RecordFacts.objects.filter(record=world.records["audit"]).delete()
    group.delete()
    assert _run("refresh_facts") == "facts: 1 projected, 0 unreadable\ndevices: 2 derived from 1 lot references\n"
    assert _device_rows(world) == made_at_ingest
