"""The command line speaks the technician's language: --lang, then the saved setting, then LANG, then French.

Every command chooses it once in station.cli.main; JSON output stays the same in both languages.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from station.cli import main

PROFILES = Path(__file__).parent / "fixtures" / "profiles"
MIB = 1 << 20


@pytest.fixture
def env_lang(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A clean locale environment; each test sets LANG itself."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def drives(capsys: pytest.CaptureFixture[str], data: Path, *lang: str) -> str:
    code, out, _ = run(capsys, "--profile", str(PROFILES / "laptop-nvme-usbkey"), "--data-dir", str(data), *lang,
                       "drives", "--no-smartctl")
    assert code == 0
    return out


def test_drives_in_french_with_the_option(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          env_lang: pytest.MonkeyPatch) -> None:
    env_lang.setenv("LANG", "en_US.UTF-8")
    out = drives(capsys, tmp_path, "--lang", "fr")
    assert "PROTÉGÉ: boot-medium" in out and "PROTECTED" not in out


def test_drives_follow_lang(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                            env_lang: pytest.MonkeyPatch) -> None:
    env_lang.setenv("LANG", "fr_FR.UTF-8")
    assert "PROTÉGÉ" in drives(capsys, tmp_path)
    env_lang.setenv("LANG", "en_US.UTF-8")
    out = drives(capsys, tmp_path)
    assert "PROTECTED: boot-medium" in out and "PROTÉGÉ" not in out


def test_french_without_any_locale(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   env_lang: pytest.MonkeyPatch) -> None:
    env_lang.setenv("LANG", "C.UTF-8")
    assert "PROTÉGÉ" in drives(capsys, tmp_path)


@pytest.mark.parametrize(("saved", "env", "word"), [("en", "fr_FR.UTF-8", "PROTECTED"),
                                                     ("fr", "en_US.UTF-8", "PROTÉGÉ")])
def test_saved_setting_wins_over_lang(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                      env_lang: pytest.MonkeyPatch, saved: str, env: str, word: str) -> None:
    env_lang.setenv("LANG", env)
    assert main(["--data-dir", str(tmp_path), "settings", "set", "language", saved]) == 0
    capsys.readouterr()
    assert f"{word}:" in drives(capsys, tmp_path)
    other = "fr" if saved == "en" else "en"
    assert f"{word}:" not in drives(capsys, tmp_path, "--lang", other)  # and the option wins over the setting


def test_junk_saved_language_falls_back_to_lang(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                env_lang: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.json").write_text('{"language": "de"', encoding="utf-8")
    env_lang.setenv("LANG", "en_US.UTF-8")
    assert "PROTECTED:" in drives(capsys, tmp_path)


class Terminal(io.StringIO):
    """What the technician types, on a stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def wipe(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data: Path, targets: list[Path],
         typed: str, *lang: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", Terminal(typed + "\n"))
    return run(capsys, "--data-dir", str(data), *lang, "wipe", *map(str, targets))


@pytest.mark.parametrize("typed", ["oui", "un", "", "2", " 1x"])
def test_french_confirmation_still_needs_the_exact_number(capsys: pytest.CaptureFixture[str], disk_dir: Path,
                                                          env_lang: pytest.MonkeyPatch, typed: str) -> None:
    target = disk_dir / "a.img"
    content = os.urandom(MIB)
    target.write_bytes(content)
    code, out, err = wipe(capsys, env_lang, disk_dir / "data", [target], typed, "--lang", "fr")
    assert code == 2
    assert "Toutes les données de cette cible seront détruites. Tapez 1 pour confirmer : " in out
    assert "Plan : effacer 1 disque, 1.0 MB de données seront détruits." in err
    assert "CLEAR (effacement) par overwrite : zero (zero), vérification full" in err
    assert "Non confirmé : rien n'a été écrit." in err
    assert target.read_bytes() == content
    assert not list((disk_dir / "data" / "jobs").glob("*.json"))


def test_french_confirmation_of_two_targets(capsys: pytest.CaptureFixture[str], disk_dir: Path,
                                            env_lang: pytest.MonkeyPatch) -> None:
    targets = [disk_dir / "a.img", disk_dir / "b.img"]
    for t in targets:
        t.write_bytes(b"\xaa" * MIB)
    env_lang.setenv("LANG", "fr_FR.UTF-8")
    code, out, _ = wipe(capsys, env_lang, disk_dir / "data", targets, "1")
    assert code == 2 and "Toutes les données de ces 2 cibles seront détruites. Tapez 2 pour confirmer" in out
    assert all(t.read_bytes() == b"\xaa" * MIB for t in targets)


def test_french_wipe_jobs_and_verify(capsys: pytest.CaptureFixture[str], disk_dir: Path,
                                     env_lang: pytest.MonkeyPatch) -> None:
    """Typing the number erases; the result, the job list and the donor's check read in French."""
    env_lang.setenv("LANG", "fr_FR.UTF-8")
    data = disk_dir / "data"
    target = disk_dir / "a.img"
    target.write_bytes(os.urandom(MIB))
    code, out, err = wipe(capsys, env_lang, data, [target], " 1 ")
    assert code == 0, err
    assert target.read_bytes() == bytes(MIB)
    assert f"{target}: EFFACÉ et vérifié -> " in err
    certificate = err.split(" -> ")[-1].strip()
    assert "passe 1/1" in err and "vérification" in err  # progress lines (not a terminal: one per phase and 10 %)
    code, out, _ = run(capsys, "--data-dir", str(data), "jobs")
    assert code == 0 and " effacé " in out and "n° de série -" in out
    code, out, _ = run(capsys, "verify", "--pubkey", str(data / "keys" / "station.pub.pem"), certificate)
    assert code == 0 and out.startswith("VALIDE ") and "certificat" in out and "clé imposée" in out
    code, out, _ = run(capsys, "--data-dir", str(data), "certs")
    assert code == 0 and " effacé " in out
    code, out, _ = run(capsys, "--data-dir", str(data), "upload")
    assert code == 2  # no endpoint: said in French on stderr
    code, out, _ = run(capsys, "--lang", "en", "--data-dir", str(data), "jobs")
    assert " erased " in out and "serial -" in out


def test_json_output_does_not_depend_on_the_language(capsys: pytest.CaptureFixture[str], disk_dir: Path,
                                                     env_lang: pytest.MonkeyPatch) -> None:
    data = disk_dir / "data"
    target = disk_dir / "a.img"
    target.write_bytes(os.urandom(MIB))
    code, out, _ = run(capsys, "--lang", "fr", "--data-dir", str(data), "wipe", str(target), "--yes", "--json")
    result = json.loads(out)
    assert code == 0 and result["state"] == "erased" and result["phase"] == "done"
    certificate = result["certificate"]
    by_lang = {}
    for lang in ("fr", "en"):
        code, out, _ = run(capsys, "--lang", lang, "verify", "--json", certificate)
        by_lang[lang] = out
        code, out, _ = run(capsys, "--lang", lang, "--data-dir", str(data), "jobs", "--json")
        by_lang[lang + "-jobs"] = out
    assert by_lang["fr"] == by_lang["en"] and json.loads(by_lang["fr"])["status"] == "valid"
    assert by_lang["fr-jobs"] == by_lang["en-jobs"]


def test_messages_in_french_and_english(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        env_lang: pytest.MonkeyPatch) -> None:
    for lang, words in (("fr", ("boîte d'envoi vide", "(défini)", "ILLISIBLE", "un profil enregistré")),
                        ("en", ("outbox empty", "(set)", "UNREADABLE", "a recorded profile"))):
        data = ["--data-dir", str(tmp_path / lang)]
        env_lang.setenv("LANG", f"{lang}_{lang.upper()}.UTF-8")
        assert run(capsys, *data, "upload")[1].startswith(words[0])
        (tmp_path / "notes.txt").write_text("hello")
        code, out, _ = run(capsys, "verify", str(tmp_path / "notes.txt"))
        assert code == 2 and out.startswith(words[2] + " ")
        code, _, err = run(capsys, *data, "--profile", str(PROFILES / "virtio-vm"), "watch")
        assert code == 2 and words[3] in err
        assert main([*data, "settings", "set", "upload_token", "t0k"]) == 0
        assert f"upload_token      {words[1]}" in capsys.readouterr().out
        # saving other settings does not pin a language: LANG still decides afterwards
        assert run(capsys, *data, "upload")[1].startswith(words[0])


def test_dry_run_in_a_french_process(disk_dir: Path) -> None:
    """A real process with only LANG set, as on a technician's terminal."""
    target = disk_dir / "a.img"
    target.write_bytes(bytes(MIB))
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env["LANG"] = "fr_FR.UTF-8"
    res = subprocess.run([sys.executable, "-m", "station.cli", "--data-dir", str(disk_dir / "data"), "wipe",
                          str(target), "--dry-run"], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    assert "Plan : effacer 1 disque" in res.stderr and "vérification full" in res.stderr


def test_cli_start_does_not_import_the_tui_or_pdf() -> None:
    """Choosing the language must not make every command import Textual or reportlab."""
    code = ("import sys; from station.cli import main; main(['--lang', 'fr', 'verify'])\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'reportlab')]\n"
            "assert not bad, bad")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    assert "indiquer des fichiers de certificat" in res.stderr


@pytest.mark.parametrize(("lang", "medium", "data"), [
    ("fr", "support de démarrage introuvable", "Partition STATIONDATA introuvable"),
    ("en", "boot medium not found", "STATIONDATA partition not found"),
])
def test_boot_units_entry_point_follows_lang(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             env_lang: pytest.MonkeyPatch, lang: str, medium: str, data: str) -> None:
    """`python -m station.commands.system` (the systemd units) chooses the language like station.cli."""
    from station.commands import system

    (tmp_path / "root").mkdir()  # a recorded machine with nothing on it: no boot key, no data partition
    env_lang.setenv("LANG", f"{lang}_{lang.upper()}.UTF-8")
    env_lang.setenv("STATION_DATA", str(tmp_path / "data"))
    assert system.main(["--profile", str(tmp_path), "record-boot-medium"]) == 1
    assert capsys.readouterr().err.startswith(medium)
    assert system.main(["--profile", str(tmp_path), "mount-data", "--retries", "0"]) == 3
    assert capsys.readouterr().err.startswith(data)


def test_jobs_restart_sets_the_language(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        env_lang: pytest.MonkeyPatch) -> None:
    env_lang.setenv("LANG", "fr_FR.UTF-8")
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "jobs", "restart", "20990101T000000Z-nope")
    assert code == 2 and "tâche 20990101T000000Z-nope illisible" in err
