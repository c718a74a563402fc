"""The machine's DMI identity is read once per session, not after every job (dmidecode costs up to a second)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from purge_helpers import ScriptedRunner, make_disk

from station.detect.disk import DiskKind
from station.hw import Host
from station.session import Session
from station.store.datadir import DataDir

FIXTURES = Path(__file__).parent / "fixtures" / "dmidecode"
SIZE = 1 << 20


def test_dmidecode_runs_once_for_many_jobs_and_every_certificate_names_the_machine(disk_dir: Path,
                                                                                   datadir: DataDir) -> None:
    thinkpad = (FIXTURES / "laptop-lenovo-thinkpad-t480-battery-sbds.txt").read_text()
    runner = ScriptedRunner().on("dmidecode", (0, thinkpad, ""))
    session = Session(datadir, host=Host(root=disk_dir / "no-sysfs", runner=runner, env={}))
    certificates = []
    for name in ("a.img", "b.img", "c.img"):
        target = disk_dir / name
        target.write_bytes(os.urandom(SIZE))
        plan = session.plan([make_disk(str(target), DiskKind.FILE, "file", size=SIZE)], "zero", "full")
        [outcome] = session.run(plan)
        assert outcome.job.erased, outcome.job.failure
        certificates.append(json.loads(Path(str(outcome.certificate)).read_text()))
    assert sum(call.split()[0] == "dmidecode" for call in runner.calls) == 1, runner.calls
    hosts = [c["media"]["source"]["host"] for c in certificates]
    assert hosts[0] == hosts[1] == hosts[2]
    assert hosts[0]["product"] and "ThinkPad" in json.dumps(hosts[0])
