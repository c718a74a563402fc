"""Build the live image (cached by input hash) and boot it in QEMU as a USB stick, BIOS and UEFI.

Checks, in the guest: the station-tui@tty1 unit started; the boot key is recorded and protected even
though the default boot entry ran from RAM (`toram`); the extra disk is listed and not protected; the
STATIONDATA partition is mounted. On the host after power-off: a file written in the guest's data dir
is read back from the stick image with mtools. When the tree has `station tui`, tty1 must show it.

Skips (with the reason) when not root, when STATION_SKIP_IMAGE=1, or when the image is not cached and
the Debian archive cannot be reached. Timing is printed (boot to shell), never asserted.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from image_guest import BootMode, ExtraDisk, Guest, GuestError, fat_partition_offset

pytestmark = pytest.mark.image

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "image" / "build.sh"
HOST_PACKAGES = {"qemu-system-x86_64": "qemu-system-x86", "mtype": "mtools"}
MODES = [
    BootMode("bios", "bios", ExtraDisk("sata", "STNSATA0001")),
    BootMode("uefi", "uefi", ExtraDisk("nvme", "STNNVME0001")),
]
GUEST_PY = "/opt/station/venv/bin/python"

PROTECTION_PROBE = r"""
import json, os
from station import protect
from station.hw import Host
h = Host()
out = {}
for d in sorted(os.listdir('/sys/block')):
    if d.startswith(('loop', 'ram', 'zram', 'sr')):
        continue
    num = h.read_attr(f'/sys/class/block/{d}/dev') or ''
    out[d] = {'serial': protect.udev_property(h, num, 'ID_SERIAL_SHORT') or '',
              'reasons': [p.reason.value for p in protect.protections_for_disk(h, d)]}
print(json.dumps(out))
"""


def _skip_reason() -> str | None:
    if os.environ.get("STATION_SKIP_IMAGE") == "1":
        return "STATION_SKIP_IMAGE=1"
    if os.environ.get("CI") == "true" and os.environ.get("STATION_IMAGE_TEST") != "1":
        return ("in CI only with STATION_IMAGE_TEST=1: the full boot has not yet been shown to pass "
                "within CI's budget on this shared 2-core machine (docs/image.md)")
    if os.geteuid() != 0:
        return "the image build needs root (mmdebstrap chroot)"
    if subprocess.run(["bash", str(BUILD), "--cached-path"], capture_output=True).returncode == 0:
        return None
    try:
        urllib.request.urlopen("http://deb.debian.org/debian/dists/bookworm/Release", timeout=15).close()
    except OSError as exc:
        return f"Debian archive unreachable ({exc}); the image cannot be built"
    return None


def _ensure_host_tools() -> None:
    missing = [pkg for tool, pkg in HOST_PACKAGES.items() if shutil.which(tool) is None]
    if not Path("/usr/share/OVMF/OVMF_CODE_4M.fd").exists():
        missing.append("ovmf")
    if missing:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=600",
                        "--no-install-recommends", *missing], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


@pytest.fixture(scope="session")
def station_iso(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    _ensure_host_tools()
    given = os.environ.get("STATION_IMAGE_ISO")
    if given:  # boot an already built image (e.g. a release candidate) instead of building this tree
        return Path(given)
    out = tmp_path_factory.mktemp("image") / "station.iso"
    started = time.monotonic()
    proc = subprocess.run(["bash", str(BUILD)], env={**os.environ, "STATION_IMAGE_OUT": str(out)},
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"image build failed:\n{proc.stderr[-4000:]}"
    print(f"\nimage: {out.stat().st_size} bytes, build/cache step {time.monotonic() - started:.0f} s")
    return out


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


def test_live_image_boots_as_usb_stick(guest: Guest) -> None:
    vm = guest
    mode = vm.mode
    boot_s = vm.wait_for_shell(timeout=420)
    print(f"\n{mode.name}: QEMU start to serial root shell {boot_s:.1f} s")

    # the firmware path really taken
    has_efi = vm.run("test -d /sys/firmware/efi")[0] == 0
    assert has_efi == (mode.firmware != "bios")

    # the TUI unit was started on tty1 (and getty@tty1 is masked so nothing races for the VT)
    vm.check("systemctl is-enabled station-tui@tty1.service")
    assert vm.check("systemctl is-enabled getty@tty1.service || true").strip() == "masked"
    started = vm.check("systemctl show -p ExecMainStartTimestampMonotonic --value station-tui@tty1.service")
    assert int(started.strip() or 0) > 0, "station-tui@tty1 never started"

    # toram: the medium was copied to RAM, the key unmounted, and yet recorded and protected
    medium_fs = vm.check("findmnt -no FSTYPE /run/live/medium").strip()
    record = json.loads(vm.check("cat /run/station/boot-medium.json"))
    if medium_fs == "tmpfs":
        assert record["found_by"] == "iso-uuid"
    disks = json.loads(vm.check(f"{GUEST_PY} - <<'EOF'\n{PROTECTION_PROBE}\nEOF").strip().splitlines()[-1])
    assert record["disk"] in disks, disks
    assert "boot-medium" in disks[record["disk"]]["reasons"], disks
    extra = [d for d, info in disks.items() if info["serial"] == mode.extra.serial]
    assert len(extra) == 1, f"extra disk {mode.extra.serial} not seen: {disks}"
    assert disks[extra[0]]["reasons"] == [], disks

    # `station drives` (when the tree has it) lists the extra disk and shows the key as protected
    if vm.run("station drives --help >/dev/null 2>&1")[0] == 0:
        listing = vm.check("station drives 2>&1", timeout=120)
        assert mode.extra.serial in listing or extra[0] in listing, listing
        key_lines = [line for line in listing.splitlines() if record["disk"] in line]
        assert any("protect" in line.lower() for line in key_lines), listing

    # the data partition is mounted read-write and holds the data dir
    status = json.loads(vm.check("cat /run/station/data-status.json"))
    assert status["state"] == "mounted", status
    nonce = f"station-boot-test {mode.name} {time.time_ns()}"
    vm.check(f"echo '{nonce}' > /run/station/data/station/certificates/boot-test.txt && sync")

    # the TUI drawn on tty1, once `station tui` exists in the tree
    if vm.run("station tui --help >/dev/null 2>&1")[0] == 0:
        _assert_tui_on_tty1(vm)

    vm.poweroff()
    offset = fat_partition_offset(vm.stick, "STATIONDATA")
    assert offset is not None, "no STATIONDATA FAT partition in the stick's MBR"
    read = subprocess.run(["mtype", "-i", f"{vm.stick}@@{offset}", "::station/certificates/boot-test.txt"],
                          capture_output=True, text=True, env={**os.environ, "MTOOLS_SKIP_CHECK": "1"})
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == nonce


def _assert_tui_on_tty1(vm: Guest) -> None:
    deadline = time.monotonic() + 120
    screen = ""
    while time.monotonic() < deadline:
        active = vm.check("systemctl is-active station-tui@tty1.service || true").strip()
        screen = _tty1_text(vm)
        if active == "active" and "login:" not in screen and len(screen.replace(" ", "").replace("\n", "")) > 200:
            break
        time.sleep(5)
    vm.monitor(f"screendump {vm.workdir / 'tty1.ppm'}")
    restarts = int(vm.check("systemctl show -p NRestarts --value station-tui@tty1.service").strip() or 0)
    if restarts:
        raise GuestError(f"station tui restarted {restarts} times:\n"
                         + vm.check("journalctl -b -u station-tui@tty1 --no-pager | tail -40"))
    assert "station" in screen.lower(), f"tty1 does not show the TUI:\n{screen}"
