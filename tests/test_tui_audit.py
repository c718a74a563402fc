"""The audit screen on a recorded junk-DMI machine, keyboard only at 80x24: the doubtful serial is
shown, the label serial is typed (or scanned: a scanner types and presses Enter), refused when it is
a placeholder, and lands in the signed record and the PDF as typed by the operator; findings in French."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from audit_helpers import JUNK_DMI, recorded_profile
from pypdf import PdfReader
from textual.widgets import DataTable, Input, Static

from station import i18n
from station.certify import keys
from station.hw import Host
from station.inventory import record as audit
from station.tui.screens.audit_screen import AuditScreen
from station.tui.widgets import MessageLine
from tests.tui_helpers import make_app, run_async, wait_for


@pytest.fixture(autouse=True)
def english_after() -> None:
    yield
    i18n.set_language("en")


def text_of(app: object, selector: str) -> str:
    return " ".join(str(app.screen.query_one(selector, Static).render()).split())  # type: ignore[attr-defined]


@run_async
async def test_label_serial_typed_on_junk_dmi_reaches_record_and_pdf(tmp_path: Path) -> None:
    app, _source, session = make_app(tmp_path, [], lang="fr")
    app.audit_host = Host.recorded(recorded_profile(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, AuditScreen) and app.screen.inventory is not None)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        field = screen.query_one("#serial-input", Input)
        # the doubtful DMI serial is shown, the field is on screen and has the keyboard
        summary = text_of(app, "#summary-text")
        assert "N° de série : le DMI indique « -- » (redacted)" in summary
        assert "aucun n° de série fiable dans le DMI (--) : saisir ou scanner l'étiquette" in summary
        assert "n'est pas fiable" in text_of(app, MessageLine.__name__)
        assert field.has_focus and field.region.width >= 20 and field.region.bottom <= 24
        assert "N° de série étiquette" in text_of(app, "#serial-label")

        # a placeholder scanned by mistake is refused and cleared, the record keeps nothing
        await pilot.press(*"To Be Filled By O.E.M.", "enter")
        assert "N° de série refusé : « To Be Filled By O.E.M. » est un texte par défaut" in text_of(app, "MessageLine")
        assert field.value == "" and field.has_focus and screen.inventory.operator_serial is None

        # the label serial, scanned: characters then Enter; keys like 'f', 'w', 'o' must not act on the checklist
        await pilot.press(*"FW-0OK9", "enter")
        typed = screen.inventory.operator_serial
        assert typed is not None and typed.value == "FW-0OK9" and typed.entered_by == "Tester"
        assert screen.checklist.state("screen") == "untested"
        assert screen.query_one("#checklist", DataTable).has_focus
        summary = text_of(app, "#summary-text")
        assert "N° de série : FW-0OK9 (saisi par l'opérateur Tester ; DMI : --)" in summary
        assert "n° de série FW-0OK9 saisi ou scanné sur l'étiquette par Tester (DMI : --)" in summary
        assert "écran : non testé" in summary  # another finding, in French

        # Esc from the field goes back to the table, not out of the screen; audit again keeps the serial
        await pilot.press("s")
        assert field.has_focus and field.value == "FW-0OK9"
        await pilot.press("escape")
        assert isinstance(app.screen, AuditScreen) and screen.query_one("#checklist", DataTable).has_focus
        await pilot.press("r")
        await wait_for(pilot, lambda: "FW-0OK9 (saisi" in text_of(app, "#summary-text"))

        await pilot.press(*"o" * 8, "w")
        await wait_for(pilot, lambda: "Fiche d'audit enregistrée" in text_of(app, "MessageLine"))

    records = sorted(session.datadir.audits.glob("AUD-*.json"))
    assert len(records) == 1
    data = records[0].read_bytes()
    record = json.loads(data)
    assert audit.verify(records[0], keys.public_path(session.datadir).read_bytes())
    assert record["weee_annex_vi"]["identification_number"] == "FW-0OK9"
    assert record["machine"]["serial"]["source"] == "operator"
    assert record["machine"]["serial"]["entered_by"] == "Tester"
    assert record["machine"]["serial"]["dmi"]["doubts"] == ["redacted"]
    assert record["language"] == "fr" and all(v == "ok" for v in record["checklist"]["items"].values())
    evidence = records[0].parent / record["machine"]["dmidecode"]["evidence"]["file"]
    assert evidence.read_bytes() == JUNK_DMI.read_bytes()
    pdf = PdfReader(io.BytesIO(records[0].with_suffix(".pdf").read_bytes())).pages[0].extract_text()
    pdf_text = " ".join(pdf.split())
    assert "N° de série: FW-0OK9 (saisi sur l'étiquette par Tester; DMI: --)" in pdf_text
    assert "n° de série FW-0OK9 saisi ou scanné sur l'étiquette par Tester" in pdf_text
