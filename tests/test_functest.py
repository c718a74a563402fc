"""Function tests on recorded captures.

Real captures (tests/fixtures/functest/, see SOURCES.md there): evdev streams and sysfs trees recorded in
the QEMU rack guest by tests/rack/capture/capture_laptop.py (keys sent through QEMU's monitor, mouse
moves through QMP). Inputs built in a test (rfkill trees, sound-card listings, WAV tones, battery
samples) are labelled SYNTHETIC where they are made.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from laptop_helpers import (
    ASOUND_CARDS,
    ASOUND_PCM,
    capabilities,
    clickpad_stroke,
    tone,
    with_clickpad,
    with_pointing_stick,
)

from station.functest import audio, battery_run, camera, display, evdev, keyboard, layouts, pointer, radios, usb
from station.functest.result import FunctionResult
from station.functest.wav import measure
from station.hw import Host, ReplayRunner

CAPTURES = Path(__file__).parent / "fixtures" / "functest"
KEYS = CAPTURES / "qemu-i8042-azerty-all-keys.evdev"
MOUSE = CAPTURES / "qemu-ps2-mouse-moves-clicks.evdev"
SYSFS_DOWN = CAPTURES / "qemu-laptop-sysfs" / "root"
SYSFS_UP = CAPTURES / "qemu-laptop-sysfs-link-up" / "root"
KEY_A_AZERTY = 16  # the physical key labelled A on AZERTY (Q on QWERTY)


def key_events() -> list[evdev.InputEvent]:
    return evdev.parse(KEYS.read_bytes())


def test_parse_real_capture_events_are_24_bytes_and_typed() -> None:
    data = KEYS.read_bytes()
    events = evdev.parse(data)
    assert len(events) == len(data) // 24
    presses = [e for e in events if e.type == evdev.EV_KEY and e.value == 1]
    assert presses[0].code == layouts.KEY_ESC  # the capture sends Esc first
    assert evdev.parse(data + b"\x00" * 10) == events  # a capture cut mid-event drops the tail only
    assert evdev.pack(events[1]) == data[24:48]


def test_keyboard_passes_on_every_key_of_both_layouts() -> None:
    for layout in (layouts.AZERTY_FR, layouts.QWERTY_US):
        test = keyboard.KeyboardTest(layout)
        test.feed(key_events())
        result = test.result()
        assert result.status == "pass", result
        assert result.measured["keys_seen"] == len(layout.codes)
    assert 86 in layouts.AZERTY_FR.codes and 86 not in layouts.QWERTY_US.codes  # the French < key


def dropped_between(events: list[evdev.InputEvent], first: int, last: int) -> list[evdev.InputEvent]:
    """The real stream as a reader that fell behind gets it (EDITED, not captured): events first..last thrown
    away by the kernel, which says SYN_DROPPED where they were, and the partial packet up to the next report."""
    at = events[first].seconds
    return [*events[:first], evdev.InputEvent(at, evdev.EV_SYN, evdev.SYN_DROPPED, 0), *events[last:]]


def test_keyboard_ignores_a_dropped_packet_and_resyncs_from_the_device_state() -> None:
    events = key_events()
    a_down = next(i for i, e in enumerate(events) if e.type == evdev.EV_KEY and e.code == KEY_A_AZERTY and e.value == 1)
    a_up = next(i for i, e in enumerate(events) if i > a_down and e.type == evdev.EV_KEY and e.code == KEY_A_AZERTY)
    # the drop swallows A's release: up to the next SYN_REPORT after it is the partial packet, also ignored
    report = next(i for i, e in enumerate(events) if i > a_up and e.type == evdev.EV_SYN and e.code == 0)
    stream = dropped_between(events, a_up, a_up + 1)
    test = keyboard.KeyboardTest(layouts.AZERTY_FR)
    test.feed(stream[:a_up + 1])
    assert test.dropping and test.drops == 1 and KEY_A_AZERTY in test.down
    test.feed(stream[a_up + 1:report + 1])
    assert not test.dropping and test.needs_resync
    test.resync(frozenset({0x110}))  # the device says no key is down (a mouse button in the same bitmap is not a key)
    assert not test.needs_resync and KEY_A_AZERTY in test.seen and not test.down
    test.feed(stream[report + 1:])
    result = test.result()
    assert result.status == "pass", result
    assert result.measured["events_dropped_by_kernel"] == 1


def test_keys_lost_wholly_in_a_drop_stay_missing_and_the_drop_is_recorded() -> None:
    events = key_events()
    a_down = next(i for i, e in enumerate(events) if e.type == evdev.EV_KEY and e.code == KEY_A_AZERTY and e.value == 1)
    a_up = next(i for i, e in enumerate(events) if i > a_down and e.type == evdev.EV_KEY and e.code == KEY_A_AZERTY)
    test = keyboard.KeyboardTest(layouts.AZERTY_FR)
    test.feed(dropped_between(events, a_down, a_up + 1))
    test.resync(frozenset())
    result = test.result()
    assert result.status == "fail" and result.measured["missing"] == "A", result
    assert result.measured["events_dropped_by_kernel"] == 1


def test_keys_down_reads_no_state_from_a_recorded_capture() -> None:
    assert evdev.keys_down(Host.recorded(CAPTURES), KEYS.name) is None


def test_keyboard_names_the_dead_key() -> None:
    """The real stream with every event of one key removed: that key is reported by its AZERTY label."""
    test = keyboard.KeyboardTest(layouts.AZERTY_FR)
    test.feed(e for e in key_events() if e.code != KEY_A_AZERTY)
    result = test.result()
    assert result.status == "fail"
    assert result.measured["missing"] == "A"
    assert "1 key(s) never pressed: A" in (result.reason or "")


def test_keyboard_reports_a_stuck_key() -> None:
    """The real stream without the release of Space: Space is stuck (down at the end), not working."""
    events = [e for e in key_events() if not (e.code == layouts.KEY_SPACE and e.value == 0)]
    test = keyboard.KeyboardTest(layouts.AZERTY_FR)
    test.feed(events)
    result = test.result()
    assert result.status == "fail" and result.measured["stuck"] == "Space"
    assert layouts.KEY_SPACE in test.missing


def test_keyboard_absent_without_device_or_events() -> None:
    assert keyboard.KeyboardTest(layouts.AZERTY_FR).result().status == "absent"


def test_devices_from_captured_sysfs() -> None:
    found = {d.node: d for d in evdev.devices(Host(root=SYSFS_DOWN, env={}))}
    kinds = {node: d.kind for node, d in found.items()}
    assert kinds["/dev/input/event0"] == "keyboard"
    assert kinds["/dev/input/event3"] == "pointer"
    assert kinds["/dev/input/event1"] == "other"  # the power button has keys, not letters


def test_stream_reads_a_capture_file_as_a_device(tmp_path: Path) -> None:
    node = tmp_path / "dev" / "input" / "event0"
    node.parent.mkdir(parents=True)
    shutil.copy(KEYS, node)
    events = list(evdev.stream(Host(root=tmp_path, env={}), "/dev/input/event0", timeout_s=5))
    assert events == key_events()


def test_stream_stops_when_its_reader_is_told_to(tmp_path: Path) -> None:
    """A device that sends nothing (a FIFO held open, standing in for an untouched touchpad): the reader of a
    screen the technician left returns at once, not after the idle time."""
    node = tmp_path / "dev" / "input" / "event3"
    node.parent.mkdir(parents=True)
    os.mkfifo(node)
    writer = os.open(node, os.O_RDWR)  # a writer that never writes: reads block instead of ending
    try:
        started = time.monotonic()
        stop_at = started + 0.3
        events = list(evdev.stream(Host(root=tmp_path, env={}), "/dev/input/event3", timeout_s=30, idle_s=20,
                                   stop=lambda: time.monotonic() > stop_at))
        assert events == [] and time.monotonic() - started < 2
    finally:
        os.close(writer)


def test_pointing_device_is_the_touchpad_when_there_is_one(tmp_path: Path) -> None:
    shutil.copytree(SYSFS_UP, tmp_path, dirs_exist_ok=True)
    host = Host(root=tmp_path, env={})
    mouse = pointer.pointing_devices(host)[0]
    assert mouse is not None and mouse.node == "/dev/input/event3"  # the captured PS/2 mouse, not the keyboard
    base = tmp_path / "sys/class/input/event5/device"  # SYNTHETIC: a touchpad's sysfs entry
    (base / "capabilities").mkdir(parents=True)
    (base / "name").write_text("SynPS/2 Synaptics TouchPad\n")
    (base / "capabilities/key").write_text(capabilities({evdev.BTN_LEFT, evdev.BTN_TOOL_FINGER}) + "\n")
    (base / "capabilities/abs").write_text(capabilities({evdev.ABS_X, evdev.ABS_Y}) + "\n")
    touchpad = pointer.pointing_devices(host)[0]
    assert touchpad is not None and touchpad.node == "/dev/input/event5" and touchpad.kind == "touchpad"
    assert pointer.pointing_devices(Host(root=tmp_path / "none", env={})) == (None, None)


def test_a_pointing_stick_beside_the_touchpad_is_tested_as_its_own_function(tmp_path: Path) -> None:
    """A ThinkPad's clickpad and TrackPoint (SYNTHETIC sysfs entries; the stick's stream is the captured PS/2
    mouse): the pad is the pointer, the stick is tested apart, and a stick that never clicks right fails."""
    with_clickpad(tmp_path)
    node = with_pointing_stick(tmp_path)
    host = Host(root=tmp_path, env={})
    touch, stick = pointer.pointing_devices(host)
    assert touch is not None and touch.is_clickpad
    assert stick is not None and stick.node == node and stick.is_pointing_stick and not touch.is_pointing_stick
    test = pointer.PointerTest(stick, "pointing_stick")
    test.feed(evdev.parse((tmp_path / node.lstrip("/")).read_bytes()))
    assert test.result().function == "pointing_stick" and test.result().status == "pass", test.result()
    dead = pointer.PointerTest(stick, "pointing_stick")
    dead.feed(e for e in evdev.parse(MOUSE.read_bytes()) if e.code != evdev.BTN_RIGHT)
    assert dead.result().status == "fail" and "right button never clicked" in (dead.result().reason or "")
    assert pointer.PointerTest(None, "pointing_stick").result().status == "absent"


def test_a_pointing_stick_alone_is_the_pointer(tmp_path: Path) -> None:
    node = with_pointing_stick(tmp_path)
    touch, stick = pointer.pointing_devices(Host(root=tmp_path, env={}))
    assert touch is not None and touch.node == node and stick is None  # no second test of the same stick


def test_bitmap_words_are_most_significant_first() -> None:
    assert evdev.bitmap("1 0") == frozenset({64})
    assert evdev.bitmap("3") == frozenset({0, 1})
    assert evdev.bitmap("zz") == frozenset()


def test_pointer_passes_on_real_moves_and_clicks() -> None:
    test = pointer.PointerTest()
    test.feed(evdev.parse(MOUSE.read_bytes()))
    result = test.result()
    assert result.status == "pass", result
    assert result.measured["buttons"] == "left right"
    assert isinstance(result.measured["travel_x"], int) and result.measured["travel_x"] >= pointer.MIN_TRAVEL


def test_pointer_fails_without_right_click() -> None:
    test = pointer.PointerTest()
    test.feed(e for e in evdev.parse(MOUSE.read_bytes()) if e.code != evdev.BTN_RIGHT)
    result = test.result()
    assert result.status == "fail" and "right button never clicked" in (result.reason or "")


def test_clickpad_needs_its_switch_and_two_fingers_not_a_right_button(tmp_path: Path) -> None:
    """A clickpad reports every click as BTN_LEFT (one switch under the pad); its right click is the desktop's,
    from two fingers. SYNTHETIC sysfs entry and events (no clickpad was captured: the QEMU guest has none)."""
    with_clickpad(tmp_path)
    device = pointer.pointing_devices(Host(root=tmp_path, env={}))[0]
    assert device is not None and device.is_clickpad and device.kind == "touchpad"
    one_finger = pointer.PointerTest(device)
    one_finger.feed(evdev.parse(clickpad_stroke(two_fingers=False)))
    result = one_finger.result()
    assert result.status == "fail" and result.reason == "two fingers never sensed (the clickpad's right click)"
    assert result.measured["buttons"] == "left" and result.measured["travel_x"] == 1800
    both = pointer.PointerTest(device)
    both.feed(evdev.parse(clickpad_stroke(two_fingers=True)))
    assert both.result().status == "pass" and both.result().measured["two_fingers"] is True
    not_a_clickpad = pointer.PointerTest(evdev.InputDevice(device.node, device.name, None, None, device.keys,
                                                           device.rel, device.abs))
    not_a_clickpad.feed(evdev.parse(clickpad_stroke(two_fingers=True)))
    assert not_a_clickpad.result().reason == "right button never clicked"  # a touchpad with real buttons


def test_display_answers() -> None:
    test = display.DisplayTest()
    for pattern in display.PATTERNS[:-1]:
        test.answer(pattern, True)
    assert test.result().status == "skipped" and test.next_pattern == "gradient"
    test.answer("gradient", True)
    assert test.result().status == "pass"
    test.answer("white", False, "3 dead pixels top left")
    result = test.result()
    assert result.status == "fail" and "3 dead pixels" in (result.reason or "")
    with pytest.raises(ValueError):
        test.answer("purple", True)


def test_ethernet_down_port_is_set_up_first_and_unknown_when_it_cannot_be() -> None:
    runner = ReplayRunner()  # `ip` not recorded: answers 127, the port stays down
    result = radios.ethernet(Host(root=SYSFS_DOWN, runner=runner, env={}), sleep=lambda s: None)
    assert result.status == "skipped" and "down" in (result.reason or "")
    assert runner.calls == [("ip", "link", "set", "dev", "enp0s14", "up")]


def test_ethernet_link_up_capture_passes() -> None:
    result = radios.ethernet(Host(root=SYSFS_UP, runner=ReplayRunner(), env={}))
    assert result.status == "pass" and result.device == "enp0s14"


def test_no_radios_in_the_guest_is_absent() -> None:
    host = Host(root=SYSFS_UP, env={})
    assert radios.wifi(host).status == "absent"
    assert radios.bluetooth(host).status == "absent"


def _rfkill(root: Path, index: int, kind: str, hard: str, soft: str) -> None:
    """SYNTHETIC: an rfkill entry as the kernel lays it out (name, type, hard, soft)."""
    base = root / "sys/class/rfkill" / f"rfkill{index}"
    base.mkdir(parents=True)
    for name, value in (("name", f"phy{index}" if kind == "wlan" else f"hci{index}"), ("type", kind),
                        ("hard", hard), ("soft", soft)):
        (base / name).write_text(value + "\n")


def test_wifi_hard_block_fails_soft_block_passes(tmp_path: Path) -> None:
    (tmp_path / "sys/class/net/wlp2s0/wireless").mkdir(parents=True)  # SYNTHETIC Wi-Fi adapter
    (tmp_path / "sys/class/net/wlp2s0/device").mkdir()
    (tmp_path / "sys/class/bluetooth/hci0").mkdir(parents=True)
    _rfkill(tmp_path, 0, "wlan", "1", "0")
    _rfkill(tmp_path, 1, "bluetooth", "0", "1")
    host = Host(root=tmp_path, env={})
    wifi = radios.wifi(host)
    assert wifi.status == "fail" and "hard-blocked" in (wifi.reason or "")
    bt = radios.bluetooth(host)
    assert bt.status == "pass" and bt.measured["soft_blocked"] is True



def _pci(root: Path, slot: str, pci_class: str, vendor: str, device: str, driver: str | None = None) -> None:
    """SYNTHETIC: a PCI function as sysfs lays it out (class, vendor, device, the driver link when bound)."""
    base = root / "sys/bus/pci/devices" / slot
    base.mkdir(parents=True)
    for name, value in (("class", pci_class), ("vendor", vendor), ("device", device)):
        (base / name).write_text(value + "\n")
    if driver:
        (root / "sys/bus/pci/drivers" / driver).mkdir(parents=True)
        (base / "driver").symlink_to(root / "sys/bus/pci/drivers" / driver)


def _usb_interface(root: Path, name: str, triple: tuple[str, str, str], ids: tuple[str, str], product: str) -> None:
    """SYNTHETIC: a USB device and one of its interfaces (class, subclass, protocol), no driver bound."""
    device = root / "sys/bus/usb/devices" / name.split(":")[0]
    device.mkdir(parents=True, exist_ok=True)
    for attr, value in (("idVendor", ids[0]), ("idProduct", ids[1]), ("product", product)):
        (device / attr).write_text(value + "\n")
    interface = root / "sys/bus/usb/devices" / name
    interface.mkdir()
    for attr, value in zip(("bInterfaceClass", "bInterfaceSubClass", "bInterfaceProtocol"), triple, strict=True):
        (interface / attr).write_text(value + "\n")


def test_parts_without_a_driver_are_not_tested_rather_than_absent(tmp_path: Path) -> None:
    """A live system without a card's driver or firmware sees no interface: the PCI and USB classes still show
    the part, so the record says "not tested" with its ids, never "no Wi-Fi" on a laptop that has it."""
    _pci(tmp_path, "0000:00:1f.6", "0x020000", "0x8086", "0x15d7", "e1000e")  # Ethernet: not a Wi-Fi card
    _pci(tmp_path, "0000:02:00.0", "0x028000", "0x8086", "0x24fd", "iwlwifi")  # firmware missing: no wlan0
    _usb_interface(tmp_path, "1-7:1.0", ("e0", "01", "01"), ("8087", "0a2b"), "Bluetooth")
    _usb_interface(tmp_path, "1-8:1.0", ("0e", "01", "00"), ("04f2", "b604"), "Integrated Camera")
    host = Host(root=tmp_path, env={})
    wifi = radios.wifi(host)
    assert wifi.status == "skipped" and "8086:24fd" in (wifi.reason or "") and "iwlwifi" in (wifi.reason or "")
    assert wifi.device == "0000:02:00.0"
    bt = radios.bluetooth(host)
    assert bt.status == "skipped" and "8087:0a2b Bluetooth, no driver bound" in (bt.reason or "")
    cam = camera.camera(host)
    assert cam.status == "skipped" and "04f2:b604 Integrated Camera" in (cam.reason or "") and cam.device == "1-8:1.0"
    bare = tmp_path / "bare"
    _pci(bare, "0000:00:1f.6", "0x020000", "0x8086", "0x15d7", "e1000e")
    _usb_interface(bare, "1-2:1.0", ("03", "01", "01"), ("046d", "c31c"), "USB Keyboard")
    assert {radios.wifi(Host(root=bare, env={})).status, radios.bluetooth(Host(root=bare, env={})).status,
            camera.camera(Host(root=bare, env={})).status} == {"absent"}


def test_a_radio_switch_without_an_adapter_is_not_tested(tmp_path: Path) -> None:
    """A laptop's platform switch (thinkpad_acpi, ideapad) without the card's interface: unknown, not failed."""
    _rfkill(tmp_path, 0, "bluetooth", "0", "0")
    bt = radios.bluetooth(Host(root=tmp_path, env={}))
    assert bt.status == "skipped" and "rfkill switch present" in (bt.reason or "")

def test_usb_port_proven_when_a_device_appears(tmp_path: Path) -> None:
    """The captured tree (USB stick on port 2-2) is the 'after'; the 'before' is that tree without it."""
    root = tmp_path / "root"
    shutil.copytree(SYSFS_UP, root)
    stick = root / "sys/bus/usb/devices/2-2"
    saved = tmp_path / "2-2"
    shutil.move(stick, saved)
    test = usb.UsbPortsTest(Host(root=root, env={}), expected=2)
    test.start()
    assert test.poll() == []
    shutil.move(saved, stick)
    fresh = test.poll()
    assert [d.port for d in fresh] == ["2-2"] and fresh[0].speed_mbps == "5000"
    result = test.result()
    assert result.status == "fail" and result.reason == "1 of 2 ports proven"
    test.expected = 1
    assert test.result().status == "pass" and test.result().measured["ports"] == "2-2@5000Mb/s"


def test_usb_watch_ends_once_every_counted_port_is_proven(tmp_path: Path) -> None:
    """The captured stick (port 2-2) is plugged during the second wait; two ports were counted, then one."""
    root = tmp_path / "root"
    shutil.copytree(SYSFS_UP, root)
    stick = root / "sys/bus/usb/devices/2-2"
    shutil.move(stick, tmp_path / "2-2")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            shutil.move(tmp_path / "2-2", stick)

    test = usb.UsbPortsTest(Host(root=root, env={}), expected=1)
    test.start()
    assert [d.port for d in test.watch(60, sleep=sleep)] == ["2-2"]
    assert len(waits) == 2 and test.complete  # ended as the last port was proven, not after 60 s
    two = usb.UsbPortsTest(Host(root=root, env={}), expected=2)
    two.start()
    assert list(two.watch(1.0, every=0.5, sleep=lambda s: None)) == [] and not two.complete
    assert two.result().status == "fail"


def test_usb_devices_present_at_start_do_not_count() -> None:
    test = usb.UsbPortsTest(Host(root=SYSFS_UP, env={}))
    test.start()
    assert test.poll() == [] and test.result().status == "skipped"


def test_wav_measures_frequency_and_level(tmp_path: Path) -> None:
    tone(tmp_path / "t.wav", 440, 0.5)
    level = measure(tmp_path / "t.wav")
    assert level.frequency_hz is not None and abs(level.frequency_hz - 440) < 1
    assert abs(level.peak_dbfs - (-6.0)) < 0.2 and abs(level.rms_dbfs - (-9.0)) < 0.2


def _sound_host(tmp_path: Path, wav_amplitude: float | None) -> Host:
    """SYNTHETIC /proc/asound listing in the kernel's format, a recorded arecord run and its WAV."""
    (tmp_path / "proc/asound").mkdir(parents=True)
    (tmp_path / "proc/asound/cards").write_text(ASOUND_CARDS)
    (tmp_path / "proc/asound/pcm").write_text(ASOUND_PCM)
    runner = ReplayRunner()
    runner.add(["arecord", "-q", "-D", "default", "-d", "2", "-f", "S16_LE", "-r", "48000", "-c", "1", "-t", "wav",
                audio.CAPTURE])
    if wav_amplitude is not None:
        tone(tmp_path / audio.CAPTURE.lstrip("/"), 300, wav_amplitude, seconds=0.5)
    return Host(root=tmp_path, runner=runner, env={})


def test_sound_cards_and_microphone_level(tmp_path: Path) -> None:
    host = _sound_host(tmp_path, 0.1)
    assert audio.cards(host) == [audio.SoundCard(0, "HDA-Intel - HDA Intel PCH", True, True)]
    result = audio.microphone(host)
    assert result.status == "pass" and result.measured["peak_dbfs"] == -20.0


def test_silent_microphone_fails(tmp_path: Path) -> None:
    result = audio.microphone(_sound_host(tmp_path, 0.0))
    assert result.status == "fail" and "digital silence" in (result.reason or "")


def test_speakers_judged_by_technician(tmp_path: Path) -> None:
    host = _sound_host(tmp_path, None)
    assert audio.play_tone(host, 1)[0] is False  # speaker-test not recorded: 127, an error, not a pass
    assert audio.playback_result(host, {"left": True, "right": False}, {}).status == "fail"
    assert audio.playback_result(host, {"left": True, "right": True}, {}).status == "pass"
    assert audio.playback_result(Host(root=tmp_path / "none", env={}), {}, {}).status == "absent"


def test_speakers_answered_on_the_command_line(tmp_path: Path) -> None:
    """`--audio --result audio=...`: the answer is the heard part; an ALSA error or no card is not overridden."""
    host = _sound_host(tmp_path, None)
    played = audio.playback_result(host, {}, {})
    assert played.status == "skipped" and played.device == "card0"
    heard = audio.answered(played, FunctionResult("audio", "pass"))
    assert heard.status == "pass" and heard.measured["heard_left"] is True and heard.device == "card0"
    silent = audio.answered(played, FunctionResult("audio", "fail", "right speaker crackles"))
    assert silent.status == "fail" and silent.reason == "right speaker crackles"
    broken = audio.playback_result(host, {}, {"right": "Device or resource busy"})
    assert audio.answered(broken, FunctionResult("audio", "pass")) == broken
    nothing = audio.playback_result(Host(root=tmp_path / "none", env={}), {}, {})
    assert audio.answered(nothing, FunctionResult("audio", "pass")).status == "absent"


def test_camera_frame_captured_or_not(tmp_path: Path) -> None:
    for name, index in (("video0", "0"), ("video1", "1")):  # SYNTHETIC: a UVC camera's two nodes
        base = tmp_path / "sys/class/video4linux" / name
        base.mkdir(parents=True)
        (base / "name").write_text("Integrated Camera: Integrated C\n")
        (base / "index").write_text(index + "\n")
    runner = ReplayRunner()
    argv = ["v4l2-ctl", "-d", "/dev/video0", "--stream-mmap", "--stream-count=1", f"--stream-to={camera.FRAME}"]
    runner.add(argv, returncode=0)
    host = Host(root=tmp_path, runner=runner, env={})
    assert camera.capture_nodes(host) == [("/dev/video0", "Integrated Camera: Integrated C")]
    assert camera.camera(host).status == "fail"  # exit 0 but no frame written
    frame = tmp_path / camera.FRAME.lstrip("/")
    frame.parent.mkdir(parents=True)
    frame.write_bytes(b"\x10" * 614400)
    result = camera.camera(host)
    assert result.status == "pass" and result.measured["frame_bytes"] == 614400
    assert camera.camera(Host(root=tmp_path / "none", env={})).status == "absent"


def test_battery_discharge_from_samples(tmp_path: Path) -> None:
    """Two reads of a real uevent (SMP 42T4977) whose energy_now and status are edited: SYNTHETIC samples."""
    base = tmp_path / "sys/class/power_supply/BAT0"
    base.mkdir(parents=True)
    real = (Path(__file__).parent / "fixtures/power_supply/uevent-BAT0-energy-smp-42t4977-i3status-186.txt").read_text()
    clock = iter([0.0, 120.0])

    def write(energy_uwh: int, status: str = "Discharging") -> None:
        (base / "uevent").write_text(real.replace("ENERGY_NOW=8300000", f"ENERGY_NOW={energy_uwh}")
                                     .replace("STATUS=Unknown", f"STATUS={status}"))

    host = Host(root=tmp_path, env={})
    write(8300000)
    first = battery_run.sample(host, "BAT0", lambda: next(clock))
    write(8100000)
    last = battery_run.sample(host, "BAT0", lambda: next(clock))
    result = battery_run.judge("BAT0", [first, last])
    assert result.status == "pass", result
    assert result.measured["watts"] == 6.0 and result.measured["runtime_min"] == 81
    assert battery_run.judge("BAT0", [first, last], min_runtime_minutes=90).status == "fail"
    still = battery_run.judge("BAT0", [first, first.__class__(120.0, "Discharging", 8.3, 25.5)])
    assert still.status == "skipped" and "no drop" in (still.reason or "")
    charging = battery_run.judge("BAT0", [first.__class__(0.0, "Charging", 8.3, 25.5), last])
    assert charging.status == "skipped" and "pull the charger" in (charging.reason or "")


def test_discharge_run_starts_when_the_charger_is_pulled(tmp_path: Path) -> None:
    """The recorded ThinkPad BAT0 (energy_now 49.45 Wh, discharging): its status edited to Charging first,
    then back to the recorded Discharging, and energy_now lowered as the run goes (SYNTHETIC edits)."""
    base = tmp_path / "sys/class/power_supply"
    shutil.copytree(Path(__file__).parent / "fixtures/power_supply/procfs-thinkpad-lgc-45n1-sysfs", base)
    host = Host(root=tmp_path, env={})
    assert battery_run.laptop_battery(host) == "BAT0"  # AC is a supply, not a battery
    (base / "BAT0/status").write_text("Charging\n")
    now = [0.0]
    run = battery_run.DischargeRun(host, "BAT0", seconds=120, clock=lambda: now[0])
    run.tick()
    assert not run.started and run.result().status == "skipped" and "not pulled" in (run.result().reason or "")
    (base / "BAT0/status").write_text("Discharging\n")
    now[0] = 30.0
    run.tick()
    assert run.started and run.elapsed == 0 and not run.done
    now[0], energy = 150.0, 49450000 - 200000  # 0.2 Wh in 120 s: 6 W
    (base / "BAT0/energy_now").write_text(f"{energy}\n")
    run.tick()
    result = run.result()
    assert run.done and result.status == "pass", result
    assert result.measured["watts"] == 6.0 and result.measured["seconds"] == 120.0
    assert battery_run.laptop_battery(Host(root=tmp_path / "none", env={})) is None


def test_discharge_run_gives_up_when_the_charger_stays_in(tmp_path: Path) -> None:
    base = tmp_path / "sys/class/power_supply"
    shutil.copytree(Path(__file__).parent / "fixtures/power_supply/procfs-thinkpad-lgc-45n1-sysfs", base)
    (base / "BAT0/status").write_text("Charging\n")  # SYNTHETIC edit of the recorded status
    waits: list[float] = []
    result = battery_run.run(Host(root=tmp_path, env={}), "BAT0", seconds=5, every=1.0, sleep=waits.append,
                             clock=lambda: float(len(waits)))
    assert result.status == "skipped" and "status Charging" in (result.reason or "") and len(waits) == 5


def test_result_needs_a_reason_to_fail() -> None:
    with pytest.raises(ValueError):
        FunctionResult("keyboard", "fail")
    with pytest.raises(ValueError):
        FunctionResult("toaster", "pass")
    done = FunctionResult("usb", "pass", measured={"ports": "1-1@480Mb/s"})
    assert FunctionResult.from_dict(done.to_dict()) == done
