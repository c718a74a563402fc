"""`station laptop`: the guided laptop flow from the command line (the TUI's laptop screen drives the
same `station.laptop.LaptopFlow`): audit, function tests, grade, erase the internal drives (only with
--yes after the plan is shown), certificates, verdict and label."""

from __future__ import annotations

import argparse
import sys

from station.commands.common import datadir_from_args, host_from_args
from station.i18n import _
from station.store import config


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("laptop", help="guided laptop flow: audit, function tests, grade, erase, verdict, label")
    p.add_argument("--grade", help="cosmetic grade A-E with defects, e.g. B or C:screen,hinge")
    p.add_argument("--note", default="", help="free note on the machine's look")
    p.add_argument("--result", action="append", default=[], metavar="FUNCTION=STATUS[:REASON]",
                   help="a function the technician judged (display=pass, audio=fail:right speaker silent)")
    p.add_argument("--keyboard", type=float, metavar="SECONDS",
                   help="run the keyboard test on the evdev keyboard for SECONDS (press every key)")
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
