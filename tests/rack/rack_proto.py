"""The two JSON sockets QEMU gives the host: QMP (the machine) and the guest agent (commands in the guest).

No dependency beyond the standard library: each is one JSON object per line on a Unix socket.
"""

from __future__ import annotations

import base64
import json
import random
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Json = dict[str, Any]


class JsonLineSocket:
    def __init__(self, path: Path, timeout: float):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.buffer = b""

    def send(self, obj: Json) -> None:
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def receive(self) -> Json:
        while b"\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("socket closed by QEMU")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        reply: Json = json.loads(line)
        return reply

    def close(self) -> None:
        self.sock.close()


class QMPError(RuntimeError):
    pass


class QMP(JsonLineSocket):
    """QEMU Machine Protocol client; events that arrive between replies are kept for wait_event."""

    def __init__(self, path: Path, timeout: float = 30):
        super().__init__(path, timeout)
        self.events: list[Json] = []
        self.receive()  # greeting
        self.execute("qmp_capabilities")

    def execute(self, name: str, arguments: Json | None = None) -> Any:
        self.send({"execute": name, **({"arguments": arguments} if arguments else {})})
        while True:
            reply = self.receive()
            if "event" in reply:
                self.events.append(reply)
            elif "error" in reply:
                raise QMPError(f"{name}: {reply['error'].get('desc', reply['error'])}")
            else:
                return reply.get("return")

    def wait_event(self, name: str, device: str | None = None, timeout: float = 30) -> Json:
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event["event"] == name and (device is None or event.get("data", {}).get("device") == device):
                    return self.events.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"QMP event {name} ({device}) did not come in {timeout} s")
            self.sock.settimeout(max(0.05, left))
            try:
                reply = self.receive()
            except TimeoutError:
                continue
            finally:
                self.sock.settimeout(30)
            if "event" in reply:
                self.events.append(reply)


@dataclass(frozen=True)
class ExecResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> ExecResult:
        if self.returncode != 0:
            raise AssertionError(f"guest command failed ({self.returncode}): {' '.join(self.argv)}\n"
                                 f"stdout: {self.stdout[-2000:]}\nstderr: {self.stderr[-2000:]}")
        return self


class GuestAgent(JsonLineSocket):
    """qemu-guest-agent client; guest-sync-delimited drops stale bytes left by an earlier connection."""

    def __init__(self, path: Path, timeout: float = 5):
        super().__init__(path, timeout)
        token = random.randint(1, 2**31)
        self.sock.sendall(b"\xff")
        self.send({"execute": "guest-sync-delimited", "arguments": {"id": token}})
        while b"\xff" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("guest agent closed the socket")
            self.buffer += data
        self.buffer = self.buffer.split(b"\xff")[-1]
        if self.receive().get("return") != token:
            raise EOFError("guest agent answered out of sync")
        self.sock.settimeout(60)

    def execute(self, name: str, arguments: Json | None = None) -> Any:
        self.send({"execute": name, **({"arguments": arguments} if arguments else {})})
        reply = self.receive()
        if "error" in reply:
            raise QMPError(f"{name}: {reply['error'].get('desc', reply['error'])}")
        return reply.get("return")

    def spawn(self, argv: list[str], capture: bool = True) -> int:
        """Start argv in the guest and return its guest pid at once."""
        pid: int = self.execute("guest-exec", {"path": argv[0], "arg": argv[1:], "capture-output": capture})["pid"]
        return pid

    def poll(self, pid: int, argv: list[str]) -> ExecResult | None:
        status = self.execute("guest-exec-status", {"pid": pid})
        if not status["exited"]:
            return None
        return ExecResult(
            tuple(argv),
            status.get("exitcode", -status.get("signal", 0)),
            base64.b64decode(status.get("out-data", "")).decode(errors="replace"),
            base64.b64decode(status.get("err-data", "")).decode(errors="replace"),
        )

    def wait(self, pid: int, argv: list[str], timeout: float) -> ExecResult:
        deadline = time.monotonic() + timeout
        while True:
            result = self.poll(pid, argv)
            if result is not None:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"guest command still running after {timeout} s: {' '.join(argv)}")
            time.sleep(0.1)

    def run(self, argv: list[str], timeout: float = 120) -> ExecResult:
        return self.wait(self.spawn(argv), argv, timeout)

    def read_file(self, path: str) -> bytes:
        handle = self.execute("guest-file-open", {"path": path, "mode": "rb"})
        chunks = []
        try:
            while True:
                part = self.execute("guest-file-read", {"handle": handle, "count": 1 << 20})
                chunks.append(base64.b64decode(part["buf-b64"]))
                if part["eof"]:
                    break
        finally:
            self.execute("guest-file-close", {"handle": handle})
        return b"".join(chunks)
