"""Refusal reasons and plan warnings: a stable code and parameters in the data, French words on screen."""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from station import i18n, notice
from station.detect import protect
from station.detect.disk import Disk, DiskKind, SerialInfo, SerialSource
from station.detect.protect import Protection, Reason
from station.erase import plan as planning
from station.erase.purge import choose as purge_plan
from station.hw import Host
from station.notice import Notice
from tests.test_tui_i18n import po_entries

MODULES = (protect, planning, purge_plan)  # importing them registers their templates


@pytest.fixture
def french() -> Iterator[None]:
    i18n.set_language("fr")
    yield
    i18n.set_language("en")


def test_every_notice_code_has_a_french_translation() -> None:
    assert len(notice.TEMPLATES) > 30
    fr = po_entries(i18n.LOCALE_DIR / "fr/LC_MESSAGES/station.po")
    en = po_entries(i18n.LOCALE_DIR / "en/LC_MESSAGES/station.po")
    missing = sorted(code for code, template in notice.TEMPLATES.items() if not fr.get(template))
    assert missing == []
    assert sorted(code for code, template in notice.TEMPLATES.items() if template not in en) == []
    for template in notice.TEMPLATES.values():
        names = {f[1] for f in string.Formatter().parse(template) if f[1]}
        assert names == {f[1] for f in string.Formatter().parse(fr[template]) if f[1]}, template


def test_every_protection_reason_has_a_template() -> None:
    assert {f"protect.{r.value}" for r in Reason} <= set(notice.TEMPLATES)


def test_english_text_is_what_records_and_json_always_said() -> None:
    assert Protection(Reason.MOUNTED, "/dev/sdb1 on /mnt").message() == "it is mounted (/dev/sdb1 on /mnt)"
    assert Protection(Reason.SWAP, "").message() == "it is in use as swap"
    why = Notice.of("purge.why-unsupported")
    warning = Notice.of("purge.hdd-purge-impossible", why=why)
    assert warning.text() == ("Purge requested but not possible on this HDD: the drive does not support any "
                              "SANITIZE operation; Clear by overwrite instead")
    assert "Clear by overwrite" in warning and str(warning) == warning.text()


def test_code_and_parameters_survive_a_json_round_trip() -> None:
    warning = Notice.of("purge.flash-purge-impossible",
                        why=Notice.of("purge.why-unreadable", unknown="no-tool", detail="sg_opcodes missing"))
    data = warning.to_dict()
    assert data["code"] == "purge.flash-purge-impossible"
    assert data["params"]["why"]["code"] == "purge.why-unreadable"
    assert data["params"]["why"]["params"] == {"unknown": "no-tool", "detail": "sg_opcodes missing"}
    assert Notice.from_dict(data) == warning


def test_a_code_from_a_newer_station_is_shown_not_crashed_on() -> None:
    odd = Notice.from_dict({"code": "purge.from-the-future", "params": {"n": 3}})
    assert odd.text() == "purge.from-the-future n=3" and odd.translated() == odd.text()
    with pytest.raises(KeyError):
        Notice.of("plan.no-such-code")


def test_plan_refusal_and_warnings_render_in_french(french: None, tmp_path: Path) -> None:
    key = Disk("sda", "/nonexistent/sda", DiskKind.USB_FLASH, "usb", 16 << 30, SerialInfo("X1", SerialSource.UDEV),
               protections=(Protection(Reason.BOOT_MEDIUM, "live medium /dev/sda1"),))
    ssd = Disk("sdb", "/nonexistent/sdb", DiskKind.SSD, "ata", 256 << 30,
               SerialInfo("0123456789ABCDEF", SerialSource.BRIDGE, ("bridge-serial",)))
    plan = planning.plan_overwrite(Host(root=tmp_path), [key, ssd], "zero", "full")
    refused, action = plan.actions
    assert refused.refusal == "it is the medium Station booted from (live medium /dev/sda1)"  # English, stable
    assert refused.refusals[0].to_dict()["params"]["reason"]["code"] == "protect.boot-medium"
    assert refused.translated_refusal() == "c'est le support sur lequel Station a démarré (live medium /dev/sda1)"
    codes = [w.code for w in action.warnings]
    assert codes == ["plan.ssd-overwrite-is-clear", "plan.serial-uncertain", "plan.hidden-areas"]
    texts = [w.translated() for w in action.warnings]
    assert texts[0].startswith("disque SSD : un écrasement par l'hôte est un NIST Clear, pas un Purge")
    assert texts[1] == "le numéro de série du disque est incertain (bridge-serial) : le certificat le dira"
    assert "REFUSÉ : c'est le support sur lequel Station a démarré" in plan.describe()  # CLI text output
    assert "attention : disque SSD" in plan.describe()
