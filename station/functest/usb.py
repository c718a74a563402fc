"""USB ports test: the technician plugs a device into each external port in turn; each port a new
device appears on turns green.

Ports are named as the kernel names the device on them (`3-1`, `1-2.4` behind a hub) under
/sys/bus/usb/devices. Devices present when the test starts (webcam, Bluetooth, fingerprint reader,
the boot key) are internal or already known and do not count; the result lists the ports proven
and the speed each one negotiated, so a USB 3 port stuck at 480 Mb/s shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from station.functest.result import FunctionResult, noted
from station.hw import Host
from station.notes import Note

DEVICES = "/sys/bus/usb/devices"
POLL_S = 0.5  # a plugged stick enumerates in well under a second


@dataclass(frozen=True)
class UsbDevice:
    port: str  # "3-1", "1-2.4"
    product: str | None
    speed_mbps: str | None
    vendor_product: str | None


def plugged(host: Host) -> dict[str, UsbDevice]:
    """Devices on ports now (root hubs `usbN` and interfaces `3-1:1.0` are not ports)."""
    out = {}
    for entry in host.listdir(DEVICES):
        if entry.startswith("usb") or ":" in entry or "-" not in entry:
            continue
        base = f"{DEVICES}/{entry}"
        vid, pid = host.read_attr(f"{base}/idVendor"), host.read_attr(f"{base}/idProduct")
        out[entry] = UsbDevice(entry, host.read_attr(f"{base}/product"), host.read_attr(f"{base}/speed"),
                               f"{vid}:{pid}" if vid and pid else None)
    return out


@dataclass
class UsbPortsTest:
    """`baseline` is taken at start; `poll()` after each plug; `expected` is how many external ports
    the technician counts on the machine (0: not said, any proven port passes)."""

    host: Host
    expected: int = 0
    baseline: dict[str, UsbDevice] = field(default_factory=dict)
    proven: dict[str, UsbDevice] = field(default_factory=dict)

    def start(self) -> None:
        self.baseline = plugged(self.host)
        self.proven = {}

    def poll(self) -> list[UsbDevice]:
        """New ports proven since the last poll."""
        fresh = []
        for port, device in plugged(self.host).items():
            if port not in self.baseline and port not in self.proven:
                self.proven[port] = device
                fresh.append(device)
        return fresh

    @property
    def complete(self) -> bool:
        """Every port the technician counted is proven (never, when they did not say how many)."""
        return bool(self.expected) and len(self.proven) >= self.expected

    def watch(self, seconds: float, every: float = POLL_S, sleep: Callable[[float], None] = time.sleep
              ) -> Iterator[UsbDevice]:
        """Poll for `seconds` or until complete, yielding each port as it is proven (the command line's loop)."""
        waited = 0.0
        while not self.complete and waited < seconds:
            sleep(every)
            waited += every
            yield from self.poll()

    def result(self) -> FunctionResult:
        measured: dict[str, str | int | float | bool | None] = {
            "ports_proven": len(self.proven), "ports_expected": self.expected or None,
            "ports": " ".join(f"{p}@{d.speed_mbps or '?'}Mb/s" for p, d in sorted(self.proven.items())) or None,
            "present_at_start": len(self.baseline)}
        if not self.proven:
            return noted("usb", "fail" if self.expected else "skipped", Note.of("fn.usb.none-plugged"),
                         measured=measured)
        if self.expected and len(self.proven) < self.expected:
            return noted("usb", "fail", Note.of("fn.usb.some-proven", proven=len(self.proven), expected=self.expected),
                         measured=measured)
        return FunctionResult("usb", "pass", None, measured)
