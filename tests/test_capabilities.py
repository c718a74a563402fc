"""Capability parsing on real tool outputs, and probing through the command boundary."""

from __future__ import annotations

import json

from purge_helpers import ScriptedRunner, fixture, host_with, make_disk, nvme_id_ctrl

from station.detect.disk import DiskKind
from station.erase.purge import capabilities as cap
from station.untrusted import Unreadable

TESLA = "hdparm/sata-ssd-tesla-2tb-frozen-sanitize-block-erase.txt"
HGST = "hdparm/sata-hdd-hgst-huh721212ale600-not-frozen-sanitize-crypto-overwrite.txt"
INTEL = "hdparm/sata-ssd-intel-ssdsc2kw512g8-frozen-tabs.txt"
ZHITAI = "hdparm/sata-ssd-zhitai-sc001-frozen-sanitize-block-erase.txt"
PM1733 = "nvme/id-ctrl-H-samsung-pm1733-mzwlj7t6hala.txt"
OPTANE = "nvme/id-ctrl-H-intel-optane-m10-mempek1j016gal.txt"
TFORCE = "nvme/id-ctrl-H-tforce-tm8fpl500g-sanicap-block-erase.txt"


def test_frozen_ssd_with_sanitize_block_erase() -> None:
    ident = cap.parse_hdparm_identify(fixture(TESLA))
    assert ident is not None and ident.security is not None
    assert ident.security.supported and ident.security.frozen
    assert not ident.security.enabled and not ident.security.locked
    assert ident.security.enhanced_erase_supported
    assert (ident.security.erase_minutes, ident.security.enhanced_erase_minutes) == (2, 2)
    assert ident.sanitize.supported and ident.sanitize.block_erase
    assert not ident.sanitize.crypto_scramble and not ident.sanitize.overwrite
    assert ident.solid_state is True and ident.hpa_feature and not ident.dco_feature


def test_not_frozen_hdd_with_crypto_and_overwrite_and_dco() -> None:
    ident = cap.parse_hdparm_identify(fixture(HGST))
    assert ident is not None and ident.security is not None
    assert not ident.security.frozen and not ident.security.enhanced_erase_supported
    assert ident.security.erase_minutes == 1118 and ident.security.enhanced_erase_minutes is None
    assert ident.sanitize.crypto_scramble and ident.sanitize.overwrite and not ident.sanitize.block_erase
    assert ident.solid_state is False and ident.dco_feature and ident.hpa_feature
    assert ident.lba48_sectors == 23437770752


def test_tabs_and_trailing_spaces_without_sanitize() -> None:
    ident = cap.parse_hdparm_identify(fixture(INTEL))
    assert ident is not None and ident.security is not None
    assert ident.security.frozen and ident.security.supported
    assert not ident.sanitize.supported


def test_antifreeze_lock_is_seen() -> None:
    ident = cap.parse_hdparm_identify(fixture(ZHITAI))
    assert ident is not None and ident.sanitize.antifreeze_lock and ident.sanitize.block_erase


def test_garbage_is_not_identify_data() -> None:
    assert cap.parse_hdparm_identify("") is None
    assert cap.parse_hdparm_identify("/dev/sdb:\n SG_IO: bad/missing sense data\n") is None


def test_nvme_id_ctrl_real_outputs() -> None:
    pm = nvme_id_ctrl(fixture(PM1733))
    assert pm.sanitize_crypto and pm.sanitize_block and not pm.sanitize_overwrite
    assert pm.format_crypto_erase and pm.namespaces == 32 and pm.no_deallocate_allowed
    optane = nvme_id_ctrl(fixture(OPTANE))
    assert optane.sanicap == 0 and optane.format_supported
    assert optane.format_all_namespaces and not optane.format_crypto_erase
    tforce = nvme_id_ctrl(fixture(TFORCE))
    assert tforce.sanitize_block and not tforce.sanitize_crypto
    assert not tforce.no_deallocate_allowed  # SANICAP bit 29 (NDI) is set on this drive


def test_nvme_id_ctrl_json_form() -> None:
    # synthetic: the three keys nvme-cli's JSON output carries as numbers
    caps = nvme_id_ctrl(json.dumps({"oacs": 0x17, "sanicap": 2, "fna": 4, "nn": 1}))
    assert caps.sanitize_block and caps.format_crypto_erase
    assert isinstance(cap.read_nvme_id_ctrl("{not json"), Unreadable)
    assert isinstance(cap.read_nvme_id_ctrl("NVMe status: Invalid Field"), Unreadable)


def test_sanitize_log_real_and_synthetic() -> None:
    five = cap.parse_nvme_sanitize_log(fixture("nvme-sanitize-log/block-erase-in-progress-5pct.txt"))
    assert five is not None and five.state is cap.SanitizeState.IN_PROGRESS
    assert 0.05 < five.fraction < 0.06 and five.sanact == 2
    done = cap.parse_nvme_sanitize_log(fixture("nvme-sanitize-log/block-erase-done-0x101.txt"))
    assert done is not None and done.state is cap.SanitizeState.SUCCEEDED and done.global_data_erased
    assert done.fraction == 1.0
    failed = cap.parse_nvme_sanitize_log(fixture("nvme-sanitize-log/synthetic-crypto-erase-failed-0x3.txt"))
    assert failed is not None and failed.state is cap.SanitizeState.FAILED and failed.sanact == 4
    nd = cap.parse_nvme_sanitize_log(fixture("nvme-sanitize-log/synthetic-block-erase-nodealloc-done-0x104.txt"))
    assert nd is not None and nd.state is cap.SanitizeState.SUCCEEDED_NO_DEALLOCATE
    assert cap.parse_nvme_sanitize_log("NVMe status: Invalid Field in Command(0x4002)") is None


def test_hdparm_sanitize_status() -> None:
    prog = cap.parse_hdparm_sanitize_status(fixture("hdparm-sanitize-status/synthetic-in-progress-25pct.txt"))
    assert prog is not None and prog.state is cap.AtaSanitizeStatus.IN_PROGRESS
    assert prog.fraction is not None and 0.25 < prog.fraction < 0.26
    idle = cap.parse_hdparm_sanitize_status(fixture("hdparm-sanitize-status/synthetic-idle-completed.txt"))
    assert idle is not None and idle.last_completed_ok and not idle.last_failed
    frozen = cap.parse_hdparm_sanitize_status(fixture("hdparm-sanitize-status/synthetic-frozen.txt"))
    assert frozen is not None and frozen.state is cap.AtaSanitizeStatus.FROZEN
    failed = cap.parse_hdparm_sanitize_status(fixture("hdparm-sanitize-status/synthetic-failed.txt"))
    assert failed is not None and failed.last_failed
    assert cap.parse_hdparm_sanitize_status("SANITIZE feature set is not supported") is None


def test_sg_opcodes() -> None:
    text = " Opcode,sa  Name\n  (hex)\n 48,2   Sanitize, block erase\n 48,3   Sanitize, cryptographic erase\n"
    caps = cap.parse_sg_opcodes(text)  # synthetic layout; the names are sg3-utils 1.46's own
    assert caps is not None and caps.block_erase and caps.crypto_erase and not caps.overwrite


def test_probe_ata_reads_sanitize_freeze() -> None:
    runner = ScriptedRunner().on("hdparm -I /dev/sda", (0, fixture(TESLA), ""))
    runner.on("hdparm --sanitize-status /dev/sda", (0, fixture("hdparm-sanitize-status/synthetic-frozen.txt"), ""))
    caps = cap.probe(host_with(runner), make_disk())
    assert caps.known and caps.family == "ata" and caps.frozen
    assert caps.ata is not None and caps.ata.sanitize.frozen is True
    data = caps.to_dict()
    json.dumps(data)
    assert data["frozen"] is True and data["ata"]["sanitize"]["block_erase"] is True


def test_probe_usb_bridge_blocking_passthrough() -> None:
    runner = ScriptedRunner().on("hdparm -I /dev/sdc", (5, "\n/dev/sdc:\n", " SG_IO: bad/missing sense data"))
    caps = cap.probe(host_with(runner), make_disk("/dev/sdc", bus="usb"))
    assert caps.unknown is cap.UnknownReason.USB_BRIDGE and "USB" in caps.detail


def test_probe_tool_missing_and_virtual_disks() -> None:
    caps = cap.probe(host_with(ScriptedRunner()), make_disk())
    assert caps.unknown is cap.UnknownReason.TOOL_MISSING
    virt = cap.probe(host_with(ScriptedRunner()), make_disk("/dev/vda", kind=DiskKind.VIRTUAL, bus="virtio"))
    assert virt.unknown is cap.UnknownReason.VIRTUAL and virt.family == "none"


def test_probe_nvme_reads_log_only_when_sanitize_exists() -> None:
    runner = ScriptedRunner().on("nvme id-ctrl -H /dev/nvme0n1", (0, fixture(PM1733), ""))
    runner.on("nvme sanitize-log /dev/nvme0n1", (0, fixture("nvme-sanitize-log/block-erase-done-0x101.txt"), ""))
    caps = cap.probe(host_with(runner), make_disk("/dev/nvme0n1", DiskKind.NVME, "nvme"))
    assert caps.nvme is not None and caps.nvme_sanitize_log is not None
    assert any("32 namespaces" in n for n in caps.notes)
    runner2 = ScriptedRunner().on("nvme id-ctrl -H /dev/nvme0n1", (0, fixture(OPTANE), ""))
    caps2 = cap.probe(host_with(runner2), make_disk("/dev/nvme0n1", DiskKind.NVME, "nvme"))
    assert caps2.nvme is not None and caps2.nvme.sanicap == 0
    assert "nvme sanitize-log /dev/nvme0n1" not in runner2.calls


def test_probe_scsi_invalid_opcode_is_unknown_with_reason() -> None:
    # QEMU's answer, as measured in ../shared/vm-rack.md section 5
    runner = ScriptedRunner().on("sg_opcodes --no-inquiry /dev/sdb",
                                 (5, "", "Report supported operation codes: Illegal request, Invalid opcode"))
    caps = cap.probe(host_with(runner), make_disk("/dev/sdb", DiskKind.HDD, "scsi"))
    assert caps.unknown is cap.UnknownReason.COMMAND_FAILED and "Invalid opcode" in caps.detail


QEMU_SATA = "qemu-rack/hdparm-I-qemu-ahci-ide-hd-ssd.txt"


def test_qemu_sata_disk_has_neither_sanitize_nor_security_and_plans_clear_with_the_reason() -> None:
    """QEMU's ide-hd on AHCI, as `hdparm -I` printed it inside the rack guest."""
    from station.erase.purge.choose import Technique, choose

    ident = cap.parse_hdparm_identify(fixture(QEMU_SATA))
    assert ident is not None and ident.security is None
    assert not ident.sanitize.supported and not ident.hpa_feature and not ident.dco_feature
    assert ident.solid_state is True and ident.lba48_sectors == 32768
    runner = ScriptedRunner().on("hdparm -I /dev/sda", (0, fixture(QEMU_SATA), ""))
    disk = make_disk("/dev/sda", DiskKind.SSD, "ata")
    caps = cap.probe(host_with(runner), disk)
    assert caps.known and caps.family == "ata" and not caps.frozen
    assert "hdparm --sanitize-status /dev/sda" not in runner.calls  # nothing to ask a drive without SANITIZE
    choice = choose(disk, caps, "purge")
    assert choice.technique is Technique.HOST_OVERWRITE and choice.nist_category == "clear"
    assert "does not support any SANITIZE operation" in choice.reason


def test_qemu_sata_smartctl_agrees_there_is_no_ata_security() -> None:
    """smartctl -x of the same drive: no ata_security block at all (smartctl prints "Unavailable")."""
    from station.inventory import smart

    report = smart.parse(fixture("qemu-rack/smartctl-json-x-qemu-ahci-ide-hd-ssd-exit4.json"), "/dev/sda")
    assert (report.model, report.serial, report.rotation_rate) == ("QEMU SATA SSD", "RACK-SATA-0001", 0)
    assert report.ata_security is None and report.exit_status == 4


def test_sg_requests_progress_indication() -> None:
    assert cap.parse_sg_progress(fixture("sg3-utils/synthetic-sg_requests-progress-12pct.txt")) == \
        cap.ScsiProgress(True, 0.125)
    idle = cap.parse_sg_progress(fixture("sg3-utils/qemu-scsi-hd-sg_requests-progress-idle.txt"))
    assert idle == cap.ScsiProgress(False, None)
    assert cap.parse_sg_progress("No progress indication found, iteration 2\n") == cap.ScsiProgress(False, None)
