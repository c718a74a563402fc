"""The laptop bench's measured screens (pointer, sound, USB ports, battery) driven by Pilot on a virtual laptop
(tests/laptop_helpers.py): the PS/2 mouse stream and the USB tree captured in the QEMU guest, the real ThinkPad
battery sysfs, and a SYNTHETIC sound card (the guest had none) whose tool runs only exit 0 and whose microphone
capture is a sine written by the test. Each test checks the results the screen hands back, so a screen that
stops recording its result fails here."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from laptop_helpers import (
    MOUSE,
    clickpad_stroke,
    input_streams,
    plug_stick,
    tone,
    unplug_stick,
    virtual_laptop,
    with_battery,
    with_clickpad,
    with_pointing_stick,
    with_sound,
)
from textual.widgets import Static

from station import i18n
from station.functest.result import FunctionResult
from station.hw import Host
from station.tui import StationApp
from station.tui.screens.function_screens import AudioScreen, BatteryScreen, FunctionScreen, PointerScreen, UsbScreen
from tests.tui_helpers import make_app, run_async, wait_for

Results = list[tuple[FunctionResult, ...]]


@pytest.fixture(autouse=True)
def english_after() -> Any:
    yield
    i18n.set_language("en")


def app_on(tmp_path: Path, profile: Path, lang: str = "en") -> StationApp:
    app, _source, _session = make_app(tmp_path, [], lang=lang)
    app.audit_host = Host.recorded(profile)
    return app


def body(screen: FunctionScreen) -> str:
    """What the screen draws, as words ("" before it is composed or after it closed)."""
    found = screen.query("#body").results(Static)
    return " ".join(" ".join(str(w.render()).split()) for w in found)


async def handed_back(app: StationApp, screen: FunctionScreen) -> tuple[FunctionResult, ...]:
    """Push `screen` under Pilot and wait for the results it hands back when it ends by itself."""
    results: Results = []
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(screen, results.append)
        await wait_for(pilot, lambda: bool(results))
    return results[0]

@run_async
async def test_pointer_screen_passes_on_the_captured_mouse(tmp_path: Path) -> None:
    profile = virtual_laptop(tmp_path)
    input_streams(profile)
    app = app_on(tmp_path, profile)
    screen = PointerScreen()
    handed = await handed_back(app, screen)
    result, stick = handed
    assert result.status == "pass" and result.device == "/dev/input/event3", result
    assert result.measured["buttons"] == "left right" and result.measured["kind"] == "pointer"
    assert (stick.function, stick.status) == ("pointing_stick", "absent")
    assert screen.keys == 0


def before_right_click() -> bytes:
    """The captured mouse stream cut before its right click: both axes moved, only the left button clicked."""
    from station.functest import evdev

    data = MOUSE.read_bytes()
    events = evdev.parse(data)
    first = next(i for i, e in enumerate(events) if e.type == evdev.EV_KEY and e.code == evdev.BTN_RIGHT)
    return data[: first * evdev.EVENT_SIZE]


@run_async
async def test_pointer_screen_fails_a_dead_right_button(tmp_path: Path) -> None:
    profile = virtual_laptop(tmp_path)
    input_streams(profile)
    (profile / "root/dev/input/event3").write_bytes(before_right_click())
    app = app_on(tmp_path, profile)
    handed = await handed_back(app, PointerScreen())
    result, _stick = handed
    assert result.status == "fail" and result.reason == "right button never clicked"



@run_async
async def test_pointer_screen_takes_the_clickpad_over_the_mouse(tmp_path: Path) -> None:
    """A SYNTHETIC clickpad next to the captured PS/2 mouse: the screen reads the laptop's own pad, whose
    one switch and two fingers pass it without any right button."""
    profile = virtual_laptop(tmp_path)
    input_streams(profile)
    node = with_clickpad(profile / "root")
    (profile / "root" / node.lstrip("/")).write_bytes(clickpad_stroke(two_fingers=True))
    app = app_on(tmp_path, profile)
    handed = await handed_back(app, PointerScreen())
    result, _stick = handed
    assert result.status == "pass" and result.device == node and result.measured["two_fingers"] is True


@run_async
async def test_pointer_screen_tests_the_pointing_stick_after_the_clickpad(tmp_path: Path) -> None:
    """A ThinkPad's SYNTHETIC clickpad and TrackPoint (its stream the captured PS/2 mouse, cut before the right
    click: a dead right button above the pad): the pad passes, then the stick is read and fails."""
    profile = virtual_laptop(tmp_path)
    shutil.rmtree(profile / "root/sys/class/input/event3")  # the guest's PS/2 mouse: a laptop's pad and stick only
    pad = with_clickpad(profile / "root")
    (profile / "root/dev/input").mkdir(parents=True, exist_ok=True)
    (profile / "root" / pad.lstrip("/")).write_bytes(clickpad_stroke(two_fingers=True))
    stick_node = with_pointing_stick(profile / "root")
    (profile / "root" / stick_node.lstrip("/")).write_bytes(before_right_click())
    app = app_on(tmp_path, profile)
    screen = PointerScreen()
    handed = await handed_back(app, screen)
    touch, stick = handed
    assert (touch.function, touch.status, touch.device) == ("pointer", "pass", pad)
    assert (stick.function, stick.status, stick.device) == ("pointing_stick", "fail", stick_node), stick
    assert stick.reason == "right button never clicked"

@run_async
async def test_pointer_screen_without_a_pointing_device_is_absent_at_once(tmp_path: Path) -> None:
    profile = virtual_laptop(tmp_path)
    shutil.rmtree(profile / "root/sys/class/input/event3")  # the guest's only pointer taken out of the tree
    app = app_on(tmp_path, profile)
    handed = await handed_back(app, PointerScreen())
    assert [(r.function, r.status) for r in handed] == [("pointer", "absent"), ("pointing_stick", "absent")]


@run_async
async def test_pointer_screen_draws_events_as_they_come_and_skips_with_the_typed_reason(tmp_path: Path) -> None:
    """The event node is a FIFO held open (a live device: no end of file); the test writes the captured stream
    up to the right click into it, the screen draws the travel and the left click, then s, the reason, Enter."""
    from station.functest import evdev, pointer

    profile = virtual_laptop(tmp_path)
    node = profile / "root/dev/input/event3"
    node.parent.mkdir(parents=True)
    os.mkfifo(node)
    writer = os.open(node, os.O_RDWR)
    expected = pointer.PointerTest()
    expected.feed(evdev.parse(before_right_click()))
    app = app_on(tmp_path, profile)
    results: Results = []
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = PointerScreen()
            app.push_screen(screen, results.append)
            await wait_for(pilot, lambda: app.screen is screen and screen.test.device is not None)
            os.write(writer, before_right_click())
            await wait_for(pilot, lambda: f"y {'█' * 30} {expected.travel(1)} / 50" in body(screen))
            assert f"x {'█' * 30} {expected.travel(0)} / 50" in body(screen) and "Buttons: left right middle" \
                in body(screen)
            assert screen.test.clicked == {evdev.BTN_LEFT} and not results
            await pilot.press("s", *"no palm rest", "enter")
            await wait_for(pilot, lambda: bool(results))
    finally:
        os.close(writer)
    assert [(r.function, r.status, r.reason) for r in results[0]] == [
        ("pointer", "skipped", "no palm rest"), ("pointing_stick", "skipped", "no palm rest")]
    assert screen.keys == 1 + len("no palm rest") + 1 and screen.ended


@run_async
async def test_audio_screen_asks_each_speaker_then_measures_the_microphone(tmp_path: Path) -> None:
    profile = virtual_laptop(tmp_path)
    capture = with_sound(profile, mic_amplitude=0.0)  # the technician said nothing at first: digital silence
    app = app_on(tmp_path, profile)
    results: Results = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = AudioScreen()
        app.push_screen(screen, results.append)
        await wait_for(pilot, lambda: screen.phase == "asking")
        assert "Did the left speaker sound?" in body(screen)
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.phase == "asking" and screen.channel == 1)
        await pilot.press("n")
        await wait_for(pilot, lambda: screen.phase == "captured")
        assert "peak -inf dBFS" in body(screen) and "fail" in body(screen)
        tone(capture, 300, 0.1, seconds=0.5)  # SYNTHETIC: the second capture hears the technician
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.phase == "captured" and "pass" in body(screen))
        assert "peak -20.0 dBFS" in body(screen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(results))
    speakers, microphone = results[0]
    assert speakers.function == "audio" and speakers.status == "fail" and speakers.reason == "right speaker silent"
    assert speakers.measured["heard_left"] is True and speakers.measured["heard_right"] is False
    assert microphone.function == "microphone" and microphone.status == "pass"
    assert microphone.measured["peak_dbfs"] == -20.0
    assert screen.keys == 4


@run_async
async def test_audio_screen_does_not_ask_about_a_tone_that_failed_to_play(tmp_path: Path) -> None:
    """speaker-test on the right channel not recorded: it answers 127 like a failed tool, so no question."""
    profile = virtual_laptop(tmp_path)
    with_sound(profile, channels=(1,))
    app = app_on(tmp_path, profile)
    results: Results = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = AudioScreen()
        app.push_screen(screen, results.append)
        await wait_for(pilot, lambda: screen.phase == "asking")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.phase == "captured")
        assert "ALSA error" in body(screen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(results))
    speakers, microphone = results[0]
    assert speakers.status == "fail" and (speakers.reason or "").startswith("right: speaker-test")
    assert microphone.status == "pass"


@run_async
async def test_audio_screen_without_a_sound_card_is_absent_at_once(tmp_path: Path) -> None:
    app = app_on(tmp_path, virtual_laptop(tmp_path))  # the QEMU guest's kernel has no sound modules
    handed = await handed_back(app, AudioScreen())
    assert [(r.function, r.status) for r in handed] == [("audio", "absent"), ("microphone", "absent")]


@run_async
async def test_audio_skip_after_the_speakers_keeps_their_answers(tmp_path: Path) -> None:
    profile = virtual_laptop(tmp_path)
    with_sound(profile)
    app = app_on(tmp_path, profile, lang="fr")
    results: Results = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = AudioScreen()
        app.push_screen(screen, results.append)
        for channel in (0, 1):
            await wait_for(pilot, lambda channel=channel: screen.phase == "asking" and screen.channel == channel)
            assert "Le haut-parleur" in body(screen)
            await pilot.press("y")
        await wait_for(pilot, lambda: screen.phase == "captured")
        await pilot.press("s", *"micro en panne", "enter")
        await wait_for(pilot, lambda: bool(results))
    speakers, microphone = results[0]
    assert speakers.status == "pass"
    assert (microphone.function, microphone.status, microphone.reason) == ("microphone", "skipped", "micro en panne")


@run_async
async def test_usb_screen_turns_the_plugged_port_green_and_ends_once_all_are_proven(tmp_path: Path) -> None:
    profile = virtual_laptop(tmp_path)
    unplug_stick(profile)
    app = app_on(tmp_path, profile)
    results: Results = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = UsbScreen(every=0.05)
        app.push_screen(screen, results.append)
        await wait_for(pilot, lambda: screen.test is not None)
        await pilot.press("2")  # the technician counts two external ports
        assert "0 of 2 ports proven" in body(screen)
        plug_stick(profile)
        await wait_for(pilot, lambda: "2-2" in body(screen))
        assert "1 of 2 ports proven" in body(screen) and not results
        await pilot.press("1")  # on second thought one: every counted port is proven, the screen ends
        await wait_for(pilot, lambda: bool(results))
    (result,) = results[0]
    assert result.status == "pass" and result.measured["ports"] == "2-2@5000Mb/s"
    assert result.measured["ports_expected"] == 1


@run_async
async def test_usb_screen_ended_with_enter_before_every_port(tmp_path: Path) -> None:
    profile = virtual_laptop(tmp_path)
    unplug_stick(profile)
    app = app_on(tmp_path, profile)
    results: Results = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = UsbScreen(every=0.05)
        app.push_screen(screen, results.append)
        await wait_for(pilot, lambda: screen.test is not None)
        await pilot.press("3")
        plug_stick(profile)
        await wait_for(pilot, lambda: "2-2" in body(screen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(results))
    (result,) = results[0]
    assert result.status == "fail" and result.reason == "1 of 3 ports proven"


@run_async
async def test_usb_screen_skipped_with_the_typed_reason(tmp_path: Path) -> None:
    app = app_on(tmp_path, virtual_laptop(tmp_path))
    results: Results = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = UsbScreen(every=0.05)
        app.push_screen(screen, results.append)
        await wait_for(pilot, lambda: screen.test is not None)
        await pilot.press("s", "enter")  # no reason: refused, the screen stays
        await pilot.pause(0.1)
        assert not results
        await pilot.press(*"no stick at hand", "enter")
        await wait_for(pilot, lambda: bool(results))
    assert [(r.status, r.reason) for r in results[0]] == [("skipped", "no stick at hand")]


@run_async
async def test_battery_screen_waits_for_the_charger_then_measures_the_run(tmp_path: Path) -> None:
    """The recorded ThinkPad BAT0, its status edited to Charging, then back to its recorded Discharging, and
    energy_now lowered as the run goes (SYNTHETIC edits); the clock is the test's."""
    profile = virtual_laptop(tmp_path)
    battery = with_battery(profile, status="Charging")
    now = [0.0]
    app = app_on(tmp_path, profile)
    results: Results = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = BatteryScreen(120, lambda: now[0], every=0.05)
        app.push_screen(screen, results.append)
        await wait_for(pilot, lambda: "waiting for the charger" in body(screen))
        now[0] = 20.0
        (battery / "status").write_text("Discharging\n")
        await wait_for(pilot, lambda: "0 of 120 s" in body(screen))
        now[0] = 80.0
        (battery / "energy_now").write_text(f"{49450000 - 100000}\n")
        await wait_for(pilot, lambda: "60 of 120 s" in body(screen))
        assert "49.45 Wh at the start, 49.35 Wh now" in body(screen) and not results
        now[0] = 140.0
        (battery / "energy_now").write_text(f"{49450000 - 200000}\n")
        await wait_for(pilot, lambda: bool(results))
    (result,) = results[0]
    assert result.status == "pass", result
    assert result.measured["watts"] == 6.0 and result.measured["seconds"] == 120.0 and result.device == "BAT0"
    assert screen.keys == 0


@run_async
async def test_battery_screen_ended_early_is_judged_on_what_was_measured(tmp_path: Path) -> None:
    profile = virtual_laptop(tmp_path)
    battery = with_battery(profile)
    now = [0.0]
    app = app_on(tmp_path, profile)
    results: Results = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = BatteryScreen(120, lambda: now[0], every=0.05)
        app.push_screen(screen, results.append)
        await wait_for(pilot, lambda: "0 of 120 s" in body(screen))
        now[0] = 54.0
        (battery / "energy_now").write_text(f"{49450000 - 90000}\n")  # SYNTHETIC: 0.09 Wh in 54 s, 6 W
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(results))
    (result,) = results[0]
    assert result.status == "pass" and result.measured["seconds"] == 54.0 and result.measured["watts"] == 6.0


@run_async
async def test_battery_screen_without_a_battery_is_absent_and_skip_needs_a_reason(tmp_path: Path) -> None:
    app = app_on(tmp_path, virtual_laptop(tmp_path))  # the QEMU guest has no battery
    handed = await handed_back(app, BatteryScreen(120, lambda: 0.0, every=0.05))
    assert [(r.function, r.status) for r in handed] == [("battery", "absent")]

    profile = virtual_laptop(tmp_path / "second")
    with_battery(profile, status="Charging")
    app = app_on(tmp_path / "second", profile)
    results = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = BatteryScreen(120, lambda: 0.0, every=0.05)
        app.push_screen(screen, results.append)
        await wait_for(pilot, lambda: "waiting for the charger" in body(screen))
        await pilot.press("s", *"no charger for this model", "enter")
        await wait_for(pilot, lambda: bool(results))
    assert [(r.status, r.reason) for r in results[0]] == [("skipped", "no charger for this model")]
