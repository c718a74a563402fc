"""`station system ...`: what the live image's systemd units run at boot.

- `record-boot-medium`: remember which disk is the boot key (station-boot-medium.service).
- `mount-data`: mount the STATIONDATA partition and write its status for the TUI (station-data.service).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from station import i18n
from station.commands.common import host_from_args, set_language_from
from station.detect import bootmedium
from station.i18n import _
from station.store import datamount


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("system", help="live image boot tasks (run by systemd units)")
    _add_tasks(parser.add_subparsers(dest="system_command", required=True, metavar="TASK"))


def _add_tasks(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:

    record = sub.add_parser("record-boot-medium",
                            help="record the boot key's identity so it is never offered for erasure")
    record.add_argument("--retries", type=int, default=0, help="wait up to N seconds for the medium to appear")
    record.set_defaults(func=_record_boot_medium)

    mount = sub.add_parser("mount-data", help="mount the STATIONDATA partition at " + datamount.MOUNT_POINT)
    mount.add_argument("--retries", type=int, default=30,
                       help="wait up to N seconds for the partition's label to appear (default 30)")
    mount.add_argument("--json", action="store_true", help="print the status as JSON")
    mount.set_defaults(func=_mount_data)


def _record_boot_medium(args: argparse.Namespace) -> int:
    host = host_from_args(args)
    for attempt in range(max(args.retries, 0) + 1):
        medium = bootmedium.record(host)
        if medium is not None:
            print(_("boot medium: /dev/{disk} ({devnum}, serial {serial}, found by {found_by})").format(
                disk=medium.disk, devnum=medium.devnum, serial=medium.serial or _("unknown"),
                found_by=medium.found_by))
            return 0
        if attempt < args.retries:
            time.sleep(1.0)
    print(_("boot medium not found: not booted from the Station live image? "
            "(no /run/live/medium and no disk with this image's ISO UUID)"), file=sys.stderr)
    return 1


def _mount_data(args: argparse.Namespace) -> int:
    host = host_from_args(args)
    status = datamount.mount_data(host, retries=max(args.retries, 0))
    datamount.write_status(host, status)
    if args.json:
        print(json.dumps(status.to_dict(), ensure_ascii=False))
    else:
        # station.datamount words each state in both languages (the TUI shows the same sentence)
        message = status.message_fr if i18n.language() == "fr" else status.message_en
        where = " " + _("({device} on {mountpoint})").format(device=status.device, mountpoint=status.mountpoint) \
            if status.mountpoint else ""
        stream = sys.stdout if status.state is datamount.DataState.MOUNTED else sys.stderr
        print(message + where + (f": {status.detail}" if status.detail else ""), file=stream)
    return datamount.EXIT_CODES[status.state]


def main(argv: list[str] | None = None) -> int:
    """`python -m station.commands.system TASK`: the boot units' entry point, without importing every
    other command (textual, reportlab, ...), which took minutes of boot under QEMU TCG."""
    parser = argparse.ArgumentParser(prog="station system")
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    parser.add_argument("--lang", choices=["fr", "en"])
    _add_tasks(parser.add_subparsers(dest="system_command", required=True, metavar="TASK"))
    args = parser.parse_args(argv)
    set_language_from(args)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
