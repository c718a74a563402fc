"""What every subcommand needs: the Host boundary and the data directory, from the global options."""

from __future__ import annotations

import argparse
from pathlib import Path

from station import datadir
from station.hw import Host


def host_from_args(args: argparse.Namespace) -> Host:
    profile = getattr(args, "profile", None)
    return Host.recorded(Path(profile)) if profile else Host()


def datadir_from_args(args: argparse.Namespace) -> datadir.DataDir:
    return datadir.resolve(getattr(args, "data_dir", None)).ensure()
