"""A virtual laptop for the flow tests and the demo's checks: the real ThinkPad T480 dmidecode dump over
the laptop-nvme-usbkey profile, with the input, network and USB sysfs captured in the QEMU guest.

The guest had no sound card and no battery (tests/fixtures/functest/SOURCES.md), so the helpers that add
them say what is recorded and what is SYNTHETIC: a battery is the real ThinkPad BAT0 sysfs capture
(tests/fixtures/power_supply), a sound card is a /proc/asound listing in the kernel's format with tool runs
that only exit 0, and a microphone capture is a sine written by the test."""

from __future__ import annotations

import json
import math
import shutil
import struct
import wave
from pathlib import Path

from audit_helpers import FIXTURES, recorded_profile

from station.functest import audio, evdev

LAPTOP_DMI = FIXTURES / "dmidecode" / "laptop-lenovo-thinkpad-t480-battery-sbds.txt"
CAPTURE = FIXTURES / "functest" / "qemu-laptop-sysfs-link-up" / "root"
KEYS = FIXTURES / "functest" / "qemu-i8042-azerty-all-keys.evdev"
MOUSE = FIXTURES / "functest" / "qemu-ps2-mouse-moves-clicks.evdev"
THINKPAD_BATTERY = FIXTURES / "power_supply" / "procfs-thinkpad-lgc-45n1-sysfs"
STICK = "sys/bus/usb/devices/2-2"  # the USB stick on xHCI port 2 in the capture

ASOUND_CARDS = (" 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n"
                "                      HDA Intel PCH at 0xf7f10000 irq 33\n")
ASOUND_PCM = "00-00: ALC3246 Analog : ALC3246 Analog : playback 1 : capture 1\n00-03: HDMI 0 : HDMI 0 : playback 1\n"


def virtual_laptop(tmp_path: Path) -> Path:
    profile = recorded_profile(tmp_path, LAPTOP_DMI)
    for part in ("sys/class/input", "sys/class/net", "sys/bus/usb"):
        shutil.copytree(CAPTURE / part, profile / "root" / part, dirs_exist_ok=True)
    return profile


def input_streams(profile: Path, keys: bool = True, mouse: bool = True) -> None:
    """The QEMU captures as the guest's event nodes: event0 the keyboard, event3 the PS/2 mouse."""
    (profile / "root/dev/input").mkdir(parents=True, exist_ok=True)
    if keys:
        shutil.copy(KEYS, profile / "root/dev/input/event0")
    if mouse:
        shutil.copy(MOUSE, profile / "root/dev/input/event3")


def tone(path: Path, hz: float, amplitude: float, seconds: float = 1.0, rate: int = 48000) -> None:
    """SYNTHETIC: a 16-bit mono sine written with the wave module."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(struct.pack("<h", round(amplitude * 32767 * math.sin(2 * math.pi * hz * i / rate)))
                      for i in range(int(rate * seconds)))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)


def with_sound(profile: Path, channels: tuple[int, ...] = (1, 2), mic_amplitude: float | None = 0.1,
               mic_seconds: int = 2) -> Path:
    """SYNTHETIC sound card: the /proc/asound listing, `speaker-test` exiting 0 on each of `channels` (a
    channel left out answers 127 like a tool that failed) and an `arecord` run exiting 0, whose capture is a
    300 Hz sine of `mic_amplitude` (None: no file written). Returns the capture's path."""
    (profile / "root/proc/asound").mkdir(parents=True, exist_ok=True)
    (profile / "root/proc/asound/cards").write_text(ASOUND_CARDS)
    (profile / "root/proc/asound/pcm").write_text(ASOUND_PCM)
    commands_file = profile / "commands.json"
    commands = json.loads(commands_file.read_text()) if commands_file.exists() else []
    commands += [{"argv": ["speaker-test", "-D", "default", "-c", "2", "-s", str(c), "-t", "sine", "-f",
                           str(audio.TONE_HZ), "-l", "1"], "returncode": 0} for c in channels]
    commands.append({"argv": ["arecord", "-q", "-D", "default", "-d", str(mic_seconds), "-f", "S16_LE", "-r",
                              "48000", "-c", "1", "-t", "wav", audio.CAPTURE], "returncode": 0})
    commands_file.write_text(json.dumps(commands))
    capture = profile / "root" / audio.CAPTURE.lstrip("/")
    if mic_amplitude is not None:
        tone(capture, 300, mic_amplitude, seconds=0.5)
    return capture


def with_battery(profile: Path, status: str | None = None) -> Path:
    """The recorded ThinkPad BAT0 and AC sysfs (discharging, AC offline); `status` edits the battery's status
    attribute (SYNTHETIC when given). Returns the battery's sysfs directory."""
    supply = profile / "root/sys/class/power_supply"
    shutil.copytree(THINKPAD_BATTERY, supply, dirs_exist_ok=True)
    if status is not None:
        (supply / "BAT0/status").write_text(status + "\n")
    return supply / "BAT0"


def unplug_stick(profile: Path) -> Path:
    """Take the captured USB stick out of the tree (the machine before the technician plugs it); returns
    where it waits, for `plug_stick`."""
    aside = profile / "stick-2-2"
    shutil.move(profile / "root" / STICK, aside)
    return aside


def plug_stick(profile: Path) -> None:
    shutil.move(profile / "stick-2-2", profile / "root" / STICK)


def capabilities(codes: set[int]) -> str:
    """A sysfs capability bitmap in the kernel's layout (64-bit words, most significant first)."""
    words = [0] * (max(codes) // 64 + 1)
    for code in codes:
        words[code // 64] |= 1 << (code % 64)
    return " ".join(f"{w:x}" for w in reversed(words))


def with_clickpad(root: Path, node: str = "event5") -> str:
    """SYNTHETIC: a clickpad's sysfs entry under `root` (a host root): a touchpad with one switch under
    the pad (properties: INPUT_PROP_POINTER and INPUT_PROP_BUTTONPAD, "5" as the kernel prints it).
    Returns its /dev/input node."""
    base = root / "sys/class/input" / node / "device"
    (base / "capabilities").mkdir(parents=True)
    (base / "name").write_text("SYNA8004:00 06CB:CD8B Touchpad\n")
    (base / "properties").write_text("5\n")
    (base / "capabilities/key").write_text(capabilities({evdev.BTN_LEFT, evdev.BTN_TOOL_FINGER, evdev.BTN_TOUCH,
                                                         evdev.BTN_TOOL_DOUBLETAP}) + "\n")
    (base / "capabilities/abs").write_text(capabilities({evdev.ABS_X, evdev.ABS_Y, evdev.ABS_MT_POSITION_X,
                                                         evdev.ABS_MT_POSITION_Y}) + "\n")
    return f"/dev/input/{node}"


def with_pointing_stick(root: Path, node: str = "event6") -> str:
    """SYNTHETIC: a TrackPoint's sysfs entry under `root`, as the kernel gives one beside a ThinkPad's touchpad
    (properties: INPUT_PROP_POINTER and INPUT_PROP_POINTING_STICK, "21"), relative axes and three buttons; its
    event stream is the captured QEMU PS/2 mouse, which reports as a stick does. Returns its /dev/input node."""
    base = root / "sys/class/input" / node / "device"
    (base / "capabilities").mkdir(parents=True)
    (base / "name").write_text("TPPS/2 Elan TrackPoint\n")
    (base / "properties").write_text("21\n")
    (base / "capabilities/key").write_text(capabilities({evdev.BTN_LEFT, evdev.BTN_RIGHT, evdev.BTN_MIDDLE}) + "\n")
    (base / "capabilities/rel").write_text(capabilities({evdev.REL_X, evdev.REL_Y}) + "\n")
    (root / "dev/input").mkdir(parents=True, exist_ok=True)
    shutil.copy(MOUSE, root / "dev/input" / node)
    return f"/dev/input/{node}"


def clickpad_stroke(two_fingers: bool) -> bytes:
    """SYNTHETIC events of a clickpad, in the kernel's order: one finger strokes across and down, the pad is
    pressed (BTN_LEFT, its only switch), then, if asked, two fingers rest on it (BTN_TOOL_DOUBLETAP)."""
    events: list[evdev.InputEvent] = []
    clock = 1000.0

    def packet(*items: tuple[int, int, int]) -> None:
        nonlocal clock
        clock += 0.012
        events.extend(evdev.InputEvent(clock, t, c, v) for t, c, v in (*items, (evdev.EV_SYN, 0, 0)))

    key, absolute = evdev.EV_KEY, evdev.EV_ABS
    packet((key, evdev.BTN_TOUCH, 1), (key, evdev.BTN_TOOL_FINGER, 1), (absolute, evdev.ABS_MT_POSITION_X, 1200),
           (absolute, evdev.ABS_MT_POSITION_Y, 900), (absolute, evdev.ABS_X, 1200), (absolute, evdev.ABS_Y, 900))
    for step in range(1, 11):
        x, y = 1200 + 180 * step, 900 + 120 * step
        packet((absolute, evdev.ABS_MT_POSITION_X, x), (absolute, evdev.ABS_MT_POSITION_Y, y),
               (absolute, evdev.ABS_X, x), (absolute, evdev.ABS_Y, y))
    packet((key, evdev.BTN_LEFT, 1))
    packet((key, evdev.BTN_LEFT, 0))
    if two_fingers:
        packet((key, evdev.BTN_TOOL_FINGER, 0), (key, evdev.BTN_TOOL_DOUBLETAP, 1))
        packet((key, evdev.BTN_TOOL_DOUBLETAP, 0), (key, evdev.BTN_TOOL_FINGER, 1))
    packet((key, evdev.BTN_TOUCH, 0), (key, evdev.BTN_TOOL_FINGER, 0))
    return b"".join(evdev.pack(e) for e in events)
