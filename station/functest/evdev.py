"""Kernel input events (evdev), read without a C extension.

`/dev/input/eventN` yields fixed-size `struct input_event` records: on 64-bit Linux a `struct timeval`
(two longs), then u16 type, u16 code, s32 value: 24 bytes. Reading them directly sees every key the
kernel sees (Fn-row, media keys, modifiers), unlike a terminal. The same parser reads a recorded
capture (`cat /dev/input/event3 > keys.bin`), so every test runs on real streams. Device discovery
reads `/sys/class/input/eventN/device/capabilities/*` through the `Host`, so it runs on recorded trees.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from station.hw import Host

EVENT = struct.Struct("llHHi")  # native 64-bit: tv_sec, tv_usec, type, code, value
EVENT_SIZE = EVENT.size
BITS_PER_WORD = 64

EV_SYN, EV_KEY, EV_REL, EV_ABS = 0, 1, 2, 3
SYN_REPORT, SYN_DROPPED = 0, 3  # SYN_DROPPED: this reader fell behind and the kernel emptied its buffer
KEY_MAX = 0x2FF
EVIOCGKEY = (2 << 30) | ((KEY_MAX // 8 + 1) << 16) | (ord("E") << 8) | 0x18  # _IOR('E', 0x18, key bitmap)
REL_X, REL_Y, REL_WHEEL = 0, 1, 8
ABS_X, ABS_Y = 0, 1
ABS_MT_POSITION_X, ABS_MT_POSITION_Y = 0x35, 0x36
BTN_MOUSE, BTN_LEFT, BTN_RIGHT, BTN_MIDDLE = 0x110, 0x110, 0x111, 0x112
BTN_TOOL_FINGER, BTN_TOUCH = 0x145, 0x14A
BTN_TOOL_DOUBLETAP = 0x14D  # two fingers on a touchpad
INPUT_PROP_BUTTONPAD = 0x02  # one switch under the whole pad (a clickpad): every click is BTN_LEFT
INPUT_PROP_POINTING_STICK = 0x05  # a TrackPoint-style stick; the kernel's own word for it
KEY_A, KEY_Z, KEY_SPACE = 30, 44, 57


@dataclass(frozen=True)
class InputEvent:
    seconds: float
    type: int
    code: int
    value: int


def parse(data: bytes) -> list[InputEvent]:
    """Whole events from raw bytes; a trailing partial record (a capture cut mid-event) is dropped."""
    usable = len(data) - len(data) % EVENT_SIZE
    return [InputEvent(sec + usec / 1e6, etype, code, value)
            for sec, usec, etype, code, value in EVENT.iter_unpack(data[:usable])]


def pack(event: InputEvent) -> bytes:
    sec = int(event.seconds)
    return EVENT.pack(sec, round((event.seconds - sec) * 1e6), event.type, event.code, event.value)


def bitmap(text: str | None) -> frozenset[int]:
    """A sysfs capability bitmap ("120013 0 fffffffe", most significant word first) as a set of codes."""
    codes: set[int] = set()
    for index, word in enumerate(reversed((text or "").split())):
        try:
            value = int(word, 16)
        except ValueError:
            return frozenset()
        codes.update(index * BITS_PER_WORD + bit for bit in range(BITS_PER_WORD) if value >> bit & 1)
    return frozenset(codes)


@dataclass(frozen=True)
class InputDevice:
    """An evdev node and what it can report, from sysfs."""

    node: str  # /dev/input/event3
    name: str
    phys: str | None
    bustype: str | None
    keys: frozenset[int]
    rel: frozenset[int]
    abs: frozenset[int]
    props: frozenset[int] = frozenset()  # INPUT_PROP_* (device/properties)

    @property
    def is_clickpad(self) -> bool:
        """A touchpad without separate buttons: the desktop makes its right click from two fingers or from
        where the finger is, the kernel reports one button (libinput, "Clickpad software button behavior")."""
        return self.is_touchpad and INPUT_PROP_BUTTONPAD in self.props

    @property
    def is_keyboard(self) -> bool:
        """Letters and a space bar: a keyboard, not a power button or a lid switch."""
        return {KEY_A, KEY_Z, KEY_SPACE} <= self.keys

    @property
    def is_touchpad(self) -> bool:
        return BTN_TOOL_FINGER in self.keys and ({ABS_X, ABS_Y} <= self.abs)

    @property
    def is_pointing_stick(self) -> bool:
        return INPUT_PROP_POINTING_STICK in self.props and self.is_pointer

    @property
    def is_pointer(self) -> bool:
        mouse = {REL_X, REL_Y} <= self.rel and BTN_LEFT in self.keys
        tablet = {ABS_X, ABS_Y} <= self.abs and BTN_LEFT in self.keys
        return mouse or tablet or self.is_touchpad

    @property
    def kind(self) -> str:
        if self.is_keyboard:
            return "keyboard"
        if self.is_touchpad:
            return "touchpad"
        return "pointer" if self.is_pointer else "other"


def devices(host: Host) -> list[InputDevice]:
    """Every evdev node the kernel lists, with its capabilities."""
    out = []
    for entry in host.listdir("/sys/class/input"):
        if not entry.startswith("event"):
            continue
        base = f"/sys/class/input/{entry}/device"
        out.append(InputDevice(
            node=f"/dev/input/{entry}", name=host.read_attr(f"{base}/name") or "?",
            phys=host.read_attr(f"{base}/phys") or None, bustype=host.read_attr(f"{base}/id/bustype"),
            keys=bitmap(host.read_attr(f"{base}/capabilities/key")),
            rel=bitmap(host.read_attr(f"{base}/capabilities/rel")),
            abs=bitmap(host.read_attr(f"{base}/capabilities/abs")),
            props=bitmap(host.read_attr(f"{base}/properties"))))
    return sorted(out, key=lambda d: int(d.node.rsplit("event", 1)[1]))


def keys_down(host: Host, node: str) -> frozenset[int] | None:
    """The keys held down now, from the device's own state (EVIOCGKEY): how a reader that was told
    SYN_DROPPED learns the presses and releases it lost. None for a recorded capture (not a device)."""
    try:
        fd = os.open(host.path(node), os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        state = fcntl.ioctl(fd, EVIOCGKEY, bytes(KEY_MAX // 8 + 1))
    except OSError:
        return None
    finally:
        os.close(fd)
    return frozenset(code for code in range(KEY_MAX + 1) if state[code // 8] >> (code % 8) & 1)


STOP_CHECK_S = 0.2


def stream(host: Host, node: str, timeout_s: float, idle_s: float | None = None,
           stop: Callable[[], bool] | None = None) -> Iterator[InputEvent]:
    """Events from `node` (a device or a recorded capture file under the host root) until `timeout_s`
    has passed, or `idle_s` without an event, or the end of a capture file, or `stop()` says so (a
    screen the technician left: its reader thread must not outlive it by the idle time)."""
    fd = os.open(host.path(node), os.O_RDONLY | os.O_NONBLOCK)
    try:
        deadline = time.monotonic() + timeout_s
        last = time.monotonic()
        pending = b""
        while True:
            now = time.monotonic()
            wait = deadline - now
            if idle_s is not None:
                wait = min(wait, last + idle_s - now)
            if wait <= 0 or (stop is not None and stop()):
                return
            if stop is not None:
                wait = min(wait, STOP_CHECK_S)
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                continue
            try:
                chunk = os.read(fd, EVENT_SIZE * 64)
            except BlockingIOError:
                continue
            if not chunk:
                return  # end of a recorded capture (a device never reads empty)
            last = time.monotonic()
            pending += chunk
            usable = len(pending) - len(pending) % EVENT_SIZE
            yield from parse(pending[:usable])
            pending = pending[usable:]
    finally:
        os.close(fd)
