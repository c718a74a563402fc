"""HPA/AMA/DCO detection and removal with before/after values, through a scripted runner.

The `hdparm -N` and `--dco-identify` texts are synthetic, written in hdparm 9.65's format strings
(" max sectors   = %llu/%llu, HPA is enabled", "\tReal max sectors: %llu").
"""

from __future__ import annotations

from pathlib import Path

from purge_helpers import ScriptedRunner, host_with, make_disk

from station.detect.disk import DiskKind
from station.erase import hidden_area

YES = "--yes-i-know-what-i-am-doing"


def n_out(cur: int, native: int) -> tuple[int, str, str]:
    state = "enabled" if cur < native else "disabled"
    return 0, f"\n/dev/sda:\n max sectors   = {cur}/{native}, HPA is {state}\n", ""


def dco_out(real: int) -> tuple[int, str, str]:
    return 0, f"\n/dev/sda:\nDCO Revision: 0x0002\nThe following features can be selectively disabled via DCO:\n" \
              f"\tReal max sectors: {real}\n", ""


def test_parse_n_and_dco() -> None:
    assert hidden_area.parse_hdparm_n(n_out(1000, 2000)[1]) == (1000, 2000, True, "hpa")
    ama = " max sectors   = 500/500, ACCESSIBLE MAX ADDRESS disabled"
    assert hidden_area.parse_hdparm_n(ama) == (500, 500, False, "ama")
    assert hidden_area.parse_dco_identify(dco_out(3000)[1]) == 3000
    assert hidden_area.parse_hdparm_n("SG_IO: bad/missing sense data") is None


def test_hpa_removed_and_recorded() -> None:
    r = ScriptedRunner().on("hdparm -N /dev/sda", n_out(1000, 2000), n_out(1000, 2000), n_out(2000, 2000))
    r.on("hdparm --dco-identify /dev/sda", dco_out(2000))
    r.on(f"hdparm {YES} -N p2000 /dev/sda", (0, "setting max visible sectors to 2000 (permanent)\n", ""))
    result = hidden_area.remove(host_with(r), make_disk())
    assert result.before.hidden_sectors == 1000 and result.after.hidden_sectors == 0
    assert result.removed and result.certificate_note() is None
    assert any("p2000" in a for a in result.actions)


def test_dco_then_hpa_removed() -> None:
    r = ScriptedRunner().on("hdparm -N /dev/sda", n_out(1000, 2000), n_out(1000, 3000), n_out(3000, 3000))
    r.on("hdparm --dco-identify /dev/sda", dco_out(3000))
    r.on(f"hdparm {YES} --dco-restore /dev/sda", (0, " issuing DCO restore command\n", ""))
    r.on(f"hdparm {YES} -N p3000 /dev/sda", (0, "", ""))
    result = hidden_area.remove(host_with(r), make_disk())
    assert result.before.hidden_by_dco == 1000 and result.before.hidden_sectors == 2000
    assert result.removed


def test_refused_removal_goes_on_the_certificate() -> None:
    r = ScriptedRunner().on("hdparm -N /dev/sda", n_out(1000, 2000))
    r.on("hdparm --dco-identify /dev/sda", dco_out(2000))
    r.on(f"hdparm {YES} -N p2000 /dev/sda", (5, "", " SET_MAX_ADDRESS failed: Input/output error"))
    result = hidden_area.remove(host_with(r), make_disk())
    note = result.certificate_note()
    assert not result.removed and note is not None and "1000 hidden sectors" in note and "not erased" in note


def test_unknown_is_never_zero() -> None:
    area = hidden_area.detect(host_with(ScriptedRunner()), make_disk())
    assert area.hidden_sectors is None and "hdparm -N" in area.reason
    nvme = hidden_area.detect(host_with(ScriptedRunner()), make_disk("/dev/nvme0n1", DiskKind.NVME, "nvme"))
    assert nvme.hidden_sectors is None and "ATA" in nvme.reason
    result = hidden_area.remove(host_with(ScriptedRunner()), make_disk())
    assert not result.removed and "unknown number" in (result.certificate_note() or "")


def test_prepare_removes_hpa_and_asks_the_kernel_to_rescan(tmp_path: Path) -> None:
    rescan = tmp_path / "sys/class/block/sda/device/rescan"
    rescan.parent.mkdir(parents=True)
    rescan.write_text("")
    r = ScriptedRunner().on("hdparm -N /dev/sda", n_out(1000, 2000), n_out(1000, 2000), n_out(2000, 2000))
    r.on("hdparm --dco-identify /dev/sda", dco_out(2000))
    r.on(f"hdparm {YES} -N p2000 /dev/sda", (0, "setting max visible sectors to 2000 (permanent)\n", ""))
    status, detail = hidden_area.prepare(host_with(r, tmp_path), make_disk(size=1000 * 512))
    assert status == "removed" and "1000 hidden sectors" in (detail or "")
    assert rescan.read_text() == "1"


def test_prepare_with_nothing_hidden_says_none() -> None:
    r = ScriptedRunner().on("hdparm -N /dev/sda", n_out(2048, 2048)).on("hdparm --dco-identify /dev/sda", dco_out(2048))
    assert hidden_area.prepare(host_with(r), make_disk(size=2048 * 512))[0] == "none"


def test_prepare_distrusts_an_answer_that_contradicts_the_kernel() -> None:
    """QEMU's usb-storage passes no ATA command; hdparm then printed '0/1' on a 64 MiB drive (rack scenario 2)."""
    r = ScriptedRunner().on("hdparm -N /dev/sda", n_out(0, 1))
    status, detail = hidden_area.prepare(host_with(r), make_disk(size=64 << 20, bus="usb"))
    assert status == "not-checked" and "kernel sees 131072" in (detail or "")
    assert not any("-N p" in call for call in r.calls), "never try to 'remove' a hidden area on a nonsense answer"
