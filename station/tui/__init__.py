"""The technician's text interface (Textual): rack, erase plan, certificates, settings, host audit."""

from station.tui.app import StationApp

__all__ = ["StationApp"]
