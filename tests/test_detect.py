"""Drive detection on recorded machine profiles (see tests/fixtures/profiles/SOURCES.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.detect.disk import Disk, DiskKind, SerialSource
from station.detect.drives import (
    BayConfigError,
    Detection,
    bay_for,
    detect,
    load_bays,
    mark_duplicates,
    parse_identify,
    serial_doubts,
)
from station.detect.protect import Reason
from station.hw import Host, ReplayRunner

PROFILES = Path(__file__).parent / "fixtures" / "profiles"


def scan(profile: str, **kwargs: object) -> Detection:
    return detect(Host.recorded(PROFILES / profile), **kwargs)  # type: ignore[arg-type]


def by_name(detection: Detection) -> dict[str, Disk]:
    return {d.name: d for d in detection.disks}


def test_laptop_booted_from_usb_key_protects_key_not_nvme() -> None:
    found = by_name(scan("laptop-nvme-usbkey"))
    assert set(found) == {"nvme0n1", "sdb"}  # the empty SD reader (size 0) is left out
    key, nvme = found["sdb"], found["nvme0n1"]
    assert Reason.BOOT_MEDIUM in {p.reason for p in key.protections}
    assert not nvme.protected
    assert nvme.kind is DiskKind.NVME and nvme.bus == "nvme"
    assert nvme.serial.value == "2J2420056403" and nvme.serial.source is SerialSource.UDEV
    assert nvme.serial.trusted
    assert nvme.size_bytes == 1024209543168
    assert nvme.firmware  # from the NVMe controller's sysfs firmware_rev
    assert key.kind is DiskKind.USB_FLASH and key.serial.source is SerialSource.BRIDGE
    assert not key.serial.trusted


def test_sata_hdd_and_ssd_kinds_and_identity() -> None:
    result = scan("desktop-sata-hdd-ssd")
    found = by_name(result)
    assert found["sda"].kind is DiskKind.SSD and found["sda"].rotational is False
    assert found["sdc"].kind is DiskKind.HDD and found["sdc"].rotational is True
    assert found["sda"].wwn == "0x500a07512db99114"
    assert found["sda"].vendor is None  # udev's "ATA" is the SCSI translation layer, not a vendor
    assert found["sda"].model == "CT500MX500SSD1"
    assert "/dev/disk/by-id/ata-CT500MX500SSD1_21122DB99114" in found["sda"].by_id
    assert found["sda"].by_path == "/dev/disk/by-path/pci-0000:00:17.0-ata-1.0"
    skipped = dict(result.skipped)
    assert "sr0" in skipped and "sde" in skipped and "sda1" not in found
    assert not any(d.protected for d in result.disks)


def test_hdd_without_rotation_info_is_unknown_not_guessed() -> None:
    found = by_name(scan("imsm-vmd-raid"))
    assert found["sda"].rotational is None and found["sda"].kind is DiskKind.UNKNOWN


def test_vmd_nvme_in_firmware_raid_is_hinted_and_protected_as_stack_member() -> None:
    found = by_name(scan("imsm-vmd-raid"))
    nvme = found["nvme0n1"]
    assert "behind-intel-vmd" in nvme.hints and "raid-metadata" in nvme.hints
    assert [p.reason for p in nvme.protections] == [Reason.STACK_MEMBER]
    assert "md126" in nvme.protections[0].detail
    assert "behind-intel-vmd" not in found["sda"].hints
    assert "md126" not in found


def test_hidden_nvme_host_hint() -> None:
    result = scan("vmd-hidden-nvme")
    assert [h.code for h in result.hints] == ["intel-raid-mode-may-hide-nvme"]
    assert "NVMe visible: no" in result.hints[0].detail
    assert scan("desktop-sata-hdd-ssd").hints == ()


def test_usb_bridge_passing_identify_gives_drive_serial() -> None:
    result = scan("usb-bridges")
    sdc = by_name(result)["sdc"]
    assert sdc.serial.source is SerialSource.IDENTIFY
    assert sdc.serial.value == "MSK423Y20S3HBC"
    assert sdc.extra["usb_serial"] == "0123456789ABCDEF" and sdc.extra["udev_serial"] == "0123456789ABCDEF"
    assert sdc.model == "Hitachi HDS721050DLE630" and sdc.kind is DiskKind.HDD
    assert "usb-bridge-passthrough" in sdc.hints
    assert json.loads(result.evidence["sdc"])["serial_number"] == "MSK423Y20S3HBC"


def test_usb_bridge_blocking_passthrough_keeps_enclosure_serial_with_doubt() -> None:
    sdd = by_name(scan("usb-bridges"))["sdd"]
    assert sdd.serial.source is SerialSource.BRIDGE
    assert sdd.serial.value == "012345678904" and "bridge-serial" in sdd.serial.doubts
    assert not sdd.serial.trusted
    assert "usb-bridge-no-passthrough" in sdd.hints
    assert "Unknown USB bridge" in sdd.extra["smartctl_message"]
    assert sdd.kind is DiskKind.UNKNOWN  # a bridge's rotational flag says nothing about the drive


def test_smartctl_missing_falls_back_to_udev_and_says_so() -> None:
    host = Host.recorded(PROFILES / "usb-bridges")
    host.runner = ReplayRunner()  # smartctl absent: every call answers 127
    found = by_name(detect(host))
    assert found["sdc"].serial.source is SerialSource.BRIDGE
    assert "usb-bridge-passthrough-unchecked" in found["sdc"].hints


def test_identify_evidence_written_as_file_not_blob(tmp_path: Path) -> None:
    found = by_name(scan("usb-bridges", evidence_dir=tmp_path))
    path = Path(found["sdc"].extra["smartctl_json"])
    assert path.parent == tmp_path and json.loads(path.read_text())["serial_number"] == "MSK423Y20S3HBC"


def test_emmc_and_boot_areas() -> None:
    result = scan("emmc-laptop")
    found = by_name(result)
    assert set(found) == {"mmcblk0"}
    assert found["mmcblk0"].kind is DiskKind.EMMC and found["mmcblk0"].bus == "mmc"
    assert found["mmcblk0"].serial.value == "0x7a1b2c3d"
    assert "mmcblk0boot0" in dict(result.skipped)


def test_virtio_disk_without_serial_is_explicitly_unknown() -> None:
    result = scan("virtio-vm")
    vda = by_name(result)["vda"]
    assert vda.kind is DiskKind.VIRTUAL and vda.bus == "virtio"
    assert vda.serial.value is None and vda.serial.source is SerialSource.NONE and "empty" in vda.serial.doubts
    assert {"sr0", "fd0"} <= set(dict(result.skipped))


def test_junk_serials_flagged() -> None:
    found = by_name(scan("junk-serials"))
    assert "all-zeros" in found["sda"].serial.doubts
    assert "placeholder" in found["sdb"].serial.doubts
    assert found["sdc"].serial.source is SerialSource.NONE
    assert "duplicate" in found["sdd"].serial.doubts and "duplicate" in found["sde"].serial.doubts
    assert found["sdf"].serial.doubts == () and found["sdf"].serial.trusted
    assert not any(found[n].serial.trusted for n in ("sda", "sdb", "sdc", "sdd", "sde"))


@pytest.mark.parametrize(("value", "expected"), [
    ("", "empty"), (None, "empty"), ("   ", "empty"), ("00000000", "all-zeros"),
    ("FFFFFFFF", "repeated-character"), ("To be filled by O.E.M.", "placeholder"),
    ("Default string", "placeholder"), ("0123456789", "placeholder"), ("None", "placeholder"),
    ("A1", "too-short"), ("AA000000000000000423", "mostly-zeros"),
])
def test_serial_doubts(value: str | None, expected: str) -> None:
    assert expected in serial_doubts(value)


def test_genuine_serials_have_no_doubts() -> None:
    for value in ("WD-WCC4N1234567", "S3Z9NB0K123456A", "Y6AKDK9MS", "2J2420056403"):
        assert serial_doubts(value) == ()


def test_nvme_namespaces_of_one_controller_are_not_duplicates() -> None:
    nvme = by_name(scan("desktop-sata-hdd-ssd"))["nvme0n1"]
    from dataclasses import replace
    ns2 = replace(nvme, name="nvme0n2", devnode="/dev/nvme0n2")
    other = replace(nvme, name="nvme1n1", devnode="/dev/nvme1n1", extra={"controller": "nvme1"})
    marked = {d.name: d for d in mark_duplicates([nvme, ns2, other])}
    assert "duplicate" in marked["nvme1n1"].serial.doubts
    assert "duplicate" in marked["nvme0n1"].serial.doubts
    assert "duplicate" not in mark_duplicates([nvme, ns2])[0].serial.doubts


def test_bays_from_config(tmp_path: Path) -> None:
    bays = tmp_path / "bays.json"
    bays.write_text(json.dumps({"pci-0000:00:17.0-ata-1": "Baie 1", "pci-0000:00:17.0-ata-4.0": "Baie 4"}))
    mapping = load_bays(bays)
    found = by_name(scan("desktop-sata-hdd-ssd", bays=mapping))
    assert found["sda"].bay == "Baie 1"  # udev says ata-1.0, the config says ata-1: same port
    assert found["sdc"].bay == "Baie 4"
    assert found["sdb"].bay is None
    assert bay_for("pci-0000:00:17.0-ata-3", {"pci-0000:00:17.0-ata-3.0": "B3"}) == "B3"
    assert load_bays(tmp_path / "absent.json") == {}


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"a": 3}'])
def test_bad_bay_config_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bays.json"
    path.write_text(text)
    with pytest.raises(BayConfigError, match=r"bays\.json"):
        load_bays(path)


def test_odd_smartctl_output_never_crashes() -> None:
    assert parse_identify(0, "not json") is None
    assert parse_identify(0, "[]") is None
    odd = parse_identify(0, json.dumps({"serial_number": 12, "device": "x", "wwn": {"naa": "z"},
                                        "smartctl": {"exit_status": 2, "messages": ["x"]}}))
    assert odd is not None and odd.serial is None and not odd.passthrough and odd.wwn is None


def test_loops_skipped_unless_asked(tmp_path: Path) -> None:
    dev = tmp_path / "root/sys/devices/virtual/block/loop0"
    (dev / "loop").mkdir(parents=True)
    (dev / "size").write_text("2048\n")
    (dev / "dev").write_text("7:0\n")
    (dev / "loop/backing_file").write_text("/srv/disk.img\n")
    for link in ("sys/block/loop0", "sys/class/block/loop0"):
        (tmp_path / "root" / link).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "root" / link).symlink_to(dev)
    host = Host.recorded(tmp_path)
    assert detect(host).disks == ()
    assert dict(detect(host).skipped)["loop0"].startswith("loop device")
    (loop,) = detect(host, include_loops=True).disks
    assert loop.bus == "loop" and loop.size_bytes == 2048 * 512 and loop.extra["backing_file"] == "/srv/disk.img"
    (dev / "size").write_text("0\n")  # detached loop: nothing behind it
    assert detect(host, include_loops=True).disks == ()


def test_disk_records_round_trip() -> None:
    for disk in scan("laptop-nvme-usbkey").disks:
        assert Disk.from_dict(json.loads(json.dumps(disk.to_dict()))) == disk


# ---------------------------------------------------------------- the drive's own rotation rate decides


def _with_identify(profile: str, name: str, smartctl_json: str) -> Detection:
    """A recorded profile whose kernel does not say whether `name` spins, plus the drive's own answer to
    `smartctl --json -i` (a real capture from tests/fixtures/smartctl)."""
    host = Host.recorded(PROFILES / profile)
    runner = ReplayRunner()
    runner.add(["smartctl", "--json", "-i", f"/dev/{name}"],
               (PROFILES.parent / "smartctl" / smartctl_json).read_text())
    return detect(Host(root=host.root, runner=runner, env={}))


@pytest.mark.parametrize(("capture", "kind"), [
    ("scsi-seagate-st1200mm0088-sas.json", DiskKind.HDD),  # SAS: VPD B1 says 10500 rpm
    ("sat-wdc-wd140edfz-hdd-healthy.json", DiskKind.HDD),  # IDENTIFY word 217: 5400 rpm
    ("sat-samsung-860evo-ssd-healthy-xall.json", DiskKind.SSD),  # word 217 = 1: solid state
])
def test_drive_rotation_rate_decides_when_the_kernel_does_not_say(capture: str, kind: DiskKind) -> None:
    assert by_name(scan("imsm-vmd-raid", identify=False))["sda"].kind is DiskKind.UNKNOWN
    sda = by_name(_with_identify("imsm-vmd-raid", "sda", capture))["sda"]
    assert sda.kind is kind and sda.rotational is (kind is DiskKind.HDD)


@pytest.mark.parametrize(("rate", "spinning"), [
    (0, False), (5400, True), (7200, True), (15015, True), (None, None), (1, None), (0x400, None), (0xFFFF, None),
    (-7200, None)])
def test_rotation_rate_values(rate: int | None, spinning: bool | None) -> None:
    from station.detect.drives import spins

    assert spins(rate) is spinning


@pytest.mark.parametrize(("rate", "spinning"), [(1, False), (7200, True), (0, None), (0x0200, None)])
def test_vpd_b1_medium_rotation_rate(rate: int, spinning: bool | None) -> None:
    """Synthetic pages laid out per SBC-4 6.6.2 (page code B1h, page length 003Ch, rate in bytes 4-5)."""
    from station.detect.drives import vpd_b1_spins

    page = bytes([0x00, 0xB1, 0x00, 0x3C]) + rate.to_bytes(2, "big") + bytes(58)
    assert vpd_b1_spins(page) is spinning
    assert vpd_b1_spins(page[:5]) is None and vpd_b1_spins(bytes([0, 0xB0]) + page[2:]) is None
