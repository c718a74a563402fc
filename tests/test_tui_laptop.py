"""The guided laptop flow in the TUI, keyboard only, on a virtual laptop: the recorded T480 DMI and
the QEMU guest's sysfs, its /dev/input/event0 being the keyboard stream captured there (every AZERTY
key sent through QEMU's monitor) and event3 its PS/2 mouse stream. From the rack: b, then one key per step.
The whole flow also has the real ThinkPad battery sysfs and a SYNTHETIC sound card (tests/laptop_helpers.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from laptop_helpers import input_streams, plug_stick, unplug_stick, virtual_laptop, with_battery, with_sound
from textual.widgets import Static

from station import i18n
from station.hw import Host
from station.tui.screens.bench_screens import DisplayScreen, GradeScreen, KeyboardScreen
from station.tui.screens.function_screens import AudioScreen, BatteryScreen, UsbScreen
from station.tui.screens.laptop_screen import LaptopScreen
from tests.tui_helpers import make_app, run_async, wait_for

KEYS = Path(__file__).parent / "fixtures" / "functest" / "qemu-i8042-azerty-all-keys.evdev"


@pytest.fixture(autouse=True)
def english_after() -> None:
    yield
    i18n.set_language("en")


@run_async
async def test_laptop_flow_from_the_rack_to_the_label(tmp_path: Path) -> None:
    profile = virtual_laptop(tmp_path)
    input_streams(profile)
    with_sound(profile)
    battery = with_battery(profile)
    unplug_stick(profile)  # the technician plugs it during the USB test
    app, _source, _session = make_app(tmp_path, [], lang="en")
    app.audit_host = Host.recorded(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, LaptopScreen))
        screen = app.screen
        assert isinstance(screen, LaptopScreen) and screen.flow is not None
        flow = screen.flow
        now = [0.0]
        flow.monotonic = lambda: now[0]  # the battery run's two minutes pass when the test says
        await pilot.press("enter")
        await wait_for(pilot, lambda: flow.steps["audit"].status == "done" and not screen.busy)
        assert "ThinkPad T480" in flow.steps["audit"].note

        await pilot.press("enter")  # function tests: the keyboard screen reads the captured stream to its end
        await wait_for(pilot, lambda: isinstance(app.screen, DisplayScreen))
        assert flow.bench.result("keyboard").status == "pass"  # type: ignore[union-attr]
        await pilot.press(*"yyyyyy")  # every fill and the gradient look right
        # the pointer screen reads the captured mouse stream to its end; then the sound screen plays the tones
        for channel in (0, 1):
            await wait_for(pilot, lambda channel=channel: isinstance(app.screen, AudioScreen)
                           and app.screen.phase == "asking" and app.screen.channel == channel)
            await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, AudioScreen) and app.screen.phase == "captured")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, UsbScreen) and app.screen.test is not None)
        plug_stick(profile)
        await wait_for(pilot, lambda: isinstance(app.screen, UsbScreen) and bool(app.screen.test.proven))  # type: ignore[union-attr]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BatteryScreen) and app.screen.discharge is not None
                       and app.screen.discharge.started)
        (battery / "energy_now").write_text(f"{49450000 - 200000}\n")  # SYNTHETIC edit: 0.2 Wh drawn in 120 s
        now[0] = 120.0
        await wait_for(pilot, lambda: flow.steps["functions"].status == "done")

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GradeScreen))
        await pilot.press("b", "4", "enter")  # grade B, hinge ticked
        await wait_for(pilot, lambda: flow.steps["grade"].status == "done")

        for step in ("erase", "certificates"):  # a recorded laptop's drive is never written: skipped, with why
            await pilot.press("s", *"demo profile", "enter")
            await wait_for(pilot, lambda step=step: flow.steps[step].status == "skipped")
        await pilot.press("enter")
        await wait_for(pilot, lambda: flow.steps["verdict"].status == "done" and not screen.busy)
        await pilot.press("enter")
        await wait_for(pilot, lambda: flow.finished and not screen.busy)
        steps = " ".join(str(screen.query_one("#steps", Static).render()).split())
        assert "7 of 7 steps" in steps and "Label:" in steps

    record = json.loads(flow.record_path.read_bytes())  # type: ignore[union-attr]
    results = {r["function"]: r["status"] for r in record["bench"]["results"]}
    assert results == {"keyboard": "pass", "display": "pass", "pointer": "pass", "pointing_stick": "absent",
                       "audio": "pass",
                       "microphone": "pass", "usb": "pass", "battery": "pass", "ethernet": "pass",
                       "camera": "absent", "wifi": "absent", "bluetooth": "absent"}
    measured = {r["function"]: r["measured"] for r in record["bench"]["results"]}
    assert measured["usb"]["ports"] == "2-2@5000Mb/s" and measured["battery"]["watts"] == 6.0
    assert measured["microphone"]["peak_dbfs"] == -20.0 and measured["pointer"]["buttons"] == "left right"
    assert record["bench"]["grade"]["letter"] == "B" and record["bench"]["grade"]["defects"] == ["hinge"]
    assert record["verdict"]["outcome"] == "reuse-after-repair"
    assert flow.label_path is not None and flow.label_path.exists()
    # Enter x5 (audit, tests, grade, verdict, label), y x6 (display), y y Enter (speakers, microphone),
    # Enter (USB ports), b 4 Enter (grade), s + 'demo profile' + Enter x2; the pointer and battery need none
    assert flow.keys_pressed == 5 + 6 + 3 + 1 + 3 + 2 * (1 + 12 + 1) == 46


@run_async
async def test_keyboard_screen_draws_keys_seen(tmp_path: Path) -> None:
    """Only the first half of the captured stream: the keys pressed so far are drawn green, the rest not."""
    profile = virtual_laptop(tmp_path)
    (profile / "root/dev/input").mkdir(parents=True)
    data = KEYS.read_bytes()
    (profile / "root/dev/input/event0").write_bytes(data[: len(data) // 2 // 24 * 24])
    app, _source, _session = make_app(tmp_path, [], lang="fr")
    app.audit_host = Host.recorded(profile)
    results = []
    async with app.run_test(size=(100, 30)) as pilot:
        from station.functest import layouts

        screen = KeyboardScreen(layouts.AZERTY_FR)
        app.push_screen(screen, results.append)
        await wait_for(pilot, lambda: bool(results))
    assert results[0].status == "fail" and results[0].measured["keys_seen"] < 78
    assert "Maj" in (results[0].measured["missing"] or "")  # right Shift comes late in the capture


@run_async
async def test_display_screen_skips_with_the_typed_reason_whose_letters_are_not_answers(tmp_path: Path) -> None:
    """After one pattern judged, s and a reason holding y, n and s (the screen's own keys) then Enter: the
    reason is recorded whole, no pattern answered by its letters; an empty reason is refused first."""
    app, _source, _session = make_app(tmp_path, [], lang="en")
    results = []
    reason = "only an external display, says the donor"
    async with app.run_test(size=(100, 30)) as pilot:
        screen = DisplayScreen()
        app.push_screen(screen, results.append)
        await pilot.pause()
        await pilot.press("y", "s", "enter")
        await wait_for(pilot, lambda: "needs its reason" in str(screen.query_one("#message", Static).render()))
        assert not results and screen.test.next_pattern == display_patterns()[1]
        await pilot.press(*reason, "enter")
        await wait_for(pilot, lambda: bool(results))
    assert (results[0].function, results[0].status, results[0].reason) == ("display", "skipped", reason)
    assert screen.keys == 1 + 1 + 1 + len(reason) + 1


def display_patterns() -> tuple[str, ...]:
    from station.functest import display

    return display.PATTERNS


@run_async
async def test_keyboard_screen_says_when_the_kernel_dropped_presses(tmp_path: Path) -> None:
    """The real stream EDITED as a reader that fell behind gets it (the A key's press and release replaced by
    SYN_DROPPED), through a FIFO held open as a device is: the screen asks for the keys not green again, and
    the result names A and counts the drop."""
    import os

    from station.functest import evdev, layouts
    from tests.test_functest import KEY_A_AZERTY, dropped_between

    events = evdev.parse(KEYS.read_bytes())
    down = next(i for i, e in enumerate(events) if e.type == evdev.EV_KEY and e.code == KEY_A_AZERTY and e.value == 1)
    up = next(i for i, e in enumerate(events) if i > down and e.type == evdev.EV_KEY and e.code == KEY_A_AZERTY)
    profile = virtual_laptop(tmp_path)
    node = profile / "root/dev/input/event0"
    node.parent.mkdir(parents=True)
    os.mkfifo(node)
    writer = os.open(node, os.O_RDWR | os.O_NONBLOCK)  # a device never reads empty: neither does a FIFO held open
    app, _source, _session = make_app(tmp_path, [], lang="fr")
    app.audit_host = Host.recorded(profile)
    results = []
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            screen = KeyboardScreen(layouts.AZERTY_FR)
            app.push_screen(screen, results.append)
            await pilot.pause()
            os.write(writer, b"".join(evdev.pack(e) for e in dropped_between(events, down, up + 1)))
            count = screen.query_one("#count", Static)
            await wait_for(pilot, lambda: "appuyez de nouveau" in str(count.render()))
            assert "77 touches sur 78" in str(count.render())
            os.close(writer)
            writer = -1
            await wait_for(pilot, lambda: bool(results))
    finally:
        if writer >= 0:
            os.close(writer)
    assert results[0].status == "fail" and results[0].measured["missing"] == "A", results[0]
    assert results[0].measured["events_dropped_by_kernel"] == 1


@run_async
async def test_laptop_erase_goes_through_the_plan_screen_and_reaches_the_label(tmp_path: Path) -> None:
    """The rack's drive (a file, as in the demo) is the laptop's: audited, planned, confirmed by typing the
    count, erased, certified, and the label says erased with the certificate's date."""
    from station.certify import label
    from station.tui.screens.plan_screen import PlanScreen
    from tests.tui_helpers import drive

    nvme = drive(tmp_path / "nvme0n1", "S4EWNX0N123456", "Samsung SSD 970 EVO")
    app, _source, _session = make_app(tmp_path, [nvme], lang="en")
    app.audit_host = Host.recorded(virtual_laptop(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(app.rack.rows) == 1)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, LaptopScreen))
        screen = app.screen
        assert isinstance(screen, LaptopScreen) and screen.flow is not None
        flow = screen.flow
        await pilot.press("enter")
        await wait_for(pilot, lambda: flow.steps["audit"].status == "done" and not screen.busy)
        assert [d.serial for d in flow.inventory.disks] == ["S4EWNX0N123456"]  # type: ignore[union-attr]
        await pilot.press("s", *"tested on the bench before", "enter")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GradeScreen))
        await pilot.press("a", "enter")
        await wait_for(pilot, lambda: flow.steps["grade"].status == "done")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None)
        plan = app.screen.plan  # type: ignore[attr-defined]
        assert app.settings.default_method == "zero" and app.screen.method == "purge"  # type: ignore[attr-defined]
        assert plan == flow.erase_plan([nvme], verify=app.settings.default_verify)  # the CLI's plan, same drive
        await pilot.press("1", "enter")
        await wait_for(pilot, lambda: flow.steps["certificates"].status != "pending" and not screen.busy)
        assert flow.steps["erase"].status == "done", flow.steps["erase"]
        assert Path(nvme.devnode).read_bytes() == bytes(2 << 20)
        await pilot.press("enter")
        await wait_for(pilot, lambda: flow.steps["verdict"].status == "done" and not screen.busy)
        await pilot.press("enter")
        await wait_for(pilot, lambda: flow.finished and not screen.busy)
    made = label.from_record(json.loads(flow.record_path.read_bytes()),  # type: ignore[union-attr]
                             label.load_certificates(app.session.datadir.certificates))
    assert made.erasure.status == "erased" and made.grade == "A"


@run_async
async def test_rack_offers_the_bench_on_a_laptop(tmp_path: Path) -> None:
    """The chassis type read from sysfs (the T480 profile says Notebook) makes the rack offer the flow."""
    from station.tui.widgets import MessageLine

    profile = virtual_laptop(tmp_path)
    dmi_id = profile / "root/sys/class/dmi/id"
    dmi_id.mkdir(parents=True, exist_ok=True)
    (dmi_id / "chassis_type").write_text("10\n")  # SYNTHETIC sysfs value: SMBIOS chassis type 10, Notebook
    app, _source, _session = make_app(tmp_path, [], lang="fr")
    app.audit_host = Host.recorded(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "banc portable" in str(app.screen.query_one(MessageLine).render()))
