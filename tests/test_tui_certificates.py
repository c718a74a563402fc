"""The certificates screen's "today" is the technician's local day (TZ), not the UTC date records are stamped in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from station.certify import issue as issuing
from station.store import config
from station.tui.screens.certificates_screen import CertificatesScreen, local_date
from tests.tui_helpers import drive, make_app, run_async, wait_for

LATE_EVENING_UTC = "2025-03-14T23:30:00+00:00"  # 00:30 on 15 March in Paris (CET, UTC+1)
MORNING_UTC = "2025-03-14T10:00:00+00:00"  # 11:00 on 14 March in Paris


@pytest.fixture
def paris(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_local_date_follows_tz(paris: None) -> None:
    assert local_date(LATE_EVENING_UTC) == "2025-03-15"
    assert local_date("2025-07-14T22:15:00+00:00") == "2025-07-15"  # summer time: UTC+2
    assert local_date(MORNING_UTC) == "2025-03-14"
    assert local_date("not a date") == "not a date"[:10]


@run_async
async def test_today_is_the_local_day(tmp_path: Path, paris: None, monkeypatch: pytest.MonkeyPatch) -> None:
    disk = drive(tmp_path / "sdb", "WD-WCC2EVL93847", "WDC WD5000AAKX", create=False)
    app, _source, session = make_app(tmp_path, [])
    app.clock = lambda: datetime(2025, 3, 14, 23, 45, tzinfo=UTC)  # 00:45 on 15 March in Paris
    settings = config.load(session.datadir)
    issued = {}
    for stamp in (MORNING_UTC, LATE_EVENING_UTC):
        monkeypatch.setattr(issuing, "now_iso", lambda s=stamp: s)
        record = issuing.issue_destruction(disk, session.datadir, settings, None, "shred", "en")
        issued[stamp] = record.certificate_id
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(CertificatesScreen())
        await wait_for(pilot, lambda: isinstance(app.screen, CertificatesScreen) and len(app.screen.lines) == 2)
        screen = app.screen
        assert isinstance(screen, CertificatesScreen)
        shown = screen.shown()
        assert [line.certificate_id for line in shown] == [issued[LATE_EVENING_UTC]]
        table = screen.query_one("#certs")
        assert table.row_count == 1
        assert str(table.get_row_at(0)[1]) == "2025-03-15"  # the date column is local too
