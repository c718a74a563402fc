"""Network and radios from sysfs: Ethernet link (carrier), Wi-Fi and Bluetooth adapters present and
not hard-blocked (rfkill).

A hard block is the laptop's radio switch or a firmware kill: the buyer cannot undo it in software,
so it fails the test; a soft block is only a setting and is recorded, not failed. An adapter the buses
report but no driver made an interface of (station.functest.unserved) is "not tested", never "absent".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from station.functest.result import FunctionResult, noted
from station.functest.unserved import PCI_WIRELESS, USB_BLUETOOTH, Part, pci_parts, usb_parts
from station.hw import Host
from station.notes import Note


@dataclass(frozen=True)
class Rfkill:
    name: str
    type: str  # wlan, bluetooth, wwan...
    hard: bool
    soft: bool


def rfkills(host: Host) -> list[Rfkill]:
    out = []
    for entry in host.listdir("/sys/class/rfkill"):
        base = f"/sys/class/rfkill/{entry}"
        out.append(Rfkill(host.read_attr(f"{base}/name") or entry, host.read_attr(f"{base}/type") or "?",
                          host.read_attr(f"{base}/hard") == "1", host.read_attr(f"{base}/soft") == "1"))
    return out


def _physical(host: Host, name: str) -> bool:
    """A real adapter has a `device` link; lo, bridges, veth and tunnels have none."""
    return host.path(f"/sys/class/net/{name}/device").exists()


def _wireless(host: Host, name: str) -> bool:
    return (host.path(f"/sys/class/net/{name}/wireless").exists()
            or host.path(f"/sys/class/net/{name}/phy80211").exists())


def _carrier(host: Host, name: str) -> str | None:
    """"1" link, "0" no link, None when the port is down (the kernel refuses to read carrier then)."""
    return host.read_attr(f"/sys/class/net/{name}/carrier")


def ethernet(host: Host, settle_s: float = 3.0, sleep: Callable[[float], None] = time.sleep) -> FunctionResult:
    """A wired port that is down is set up first (`ip link set dev X up`): its carrier is unreadable until then."""
    ports = [n for n in host.listdir("/sys/class/net")
             if _physical(host, n) and not _wireless(host, n) and host.read_attr(f"/sys/class/net/{n}/type") == "1"]
    if not ports:
        return noted("ethernet", "absent", Note.of("fn.ethernet.none"))
    for name in ports:
        if _carrier(host, name) is None and host.run(["ip", "link", "set", "dev", name, "up"], timeout=10).ok:
            waited = 0.0
            while _carrier(host, name) != "1" and waited < settle_s:
                sleep(0.5)
                waited += 0.5
    carriers = {n: _carrier(host, n) for n in ports}
    linked = [n for n in ports if carriers[n] == "1"]
    measured: dict[str, str | int | float | bool | None] = {
        "adapters": " ".join(ports), "linked": " ".join(linked) or None}
    if linked:
        speed = host.read_attr(f"/sys/class/net/{linked[0]}/speed")
        measured["speed_mbps"] = int(speed) if speed and speed.lstrip("-").isdigit() and int(speed) > 0 else None
        return FunctionResult("ethernet", "pass", None, measured, linked[0])
    if all(c is None for c in carriers.values()):
        return noted("ethernet", "skipped", Note.of("fn.ethernet.link-unknown"), measured=measured, device=ports[0])
    return noted("ethernet", "fail", Note.of("fn.ethernet.no-link"), measured=measured, device=ports[0])


def _radio(function: str, kind: str, adapters: list[str], parts: list[Part], host: Host) -> FunctionResult:
    """`parts`: the adapters the buses report, found even when no driver made an interface of them."""
    switches = [r for r in rfkills(host) if r.type == kind]
    if not adapters and not switches and not parts:
        return noted(function, "absent", Note.of("fn.radio.none", function=function))
    measured: dict[str, str | int | float | bool | None] = {
        "adapters": " ".join(adapters) or None, "rfkill": " ".join(r.name for r in switches) or None,
        "hard_blocked": any(r.hard for r in switches), "soft_blocked": any(r.soft for r in switches),
        "hardware": "; ".join(p.describe() for p in parts) or None}
    device = adapters[0] if adapters else switches[0].name if switches else parts[0].address
    if any(r.hard for r in switches):
        return noted(function, "fail", Note.of("fn.radio.hard-blocked"), measured=measured, device=device)
    if not adapters:
        # the part may be fine: this system may lack its driver or firmware, so the machine is not failed for it
        why = (Note.of("fn.radio.no-interface", part=parts[0].describe(), function=function) if parts else
               Note.of("fn.radio.switch-only", function=function))
        return noted(function, "skipped", why, measured=measured, device=device)
    return FunctionResult(function, "pass", None, measured, device)


def wifi(host: Host) -> FunctionResult:
    adapters = [n for n in host.listdir("/sys/class/net") if _wireless(host, n)]
    return _radio("wifi", "wlan", adapters, pci_parts(host, PCI_WIRELESS), host)


def bluetooth(host: Host) -> FunctionResult:
    return _radio("bluetooth", "bluetooth", [n for n in host.listdir("/sys/class/bluetooth") if ":" not in n],
                  usb_parts(host, USB_BLUETOOTH), host)
