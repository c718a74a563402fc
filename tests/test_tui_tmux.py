"""Smoke test of the real terminal program: `station demo` in tmux, keys sent, the screen read back."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from station.certify import certificate
from station.store.datadir import DataDir

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (scripts/setup adds it)")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def wait_screen(session: str, text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not on screen after {timeout} s:\n{screen}")


def test_station_demo_in_tmux(tmp_path: Path) -> None:
    session = f"station-smoke-{uuid.uuid4().hex[:8]}"
    data = tmp_path / "data"
    command = (f"cd {Path(__file__).parent.parent} && TERM=xterm-256color {sys.executable} -m station.cli "
               f"--data-dir {data} --lang en demo --drives 2 --speed 400 --late 600; echo EXITED $?; sleep 60")
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)
    try:
        screen = wait_screen(session, "LOCKED")
        assert "Status" in screen and "q quit" in screen
        tmux("send-keys", "-t", session, "a")
        tmux("send-keys", "-t", session, "e")
        wait_screen(session, "Type 2 (the number of drives)")
        tmux("send-keys", "-t", session, "2", "Enter")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            screen = tmux("capture-pane", "-p", "-t", session)
            if screen.count("ERASED") == 2:
                break
            time.sleep(0.5)
        assert screen.count("ERASED") == 2, screen
        assert "LOCKED" in screen
        tmux("send-keys", "-t", session, "q")
        wait_screen(session, "EXITED 0", timeout=30)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    issued = certificate.all_issued(DataDir(data, "option"))
    assert len(issued) == 2 and all(i.certificate.is_certificate for i in issued)
