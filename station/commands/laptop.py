"""`station laptop`: the guided laptop flow from the command line (the TUI's laptop screen drives the
same `station.laptop.LaptopFlow`): audit, function tests, grade, erase the internal drives (only with
--yes after the plan is shown), certificates, verdict and label."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from station.commands.common import datadir_from_args, host_from_args
from station.i18n import _
from station.store import config

if TYPE_CHECKING:
    from station.functest.result import FunctionResult
    from station.laptop import LaptopFlow


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("laptop", help="guided laptop flow: audit, function tests, grade, erase, verdict, label")
    p.add_argument("--grade", help="cosmetic grade A-E with defects, e.g. B or C:screen,hinge")
    p.add_argument("--note", default="", help="free note on the machine's look")
    p.add_argument("--result", action="append", default=[], metavar="FUNCTION=STATUS[:REASON]",
                   help="a function the technician judged (display=pass, audio=fail:right speaker silent)")
    p.add_argument("--keyboard", type=float, metavar="SECONDS",
                   help="run the keyboard test on the evdev keyboard for SECONDS (press every key)")
    p.add_argument("--pointer", type=float, metavar="SECONDS",
                   help="run the pointer test on the touchpad (else trackpoint or mouse), then on a "
                        "pointing stick beside the touchpad, for SECONDS each")
    p.add_argument("--audio", action="store_true",
                   help="play a tone on the left then the right speaker; heard or not is --result audio=...")
    p.add_argument("--microphone", type=int, metavar="SECONDS", help="capture SECONDS and measure the level")
    p.add_argument("--usb", type=float, metavar="SECONDS",
                   help="watch the USB ports for SECONDS while a device is plugged into each in turn")
    p.add_argument("--usb-ports", type=int, default=0, metavar="N",
                   help="external USB ports the machine has (the test needs them all; it ends once they are)")
    p.add_argument("--battery", type=float, metavar="SECONDS",
                   help="measure the battery's discharge for SECONDS once the charger is pulled")
    p.add_argument("--layout", default="azerty-fr", choices=["azerty-fr", "qwerty-us"])
    p.add_argument("--skip", action="append", default=[], metavar="STEP=REASON", help="skip a step, saying why")
    p.add_argument("--yes", action="store_true", help="erase the internal drives as planned (Purge, else Clear)")
    p.add_argument("--size", choices=["roll62", "a4"], default="roll62", help="label size")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # the flow and the function tests bring the audit record and the verdict rules (15 ms of import): `station
    # --help` loads every command module
    from station.functest import evdev, keyboard, layouts
    from station.functest.grade import Grade
    from station.functest.result import FunctionResult
    from station.laptop import FlowError, LaptopFlow

    datadir = datadir_from_args(args)
    settings = config.load(datadir)
    flow = LaptopFlow(host_from_args(args), datadir.ensure(), tester=settings.operator or None,
                      layout=args.layout, lang=config.document_language(settings, args.lang))
    try:
        skips = dict(item.partition("=")[::2] for item in args.skip)
        for step, reason in skips.items():
            flow.skip(step, reason)
        results = []
        for item in args.result:
            function, _sep, rest = item.partition("=")
            status, _sep, reason = rest.partition(":")
            results.append(FunctionResult(function, status, reason or None))
        grade = Grade.parse(args.grade, flow.tester, args.note) if args.grade else None
    except (FlowError, ValueError) as exc:
        print(f"station laptop: {exc}", file=sys.stderr)
        return 2
    if "audit" not in skips:
        flow.audit()
    if "functions" not in skips:
        flow.run_automatic()
        for result in results:
            flow.record(result)
        if args.keyboard:
            device = next((d for d in evdev.devices(flow.host) if d.is_keyboard), None)
            test = keyboard.KeyboardTest(layouts.get(args.layout), device)
            if device is not None:
                print(_("Press every key of the keyboard ({seconds:.0f} s)...").format(seconds=args.keyboard))
                for event in evdev.stream(flow.host, device.node, args.keyboard):
                    test.feed([event])
                    if test.complete:
                        break
            flow.record(test.result())
        measured(flow, args, {r.function: r for r in results})
        flow.finish_functions()
    if "grade" not in skips:
        if grade is None:
            flow.skip("grade", "no --grade given")
        else:
            flow.grade(grade)
    if "erase" not in skips:
        plan = flow.erase_plan()
        print(plan.describe())
        if not args.yes:
            flow.skip("erase", "plan shown, not confirmed (--yes)")
            flow.skip("certificates", "nothing erased")
        elif plan.runnable:
            flow.erase(plan)
        else:
            flow.skip("erase", "no internal drive to erase")
            flow.skip("certificates", "nothing erased")
    elif "certificates" not in skips:
        flow.skip("certificates", "erase skipped")
    if flow.inventory is None:
        for step in ("verdict", "label"):
            if step not in skips:
                flow.skip(step, "no audit")
    elif "verdict" not in skips:
        flow.decide()
        if "label" not in skips:
            flow.label(args.size)
    for step in flow.progress():
        print(f"{_(step.name):13} {_(step.status):10} {step.note}")
    if flow.record_path:
        print(flow.record_path)
    if flow.label_path:
        print(flow.label_path)
    return 0 if flow.finished else 1


def measured(flow: LaptopFlow, args: argparse.Namespace, claimed: dict[str, FunctionResult]) -> None:
    """The measured tests after the keyboard, in the TUI's order; a measurement replaces what --result claimed,
    except the speakers', where the technician's word is the heard part (functest.audio.answered)."""
    # like run(): the function tests load only when the flow runs, not for `station --help`
    from station.functest import audio, battery_run, evdev, pointer, usb

    host = flow.host
    if args.pointer:
        touch, stick = pointer.pointing_devices(host)
        for test, ask in ((pointer.PointerTest(touch), _("Move the pointer across and up and down, click left and "
                                                          "right ({seconds:.0f} s)...")),
                          (pointer.PointerTest(stick, "pointing_stick"), _("Push the pointing stick across and up "
                                                                           "and down, click its left and right "
                                                                           "buttons ({seconds:.0f} s)..."))):
            if test.device is not None:
                print(ask.format(seconds=args.pointer))
                for event in evdev.stream(host, test.device.node, args.pointer):
                    test.feed([event])
                    if test.complete:
                        break
            flow.record(test.result())
    if args.audio:
        errors = {}
        playable = any(card.playback for card in audio.cards(host))
        for index, side in enumerate(audio.CHANNELS if playable else (), 1):
            print(_("Tone on the {side} speaker...").format(side=_(side)))
            ok, error = audio.play_tone(host, index)
            if not ok:
                errors[side] = error
        played = audio.playback_result(host, {}, errors)
        flow.record(audio.answered(played, claimed["audio"]) if "audio" in claimed else played)
    if args.microphone:
        if any(card.capture for card in audio.cards(host)):
            print(_("Speak or clap near the microphone ({seconds} s)...").format(seconds=args.microphone))
        flow.record(audio.microphone(host, args.microphone))
    if args.usb:
        ports = usb.UsbPortsTest(host, args.usb_ports)
        ports.start()
        print(_("Plug a device into each external USB port, one after the other ({seconds:.0f} s)...").format(
            seconds=args.usb))
        for device in ports.watch(args.usb):
            print(_("USB port {port}: {product} ({speed} Mb/s)").format(
                port=device.port, product=device.product or "?", speed=device.speed_mbps or "?"))
        flow.record(ports.result())
    if args.battery:
        name = battery_run.laptop_battery(host)
        if name is None:
            flow.record(battery_run.absent())
        else:
            print(_("Pull the charger: battery {name} is measured for {seconds:.0f} s...").format(
                name=name, seconds=args.battery))
            flow.record(battery_run.run(host, name, args.battery, clock=flow.monotonic))
