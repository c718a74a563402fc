"""The guided laptop flow as a library object, without a terminal: every step in order on a virtual
laptop (recorded T480 DMI, captured QEMU sysfs and evdev streams, a file standing in for its drive),
skips with reasons, and the erase only through a plan handed back by the caller."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from laptop_helpers import input_streams, plug_stick, unplug_stick, virtual_laptop, with_battery, with_sound

from station.erase.plan import file_disk
from station.functest import evdev, keyboard, layouts
from station.functest.grade import Grade
from station.functest.result import FunctionResult
from station.hw import Host
from station.laptop import STEPS, FlowError, LaptopFlow
from station.store import outbox
from station.store.datadir import DataDir

KEYS = Path(__file__).parent / "fixtures" / "functest" / "qemu-i8042-azerty-all-keys.evdev"


def make_flow(tmp_path: Path) -> tuple[LaptopFlow, Path]:
    host = Host.recorded(virtual_laptop(tmp_path))
    drive = tmp_path / "nvme.img"
    drive.write_bytes(b"\xa5" * (4 << 20))  # the laptop's drive, holding data
    flow = LaptopFlow(host, DataDir(tmp_path / "data", "option").ensure(), tester="Camille", lang="en",
                      clock=lambda: datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    return flow, drive


def test_whole_flow_on_a_virtual_laptop(tmp_path: Path) -> None:
    flow, drive = make_flow(tmp_path)
    assert flow.current == "audit"
    inventory = flow.audit(disks=[file_disk(str(drive))])
    assert inventory.dmi.form_factor == "laptop" and flow.current == "functions"

    automatic = {r.function: r.status for r in flow.run_automatic()}
    assert automatic == {"camera": "absent", "ethernet": "pass", "wifi": "absent", "bluetooth": "absent"}
    test = keyboard.KeyboardTest(layouts.AZERTY_FR, next(d for d in evdev.devices(flow.host) if d.is_keyboard))
    test.feed(evdev.parse(KEYS.read_bytes()))
    flow.record(test.result())
    flow.record(FunctionResult("display", "pass", measured={"judged_by": "technician"}))
    flow.finish_functions()
    assert flow.bench.result("pointer") is not None and flow.bench.result("pointer").status == "skipped"  # type: ignore[union-attr]

    flow.grade(Grade("B", note="light scratches", graded_by="Camille"))
    plan = flow.erase_plan(disks=[file_disk(str(drive))])
    assert [a.target for a in plan.runnable] == [str(drive)]
    outcomes = flow.erase(plan)
    assert drive.read_bytes() == bytes(4 << 20)  # every byte overwritten (file targets are cleared with zeros)
    assert outcomes[0].certificate is not None and flow.steps["certificates"].status == "done"

    record_path = flow.decide()
    record = json.loads(record_path.read_bytes())
    queued = [(e.certificate_id, e.kind) for e in outbox.pending(flow.datadir)]
    assert (record["audit_id"], "audit") in queued  # the upload to the registry goes through the outbox
    assert record["bench"]["grade"]["letter"] == "B" and record["bench"]["layout"] == "azerty-fr"
    assert {r["function"]: r["status"] for r in record["bench"]["results"]}["keyboard"] == "pass"
    ids = {f["id"] for f in record["verdict"]["findings"]}
    assert "bench.pointer.skipped" in ids and "bench.wifi.absent" in ids
    assert record["verdict"]["outcome"] == "reuse-after-repair"  # no Wi-Fi card found in the QEMU guest

    label_path = flow.label()
    assert label_path.exists() and flow.finished
    assert [s.status for s in flow.progress()] == ["done"] * len(STEPS)


def test_steps_skip_with_a_reason_and_refuse_out_of_order(tmp_path: Path) -> None:
    flow, _drive = make_flow(tmp_path)
    with pytest.raises(FlowError):
        flow.decide()
    with pytest.raises(FlowError):
        flow.skip("audit", "  ")
    flow.skip("audit", "machine does not boot past BIOS")
    assert flow.current == "functions" and flow.steps["audit"].note == "machine does not boot past BIOS"
    with pytest.raises(FlowError):
        flow.label()
    with pytest.raises(FlowError):
        flow.skip("toast", "why not")


def test_cli_runs_the_flow_without_erasing_unconfirmed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from station.cli import main

    profile = virtual_laptop(tmp_path)
    data = tmp_path / "data"
    code = main(["--data-dir", str(data), "--profile", str(profile), "--lang", "en", "laptop", "--grade", "C:hinge",
                 "--result", "display=pass", "--result", "audio=fail:right speaker silent"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "erase         skipped    plan shown, not confirmed (--yes)" in out
    record = json.loads(next((data / "audits").glob("AUD-*.json")).read_bytes())
    statuses = {r["function"]: (r["status"], r["reason"]) for r in record["bench"]["results"]}
    assert statuses["audio"] == ("fail", "right speaker silent") and statuses["ethernet"][0] == "pass"
    assert record["bench"]["grade"]["defects"] == ["hinge"]
    assert list((data / "audits").glob("*.label-roll62.pdf"))
    assert main(["--data-dir", str(data), "laptop", "--skip", "audit"]) == 2  # a skip needs its reason


def test_cli_runs_the_measured_tests_unattended(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--pointer reads the captured mouse stream, --audio plays both tones (SYNTHETIC sound card: the runs only
    exit 0) and --result audio=pass says they were heard, --microphone measures a SYNTHETIC sine, --usb sees
    the captured stick plugged while it watches, --battery samples the recorded ThinkPad BAT0, which does
    not change over the second: no drop, so skipped with the reason, as on a real gauge that did not update."""
    from station.cli import main

    profile = virtual_laptop(tmp_path)
    input_streams(profile)
    with_sound(profile)
    with_battery(profile)
    unplug_stick(profile)
    data = tmp_path / "data"
    plug = threading.Timer(0.3, plug_stick, [profile])
    plug.start()
    try:
        code = main(["--data-dir", str(data), "--profile", str(profile), "--lang", "en", "laptop", "--pointer", "5",
                     "--audio", "--result", "audio=pass", "--microphone", "2", "--usb", "10", "--usb-ports", "1",
                     "--battery", "1", "--skip", "grade=cosmetics seen later"])
    finally:
        plug.join()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Tone on the left speaker..." in out and "USB port 2-2: " in out and "(5000 Mb/s)" in out
    record = json.loads(next((data / "audits").glob("AUD-*.json")).read_bytes())
    results = {r["function"]: r for r in record["bench"]["results"]}
    assert results["pointer"]["status"] == "pass" and results["pointer"]["measured"]["buttons"] == "left right"
    assert results["audio"]["status"] == "pass" and results["audio"]["measured"]["heard_right"] is True
    assert results["microphone"]["status"] == "pass" and results["microphone"]["measured"]["peak_dbfs"] == -20.0
    assert results["usb"]["status"] == "pass" and results["usb"]["measured"]["ports"] == "2-2@5000Mb/s"
    assert results["battery"]["status"] == "skipped" and "no drop measured" in results["battery"]["reason"]
    assert results["keyboard"]["reason"] == "not run in this session"


def test_cli_measured_tests_on_a_machine_without_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The QEMU guest as captured: no sound card, no battery, the stick already in (not counted), no mouse stream
    file (the node cannot be read)."""
    from station.cli import main

    profile = virtual_laptop(tmp_path)
    data = tmp_path / "data"
    code = main(["--data-dir", str(data), "--profile", str(profile), "--lang", "fr", "laptop", "--audio",
                 "--microphone", "2", "--usb", "0.5", "--battery", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Branchez un périphérique dans chaque port USB externe" in out
    record = json.loads(next((data / "audits").glob("AUD-*.json")).read_bytes())
    results = {r["function"]: (r["status"], r["reason"]) for r in record["bench"]["results"]}
    assert results["audio"][0] == results["microphone"][0] == results["battery"][0] == "absent"
    assert results["usb"] == ("skipped", "no device was plugged into any port")

    with_sound(profile)  # SYNTHETIC card: the tones play, nobody said whether they were heard
    data = tmp_path / "data-2"
    assert main(["--data-dir", str(data), "--profile", str(profile), "--lang", "en", "laptop", "--audio",
                 "--skip", "erase=bench only"]) == 0
    record = next((data / "audits").glob("AUD-*.json"))
    audio = next(r for r in json.loads(record.read_bytes())["bench"]["results"] if r["function"] == "audio")
    assert (audio["status"], audio["reason"]) == ("skipped", "not judged: left, right")
