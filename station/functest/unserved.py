"""Hardware the buses report but no driver serves: a Wi-Fi card on PCI, a Bluetooth or camera interface on USB.

The camera and radio tests look for what a driver makes (a V4L2 node, a wireless interface, an hci device).
When the system lacks the driver or its firmware, that is missing although the part is there, and "absent"
would put a false fact in the signed record; the PCI class and USB interface class say the part exists, so
the test can report it as not tested, with the part's ids, instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from station.hw import Host

PCI = "/sys/bus/pci/devices"
USB = "/sys/bus/usb/devices"
PCI_WIRELESS = "0x0280"  # network controller, "other": what Wi-Fi cards report (Ethernet is 0x0200)
USB_VIDEO = ("0e", None, None)  # USB video class (UVC cameras)
USB_BLUETOOTH = ("e0", "01", "01")  # wireless controller, RF, Bluetooth programming interface


@dataclass(frozen=True)
class Part:
    bus: str  # "pci" or "usb"
    address: str  # 0000:02:00.0, 1-6:1.0
    ids: str | None  # vendor:device, e.g. 8086:2723
    product: str | None
    driver: str | None  # bound driver, None when none is

    def describe(self) -> str:
        what = " ".join(p for p in (self.ids, self.product) if p) or self.address
        return f"{self.bus.upper()} {what}, " + (f"driver {self.driver}" if self.driver else "no driver bound")


def _hex(value: str | None) -> str | None:
    return value.removeprefix("0x").lower() if value else None


def _driver(host: Host, base: str) -> str | None:
    if not host.exists(f"{base}/driver"):
        return None
    return host.realpath(f"{base}/driver").rsplit("/", 1)[-1] or None


def pci_parts(host: Host, class_prefix: str) -> list[Part]:
    """PCI functions whose class (0xCCSSPP) starts with `class_prefix`."""
    found = []
    for slot in host.listdir(PCI):
        base = f"{PCI}/{slot}"
        if not (host.read_attr(f"{base}/class") or "").lower().startswith(class_prefix):
            continue
        vendor, device = _hex(host.read_attr(f"{base}/vendor")), _hex(host.read_attr(f"{base}/device"))
        found.append(Part("pci", slot, f"{vendor}:{device}" if vendor and device else None, None,
                          _driver(host, base)))
    return found


def usb_parts(host: Host, interface_class: tuple[str, str | None, str | None]) -> list[Part]:
    """USB interfaces (`1-6:1.0`) of a class, subclass and protocol (None: any)."""
    found = []
    for name in host.listdir(USB):
        if ":" not in name:
            continue
        base = f"{USB}/{name}"
        seen = tuple((host.read_attr(f"{base}/{attr}") or "").lower()
                     for attr in ("bInterfaceClass", "bInterfaceSubClass", "bInterfaceProtocol"))
        if any(want is not None and got != want for want, got in zip(interface_class, seen, strict=True)):
            continue
        device = f"{USB}/{name.split(':', 1)[0]}"
        vendor, product_id = host.read_attr(f"{device}/idVendor"), host.read_attr(f"{device}/idProduct")
        found.append(Part("usb", name, f"{vendor}:{product_id}" if vendor and product_id else None,
                          host.read_attr(f"{device}/product"), _driver(host, base)))
    return found
