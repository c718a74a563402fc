"""What every image test shares: the image, built from this tree (cached by input hash) or given by
STATION_IMAGE_ISO, with the host tools to boot it; skipped with the reason when it cannot be had."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "image" / "build.sh"
HOST_PACKAGES = {"qemu-system-x86_64": "qemu-system-x86", "mtype": "mtools", "mlabel": "mtools"}


def _skip_reason() -> str | None:
    if os.environ.get("STATION_SKIP_IMAGE") == "1":
        return "STATION_SKIP_IMAGE=1"
    if os.geteuid() != 0:
        return "the image build needs root (mmdebstrap chroot)"
    if subprocess.run(["bash", str(BUILD), "--cached-path"], capture_output=True).returncode == 0:
        return None
    try:
        urllib.request.urlopen("http://deb.debian.org/debian/dists/bookworm/Release", timeout=15).close()
    except OSError as exc:
        return f"Debian archive unreachable ({exc}); the image cannot be built"
    return None


def _ensure_host_tools() -> None:
    missing = [pkg for tool, pkg in HOST_PACKAGES.items() if shutil.which(tool) is None]
    if not Path("/usr/share/OVMF/OVMF_CODE_4M.fd").exists():
        missing.append("ovmf")
    if missing:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=600",
                        "--no-install-recommends", *missing], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


@pytest.fixture(scope="session")
def station_iso(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    _ensure_host_tools()
    given = os.environ.get("STATION_IMAGE_ISO")
    if given:  # boot an already built image (e.g. a release candidate) instead of building this tree
        return Path(given)
    out = tmp_path_factory.mktemp("image") / "station.iso"
    started = time.monotonic()
    proc = subprocess.run(["bash", str(BUILD)], env={**os.environ, "STATION_IMAGE_OUT": str(out)},
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"image build failed:\n{proc.stderr[-4000:]}"
    print(f"\nimage: {out.stat().st_size} bytes, build/cache step {time.monotonic() - started:.0f} s")
    return out
