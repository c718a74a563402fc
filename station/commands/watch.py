"""`station watch [--json] [--all-loops]`: print drive arrivals and departures as they happen, one line each."""

from __future__ import annotations

import argparse
import json
import sys

from station import hotplug
from station.commands.drives import load_bays_for
from station.hw import Host


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("watch", help="print drives being plugged in and pulled out, as it happens")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--all-loops", action="store_true", help="include loop devices (tests, demo)")
    p.add_argument("--no-smartctl", action="store_true", help="do not ask new drives for their IDENTIFY data")
    p.add_argument("--count", type=int, metavar="N", help="exit after N events")
    p.add_argument("--timeout", type=float, metavar="S", help="exit after S seconds without an event")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "profile", None):
        print("station watch: a recorded profile has no live events; run it on the machine", file=sys.stderr)
        return 2
    if not hotplug.udev_running(Host()):
        print("station watch: udevd is not running, no drive event can arrive "
              "(start systemd-udevd)", file=sys.stderr)
        return 2
    monitor = hotplug.HotplugMonitor(include_loops=args.all_loops, bays=load_bays_for(args),
                                     identify=not args.no_smartctl)
    try:
        present = monitor.start()
    except (ImportError, OSError) as exc:
        print(f"station watch: cannot listen to udev: {exc}", file=sys.stderr)
        return 2
    print(f"watching ({len(present)} drives present)", file=sys.stderr, flush=True)
    seen = 0
    try:
        for event in monitor.events(timeout=args.timeout):
            print(json.dumps(event.to_dict(), ensure_ascii=False) if args.json else hotplug.describe(event),
                  flush=True)
            seen += 1
            if args.count is not None and seen >= args.count:
                break
    finally:
        monitor.stop()
    return 0
