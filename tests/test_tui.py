"""The TUI's flows through Textual's Pilot: select, confirm, run, fail, hot-plug, refuse, switch language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station import i18n
from station.demo import BadSectors
from station.detect.disk import DiskKind, SerialSource
from station.detect.hotplug import DiskAdded, DiskRemoved
from station.erase.blockio import BlockTarget, OsTarget, throttled_opener
from station.erase.jobs import JobState, Phase
from station.store import config
from station.tui.screens.certificates_screen import CertificatesScreen
from station.tui.screens.plan_screen import PlanScreen
from station.tui.screens.rack_screen import RackScreen, RackTable
from station.tui.screens.settings_screen import SettingsScreen
from station.tui.widgets import KeyBar, MessageLine
from tests.tui_helpers import MIB, drive, make_app, run_async, status, wait_for


@pytest.fixture(autouse=True)
def english_after() -> None:
    yield
    i18n.set_language("en")


def loaded(app, n: int):  # type: ignore[no-untyped-def]
    return lambda: isinstance(app.screen, RackScreen) and len(app.rack.rows) == n \
        and app.screen.query_one(RackTable).row_count == n


def message(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(MessageLine).render())


@run_async
async def test_select_confirm_run_to_completion_and_certificates(tmp_path: Path) -> None:
    a = drive(tmp_path / "sdb", "WD-WCC2EVL93847", "WDC WD5000AAKX", bay="1")
    b = drive(tmp_path / "sdc", "S2R5NX0J418272", "SAMSUNG MZ7LN256", kind=DiskKind.SSD, bay="2")
    app, _source, session = make_app(tmp_path, [a, b])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, 2))
        await pilot.press("space", "space")
        assert [r.devnode for r in app.rack.selected()] == [a.devnode, b.devnode]
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None)
        plan = app.screen.plan
        assert plan is not None and len(plan.runnable) == 2
        await pilot.press("2", "enter")
        await wait_for(pilot, lambda: all(r.outcome is not None for r in app.rack.rows.values()))
        assert status(app, a.devnode).startswith("ERASED") and status(app, b.devnode).startswith("ERASED")
        for d in (a, b):
            assert Path(d.devnode).read_bytes() == b"\0" * (2 * MIB)
        outcomes = {o.job.target: o for o in app.outcomes}
        assert all(o.job.erased and o.certificate is not None and o.certificate.exists() for o in outcomes.values())
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CertificatesScreen) and len(app.screen.lines) == 2)
        certs = app.screen.query_one("#certs")
        assert certs.row_count == 2  # both issued today
    assert len(session.journal.all()) == 2


@run_async
async def test_wrong_confirmation_writes_nothing(tmp_path: Path) -> None:
    a = drive(tmp_path / "sdb", "WD-1", "WDC A")
    b = drive(tmp_path / "sdc", "WD-2", "WDC B")
    app, _source, session = make_app(tmp_path, [a, b])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, 2))
        await pilot.press("a", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None)
        await pilot.press("1", "enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, PlanScreen)
        assert "Not confirmed" in message(app)
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert all(r.progress is None for r in app.rack.rows.values())
    assert session.journal.all() == []
    assert Path(a.devnode).read_bytes() == b"\xa5" * (2 * MIB)


@run_async
async def test_failing_drive_shows_failed_and_gets_a_failure_report(tmp_path: Path) -> None:
    good = drive(tmp_path / "sdb", "GOOD-1", "WDC GOOD")
    bad = drive(tmp_path / "sdc", "BAD-1", "ST BAD")

    def opener(path: str) -> BlockTarget:
        target = OsTarget(path)
        return BadSectors(target, MIB, MIB + 8192) if path == bad.devnode else target

    app, _source, _session = make_app(tmp_path, [good, bad], opener=opener)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, 2))
        await pilot.press("a", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None)
        await pilot.press("2", "enter")
        await wait_for(pilot, lambda: all(r.outcome is not None for r in app.rack.rows.values()))
        assert status(app, good.devnode).startswith("ERASED")
        assert status(app, bad.devnode) == "FAILED I/O errors"
        outcome = app.rack.rows[bad.devnode].outcome
        assert outcome is not None and not outcome.job.erased and outcome.job.errors
        assert outcome.certificate is not None
        record = json.loads(outcome.certificate.read_text())
        assert record["kind"] == "failure-report" and record["result"] == "failed"


@run_async
async def test_hot_plugged_drive_appears_and_pulled_drive_fails_at_once(tmp_path: Path) -> None:
    slow = drive(tmp_path / "sdb", "SLOW-1", "TOSHIBA MQ01", size_mib=32)  # four 8 MiB chunks of 1 s each
    app, source, _session = make_app(tmp_path, [slow], opener=throttled_opener(8 * MIB))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, 1))
        late = drive(tmp_path / "sdh", "KINGSTON-9", "KINGSTON SA400", kind=DiskKind.SSD)
        source.push(DiskAdded(late))
        await wait_for(pilot, loaded(app, 2))
        assert status(app, late.devnode) == "ready"
        assert "New drive" in message(app)
        await pilot.press("e")  # the highlighted first row: the slow drive
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None)
        await pilot.press("1", "enter")

        def writing() -> bool:
            p = app.rack.rows[slow.devnode].progress
            return slow.devnode in app.executions and p is not None and p.phase is Phase.WRITING \
                and 0 < p.bytes_done < p.bytes_total

        await wait_for(pilot, writing)
        source.push(DiskRemoved("sdb", slow.devnode, None))
        await pilot.pause(0.15)  # one feed tick: the row says FAILED before the engine has even noticed
        assert status(app, slow.devnode).startswith("FAILED")
        await wait_for(pilot, lambda: app.rack.rows[slow.devnode].outcome is not None)
        job = app.rack.rows[slow.devnode].outcome.job  # type: ignore[union-attr]
        assert job.state is JobState.FAILED and job.failure == f"drive removed ({slow.devnode} disappeared)"
        assert not job.erased
        assert status(app, slow.devnode) == "FAILED removed"
        source.push(DiskRemoved("sdh", late.devnode, None))  # an idle drive pulled: its row goes
        await wait_for(pilot, loaded(app, 1))


@run_async
async def test_protected_drive_is_locked_and_refused(tmp_path: Path) -> None:
    key = drive(tmp_path / "sda", "4C5300012301", "SanDisk Cruzer", kind=DiskKind.USB_FLASH, bus="usb",
                protected=True, source=SerialSource.UDEV)
    app, _source, session = make_app(tmp_path, [key])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, 1))
        assert status(app, key.devnode) == "LOCKED"
        await pilot.press("space")
        assert app.rack.selected() == []
        assert "Locked, never written" in message(app)
        await pilot.press("a")
        assert app.rack.selected() == []
        await pilot.press("e")  # the plan (the library) refuses it, with the reason
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None)
        plan = app.screen.plan
        assert plan is not None and plan.runnable == [] and "booted from" in (plan.refused[0].refusal or "")
        assert "REFUSED" in str(app.screen.query_one("#plan-text").render())
        await pilot.press("1", "enter")
        await pilot.pause(0.3)
        assert "Nothing to confirm" in message(app)
    assert session.journal.all() == []
    assert Path(key.devnode).read_bytes() == b"\xa5" * (2 * MIB)


@run_async
async def test_switching_language_retranslates_and_is_saved(tmp_path: Path) -> None:
    a = drive(tmp_path / "sdb", "WD-1", "WDC A")
    app, _source, session = make_app(tmp_path, [a])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, 1))
        table = app.screen.query_one(RackTable)
        assert table.header("status") == "Status"
        assert status(app, a.devnode) == "ready"
        await pilot.press("l")
        await pilot.pause(0.3)
        table = app.screen.query_one(RackTable)
        assert table.header("status") == "État"
        assert status(app, a.devnode) == "prêt"
        assert "effacer" in str(app.screen.query_one(KeyBar).render())
        await wait_for(pilot, lambda: config.load(session.datadir).language == "fr")
        await pilot.press("l")
        await pilot.pause(0.3)
        assert status(app, a.devnode) == "ready"


@run_async
async def test_settings_are_saved_to_the_data_directory(tmp_path: Path) -> None:
    app, _source, session = make_app(tmp_path, [])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen))
        field = app.screen.query_one("#field-lot")
        field.value = "LOT-2026-11"  # type: ignore[attr-defined]
        bad = app.screen.query_one("#field-default_method")
        bad.value = "shred"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert "Not saved" in message(app)
        bad.value = "random"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: config.load(session.datadir).lot == "LOT-2026-11")
        saved = config.load(session.datadir)
        assert saved.default_method == "random" and saved.organisation == "Atelier test"
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert "LOT-2026-11" in str(app.screen.query_one("#title").render())


def test_storage_warning_comes_from_the_boot_time_data_mount(tmp_path: Path) -> None:
    from station.commands.tui import storage_warning
    from station.hw import Host
    from station.store.datamount import STATUS_FILE, DataState, DataStatus

    host = Host(root=tmp_path, env={})
    assert storage_warning(host, "fr") is None  # not the live image: nothing to say
    status_file = host.path(STATUS_FILE)
    status_file.parent.mkdir(parents=True)
    for state, warned in ((DataState.MOUNTED, False), (DataState.MISSING, True), (DataState.READ_ONLY, True)):
        record = DataStatus(state, None, None, None, "")
        status_file.write_text(json.dumps(record.to_dict()))
        assert (storage_warning(host, "fr") == record.message_fr) is warned
        assert (storage_warning(host, "en") == record.message_en) is warned


@run_async
async def test_storage_warning_stays_on_the_rack_title(tmp_path: Path) -> None:
    app, _source, _session = make_app(tmp_path, [drive(tmp_path / "sdb", "S-1", "WDC A")])
    app.storage_warning = "STATIONDATA missing: certificates are NOT kept on the key"
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, loaded(app, 1))
        title = str(app.screen.query_one("#title").render())
        assert title.startswith("!! STATIONDATA missing")
