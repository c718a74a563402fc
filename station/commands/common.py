"""What every subcommand needs: the Host boundary, the data directory and the language, from the global options."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from station import i18n
from station.hw import Host
from station.notice import Notice
from station.store import datadir


def host_from_args(args: argparse.Namespace) -> Host:
    profile = getattr(args, "profile", None)
    return Host.recorded(Path(profile)) if profile else Host()


def datadir_from_args(args: argparse.Namespace) -> datadir.DataDir:
    return datadir.resolve(getattr(args, "data_dir", None)).ensure()


def configured_language(data: datadir.DataDir) -> str | None:
    """The language saved in the settings file, or None when the technician never chose one (then LANG).

    A missing, unreadable or junk file means no choice; read raw, so a broken file is not reported twice.
    """
    try:
        saved = json.loads(data.config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = saved.get("language") if isinstance(saved, dict) else None
    return value if value in i18n.LANGUAGES else None


def saved_language(args: argparse.Namespace) -> str | None:
    """The saved language of the data directory the command would use, read without creating it
    (`station verify` runs on a donor's machine and needs none)."""
    return configured_language(datadir.resolve(getattr(args, "data_dir", None)))


def set_language_from(args: argparse.Namespace) -> str:
    """Choose the language once per command, as the TUI does: --lang, saved setting, LANG/LANGUAGE, French."""
    lang = i18n.choose_language(getattr(args, "lang", None), saved_language(args))
    i18n.set_language(lang)
    return lang


def error_text(exc: BaseException) -> str:
    """An error for the technician: a library Notice in the current language, other exceptions as raised."""
    notice = getattr(exc, "notice", None)
    return notice.translated() if isinstance(notice, Notice) else str(exc)
