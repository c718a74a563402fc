"""What the screens may ask of the application, as a type, so screens and app do not import each other.

The app (station.tui.app) imports the screens; a screen only knows this face of it. `StationApp` is checked
against `StationFace` by mypy in app.py, so a screen cannot use what the app does not offer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar, cast

from textual.dom import DOMNode
from textual.screen import Screen

from station.detect.drives import HostHint
from station.erase.jobs import EraseJob
from station.erase.plan import ErasePlan, Execution
from station.hw import Host
from station.session import Session
from station.store import config
from station.tui.rack import Rack


class StationFace(Protocol):
    session: Session
    settings: config.Settings
    rack: Rack
    version: int
    storage_warning: str | None
    host_hints: list[HostHint]
    executions: dict[str, Execution]
    clock: Callable[[], datetime]
    audit_host: Host

    def say(self, text: str) -> None: ...
    def start_plan(self, plan: ErasePlan, restart_of: EraseJob | None = None) -> None: ...
    def stop_job(self, devnode: str) -> bool: ...
    def running_count(self) -> int: ...
    def cancel_all(self) -> None: ...
    def set_language(self, lang: str) -> None: ...
    def save_settings(self, settings: config.Settings) -> None: ...


def station_of(node: DOMNode) -> StationFace:
    """The running app, seen through its face (a widget or a screen asks)."""
    return cast(StationFace, node.app)


ResultT = TypeVar("ResultT")


class StationScreen(Screen[ResultT]):
    """Every Station screen: follows a language switch and a rack change when the app says so."""

    @property
    def station(self) -> StationFace:
        return station_of(self)

    def retranslate(self) -> None:
        """Redraw the screen's words in the new language."""

    def refresh_rack(self) -> None:
        """Redraw what shows the drives; only screens that show them do anything."""
