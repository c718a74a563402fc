"""A virtual laptop for the flow tests and the demo's checks: the real ThinkPad T480 dmidecode dump over
the laptop-nvme-usbkey profile, with the input, network and USB sysfs captured in the QEMU guest."""

from __future__ import annotations

import shutil
from pathlib import Path

from audit_helpers import FIXTURES, recorded_profile

LAPTOP_DMI = FIXTURES / "dmidecode" / "laptop-lenovo-thinkpad-t480-battery-sbds.txt"
CAPTURE = FIXTURES / "functest" / "qemu-laptop-sysfs-link-up" / "root"


def virtual_laptop(tmp_path: Path) -> Path:
    profile = recorded_profile(tmp_path, LAPTOP_DMI)
    for part in ("sys/class/input", "sys/class/net", "sys/bus/usb"):
        shutil.copytree(CAPTURE / part, profile / "root" / part, dirs_exist_ok=True)
    return profile
