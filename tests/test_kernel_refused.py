"""A drive the kernel refused to attach is shown as present and refused, never silently absent (issue 15).

The kernel log is a real capture from the virtual wipe rack: two QEMU NVMe controllers with the same serial,
the second rejected with "Duplicate cntlid 0 with nvme0, ... rejecting" (tests/fixtures/profiles/SOURCES.md,
rack-duplicate-nvme).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from station.cli import main
from station.detect import refused
from station.hw import Host, ReplayRunner
from station.tui.screens.rack_screen import RackScreen, RackTable
from tests.tui_helpers import drive, make_app, run_async, status, wait_for

PROFILE = Path(__file__).parent / "fixtures" / "profiles" / "rack-duplicate-nvme"
REJECTED = "Duplicate cntlid 0 with nvme0, subsys nqn.2019-08.org.qemu:RACK-DUP-0001, rejecting"


@pytest.mark.parametrize("log", ["dmesg.txt", "dmesg-r.txt"])
def test_the_kernel_log_names_the_refused_function_and_not_the_one_that_reused_its_name(log: str) -> None:
    failed = refused.parse_kernel_log((PROFILE / "outputs" / log).read_text())
    # nvme1 was first 0000:05:00.0 (rejected), then the name went to 0000:04:00.0 (attached)
    assert failed == {"0000:05:00.0": ("nvme1", (REJECTED, "Removing after probe failure status: -22"))}


def test_scan_lists_the_refused_drive_still_in_the_machine() -> None:
    found = refused.scan(Host.recorded(PROFILE))
    assert found.problem is None
    [drive_] = found.drives
    assert (drive_.address, drive_.controller, drive_.vendor_device) == ("0000:05:00.0", "nvme1", "1b36:0010")
    assert drive_.duplicate and REJECTED in drive_.notice().text()
    assert drive_.to_dict()["selectable"] is False


def test_a_refused_drive_pulled_since_is_not_listed(tmp_path: Path) -> None:
    copy = tmp_path / "profile"
    shutil.copytree(PROFILE, copy, symlinks=True)
    (copy / "root/sys/bus/pci/devices/0000:05:00.0").unlink()  # synthetic: the function is gone (pulled)
    assert refused.scan(Host.recorded(copy)).drives == ()


def test_an_unreadable_kernel_log_is_said_not_taken_for_none() -> None:
    runner = ReplayRunner()
    # synthetic answer, after util-linux dmesg's wording when kernel.dmesg_restrict forbids it
    runner.add(["dmesg"], "", 1, "dmesg: read kernel buffer failed: Operation not permitted")
    found = refused.scan(Host(root=PROFILE / "root", runner=runner, env={}))
    assert found.drives == () and found.problem is not None and "Operation not permitted" in found.problem
    assert not found.log_missing


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_station_drives_shows_it_refused_with_the_reason(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    base = ("--profile", str(PROFILE), "--data-dir", str(tmp_path))
    code, out, _ = run(capsys, "--lang", "en", *base, "drives", "--json")
    assert code == 0
    [entry] = json.loads(out)["refused"]
    assert entry["address"] == "0000:05:00.0" and entry["selectable"] is False
    assert REJECTED in entry["reason"] and "same identity" in entry["advice"]
    code, out, _ = run(capsys, "--lang", "fr", *base, "drives")
    assert code == 0
    assert "pci 0000:05:00.0" in out and "REFUSÉ: le noyau a refusé ce contrôleur NVMe" in out and REJECTED in out
    assert "Aucun disque" not in out  # a refused drive is a drive in the machine


@run_async
async def test_the_tui_shows_it_refused_and_never_selects_it(tmp_path: Path) -> None:
    found = refused.scan(Host.recorded(PROFILE)).drives
    ok = drive(tmp_path / "nvme0n1", "RACK-DUP-0001", "QEMU NVMe Ctrl", bus="nvme")
    app, source, _session = make_app(tmp_path, [ok])
    source.refused = list(found)
    key = "pci:0000:05:00.0"
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, RackScreen) and key in app.rack.rows
                       and app.screen.query_one(RackTable).row_count == 2)
        assert status(app, key) == "REFUSED by the kernel"
        table = app.screen.query_one(RackTable)
        table.move_cursor(table.keys.index(key))
        await pilot.pause()
        assert "Duplicate cntlid" in str(app.screen.query_one("#detail").render())
        await pilot.press("space")
        assert not app.rack.rows[key].selected
        assert "the kernel refused this NVMe controller" in str(app.screen.query_one("#message").render())
        await pilot.press("a")
        assert [r.devnode for r in app.rack.selected()] == [ok.devnode]
        await pilot.press("a")  # all selectable were selected: a second a deselects them
        assert app.rack.selected() == []
        table.move_cursor(table.keys.index(key))
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, RackScreen)  # no plan for it
        assert "the kernel refused" in str(app.screen.query_one("#message").render())
        source.refused = []  # the refused drive was taken out
        app.poll_refused()
        await wait_for(pilot, lambda: key not in app.rack.rows)
