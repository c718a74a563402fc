"""Technique choice and honest labels, on capabilities parsed from real outputs."""

from __future__ import annotations

import pytest
from purge_helpers import fixture, make_disk, nvme_id_ctrl

from station.detect.disk import DiskKind
from station.erase.purge import capabilities as cap
from station.erase.purge.choose import PlanError, Technique, choose


def ata_caps(rel: str, sanitize_frozen: bool | None = None) -> cap.PurgeCapabilities:
    ident = cap.parse_hdparm_identify(fixture(rel))
    assert ident is not None
    if sanitize_frozen is not None:
        ident = cap._with_sanitize_frozen(ident, sanitize_frozen)
    return cap.PurgeCapabilities("/dev/sda", "ata", ata=ident)


def nvme_caps(rel: str) -> cap.PurgeCapabilities:
    return cap.PurgeCapabilities("/dev/nvme0n1", "nvme", nvme=nvme_id_ctrl(fixture(rel)))


NVME = make_disk("/dev/nvme0n1", DiskKind.NVME, "nvme")
SSD = make_disk()
HDD = make_disk(kind=DiskKind.HDD)


def test_nvme_gets_strongest_sanitize_and_namespace_warning() -> None:
    c = choose(NVME, nvme_caps("nvme/id-ctrl-H-samsung-pm1733-mzwlj7t6hala.txt"), "purge")
    assert c.technique is Technique.NVME_SANITIZE_BLOCK and c.nist_category == "purge"
    assert c.ieee2883 == "block-erase" and c.command_family == "nvme-sanitize"
    assert any("32 namespaces" in w for w in c.warnings)


def test_nvme_without_sanicap_falls_back_to_clear_and_says_why() -> None:
    c = choose(NVME, nvme_caps("nvme/id-ctrl-H-intel-optane-m10-mempek1j016gal.txt"), "purge")
    assert c.technique is Technique.HOST_OVERWRITE and c.nist_category == "clear"
    assert "does not support any SANITIZE" in c.reason
    assert any("spare" in w for w in c.warnings) and any("nvme-format-user-data" in w for w in c.warnings)


def test_security_frozen_ssd_still_gets_sanitize() -> None:
    # a security freeze does not block SANITIZE; only a sanitize freeze lock (SD1) does
    c = choose(SSD, ata_caps("hdparm/sata-ssd-tesla-2tb-frozen-sanitize-block-erase.txt"), "purge")
    assert c.technique is Technique.ATA_SANITIZE_BLOCK and c.nist_category == "purge"


def test_sanitize_frozen_ssd_falls_back_with_replug_advice() -> None:
    caps = ata_caps("hdparm/sata-ssd-tesla-2tb-frozen-sanitize-block-erase.txt", sanitize_frozen=True)
    c = choose(SSD, caps, "purge")
    assert c.technique is Technique.HOST_OVERWRITE and "frozen" in c.reason and "replug" in c.reason


def test_ssd_without_sanitize_is_clear_even_with_security_erase() -> None:
    c = choose(SSD, ata_caps("hdparm/sata-ssd-intel-ssdsc2kw512g8-frozen-tabs.txt"), "purge")
    assert c.technique is Technique.HOST_OVERWRITE and c.nist_category == "clear"


def test_hdd_purge_is_overwrite_plus_sanitize_overwrite() -> None:
    caps = ata_caps("hdparm/sata-hdd-hgst-huh721212ale600-not-frozen-sanitize-crypto-overwrite.txt")
    c = choose(HDD, caps, "purge")
    assert c.technique is Technique.ATA_SANITIZE_OVERWRITE and c.host_overwrite_first
    assert c.nist_category == "purge"
    assert choose(HDD, caps, "clear").technique is Technique.HOST_OVERWRITE


def test_hdd_without_sanitize_overwrite_is_clear_with_warning() -> None:
    c = choose(HDD, ata_caps("hdparm/sata-ssd-intel-ssdsc2kw512g8-frozen-tabs.txt"), "purge")
    assert c.technique is Technique.HOST_OVERWRITE and any("Purge requested but" in w for w in c.warnings)


def test_usb_bridge_unknown_is_clear_with_reason() -> None:
    caps = cap.PurgeCapabilities("/dev/sdc", "none", unknown=cap.UnknownReason.USB_BRIDGE,
                                 detail="the USB enclosure does not pass ATA commands through")
    c = choose(make_disk("/dev/sdc", bus="usb"), caps, "purge")
    assert c.technique is Technique.HOST_OVERWRITE and "usb-bridge" in c.reason


def test_named_clear_techniques_are_labelled_clear() -> None:
    caps = nvme_caps("nvme/id-ctrl-H-tforce-tm8fpl500g-sanicap-block-erase.txt")
    c = choose(NVME, caps, "nvme-format-user-data")
    assert c.nist_category == "clear" and c.technique is Technique.NVME_FORMAT_USER_DATA
    assert any("counts as Clear" in w for w in c.warnings)
    ata = ata_caps("hdparm/sata-hdd-hgst-huh721212ale600-not-frozen-sanitize-crypto-overwrite.txt")
    assert choose(HDD, ata, "ata-secure-erase").nist_category == "clear"


@pytest.mark.parametrize(("rel", "disk", "named", "offers"), [
    # the T-Force's SANICAP offers block erase only; its FNA has no crypto erase in Format
    ("nvme/id-ctrl-H-tforce-tm8fpl500g-sanicap-block-erase.txt", NVME, "nvme-sanitize-crypto",
     "nvme-sanitize-block, nvme-format-user-data"),
    ("nvme/id-ctrl-H-tforce-tm8fpl500g-sanicap-block-erase.txt", NVME, "nvme-format-crypto",
     "nvme-sanitize-block, nvme-format-user-data"),
    ("nvme/id-ctrl-H-intel-optane-m10-mempek1j016gal.txt", NVME, "nvme-sanitize-block", "nvme-format-user-data"),
    ("hdparm/sata-ssd-intel-ssdsc2kw512g8-frozen-tabs.txt", SSD, "ata-sanitize-block",
     "ata-secure-erase, ata-secure-erase-enhanced"),
    ("hdparm/sata-hdd-hgst-huh721212ale600-not-frozen-sanitize-crypto-overwrite.txt", HDD, "ata-sanitize-block",
     "ata-sanitize-crypto, ata-sanitize-overwrite, ata-secure-erase"),  # "not supported: enhanced erase"
])
def test_named_technique_the_drive_does_not_advertise_is_refused_with_what_it_offers(
        rel: str, disk: object, named: str, offers: str) -> None:
    caps = nvme_caps(rel) if rel.startswith("nvme/") else ata_caps(rel)
    assert isinstance(disk, type(NVME))
    with pytest.raises(PlanError, match="does not advertise") as refused:
        choose(disk, caps, named)
    assert refused.value.notice.param("offers") == offers
    assert f"{disk.name} does not advertise {named}" in str(refused.value)


def test_refusal_is_in_the_plan_not_a_purge_with_a_warning() -> None:
    from purge_helpers import ScriptedRunner, host_with

    from station.erase.plan import plan_purge

    runner = ScriptedRunner().on("nvme id-ctrl -H /dev/nvme0n1",
                                 (0, fixture("nvme/id-ctrl-H-intel-optane-m10-mempek1j016gal.txt"), ""))
    plan = plan_purge(host_with(runner), [NVME], "nvme-sanitize-block", "full")
    [action] = plan.actions
    assert not action.runnable and action.choice is None
    assert action.refusal is not None and "does not advertise nvme-sanitize-block" in action.refusal
    assert "offers: nvme-format-user-data" in action.refusal


def test_named_technique_for_unknown_scsi_support_is_allowed_with_warning() -> None:
    caps = cap.PurgeCapabilities("/dev/sdb", "scsi", unknown=cap.UnknownReason.COMMAND_FAILED, detail="x")
    c = choose(make_disk("/dev/sdb", DiskKind.HDD, "scsi"), caps, "scsi-format-unit")
    assert c.technique is Technique.SCSI_FORMAT_UNIT and c.nist_category == "clear"
    assert any("unknown" in w for w in c.warnings)


def test_wrong_family_and_unknown_names_are_refused() -> None:
    with pytest.raises(PlanError, match="NVME command"):
        choose(SSD, ata_caps("hdparm/sata-ssd-intel-ssdsc2kw512g8-frozen-tabs.txt"), "nvme-sanitize-block")
    with pytest.raises(PlanError, match="unknown erase technique"):
        choose(SSD, ata_caps("hdparm/sata-ssd-intel-ssdsc2kw512g8-frozen-tabs.txt"), "degauss")
    virt = cap.PurgeCapabilities("/dev/vda", "none", unknown=cap.UnknownReason.VIRTUAL, detail="virtio disk")
    with pytest.raises(PlanError, match="virtio"):
        choose(make_disk("/dev/vda", DiskKind.VIRTUAL, "virtio"), virt, "ata-sanitize-block")


@pytest.mark.parametrize(("rel", "technique", "overwrite_first"), [
    ("hdparm/sata-hdd-hgst-huh721212ale600-not-frozen-sanitize-crypto-overwrite.txt",
     Technique.ATA_SANITIZE_OVERWRITE, True),  # "Nominal Media Rotation Rate: 7200": an HDD
    ("hdparm/sata-ssd-tesla-2tb-frozen-sanitize-block-erase.txt", Technique.ATA_SANITIZE_BLOCK, False),
])
def test_media_unknown_to_detection_is_decided_by_the_drive_identify(rel: str, technique: Technique,
                                                                     overwrite_first: bool) -> None:
    unknown = make_disk(kind=DiskKind.UNKNOWN)
    assert unknown.solid_state is None
    c = choose(unknown, ata_caps(rel), "purge")
    assert c.technique is technique and c.host_overwrite_first is overwrite_first
    assert not any("media type unknown" in w for w in c.warnings)


def test_hdparm_rotation_rate_that_is_no_rate_stays_unknown() -> None:
    text = fixture("hdparm/sata-hdd-hgst-huh721212ale600-not-frozen-sanitize-crypto-overwrite.txt")
    for odd in ("Unknown", "1", "65535", "-7200"):
        ident = cap.parse_hdparm_identify(text.replace("Nominal Media Rotation Rate: 7200",
                                                       f"Nominal Media Rotation Rate: {odd}"))
        assert ident is not None and ident.solid_state is None
