"""Skips the rack scenarios share: a scenario whose `station` command has not landed yet skips, naming it.

A plain module, not conftest.py: with conftest.py files in both tests/ and tests/rack/, `from conftest
import ...` binds to whichever of them was imported last."""

from __future__ import annotations

import argparse

import pytest


def station_commands() -> set[str]:
    """The subcommands the tree's `station` has today (the rack tests what has landed)."""
    from station.cli import build_parser

    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def require_commands(*names: str) -> None:
    """Skip, naming what is missing, when the scenario needs a command that has not landed yet."""
    try:
        have = station_commands()
    except Exception as exc:  # the CLI under development may not even import
        pytest.skip(f"station CLI does not import: {exc!r}")
    missing = [n for n in names if n not in have]
    if missing:
        pytest.skip(f"blocked: `station {' / '.join(missing)}` not implemented yet")
