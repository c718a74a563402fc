"""The laptop bench in the rack guest: keys sent through QEMU's monitor (`sendkey`) to the machine's
i8042 keyboard reach `station laptop --keyboard` in the guest as evdev events, and the signed audit
record says every key of the AZERTY layout was seen on /dev/input/event0."""

from __future__ import annotations

import json
import time

from capture.capture_laptop import AZERTY_KEYS as QEMU_KEYS
from harness import GUEST_DATA_DIR, Rack

from station.functest import layouts


def test_keys_from_the_qemu_monitor_pass_the_keyboard_test(rack: Rack) -> None:
    assert len(QEMU_KEYS) == len(layouts.AZERTY_FR.codes)
    rack.boot()
    rack.sh("modprobe evdev; udevadm settle").check()
    argv = rack.station_argv("--lang", "en", "laptop", "--keyboard", "240", "--grade", "A")
    pid = rack.agent.spawn(argv)
    started = time.monotonic()
    # the keys go when the keyboard test holds the event node open (audit first: tens of seconds under TCG);
    # one at a time, paced, as a technician would: a flood overruns the i8042 and loses key releases
    opened = "ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c /dev/input/event0 || true"
    while rack.sh(opened).check().stdout.strip() in ("", "0"):
        assert rack.agent.poll(pid, argv) is None, "station laptop ended before reading the keyboard"
        assert time.monotonic() - started < 600, "the keyboard test never opened /dev/input/event0"
        time.sleep(2)
    waited = time.monotonic() - started
    for key in QEMU_KEYS:
        rack.qmp.execute("human-monitor-command", {"command-line": f"sendkey {key}"})
        time.sleep(0.05)
    result = rack.agent.wait(pid, argv, 600)
    print(f"station laptop: keyboard open after {waited:.0f} s, done after {time.monotonic() - started:.0f} s"
          f"\n{result.stdout}")
    assert result.returncode in (0, 1), result.stderr  # 1: erase not confirmed leaves steps skipped, not failed
    listing = rack.sh(f"ls {GUEST_DATA_DIR}/audits/").check().stdout.split()
    record_name = next(n for n in listing if n.endswith(".json"))
    record = json.loads(rack.read_guest_file(f"{GUEST_DATA_DIR}/audits/{record_name}"))
    keyboard = next(r for r in record["bench"]["results"] if r["function"] == "keyboard")
    assert keyboard["status"] == "pass", keyboard
    assert keyboard["device"] == "/dev/input/event0" and keyboard["measured"]["keys_seen"] == 78
    assert any(n.endswith(".label-roll62.pdf") for n in listing)
