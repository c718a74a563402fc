"""Detection hints (USB bridge, VMD/RST, doubtful serials) reach the technician's screen, in their language."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from station import i18n
from station.detect import drives as detect
from station.detect.disk import SerialInfo, SerialSource
from station.detect.drives import HostHint
from station.tui import rack
from station.tui.screens.rack_screen import RackScreen, RackTable
from tests.tui_helpers import drive, make_app, run_async, wait_for


@pytest.fixture(autouse=True)
def english_after() -> None:
    yield
    i18n.set_language("en")


def test_every_detection_hint_code_has_words_on_the_rack() -> None:
    """A hint detect.py adds without a rack text would show as a bare code."""
    assert set(rack.HINT_WORDS) == set(detect.HINTS)


@run_async
async def test_hints_are_marked_on_the_row_and_spelled_out_in_french(tmp_path: Path) -> None:
    plain = drive(tmp_path / "sdb", "WD-WCC2EVL93847", "WDC WD5000AAKX", bay="1")
    bridged = replace(drive(tmp_path / "sdc", "0123456789ABCDEF", "WD3200BEVT", bay="2", bus="usb"),
                      serial=SerialInfo("0123456789ABCDEF", SerialSource.BRIDGE, ("bridge-serial", "duplicate")),
                      hints=("usb-bridge-no-passthrough",))
    passing = replace(drive(tmp_path / "sdd", "S3Z9NB0K123456", "Samsung SSD 860", bay="3", bus="usb"),
                      hints=("usb-bridge-passthrough",))
    hidden = HostHint("intel-raid-mode-may-hide-nvme", "0000:00:17.0 8086:282a class 0x010400, driver none")
    app, _source, _session = make_app(tmp_path, [plain, bridged, passing], lang="fr", host_hints=[hidden])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RackScreen)
                       and app.screen.query_one(RackTable).row_count == 3 and bool(app.host_hints))
        table = app.screen.query_one(RackTable)
        assert table.cell_text(plain.devnode, "bay").startswith(" ")
        assert table.cell_text(bridged.devnode, "bay").startswith("?")  # a warning to read
        assert table.cell_text(passing.devnode, "bay").startswith(" ")  # good news is not a warning
        await pilot.press("down")
        await pilot.pause()
        detail = str(app.screen.query_one("#detail").render())
        assert "! Le pont USB bloque les commandes ATA" in detail
        assert "le numéro du boîtier USB" in detail and "même numéro sur un autre disque" in detail
        assert "source : le boîtier USB" in detail
        title = str(app.screen.query_one("#title").render())
        assert title.startswith("!! Mode RAID/VMD Intel")
        await pilot.press("l")  # switching language retranslates the hints
        await pilot.pause()
        assert "! USB bridge blocks ATA commands" in str(app.screen.query_one("#detail").render())
        assert str(app.screen.query_one("#title").render()).startswith("!! Intel RAID/VMD mode")
