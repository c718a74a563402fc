"""Build the live image (cached by input hash) and boot it in QEMU as a USB stick, BIOS and UEFI.

Checks, in the guest: the GRUB entry picked on the serial console really ran, and the firmware path
(BIOS, UEFI, UEFI with Secure Boot enforced); the Station TUI is drawn on tty1 (its rack title read
from /dev/vcs1, with the extra disk's serial in the table) and never restarted; `station drives --json`
lists the boot key as protected (`boot-medium`) and the extra disk unprotected; the STATIONDATA
partition's state (prepared on the host before boot: as built, full, or missing) is the one reported
and the TUI's title says so. On the host after power-off: a file written in the guest's data dir is
read back from the stick image with mtools.

Each boot costs ~3-5 min under TCG, so each covers more than one thing: by default the BIOS boot has
no STATIONDATA partition (relabelled) and the UEFI boot runs with Secure Boot enforced and a full
partition, which is then emptied (mounted) and remounted from a write-protected device (read-only).
A third default boot, `bios-notoram`, takes the `k` entry (running from the key, live-boot's fallback when
RAM is short; ~2.5 min under TCG thanks to the image's 4 MiB read-ahead udev rule, which every boot checks)
with the partition as built. STATION_IMAGE_MODES=bios,uefi-sb,bios-notoram,uefi,laptop (comma-separated) picks
the boots; `uefi` (Secure Boot off, data partition as built) is not in the default set; `laptop` is
test_image_laptop.py's (the laptop bench driven from the TUI).

Skips (with the reason) when not root, when STATION_SKIP_IMAGE=1, or when the image is not cached and
the Debian archive cannot be reached. Timing is printed (QEMU start to TUI drawn), never asserted.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from image_guest import MTOOLS_ENV, BootMode, ExtraDisk, Guest, GuestError, fat_partition_offset, requested_modes

pytestmark = pytest.mark.image

GUEST_PY = "/opt/station/venv/bin/python"
ALL_MODES = {
    "bios": BootMode("bios", "bios", ExtraDisk("sata", "STNSATA0001"), data="missing"),
    "uefi-sb": BootMode("uefi-sb", "uefi-secureboot", ExtraDisk("nvme", "STNNVME0001"), data="full"),
    "uefi": BootMode("uefi", "uefi", ExtraDisk("nvme", "STNNVME0002"), data="fresh"),
    # from the key (GRUB entry `k`, live-boot's fallback when RAM is short): squashfs pages read over USB
    "bios-notoram": BootMode("bios-notoram", "bios", ExtraDisk("sata", "STNSATA0002"), entry_hotkey="k",
                             data="fresh"),
}
MODES = [ALL_MODES[name] for name in requested_modes() if name in ALL_MODES]
# what station-data.service must report for each state the host left the partition in
EXPECTED_DATA_STATE = {"fresh": "mounted", "full": "full", "missing": "missing"}
SECURE_BOOT_VAR = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
MOUNT_DATA = f"{GUEST_PY} -m station.commands.system mount-data --retries 0 --json"

# reduces `station drives --json` in the guest to name -> serial and protection reasons (the serial line is slow)
DRIVES_REDUCE = """
import json, sys
disks = json.load(sys.stdin)["disks"]
print(json.dumps({d["name"]: {"serial": (d.get("serial") or {}).get("value") or "",
                              "reasons": [p["reason"] for p in d["protections"]]} for d in disks}))
"""
# the rack screen's title, in French (the image's default) or English
RACK_TITLE = r"disque\(s\)|drive\(s\)"


@pytest.fixture(params=MODES, ids=[m.name for m in MODES])
def guest(request: pytest.FixtureRequest, station_iso: Path, tmp_path: Path) -> Iterator[Guest]:
    vm = Guest(station_iso, request.param, tmp_path)
    vm.start()
    try:
        yield vm
    finally:
        vm.kill()
        print(f"serial log: {tmp_path / 'serial.log'}")


def _tty1_text(vm: Guest) -> str:
    """tty1's characters from /dev/vcs1 (rows x cols, no newlines), as lines."""
    rows, cols = (int(n) for n in vm.check("stty -F /dev/tty1 size").split())
    data = base64.b64decode(vm.check("base64 -w0 /dev/vcs1").strip()).decode("latin-1")
    return "\n".join(data[r * cols:(r + 1) * cols] for r in range(rows))


def _mount_data(vm: Guest) -> dict[str, object]:
    """Run the boot unit's task again in the guest, as the unit does, and return its status."""
    result: dict[str, object] = json.loads(vm.run(MOUNT_DATA, timeout=180)[1].strip().splitlines()[-1])
    return result


def _check_storage_warning(screen: str, status: dict[str, str]) -> None:
    """The rack's title carries the status message, in French or English, unless the partition is fine.
    Compared up to the first non-ASCII character: /dev/vcs1 holds console font glyphs, not Unicode."""
    prefixes = [re.match(r"[ -~]*", message).group(0)[:30] for message in  # type: ignore[union-attr]
                (status["message_fr"], status["message_en"])]
    shown = any(prefix in screen for prefix in prefixes)
    assert shown == (status["state"] != "mounted"), f"{status['state']}: {prefixes} on tty1?\n{screen}"


def test_live_image_boots_as_usb_stick(guest: Guest) -> None:
    vm = guest
    mode = vm.mode
    vm.choose_boot_entry()
    shell_s = vm.wait_for_shell(timeout=600)
    # polled in the guest so the time is when the rack title appears, not when the host next looks
    vm.check(f"until grep -Eq '{RACK_TITLE}' /dev/vcs1; do sleep 0.3; done", timeout=300)
    tui_s = time.monotonic() - vm.started
    # the rack is drawn before the first detection (a worker thread) fills it: wait for the extra disk's row
    vm.check(f"until grep -q '{mode.extra.serial[:8]}' /dev/vcs1; do sleep 0.5; done", timeout=180)
    listed_s = time.monotonic() - vm.started
    print(f"\n{mode.name}: QEMU start to serial root shell {shell_s:.1f} s, to TUI drawn on tty1 {tui_s:.1f} s, "
          f"to the extra disk listed in it {listed_s:.1f} s")
    print(vm.run("systemctl list-jobs --no-pager | head -8", timeout=120)[1])  # what boot still waits for

    # the entry really taken and the firmware path really taken
    cmdline = vm.check("cat /proc/cmdline").split()
    assert ("toram" in cmdline) == (mode.entry_hotkey in (None, "r")), cmdline
    has_efi = vm.run("test -d /sys/firmware/efi")[0] == 0
    assert has_efi == (mode.firmware != "bios")
    if has_efi:  # the variable's last byte is 1 when Secure Boot is enforced (firmware without it: absent)
        secure_boot = vm.check(f"cat {SECURE_BOOT_VAR} 2>/dev/null | od -An -tu1").split()[-1:] == ["1"]
        assert secure_boot == (mode.firmware == "uefi-secureboot")
        if secure_boot:
            assert "Secure boot enabled" in vm.check("dmesg | grep -i 'secure boot' || true")

    # the TUI on tty1 (getty@tty1 masked so nothing races for the VT), never restarted, showing the extra disk
    assert vm.check("systemctl is-enabled getty@tty1.service || true").strip() == "masked"
    screen = _tty1_text(vm)
    vm.monitor(f"screendump {vm.workdir / 'tty1.ppm'}")
    restarts = int(vm.check("systemctl show -p NRestarts --value station-tui@tty1.service").strip() or 0)
    if restarts:
        raise GuestError(f"station tui restarted {restarts} times:\n"
                         + vm.check("journalctl -b -u station-tui@tty1 --no-pager | tail -40"))
    assert "login:" not in screen, screen
    assert mode.extra.serial[:8] in screen, f"extra disk not in the rack on tty1:\n{screen}"

    # the boot key is recorded, and `station drives` lists it as protected and the extra disk as erasable
    record = json.loads(vm.check("cat /run/station/boot-medium.json"))
    assert record.get("found_by") == ("iso-uuid" if "toram" in cmdline else "live-mount"), record
    script = base64.b64encode(DRIVES_REDUCE.encode()).decode()
    vm.check(f"echo {script} | base64 -d > /tmp/drives_reduce.py")
    disks = json.loads(vm.check(f"station drives --json | {GUEST_PY} /tmp/drives_reduce.py", timeout=180)
                       .strip().splitlines()[-1])
    assert record["disk"] in disks, disks
    assert "boot-medium" in disks[record["disk"]]["reasons"], disks
    extra = [d for d, info in disks.items() if info["serial"] == mode.extra.serial]
    assert len(extra) == 1, f"extra disk {mode.extra.serial} not listed: {disks}"
    assert disks[extra[0]]["reasons"] == [], disks

    # the image's udev rule gave the key and the squashfs' loop device 4 MiB read-ahead (from the initramfs on)
    assert vm.check(f"cat /sys/block/{record['disk']}/queue/read_ahead_kb").strip() == "4096"
    loops = vm.check("grep -l filesystem.squashfs /sys/block/loop*/loop/backing_file").split()
    assert loops, "no loop device backs the squashfs"
    for backing in loops:
        assert vm.check(f"cat {backing.rsplit('/loop/', 1)[0]}/queue/read_ahead_kb").strip() == "4096", backing

    # the data partition's state, as station-data.service found it, and as the TUI's title tells it
    status = json.loads(vm.check("cat /run/station/data-status.json"))
    assert status["state"] == EXPECTED_DATA_STATE[mode.data], status
    _check_storage_warning(screen, status)
    if mode.data == "missing":
        assert vm.run("mountpoint -q /run/station/data")[0] != 0
        vm.poweroff()
        return
    if mode.data == "full":  # emptied by the technician: the same mount now counts as mounted
        vm.check("rm /run/station/data/REMPLI.BIN")
        assert _mount_data(vm)["state"] == "mounted"

    nonce = f"station-boot-test {mode.name} {time.time_ns()}"
    vm.check(f"echo '{nonce}' > /run/station/data/station/certificates/boot-test.txt && sync")
    if mode.data == "full":  # a write-protected key: mount(8) falls back to read-only, reported as such
        vm.check(f"umount /run/station/data && blockdev --setro {status['device']}")
        assert _mount_data(vm)["state"] == "read-only"
        assert vm.run("touch /run/station/data/station/x")[0] != 0

    vm.poweroff()
    offset = fat_partition_offset(vm.stick, "STATIONDATA")
    assert offset is not None, "no STATIONDATA FAT partition in the stick's MBR"
    read = subprocess.run(["mtype", "-i", f"{vm.stick}@@{offset}", "::station/certificates/boot-test.txt"],
                          capture_output=True, text=True, env=MTOOLS_ENV)
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == nonce
