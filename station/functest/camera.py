"""Camera test: a V4L2 capture device is present and one frame can be captured (`v4l2-ctl`).

UVC webcams register two nodes (video and metadata); only nodes whose `index` is 0 capture images.
A frame that arrives (a non-empty file) proves sensor, USB link and driver; the picture is not judged.
"""

from __future__ import annotations

from pathlib import Path

from station.functest.result import FunctionResult
from station.functest.unserved import USB_VIDEO, usb_parts
from station.hw import Host

FRAME = "/run/station/functest/frame.raw"


def capture_nodes(host: Host) -> list[tuple[str, str]]:
    """(/dev/videoN, name) of the capture nodes."""
    out = []
    for entry in host.listdir("/sys/class/video4linux"):
        base = f"/sys/class/video4linux/{entry}"
        if entry.startswith("video") and (host.read_attr(f"{base}/index") or "0") == "0":
            out.append((f"/dev/{entry}", host.read_attr(f"{base}/name") or "?"))
    return sorted(out, key=lambda n: int(n[0].removeprefix("/dev/video") or 0))


def camera(host: Host, out: str = FRAME) -> FunctionResult:
    nodes = capture_nodes(host)
    if not nodes:
        parts = usb_parts(host, USB_VIDEO)
        if parts:  # a UVC camera the system has no driver for: present, not tested
            return FunctionResult("camera", "skipped", f"camera present ({parts[0].describe()}) but no V4L2 capture "
                                  "device: its driver is missing here; not tested",
                                  {"hardware": "; ".join(p.describe() for p in parts)}, parts[0].address)
        return FunctionResult("camera", "absent", "no V4L2 capture device in /sys/class/video4linux")
    node, name = nodes[0]
    target = host.path(out)
    if host.is_live:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
    run = host.run(["v4l2-ctl", "-d", node, "--stream-mmap", "--stream-count=1", f"--stream-to={out}"],
                   timeout=20)
    if run.returncode == 127:
        return FunctionResult("camera", "skipped", "v4l2-ctl not installed (package v4l-utils)", {"name": name}, node)
    size = Path(target).stat().st_size if Path(target).exists() else 0
    measured: dict[str, str | int | float | bool | None] = {"name": name, "frame_bytes": size}
    if not run.ok or size == 0:
        why = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else f"exit {run.returncode}, no frame"
        return FunctionResult("camera", "fail", f"no frame captured: {why}", measured, node)
    return FunctionResult("camera", "pass", None, measured, node)
