"""Records real input-event streams and sysfs trees from a QEMU guest for the function-test fixtures.

The rack guest boots with QEMU's i8042 (the AT keyboard and PS/2 mouse a laptop has inside), a
virtio NIC and a USB stick on xHCI. Keys are sent through QEMU's monitor (`sendkey`), mouse moves and
clicks through QMP `input-send-event`; the guest records /dev/input/eventN with `cat` while they
arrive. Writes tests/fixtures/functest/qemu-*. Run as root from the repository:
    .venv/bin/python tests/rack/capture/capture_laptop.py
"""

from __future__ import annotations

import io
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from harness import Rack  # noqa: E402
from rack_build import ensure_guest  # noqa: E402
from rack_images import make_data_disk  # noqa: E402

OUT = HERE.parents[1] / "fixtures" / "functest"
SNAPSHOT = (HERE / "sysfs_snapshot.py").read_text()
# every key of the French AZERTY laptop layout, as QEMU names the physical (US-position) keys
_KEY_NAMES = ("esc f1 f2 f3 f4 f5 f6 f7 f8 f9 f10 f11 f12 delete grave_accent 1 2 3 4 5 6 7 8 9 0 minus equal "
               "backspace tab q w e r t y u i o p bracket_left bracket_right ret caps_lock a s d f g h j k l "
               "semicolon apostrophe backslash shift less z x c v b n m comma dot slash shift_r ctrl meta_l alt "
               "spc alt_r ctrl_r left up down right")
AZERTY_KEYS = _KEY_NAMES.split()


class LaptopRack(Rack):
    def argv(self) -> list[str]:
        return [*super().argv(), "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0,id=nic0",
                "-blockdev", f"driver=file,filename={self.run_dir / 'stick.img'},node-name=stick",
                "-device", "usb-storage,bus=xhci.0,port=2,drive=stick,serial=STICK1"]


def guest_sh(rack: Rack, script: str) -> str:
    return rack.sh(script, timeout=120).check().stdout


def record(rack: Rack, node: str, out: str, seconds: int, action: Callable[[], None]) -> None:
    """`cat` the event node for `seconds` while `action` sends input from the host."""
    pid = rack.agent.spawn(["/bin/sh", "-c", f"exec timeout {seconds} cat {node} > {out}"], capture=False)
    time.sleep(1.0)
    started = time.monotonic()
    action()
    print(f"{node}: input sent in {time.monotonic() - started:.1f} s")
    rack.agent.wait(pid, ["cat"], seconds + 30)


def snapshot(rack: Rack, target: Path, note: str) -> None:
    guest_sh(rack, "rm -rf /tmp/snap /tmp/snap.tgz; python3 /tmp/snap.py /tmp/snap && "
                   "tar -C /tmp/snap -czf /tmp/snap.tgz .")
    with tarfile.open(fileobj=io.BytesIO(rack.read_guest_file("/tmp/snap.tgz"))) as tar:
        tar.extractall(target / "root", filter="data")
    (target / "nodes.txt").write_text(note)


def main() -> None:
    guest = ensure_guest()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp)
        make_data_disk(run / "data.img")
        (run / "run").mkdir()
        with open(run / "run" / "stick.img", "wb") as f:
            f.truncate(16 << 20)
        with LaptopRack(guest, run / "run", run / "data.img") as rack:
            rack.boot()
            guest_sh(rack, "modprobe evdev; modprobe psmouse; udevadm settle; sleep 1")
            listing = guest_sh(rack, "for e in /sys/class/input/event*; do echo $e $(cat $e/device/name); done")
            print(listing)
            nodes = {line.split(" ", 1)[1]: "/dev/input/" + line.split()[0].rsplit("/", 1)[1]
                     for line in listing.splitlines() if line.strip()}
            keyboard = next(n for name, n in nodes.items() if "keyboard" in name.lower())
            mouse = next(n for name, n in nodes.items() if "mouse" in name.lower())

            def keys() -> None:
                for key in AZERTY_KEYS:
                    rack.qmp.execute("human-monitor-command", {"command-line": f"sendkey {key}"})
                    time.sleep(0.05)

            def pointer() -> None:
                for dx, dy in ((40, 0), (40, 0), (0, 40), (0, 40), (-30, -30)):
                    rack.qmp.execute("input-send-event", {"events": [
                        {"type": "rel", "data": {"axis": "x", "value": dx}},
                        {"type": "rel", "data": {"axis": "y", "value": dy}}]})
                    time.sleep(0.1)
                for button in ("left", "right"):
                    for down in (True, False):
                        rack.qmp.execute("input-send-event", {"events": [
                            {"type": "btn", "data": {"down": down, "button": button}}]})
                        time.sleep(0.1)

            record(rack, keyboard, "/tmp/keys.bin", 40, keys)
            record(rack, mouse, "/tmp/mouse.bin", 10, pointer)
            (OUT / "qemu-i8042-azerty-all-keys.evdev").write_bytes(rack.read_guest_file("/tmp/keys.bin"))
            (OUT / "qemu-ps2-mouse-moves-clicks.evdev").write_bytes(rack.read_guest_file("/tmp/mouse.bin"))
            guest_sh(rack, f"cat > /tmp/snap.py <<'PYEOF'\n{SNAPSHOT}\nPYEOF\n")
            snapshot(rack, OUT / "qemu-laptop-sysfs", f"keyboard {keyboard}\nmouse {mouse}\n{listing}")
            # the same machine once the NIC is up and QEMU's user network gives it a carrier
            guest_sh(rack, "for n in /sys/class/net/*; do [ -e $n/device ] && "
                           "{ ip link set dev ${n##*/} up 2>/dev/null || echo 0x1003 > $n/flags; }; done; sleep 2")
            snapshot(rack, OUT / "qemu-laptop-sysfs-link-up",
                     "NIC set up (`ip link set dev X up`, or IFF_UP written to its sysfs flags "
                     "where the guest has no ip)\n")
            rack.power_off()
    print(f"written under {OUT}")


if __name__ == "__main__":
    main()
