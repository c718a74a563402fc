"""Camera test: a V4L2 capture device is present and one frame can be captured (`v4l2-ctl`).

UVC webcams register two nodes (video and metadata); only nodes whose `index` is 0 capture images.
A frame that arrives (a non-empty file) proves sensor, USB link and driver; the picture is not judged.
"""

from __future__ import annotations

from pathlib import Path

from station.functest.result import FunctionResult, noted
from station.functest.unserved import USB_VIDEO, usb_parts
from station.hw import Host
from station.notes import Note

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
            return noted("camera", "skipped", Note.of("fn.camera.no-driver", part=parts[0].describe()),
                         measured={"hardware": "; ".join(p.describe() for p in parts)}, device=parts[0].address)
        return noted("camera", "absent", Note.of("fn.camera.none"))
    node, name = nodes[0]
    target = host.path(out)
    if host.is_live:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
    run = host.run(["v4l2-ctl", "-d", node, "--stream-mmap", "--stream-count=1", f"--stream-to={out}"],
                   timeout=20)
    if run.returncode == 127:
        return noted("camera", "skipped", Note.of("fn.camera.no-v4l2-ctl"), measured={"name": name}, device=node)
    size = Path(target).stat().st_size if Path(target).exists() else 0
    measured: dict[str, str | int | float | bool | None] = {"name": name, "frame_bytes": size}
    if not run.ok or size == 0:
        why = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else f"exit {run.returncode}, no frame"
        return noted("camera", "fail", Note.of("fn.camera.no-frame", error=why), measured=measured, device=node)
    return FunctionResult("camera", "pass", None, measured, node)
