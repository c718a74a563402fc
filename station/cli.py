"""`station` command line: one subcommand module per action under `station/commands/`.

Every action the TUI offers is reachable here too, so it can be scripted and tested without a terminal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from station import __version__
from station.commands import (
    audit,
    certs,
    demo,
    drives,
    enroll,
    jobs,
    label,
    laptop,
    lot,
    settings,
    system,
    tui,
    upload,
    verify,
    watch,
    wipe,
)
from station.commands.common import set_language_from
from station.i18n import _

# each helper-module adds itself here
COMMAND_MODULES = [wipe, jobs, system, audit, drives, watch, verify, certs, lot, enroll, upload, settings]
COMMAND_MODULES += [tui, demo]
COMMAND_MODULES += [label, laptop]


# the options every command takes, before or after its name (`station wipe X --data-dir D` is what people type)
GLOBAL_OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("--data-dir", {"help": "where keys, journals and certificates live "
                            "(default: $STATION_DATA, the STATIONDATA partition, or the XDG data dir)"}),
    ("--profile", {"help": "run against a recorded machine profile directory (dry-run on fixtures)"}),
    ("--lang", {"choices": ["fr", "en"], "help": "language for messages and documents"}),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="station", description="Audit, erase and certify drives.")
    parser.add_argument("--version", action="version", version=f"station {__version__}")
    for flag, options in GLOBAL_OPTIONS:
        parser.add_argument(flag, **options)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    _accept_global_options_after_command(parser)
    return parser


def _accept_global_options_after_command(parser: argparse.ArgumentParser) -> None:
    """Repeat the global options on every subcommand, defaulting to SUPPRESS so that one given before the
    command is not reset by the subcommand; an option a command already defines for itself (`lot report
    --lang`: the report's language) keeps its own meaning there."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for child in action.choices.values():
            for flag, options in GLOBAL_OPTIONS:
                if flag not in child._option_string_actions:
                    child.add_argument(flag, **options, default=argparse.SUPPRESS)
            _accept_global_options_after_command(child)


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
