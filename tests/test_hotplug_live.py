"""`station watch` sees a loop device appear and disappear through the real udev (root, udevd)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create loop devices (CI runs as root)"),
    pytest.mark.skipif(shutil.which("losetup") is None, reason="losetup (util-linux) not installed"),
]

UDEVD = ("/lib/systemd/systemd-udevd", "/usr/lib/systemd/systemd-udevd")


def udev_answers() -> bool:
    ping = subprocess.run(["udevadm", "control", "--ping"], capture_output=True, check=False, timeout=10)
    return ping.returncode == 0


@pytest.fixture(scope="module")
def udevd() -> Iterator[None]:
    """A running udevd: the one already there, or one started here (and stopped afterwards)."""
    if shutil.which("udevadm") is None:
        pytest.skip("udevadm not installed (apt-get install udev)")
    if udev_answers():
        yield
        return
    daemon = next((p for p in UDEVD if os.access(p, os.X_OK)), None)
    if daemon is None:
        pytest.skip("systemd-udevd not installed (apt-get install udev)")
    started = subprocess.run([daemon, "--daemon"], capture_output=True, text=True, check=False)
    deadline = time.monotonic() + 10
    while not udev_answers() and time.monotonic() < deadline:
        time.sleep(0.2)
    if started.returncode != 0 or not udev_answers():
        pytest.skip(f"cannot start systemd-udevd here: {started.stderr.strip() or 'it does not answer'}")
    try:
        yield
    finally:
        subprocess.run(["udevadm", "control", "--exit"], check=False, capture_output=True)


def test_watch_sees_loop_appear_and_disappear(udevd: None, tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    with image.open("wb") as f:
        f.truncate(16 * 1024 * 1024)
    watch = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "--lang", "en", "--data-dir", str(tmp_path / "data"), "watch", "--json",
         "--all-loops", "--no-smartctl", "--timeout", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    device = None
    try:
        assert watch.stderr is not None
        ready = watch.stderr.readline()
        assert ready.startswith("watching"), ready + watch.stderr.read()
        attach = subprocess.run(["losetup", "--find", "--show", str(image)], capture_output=True, text=True,
                                check=False)
        if attach.returncode != 0:
            pytest.skip(f"cannot attach a loop device here: {attach.stderr.strip()}")
        device = attach.stdout.strip()
        time.sleep(1.0)
        subprocess.run(["losetup", "--detach", device], check=True)
        detached, device = device, None
        out, err = watch.communicate(timeout=60)
    finally:
        if device:
            subprocess.run(["losetup", "--detach", device], check=False)
        if watch.poll() is None:
            watch.kill()
            watch.wait()
    name = os.path.basename(detached)
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    # Other processes may reuse the loop number right after us: follow our image, then that name.
    mine = [e for e in events if e["name"] == name]
    start = next((i for i, e in enumerate(mine) if e["event"] == "added"
                  and e["disk"]["extra"].get("backing_file") == str(image)), None)
    assert start is not None, (out, err)
    added, removed = mine[start], mine[start + 1]
    assert removed["event"] == "removed", (out, err)
    assert added["devnode"] == detached and added["disk"]["size_bytes"] == 16 * 1024 * 1024
    assert removed["devnode"] == detached and removed["devnum"] == added["devnum"]
