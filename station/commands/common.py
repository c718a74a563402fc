"""What every subcommand needs: the Host boundary, the data directory and the language, from the global options."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from station import datadir, i18n
from station.hw import Host
from station.notice import Notice


def host_from_args(args: argparse.Namespace) -> Host:
    profile = getattr(args, "profile", None)
    return Host.recorded(Path(profile)) if profile else Host()


def datadir_from_args(args: argparse.Namespace) -> datadir.DataDir:
    return datadir.resolve(getattr(args, "data_dir", None)).ensure()


def saved_language(args: argparse.Namespace) -> str | None:
    """The language saved in the settings of the data directory the command would use, or None.

    Read without creating the data directory (`station verify` runs on a donor's machine and needs none);
    a missing, unreadable or junk file means the technician never chose one, so LANG decides.
    """
    try:
        path = datadir.resolve(getattr(args, "data_dir", None)).config_file
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("language") if isinstance(data, dict) else None
    return value if value in i18n.LANGUAGES else None


def set_language_from(args: argparse.Namespace) -> str:
    """Choose the language once per command, as the TUI does: --lang, saved setting, LANG/LANGUAGE, French."""
    lang = i18n.choose_language(getattr(args, "lang", None), saved_language(args))
    i18n.set_language(lang)
    return lang


def error_text(exc: BaseException) -> str:
    """An error for the technician: a library Notice in the current language, other exceptions as raised."""
    notice = getattr(exc, "notice", None)
    return notice.translated() if isinstance(notice, Notice) else str(exc)
