"""Language choice and the gettext catalogs: every marked string has a French translation, shipped compiled."""

from __future__ import annotations

import ast
import gettext
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from station import i18n

PACKAGE = Path(i18n.__file__).parent
# the TUI, the command line, plus the library modules whose sentences they show (verdict findings, refused
# serials, refusal reasons and plan warnings registered as station.notice templates)
CLI_SOURCES = sorted([PACKAGE / "cli.py", *(PACKAGE / "commands").glob("*.py")])
TUI_SOURCES = sorted([*(PACKAGE / "tui").rglob("*.py"), PACKAGE / "inventory/verdict_text.py",
                      PACKAGE / "inventory/machine_serial.py", PACKAGE / "detect/protect.py",
                      PACKAGE / "detect/drivelock.py", PACKAGE / "detect/identity.py",
                      PACKAGE / "detect/refused.py",
                      PACKAGE / "erase/plan.py", PACKAGE / "erase/purge/choose.py",
                      PACKAGE / "erase/purge/drive_commands.py", *CLI_SOURCES])
MARKERS = {"_", "N_", "ngettext"}


def marked_strings() -> set[str]:
    """The first argument of every _()/N_()/ngettext() call with a literal, as xgettext would extract."""
    found = set()
    for path in TUI_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def po_entries(path: Path) -> dict[str, str]:
    """msgid -> msgstr (first form for plurals) of a .po file; enough of the format for our catalogs."""
    entries: dict[str, str] = {}
    key: str | None = None
    current: list[str] = []
    field = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgid ", "msgid_plural ", "msgstr ", "msgstr[")):
            word, _, literal = line.partition(" ")
            if word == "msgid":
                key = None
            if field == "msgid":
                key = "".join(current)
            elif field in ("msgstr", "msgstr[0]") and key is not None:
                entries[key] = "".join(current)
            field, current = word, [ast.literal_eval(literal)]
        elif line.startswith('"'):
            current.append(ast.literal_eval(line))
        elif not line.strip() and field:
            if field in ("msgstr", "msgstr[0]") and key is not None:
                entries[key] = "".join(current)
            if field == "msgid":
                key = "".join(current)
            field, current = "", []
    entries.pop("", None)
    return entries


def test_every_marked_string_is_translated_to_french() -> None:
    strings = marked_strings()
    assert len(strings) > 100
    french = po_entries(i18n.LOCALE_DIR / "fr/LC_MESSAGES/station.po")
    missing = sorted(s for s in strings if not french.get(s))
    assert missing == []
    stale = sorted(set(french) - strings)
    assert stale == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_compiled_catalog_matches_its_source(lang: str) -> None:
    """The shipped .mo was compiled from the current .po (run msgfmt after editing a .po)."""
    with open(i18n.LOCALE_DIR / lang / "LC_MESSAGES/station.mo", "rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    for msgid, msgstr in po_entries(i18n.LOCALE_DIR / lang / "LC_MESSAGES/station.po").items():
        assert catalog.gettext(msgid) == (msgstr or msgid), msgid


def test_french_placeholders_match_english() -> None:
    """A translation that drops or renames {placeholder} would crash .format() at run time."""
    import string

    for msgid, msgstr in po_entries(i18n.LOCALE_DIR / "fr/LC_MESSAGES/station.po").items():
        names = {f[1] for f in string.Formatter().parse(msgid) if f[1]}
        assert names == {f[1] for f in string.Formatter().parse(msgstr) if f[1]}, msgid


def test_switching_language() -> None:
    try:
        i18n.set_language("fr")
        assert i18n._("erase") == "effacer"
        assert i18n.ngettext("Plan: erase {n} drive, {size} of data will be destroyed.",
                             "Plan: erase {n} drives, {size} of data will be destroyed.", 2).startswith(
            "Plan : effacer {n} disques")
        i18n.set_language("en")
        assert i18n._("erase") == "erase"
    finally:
        i18n.set_language("en")
    with pytest.raises(ValueError):
        i18n.set_language("de")


@pytest.mark.parametrize(("option", "configured", "env", "expected"), [
    ("en", "fr", {"LANG": "fr_FR.UTF-8"}, "en"),  # the command line wins
    (None, "en", {"LANG": "fr_FR.UTF-8"}, "en"),  # then the saved setting
    (None, None, {"LANG": "fr_FR.UTF-8"}, "fr"),  # then the environment
    (None, None, {"LANG": "en_GB.UTF-8"}, "en"),
    (None, None, {"LANGUAGE": "en_US:fr", "LANG": "fr_FR.UTF-8"}, "en"),
    (None, None, {"LC_ALL": "fr_CA.UTF-8", "LANG": "en_US.UTF-8"}, "fr"),
    (None, None, {"LANG": "de_DE.UTF-8"}, "en"),  # another language: English
    (None, None, {"LANG": "C.UTF-8"}, "fr"),  # a bare live system: French, the users' language
    (None, None, {}, "fr"),
    (None, "xx", {"LANG": "en_US.UTF-8"}, "en"),  # a junk setting is ignored
])
def test_choose_language(option: str | None, configured: str | None, env: dict[str, str], expected: str) -> None:
    assert i18n.choose_language(option, configured, env) == expected


def test_catalogs_are_package_data(tmp_path: Path) -> None:
    """The wheel the live image installs must carry the compiled catalogs (and the schemas)."""
    repo = Path(i18n.__file__).parent.parent
    src = tmp_path / "src"
    shutil.copytree(repo / "station", src / "station", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(repo / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(src)],
                   check=True, capture_output=True)
    [wheel] = tmp_path.glob("station-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for lang in ("fr", "en"):
        assert f"station/locale/{lang}/LC_MESSAGES/station.mo" in names
    assert "station/schemas/certificate.schema.json" in names
