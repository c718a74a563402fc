"""`station drives [--json] [--all-loops]`: the drives Station sees, who they are, and what is protected."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from station import i18n
from station.commands.common import datadir_from_args, host_from_args
from station.detect import drivelock, refused
from station.detect import drives as detect
from station.detect.disk import Disk
from station.i18n import _
from station.notice import Notice
from station.session import purge_options


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("drives", help="list drives with identity, serial provenance and protection")
    p.add_argument("--json", action="store_true", help="print the full records as JSON")
    p.add_argument("--all-loops", action="store_true", help="include loop devices (tests, demo)")
    p.add_argument("--no-smartctl", action="store_true",
                   help="do not ask drives for their IDENTIFY data (faster; serials from udev only)")
    p.set_defaults(func=run)


def load_bays_for(args: argparse.Namespace) -> dict[str, str]:
    """Bay labels from bays.json in the data dir; a broken file is reported, never fatal."""
    try:
        return detect.load_bays(Path(datadir_from_args(args).root) / detect.BAYS_FILE)
    except detect.BayConfigError as exc:
        print("station: " + _("{error} (bays ignored)").format(error=exc), file=sys.stderr)
        return {}


def _size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n < 1e12 else f"{n / 1e12:.2f} TB"


def line(disk: Disk) -> str:
    """A drive in the current language (station.i18n); the long hint texts are station.detect.drives's own."""
    serial = disk.serial.value or _("unknown")
    doubts = f" [{', '.join(disk.serial.doubts)}]" if disk.serial.doubts else ""
    bay = "  " + _("bay {bay}").format(bay=disk.bay) if disk.bay else ""
    text = (f"{disk.devnode:<14} {disk.kind.value:<9} {disk.bus:<6} {_size(disk.size_bytes):>9}  "
            f"{disk.model or '?'}  S/N {serial} ({disk.serial.source.value}){doubts}{bay}")
    for protection in disk.protections:
        text += f"\n{'':<14} {_('PROTECTED')}: {protection.reason.value}: {protection.translated()}"
    for hint in disk.hints:
        text += f"\n{'':<14} ! {detect.hint_text(hint, i18n.language())}"
    return text


def _busy_dict(holder: drivelock.Holder | None) -> dict[str, object] | None:
    return holder.to_dict() if holder is not None else None


def run(args: argparse.Namespace) -> int:
    host = host_from_args(args)
    lang = i18n.language()  # chosen once by station.cli for every command
    found = detect.detect(host, include_loops=args.all_loops, bays=load_bays_for(args),
                          identify=not args.no_smartctl)
    probe = not args.no_smartctl
    busy = {d.devnode: drivelock.holder_of(host, d) for d in found.disks}
    kernel = refused.scan(host)  # present but refused by the kernel: shown, never erasable
    if args.json:
        print(json.dumps({
            "disks": [dict(d.to_dict(), purge=purge_options(host, d) if probe else None,
                           busy=_busy_dict(busy[d.devnode])) for d in found.disks],
            "hints": [{"code": h.code, "detail": h.detail, "message": detect.hint_text(h.code, lang)}
                      for h in found.hints],
            "skipped": [{"name": n, "reason": r} for n, r in found.skipped],
            "refused": [r.to_dict() for r in kernel.drives],
            "kernel_log_problem": kernel.problem,
        }, indent=2, ensure_ascii=False))
        return 0
    if not found.disks and not kernel.drives:
        print(_("No drive detected."))
    for disk in found.disks:
        print(line(disk))
        holder = busy[disk.devnode]
        if holder is not None:
            print(f"{'':<14} {_('BUSY')}: {holder.notice().translated()}")
        if probe and not disk.protections:
            summary = purge_options(host, disk)
            reason = Notice.from_dict(summary["reason_notice"]).translated()
            print(f"{'':<14} " + _("Purge: {technique} ({category}) - {reason}").format(
                technique=summary["technique"], category=summary["nist_category"], reason=reason))
    for drive in kernel.drives:
        print(refused_line(drive))
    if kernel.problem and not kernel.log_missing:
        print("! " + _("kernel log not readable ({error}): drives the kernel refused to attach cannot be listed")
              .format(error=kernel.problem))
    for hint in found.hints:
        print(f"! {detect.hint_text(hint.code, lang)} ({hint.detail})")
    return 0


def refused_line(drive: refused.RefusedDrive) -> str:
    """A drive in the machine without a block device: where it is, and the kernel's reason."""
    ids = f" [{drive.vendor_device}]" if drive.vendor_device else ""
    text = f"{'pci ' + drive.address:<14} nvme{ids}  {_('REFUSED')}: {drive.notice().translated()}"
    advice = drive.advice()
    if advice is not None:
        text += f"\n{'':<14} ! {advice.translated()}"
    return text
