"""`station` command line: one subcommand module per action under `station/commands/`.

Every action the TUI offers is reachable here too, so it can be scripted and tested without a terminal.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from station import __version__
from station.commands.common import set_language_from
from station.i18n import _

# every command, in the order `station --help` lists them; each is the module station.commands.<name>
COMMANDS = ["wipe", "jobs", "system", "audit", "drives", "watch", "verify", "certs", "lot", "enroll", "upload",
            "settings", "tui", "demo", "label", "laptop"]


# the options every command takes, before or after its name (`station wipe X --data-dir D` is what people type)
GLOBAL_OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("--data-dir", {"help": "where keys, journals and certificates live "
                            "(default: $STATION_DATA, the STATIONDATA partition, or the XDG data dir)"}),
    ("--profile", {"help": "run against a recorded machine profile directory (dry-run on fixtures)"}),
    ("--lang", {"choices": ["fr", "en"], "help": "language for messages and documents"}),
]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: with a command named in it, that command's alone (a wipe does not import the audit,
    the registry client and every other command: that was a third of a 1 MiB wipe's start-up); otherwise every
    command, for help and for the error that lists them."""
    parser = argparse.ArgumentParser(prog="station", description="Audit, erase and certify drives.")
    parser.add_argument("--version", action="version", version=f"station {__version__}")
    for flag, options in GLOBAL_OPTIONS:
        parser.add_argument(flag, **options)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = command_in(argv) if argv is not None else None
    for name in [chosen] if chosen else COMMANDS:
        importlib.import_module(f"station.commands.{name}").register(sub)
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


def command_in(argv: Sequence[str]) -> str | None:
    """The command `argv` names: its first word that is not a global option or an option's value."""
    takes_value = {flag for flag, _options in GLOBAL_OPTIONS}
    words = iter(argv)
    for word in words:
        if word in takes_value:
            next(words, None)
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    set_language_from(args)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print(_("interrupted"), file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
