"""The portal in a real headless Chromium (Debian's, driven by Playwright) against the live registry process on
its real PostgreSQL: a coordinator creates a lot in the browser; `station upload` from a real station data
directory fills it; the donor logs in (by keyboard) and sees exactly their lot with the right counts; another
donor gets a not-found on it; the verification page accepts the certificate PDF and rejects it with a byte
flipped. Screenshots go to $PORTAL_SCREENSHOTS (docs/ when refreshing the ones the docs show).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import Live, manage
from station_lot import LAPTOP_SERIAL, NVME_SERIAL, build

playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed "
                                "(apt-get install chromium; scripts/setup --test does)")
PASSWORD = "un mot de passe assez long"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run"]


@contextmanager
def browser(tmp: Path, lang: str = "fr") -> Iterator[playwright.Page]:
    """A fresh Chromium profile per person (its own --user-data-dir), headless."""
    profile = tmp / f"profile-{secrets.token_hex(4)}"
    with playwright.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=FLAGS, locale=lang,
            viewport={"width": 1280, "height": 900})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def _add_user(name: str, organisation: str, kind: str) -> None:
    done = manage("add_user", name, "--organisation", organisation, "--kind", kind, "--password-env", "PORTAL_PW",
                  env=dict(os.environ, PORTAL_PW=PASSWORD))
    assert done.returncode == 0, done.stderr


def _station(datadir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "import sys; from station.cli import main; sys.exit(main())",
                           "--data-dir", str(datadir), *args], capture_output=True, text=True, check=False,
                          timeout=300)


def _log_in(page: playwright.Page, url: str, name: str) -> None:
    """By keyboard only: the labelled fields, Tab between them, Enter to send."""
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Identifiant").focus()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/dashboard/$"))


def _shot(page: playwright.Page, name: str, tmp: Path) -> None:
    target = Path(os.environ.get("PORTAL_SCREENSHOTS") or tmp)
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name), full_page=True)


def test_lot_from_creation_to_donor_and_verification(live: Live, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    coordinator, refurbisher = f"Coordination {tag}", f"Atelier Navigateur {tag}"
    donor, other_donor = f"Région Navigateur {tag}", f"Autre Donateur {tag}"
    _add_user(f"coord-{tag}", coordinator, "coordinator")
    _add_user(f"atelier-{tag}", refurbisher, "refurbisher")
    _add_user(f"donor-{tag}", donor, "donor")
    _add_user(f"other-{tag}", other_donor, "donor")
    reference = f"LOT-NAV-{tag}"

    # a coordinator creates the lot in the browser
    with browser(tmp_path) as page:
        _log_in(page, live.url, f"coord-{tag}")
        page.get_by_role("link", name="Nouveau lot").click()
        page.get_by_label("Référence du lot").fill(reference)
        page.get_by_label("Donateur").select_option(label=donor)
        page.get_by_label("Reconditionneur chargé du lot").select_option(label=refurbisher)
        page.get_by_label("Appareils attendus").fill("2")
        page.get_by_label("Date de réception").fill("2025-03-01")
        page.get_by_role("button", name="Créer le lot").click()
        page.wait_for_url(re.compile(r".*/lots/\d+/$"))
        lot_url = page.url
        assert page.locator('[data-count="devices"]').inner_text() == "0"

    # a real station data directory, enrolled with the refurbisher, uploads the lot
    station = build(tmp_path, reference)
    code = manage("create_enrollment_code", refurbisher)
    assert code.returncode == 0, code.stderr
    for args in (("settings", "set", "lot", reference), ("enroll", live.url, code.stdout.strip(), "--name", "poste"),
                 ("upload",)):
        done = _station(station.datadir.root, *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)

    # the donor sees exactly their lot, with its counts
    with browser(tmp_path) as page:
        _log_in(page, live.url, f"donor-{tag}")
        lots = page.locator("section[aria-labelledby=lots-h] tbody tr")
        assert lots.count() == 1 and lots.first.inner_text().startswith(reference)
        lots.first.get_by_role("link").click()
        counts = {k: page.locator(f'[data-count="{k}"]').inner_text()
                  for k in ("devices", "audited", "drives_erased", "reuse", "blocked")}
        assert counts == {"devices": "2", "audited": "1", "drives_erased": "1 / 2", "reuse": "1", "blocked": "1"}
        table = page.locator("#devices").inner_text()
        assert LAPTOP_SERIAL in table and NVME_SERIAL in table and "ÉCHEC" in table
        _shot(page, "portal-lot.png", tmp_path)

    # another donor: not found, by URL
    with browser(tmp_path) as page:
        _log_in(page, live.url, f"other-{tag}")
        answer = page.goto(lot_url)
        assert answer is not None and answer.status == 404

    # the coordinator's dashboard
    with browser(tmp_path) as page:
        _log_in(page, live.url, f"coord-{tag}")
        assert page.locator("svg.chart").count() == 3
        _shot(page, "portal-dashboard.png", tmp_path)

    # anyone verifies the certificate PDF; one flipped byte is refused
    good = station.erased.pdf_path.read_bytes()
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0x01
    (tmp_path / "flipped.pdf").write_bytes(bytes(flipped))
    with browser(tmp_path) as page:
        page.goto(f"{live.url}/verify/")
        page.get_by_label("Certificat (PDF ou JSON)").set_input_files(str(station.erased.pdf_path))
        page.get_by_role("button", name="Vérifier", exact=True).click()
        verdict = page.locator("#result-h").inner_text()
        assert "Ce certificat est valide" in verdict, page.locator("#checks").inner_text()
        _shot(page, "portal-verify.png", tmp_path)
        page.get_by_label("Certificat (PDF ou JSON)").set_input_files(str(tmp_path / "flipped.pdf"))
        page.get_by_role("button", name="Vérifier", exact=True).click()
        assert "N'EST PAS valide" in page.locator("#result-h").inner_text()
        _shot(page, "portal-verify-refused.png", tmp_path)
