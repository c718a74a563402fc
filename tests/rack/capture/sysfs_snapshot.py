"""Runs in a guest (or on a real laptop): copies the sysfs attributes the function tests read into a
directory tree usable as a recorded Host root. Class links are followed and stored as directories
holding the attribute files of the device they point at (the Host reads through either way)."""

import os
import sys

CLASSES = ("input", "net", "rfkill", "bluetooth", "video4linux", "sound", "power_supply")
SUBDIRS = ("capabilities", "id", "wireless", "phy80211", "statistics")
MAX = 8192


def copy_attrs(src, dst, depth=0):
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if os.path.islink(path):
            if name == "device" and depth == 0:
                copy_attrs(os.path.realpath(path), os.path.join(dst, name), depth + 1)
            elif name in ("wireless", "phy80211"):
                os.makedirs(os.path.join(dst, name), exist_ok=True)
            continue
        if os.path.isdir(path):
            if name in SUBDIRS:
                copy_attrs(path, os.path.join(dst, name), depth + 1)
            continue
        try:
            with open(path, "rb") as f:
                data = f.read(MAX)
        except OSError:
            continue
        with open(os.path.join(dst, name), "wb") as f:
            f.write(data)


def main(out):
    for cls in CLASSES:
        base = f"/sys/class/{cls}"
        for entry in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            copy_attrs(os.path.realpath(os.path.join(base, entry)), os.path.join(out, "sys/class", cls, entry))
    usb = "/sys/bus/usb/devices"
    for entry in sorted(os.listdir(usb)) if os.path.isdir(usb) else []:
        if ":" not in entry:
            copy_attrs(os.path.realpath(os.path.join(usb, entry)), os.path.join(out, "sys/bus/usb/devices", entry),
                       depth=1)
    for name in ("cards", "pcm"):
        path = f"/proc/asound/{name}"
        if os.path.exists(path):
            os.makedirs(os.path.join(out, "proc/asound"), exist_ok=True)
            with open(path, "rb") as f, open(os.path.join(out, "proc/asound", name), "wb") as g:
                g.write(f.read())


if __name__ == "__main__":
    main(sys.argv[1])
