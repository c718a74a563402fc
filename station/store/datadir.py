"""Where Station keeps what must survive: keys, config, job journals, certificates, evidence, outbox.

Resolution order: `--data-dir`, then `$STATION_DATA`, then the mounted `STATIONDATA` partition of
the live key, then the user's XDG data directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from station.hw import Host

DATA_LABEL = "STATIONDATA"


@dataclass(frozen=True)
class DataDir:
    root: Path
    source: str  # "option", "env", "partition", "xdg": shown to the technician

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def jobs(self) -> Path:
        return self.root / "jobs"

    @property
    def certificates(self) -> Path:
        return self.root / "certificates"

    @property
    def evidence(self) -> Path:
        return self.root / "evidence"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def sent(self) -> Path:
        return self.root / "sent"

    @property
    def audits(self) -> Path:
        return self.root / "audits"

    @property
    def lots(self) -> Path:
        return self.root / "lots"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def config_file(self) -> Path:
        return self.root / "config.json"

    def certificate_files(self, certificate_id: str) -> tuple[Path, Path, Path]:
        """A certificate's signed JSON, its detached signature and its PDF, where this directory keeps them."""
        return (self.certificates / f"{certificate_id}.json", self.certificates / f"{certificate_id}.json.sig",
                self.certificates / f"{certificate_id}.pdf")

    def ensure(self) -> DataDir:
        for sub in (self.keys, self.jobs, self.certificates, self.evidence, self.outbox, self.sent,
                    self.audits, self.lots, self.logs):
            sub.mkdir(parents=True, exist_ok=True)
        return self


def _unescape_mount(field: str) -> str:
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def find_label_mount(host: Host, label: str = DATA_LABEL) -> Path | None:
    """Mount point of the partition carrying `label`, matched by device identity (major:minor)."""
    link = f"/dev/disk/by-label/{label}"
    if not host.path(link).exists():
        return None
    name = os.path.basename(host.realpath(link))
    devnum = host.read_attr(f"/sys/class/block/{name}/dev")
    mountinfo = host.read_text("/proc/self/mountinfo") or ""
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) > 4 and devnum and fields[2] == devnum:
            return Path(_unescape_mount(fields[4]))
    return None


def resolve(option: str | Path | None = None, host: Host | None = None) -> DataDir:
    host = host or Host()
    if option:
        return DataDir(Path(option).expanduser().resolve(), "option")
    env = host.env.get("STATION_DATA")
    if env:
        return DataDir(Path(env).expanduser().resolve(), "env")
    mounted = find_label_mount(host)
    if mounted is not None:
        return DataDir(mounted / "station", "partition")
    xdg = host.env.get("XDG_DATA_HOME") or os.path.join(host.env.get("HOME", str(Path.home())), ".local/share")
    return DataDir(Path(xdg) / "station", "xdg")
