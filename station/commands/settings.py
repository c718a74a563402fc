"""`station settings show|set KEY VALUE`: organisation, operator, donor, lot, defaults, upload endpoint."""

from __future__ import annotations

import argparse
import sys

from station.certify import keys
from station.commands.common import datadir_from_args
from station.i18n import _
from station.store import config


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("settings", help="show or change the station settings (printed on certificates)")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("show", help="print every setting and the station key fingerprint")
    s = actions.add_parser("set", help="change one setting")
    s.add_argument("key", choices=config.SETTING_NAMES, metavar="KEY", help=", ".join(config.SETTING_NAMES))
    s.add_argument("value", metavar="VALUE")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    datadir = datadir_from_args(args)
    settings, warnings = config.load_checked(datadir)
    for warning in warnings:
        print(_("warning: {text}").format(text=warning), file=sys.stderr)
    if args.action == "set":
        try:
            settings = config.with_value(settings, args.key, args.value)
        except config.SettingError as exc:
            print(f"station settings: {exc}", file=sys.stderr)
            return 2
        config.save(datadir, settings)
    for name, value in settings.to_dict().items():
        shown = _("(set)") if name in config.SECRET_NAMES and value else value
        print(f"{name:<17} {shown}")
    print(f"{'data_dir':<17} {datadir.root} ({datadir.source})")
    if args.action == "show":
        try:
            key = keys.load_or_create(datadir)
            print(f"{'key_fingerprint':<17} {key.fingerprint}")
            print(f"{'public_key':<17} {keys.public_path(datadir)}")
        except keys.KeyFileError as exc:
            print(f"{'key_fingerprint':<17} " + _("unavailable: {error}").format(error=exc))
    return 0
