"""`station watch [--json] [--all-loops]`: print drive arrivals and departures as they happen, one line each."""

from __future__ import annotations

import argparse
import json
import sys

from station.commands.drives import load_bays_for
from station.detect import hotplug
from station.hw import Host
from station.i18n import _, ngettext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("watch", help="print drives being plugged in and pulled out, as it happens")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--all-loops", action="store_true", help="include loop devices (tests, demo)")
    p.add_argument("--no-smartctl", action="store_true", help="do not ask new drives for their IDENTIFY data")
    p.add_argument("--count", type=int, metavar="N", help="exit after N events")
    p.add_argument("--timeout", type=float, metavar="S", help="exit after S seconds without an event")
    p.set_defaults(func=run)


def describe(event: hotplug.HotplugEvent) -> str:
    """One line per event in the current language; identities and reason codes as detected."""
    if isinstance(event, hotplug.DiskRemoved):
        return _("removed {name} {devnode} ({devnum})").format(name=event.name, devnode=event.devnode or "-",
                                                              devnum=event.devnum or "?")
    disk = event.disk
    verb = _("added") if isinstance(event, hotplug.DiskAdded) else _("changed")
    doubts = f" [{', '.join(disk.serial.doubts)}]" if disk.serial.doubts else ""
    protected = (" " + _("PROTECTED") + ": " + ", ".join(p.reason.value for p in disk.protections)
                 if disk.protected else "")
    bay = " " + _("bay {bay}").format(bay=disk.bay) if disk.bay else ""
    return (f"{verb} {disk.name} {disk.devnode} ({disk.devnum or '?'}) {disk.kind.value}/{disk.bus} "
            f"{disk.size_bytes} B {disk.model or '?'} " + _("serial {serial}").format(serial=disk.serial.value or "?")
            + f" ({disk.serial.source.value}){doubts}{bay}{protected}")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "profile", None):
        print("station watch: " + _("a recorded profile has no live events; run it on the machine"),
              file=sys.stderr)
        return 2
    if not hotplug.udev_running(Host()):
        print("station watch: " + _("udevd is not running, no drive event can arrive (start systemd-udevd)"),
              file=sys.stderr)
        return 2
    monitor = hotplug.HotplugMonitor(include_loops=args.all_loops, bays=load_bays_for(args),
                                     identify=not args.no_smartctl)
    try:
        present = monitor.start()
    except (ImportError, OSError) as exc:
        print("station watch: " + _("cannot listen to udev: {error}").format(error=exc), file=sys.stderr)
        return 2
    print(ngettext("watching ({n} drive present)", "watching ({n} drives present)", len(present))
          .format(n=len(present)), file=sys.stderr, flush=True)
    seen = 0
    try:
        for event in monitor.events(timeout=args.timeout):
            print(json.dumps(event.to_dict(), ensure_ascii=False) if args.json else describe(event), flush=True)
            seen += 1
            if args.count is not None and seen >= args.count:
                break
    finally:
        monitor.stop()
    return 0
