"""`station` command line: one subcommand module per action under `station/commands/`.

Every action the TUI offers is reachable here too, so it can be scripted and tested without a terminal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from station import __version__
from station.commands import audit, certs, demo, drives, jobs, lot, settings, system, tui, upload, verify, watch, wipe
from station.commands.common import set_language_from
from station.i18n import _

# each helper-module adds itself here
COMMAND_MODULES = [wipe, jobs, system, audit, drives, watch, verify, certs, lot, upload, settings]
COMMAND_MODULES += [tui, demo]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="station", description="Audit, erase and certify drives.")
    parser.add_argument("--version", action="version", version=f"station {__version__}")
    parser.add_argument("--data-dir", help="where keys, journals and certificates live "
                        "(default: $STATION_DATA, the STATIONDATA partition, or the XDG data dir)")
    parser.add_argument("--profile", help="run against a recorded machine profile directory (dry-run on fixtures)")
    parser.add_argument("--lang", choices=["fr", "en"], help="language for messages and documents")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    set_language_from(args)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print(_("interrupted"), file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
