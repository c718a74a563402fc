"""`station tui`: the technician's interface on the live machine (the image runs it on tty1)."""

from __future__ import annotations

import argparse

from station import i18n
from station.commands.common import configured_language, datadir_from_args, host_from_args
from station.hw import Host
from station.session import Session
from station.store import config, datamount
from station.tui.source import UdevDriveSource


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tui", help="the interactive rack view: detect, audit, erase and certify")
    p.set_defaults(func=run)


def storage_warning(host: Host, lang: str) -> str | None:
    """What the boot-time data mount found, when certificates are not safely kept on the key."""
    status = datamount.read_status(host)
    if status is None or status.state is datamount.DataState.MOUNTED:
        return None
    return status.message_fr if lang == "fr" else status.message_en


def run(args: argparse.Namespace) -> int:
    from station.tui import StationApp  # textual: `station --help` loads every command module, not the TUI

    host = host_from_args(args)
    datadir = datadir_from_args(args)
    lang = i18n.choose_language(args.lang, configured_language(datadir))
    session = Session(datadir, host=host, lang=lang)
    app = StationApp(session, UdevDriveSource(host, bays=session.bays), settings=config.load(datadir), language=lang,
                     storage_warning=storage_warning(host, lang))
    return app.run() or 0
