"""The plan is rendered once (erase.plan.plan_lines): `station wipe` prints it, the TUI's plan screen shows it.

A drive-command Purge used to read "PURGE by X: , verify markers" on the TUI; both faces now say how it is done.
The drive's answer is a real recorded `nvme id-ctrl -H` replayed at the command boundary.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from purge_helpers import ScriptedRunner, fixture, make_disk

from station import i18n
from station.detect.disk import DiskKind
from station.hw import Host
from station.session import Session
from station.store.datadir import DataDir
from station.tui.screens.plan_screen import plan_text

SIZE = 4 << 20


@pytest.fixture
def nvme_plan(disk_dir: Path, datadir: DataDir):  # type: ignore[no-untyped-def]
    target = disk_dir / "nvme.img"
    target.write_bytes(b"\x5a" * SIZE)
    optane = fixture("nvme/id-ctrl-H-intel-optane-m10-mempek1j016gal.txt")
    runner = ScriptedRunner().on(f"nvme id-ctrl -H {target}", (0, optane, ""))
    session = Session(datadir, host=Host(root=Path("/"), runner=runner, env={}))
    disk = make_disk(str(target), DiskKind.NVME, "nvme", size=SIZE)
    return session.plan([disk], "nvme-format-user-data", "full")


@pytest.mark.parametrize("lang,how", [
    ("en", "CLEAR by format-user-data-erase: drive command nvme-format-user-data, proven by marker blocks"),
    ("fr", "CLEAR (effacement) par format-user-data-erase : commande du disque nvme-format-user-data, "
           "prouvée par des blocs témoins"),
])
def test_cli_and_tui_show_the_same_plan(nvme_plan, lang: str, how: str) -> None:  # type: ignore[no-untyped-def]
    i18n.set_language(lang)
    try:
        printed = nvme_plan.describe()  # what `station wipe` prints (dry run and confirmation)
        shown = plan_text(nvme_plan).plain  # what the TUI's plan screen shows
    finally:
        i18n.set_language("en")
    assert [line.strip() for line in printed.splitlines()] == [line.strip() for line in shown.splitlines()]
    assert how in printed, printed
    assert ": ," not in shown and "verify markers" not in shown

