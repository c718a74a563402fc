"""The technician's text interface (Textual): rack, erase plan, certificates, settings, host audit.

`StationApp` is imported on first use, so `station.tui.source` (the drive sources the demo and the CLI
share) does not pull Textual into every command's start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from station.tui.app import StationApp

__all__ = ["StationApp"]


def __getattr__(name: str) -> Any:
    if name == "StationApp":
        from station.tui.app import StationApp  # textual: the demo and `station --help` import the package

        return StationApp
    raise AttributeError(name)
