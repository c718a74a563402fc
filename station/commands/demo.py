"""`station demo`: the TUI on a rack of file-backed virtual drives; nothing real is ever written."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from station import i18n
from station.commands.common import configured_language
from station.demo import DEFAULT_DRIVES, DEFAULT_SPEED_MBS, LATE_PLUG_S, DemoRack
from station.i18n import _
from station.session import Session
from station.store import config, datadir


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:

    p = sub.add_parser("demo", help="the TUI on a demo rack of virtual drives (files in a temporary directory)")
    p.add_argument("--drives", type=int, metavar="N", help="erasable drives present at start (default 6)")
    p.add_argument("--speed", type=float, metavar="MB/S", help="throughput of each virtual drive (default 6)")
    p.add_argument("--late", type=float, metavar="SECONDS",
                   help="plug in the late drive after this many seconds (default 20)")
    p.set_defaults(func=run)


def demo_datadir(args: argparse.Namespace, root: Path) -> datadir.DataDir:
    """--data-dir when given, else a data directory inside the demo's own temporary directory."""
    option = getattr(args, "data_dir", None)
    return datadir.resolve(option if option else root / "data").ensure()


def seed_settings(data: datadir.DataDir, lang: str) -> None:
    """A fresh demo data directory gets example workshop settings, so certificates look like real ones."""
    if data.config_file.exists():
        return
    config.save(data, config.Settings(organisation="Atelier de démonstration", operator="Démo",
                                      donor="Donateur exemple", lot="DEMO-001", station_name="station-demo",
                                      language=lang))


def run(args: argparse.Namespace) -> int:
    from station.tui import StationApp  # textual: `station --help` loads every command module, not the TUI

    args.drives = DEFAULT_DRIVES if args.drives is None else args.drives
    args.speed = DEFAULT_SPEED_MBS if args.speed is None else args.speed
    args.late = LATE_PLUG_S if args.late is None else args.late

    if args.drives < 0 or args.speed <= 0:
        print("station demo: " + _("--drives must be >= 0 and --speed > 0"), file=sys.stderr)
        return 2
    rack = DemoRack.create(args.drives, args.speed, args.late)
    data = demo_datadir(args, rack.root)
    lang = i18n.choose_language(args.lang, configured_language(data))
    seed_settings(data, lang)
    session = Session(data, opener=rack.opener(), lang=lang)
    app = StationApp(session, rack.source, settings=config.load(data), language=lang)
    try:
        code = app.run() or 0
    finally:
        rack.remove_drives()
    print("station demo: " + _("records kept in {path}").format(path=data.root), file=sys.stderr)
    return code
