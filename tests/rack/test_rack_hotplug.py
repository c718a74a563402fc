"""Scenario 1: drives slid into four kinds of bay while `station watch` runs are seen with their serial
and bus; the guest's own system disk and mounted data disk are listed as protected."""

from __future__ import annotations

import json
from pathlib import Path

from harness import Rack
from rack_fleet import four_buses, plug_all, wait_until
from rack_skips import require_commands


def test_hotplug_four_buses_seen_by_watch_and_drives(rack: Rack, tmp_path: Path) -> None:
    require_commands("watch", "drives")
    drives = four_buses(tmp_path)
    rack.boot()
    argv = rack.station_argv("--lang", "en", "watch", "--json")
    watcher = rack.agent.spawn(["/bin/sh", "-c", "exec " + " ".join(argv) + " >/tmp/watch.jsonl 2>/tmp/watch.err"],
                               capture=False)
    # `watch` says so on stderr once its udev monitor is open: from then on no add event can be missed
    # (in English: --lang en, as the guest has no LANG and French is the default).
    # Importing the CLI under TCG takes 20-60 s on a busy 2-core machine.
    wait_until(lambda: rack.sh("grep -q watching /tmp/watch.err").returncode == 0, 300, "station watch listening")

    plug_all(rack, drives)

    def events() -> list[dict[str, object]]:
        text = rack.read_guest_file("/tmp/watch.jsonl").decode()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def added_serials() -> set[str]:
        return {s for e in events() if e.get("event") == "added" and (s := _serial(e))}

    wanted = {d.drive.serial for d in drives}
    wait_until(lambda: wanted <= added_serials(), 90,
               f"watch events for {sorted(wanted)} (stderr: {rack.read_guest_file('/tmp/watch.err')[-500:]!r})")
    rack.sh(f"kill {watcher}")

    listed = {(d.get("serial") or {}).get("value"): d for d in rack.station_json("drives", "--json")["disks"]}
    for d in drives:
        disk = listed.get(d.drive.serial)
        assert disk is not None, f"{d.drive.serial} missing from `station drives`: {sorted(map(str, listed))}"
        assert disk["bus"] == d.drive.bus.value, f"{d.drive.serial}: bus {disk['bus']}"
        assert not disk["protections"], f"{d.drive.serial} must be erasable, got {disk['protections']}"
    for event in events():
        if event.get("event") == "added" and _serial(event) in wanted:
            assert _bus(event) in (None, next(d.drive.bus.value for d in drives if d.drive.serial == _serial(event)))
    assert listed.get("SYSROOT", {}).get("protections"), "the guest's system disk must be protected"
    assert listed.get("DATADISK", {}).get("protections"), "the mounted data disk must be protected"


def _disk_of(event: dict[str, object]) -> dict[str, object]:
    disk = event.get("disk", event)
    return disk if isinstance(disk, dict) else {}


def _serial(event: dict[str, object]) -> str | None:
    serial = _disk_of(event).get("serial")
    value = serial.get("value") if isinstance(serial, dict) else serial
    return value if isinstance(value, str) else None


def _bus(event: dict[str, object]) -> str | None:
    bus = _disk_of(event).get("bus")
    return bus if isinstance(bus, str) else None
