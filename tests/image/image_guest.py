"""Boot the live image in QEMU (TCG) as a USB stick and talk to its serial console.

The image puts a root shell on ttyS0 (autologin), so the test runs real commands in the guest and
reads their exit codes; the QEMU monitor gives `screendump` for the tty1 picture and `sendkey` for
the PS/2 keyboard (tty1 and the evdev node the laptop bench reads). A laptop mode adds what a laptop
has and a desktop does not say: SMBIOS chassis type Notebook, and a sound card whose output QEMU
writes to a WAV file on the host.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

OVMF_DIR = Path("/usr/share/OVMF")
PROMPT = "root@station"
# the boots STATION_IMAGE_MODES names (comma-separated), from test_image_boot.py and test_image_laptop.py
DEFAULT_MODES = "bios,uefi-sb,bios-notoram,laptop"
KNOWN_MODES = ("bios", "uefi-sb", "uefi", "bios-notoram", "laptop")


def requested_modes() -> list[str]:
    """The boots asked for; an unknown name is an error, not a silent skip."""
    names = [n.strip() for n in os.environ.get("STATION_IMAGE_MODES", DEFAULT_MODES).split(",") if n.strip()]
    unknown = [n for n in names if n not in KNOWN_MODES]
    if unknown:
        raise ValueError(f"STATION_IMAGE_MODES: unknown {unknown}; known: {', '.join(KNOWN_MODES)}")
    return names


@dataclass(frozen=True)
class ExtraDisk:
    """The disk the technician would erase: SATA in BIOS mode, NVMe in UEFI mode (both buses covered)."""

    bus: str  # "sata" | "nvme"
    serial: str
    size_mb: int = 256
    # what the previous owner left on it, repeated over the whole disk (empty: a blank, sparse disk), so an
    # erase can be checked on the host from the backing file
    donor_data: bytes = b""


@dataclass(frozen=True)
class BootMode:
    name: str
    firmware: str  # "bios" | "uefi" | "uefi-secureboot"
    extra: ExtraDisk
    memory_mb: int = 2048
    # GRUB menu hotkey pressed on the serial console (None waits out the 3 s timeout): `r` is the default
    # entry, `toram`; `k` runs from the key (squashfs pages read over USB, usable under TCG only thanks to
    # the image's 4 MiB read-ahead udev rule; docs/image.md).
    entry_hotkey: str | None = "r"
    # the STATIONDATA partition as the host leaves it on the stick before boot: "fresh" (as built),
    # "full" (filled to under datamount's low-space mark) or "missing" (relabelled, as if reformatted)
    data: str = "fresh"
    # a virtual laptop: SMBIOS system and chassis (type 10, Notebook) identity, and an Intel HDA sound
    # card with this codec (QEMU device name) whose output goes to `Guest.wav` on the host
    laptop: Laptop | None = None


@dataclass(frozen=True)
class Laptop:
    manufacturer: str = "Station"
    product: str = "Virtual laptop (QEMU)"
    serial: str = "STNLAPTOP0001"
    codec: str = "hda-output"


def smbios_chassis(manufacturer: str, serial: str, chassis_type: int = 0x0A) -> bytes:
    """An SMBIOS 2.3 type 3 (chassis) structure with its strings, for QEMU's `-smbios file=`: QEMU's own
    `-smbios type=3` has no chassis type field, and a table given as a file replaces the one it builds."""
    strings = manufacturer.encode() + b"\0" + serial.encode() + b"\0\0"
    # type, length, handle; manufacturer #1, type, version none, serial #2, asset tag none;
    # boot-up, power supply and thermal states safe (3), security status none (3); OEM dword; height,
    # power cords, no contained elements
    body = struct.pack("<BBHBBBBBBBBBIBBBB", 3, 0x15, 0x0300, 1, chassis_type, 0, 2, 0, 3, 3, 3, 3, 0, 0, 0, 0, 0)
    assert len(body) == 0x15
    return body + strings


class GuestError(AssertionError):
    pass


@dataclass
class Guest:
    iso: Path
    mode: BootMode
    workdir: Path
    output: bytearray = field(default_factory=bytearray)
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0

    @property
    def stick(self) -> Path:
        return self.workdir / "stick.img"

    @property
    def monitor_path(self) -> Path:
        return self.workdir / "monitor.sock"

    @property
    def wav(self) -> Path:
        """What the laptop's speakers played, as QEMU's `wav` audio backend wrote it (laptop modes)."""
        return self.workdir / "speakers.wav"

    def _laptop_args(self) -> list[str]:
        laptop = self.mode.laptop
        if laptop is None:
            return []
        chassis = self.workdir / "smbios-chassis.bin"
        chassis.write_bytes(smbios_chassis(laptop.manufacturer, laptop.serial))
        return ["-smbios", f"type=1,manufacturer={laptop.manufacturer},product={laptop.product},"
                           f"serial={laptop.serial}",
                "-smbios", f"file={chassis}",
                "-audiodev", f"wav,id=snd0,path={self.wav}",
                "-device", "ich9-intel-hda,id=hda", "-device", f"{laptop.codec},bus=hda.0,audiodev=snd0"]

    def _firmware_args(self) -> list[str]:
        if self.mode.firmware == "bios":
            return []
        secure = self.mode.firmware == "uefi-secureboot"
        code = OVMF_DIR / ("OVMF_CODE_4M.secboot.fd" if secure else "OVMF_CODE_4M.fd")
        vars_src = OVMF_DIR / ("OVMF_VARS_4M.ms.fd" if secure else "OVMF_VARS_4M.fd")
        vars_copy = self.workdir / "vars.fd"
        shutil.copyfile(vars_src, vars_copy)
        args = ["-drive", f"if=pflash,format=raw,readonly=on,file={code}",
                "-drive", f"if=pflash,format=raw,file={vars_copy}"]
        if secure:
            args += ["-global", "driver=cfi.pflash01,property=secure,value=on"]
        return args

    @property
    def extra_disk(self) -> Path:
        return self.workdir / "extra.img"

    def _extra_disk_args(self) -> list[str]:
        disk = self.extra_disk
        size = self.mode.extra.size_mb * 1024 * 1024
        with disk.open("wb") as handle:
            if self.mode.extra.donor_data:
                chunk = self.mode.extra.donor_data * (1024 * 1024 // len(self.mode.extra.donor_data) + 1)
                for _mib in range(self.mode.extra.size_mb):
                    handle.write(chunk[:1024 * 1024])
            handle.truncate(size)
        drive = ["-drive", f"if=none,id=extra,format=raw,file={disk}"]
        if self.mode.extra.bus == "nvme":
            return [*drive, "-device", f"nvme,drive=extra,serial={self.mode.extra.serial}"]
        return [*drive, "-device", "ahci,id=ahci",
                "-device", f"ide-hd,drive=extra,bus=ahci.0,serial={self.mode.extra.serial}"]

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.iso, self.stick)  # the stick is written to (data partition); the ISO stays clean
        prepare_data_partition(self.stick, self.mode.data)
        smm = ",smm=on" if self.mode.firmware == "uefi-secureboot" else ""
        argv = [
            "qemu-system-x86_64", "-accel", "tcg", "-machine", f"q35{smm}", "-cpu", "max",
            "-m", str(self.mode.memory_mb), "-smp", "2",
            *self._firmware_args(),
            "-drive", f"if=none,id=stick,format=raw,file={self.stick}",
            "-device", "qemu-xhci,id=xhci", "-device", "usb-storage,bus=xhci.0,drive=stick,bootindex=0",
            *self._extra_disk_args(),
            *self._laptop_args(),
            "-vga", "std", "-display", "none", "-serial", "stdio", "-no-reboot",
            "-monitor", f"unix:{self.monitor_path},server,nowait",
            "-nic", "none",
        ]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with (self.workdir / "serial.log").open("ab") as log:
            while chunk := os.read(self.proc.stdout.fileno(), 4096):
                self.output.extend(chunk)
                log.write(chunk)
                log.flush()

    def text(self, start: int = 0) -> str:
        return self.output[start:].decode("utf-8", errors="replace")

    def wait_for(self, pattern: str, timeout: float, start: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern, re.DOTALL)
        while time.monotonic() < deadline:
            found = regex.search(self.text(start))
            if found:
                return found
            if self.proc is not None and self.proc.poll() is not None:
                raise GuestError(f"QEMU exited ({self.proc.returncode}) waiting for {pattern!r}:\n{self.tail()}")
            time.sleep(0.2)
        raise GuestError(f"timed out after {timeout:.0f} s waiting for {pattern!r}:\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        return self.text()[-chars:]

    def send(self, line: str) -> None:
        self.send_raw(line + "\n")

    def send_raw(self, keys: str) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(keys.encode())
        self.proc.stdin.flush()

    def choose_boot_entry(self, timeout: float = 120) -> None:
        """Press the mode's GRUB hotkey as soon as the menu shows on the serial console (3 s timeout)."""
        if self.mode.entry_hotkey is None:
            return
        self.wait_for(r"\[" + self.mode.entry_hotkey + r"\]", timeout)
        self.send_raw(self.mode.entry_hotkey)

    def wait_for_shell(self, timeout: float) -> float:
        """Seconds from QEMU start to the serial root shell; then a quiet, wide, echo-free shell."""
        self.wait_for(PROMPT, timeout)
        elapsed = time.monotonic() - self.started
        self.run("stty -echo cols 300; export TERM=dumb PS1='$ ' SYSTEMD_PAGER= SYSTEMD_COLORS=0", timeout=30)
        return elapsed

    def run(self, command: str, timeout: float = 60) -> tuple[int, str]:
        """Run a shell command in the guest; (exit code, output between unique markers)."""
        tag = f"{time.monotonic_ns():x}"
        start = len(self.output)
        # the markers are split in the command line so its echo can never match them
        self.send(f"echo '@@B''{tag}'; {command}; echo \"@@E\"\"{tag} $?\"")
        found = self.wait_for(rf"@@B{tag}\r?\n(.*?)@@E{tag} (\d+)", timeout, start)
        return int(found.group(2)), found.group(1).replace("\r", "")

    def check(self, command: str, timeout: float = 60) -> str:
        code, out = self.run(command, timeout)
        if code != 0:
            raise GuestError(f"`{command}` exited {code}:\n{out}")
        return out

    def monitor(self, command: str) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(self.monitor_path))
            sock.sendall(command.encode() + b"\n")
            time.sleep(1.0)

    def hmp(self, commands: Iterable[str], gap: float = 0.15) -> int:
        """Several monitor commands on one connection, `gap` seconds apart; returns how many were sent."""
        sent = 0
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(self.monitor_path))
            for command in commands:
                sock.sendall(command.encode() + b"\n")
                sent += 1
                time.sleep(gap)
                while select.select([sock], [], [], 0)[0] and sock.recv(65536):  # the monitor's echo
                    pass
            time.sleep(0.5)  # the last key's release, queued behind its hold time
        return sent

    def sendkeys(self, keys: Iterable[str], gap: float = 0.15) -> int:
        """Press each key (QEMU's names: `ret`, `spc`, `a`...) on the PS/2 keyboard, one at a time, `gap`
        seconds apart: a flood overruns the i8042 and loses key releases (tests/rack/test_rack_laptop.py).
        QEMU queues each press, its 100 ms hold and its release, so a gap past the hold keeps the queue
        short. Returns the number sent."""
        return self.hmp((f"sendkey {key}" for key in keys), gap)

    def poweroff(self, timeout: float = 120) -> None:
        """Clean shutdown, so the FAT data partition is unmounted and complete on the stick image."""
        self.send("systemctl poweroff")
        assert self.proc is not None
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            self.kill()
            raise GuestError(f"guest did not power off in {timeout} s:\n{self.tail()}") from exc

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def fat_partition_offset(image: Path, label: str) -> int | None:
    """Byte offset of the FAT32 partition labelled `label`, from the image's MBR (type 0x0c entries)."""
    with image.open("rb") as handle:
        mbr = handle.read(512)
        for index in range(4):
            entry = mbr[446 + 16 * index: 446 + 16 * (index + 1)]
            start = int.from_bytes(entry[8:12], "little") * 512
            if entry[4] not in (0x0B, 0x0C) or start == 0:
                continue
            handle.seek(start + 0x47)  # FAT32 boot sector: volume label
            if handle.read(11).decode("ascii", errors="replace").strip() == label:
                return start
    return None


DATA_LABEL = "STATIONDATA"
FULL_LEAVES_BYTES = 512 * 1024  # under datamount.LOW_SPACE_BYTES (2 MiB), yet room for a test certificate
MTOOLS_ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}


def _mtools(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, env=MTOOLS_ENV)
    if done.returncode != 0:
        raise GuestError(f"{argv} exited {done.returncode}: {done.stderr}")
    return done.stdout


def data_free_bytes(image: Path, offset: int) -> int:
    """Free bytes on the FAT partition at `offset`, from `mdir`'s last line ("   66 912 256 bytes free")."""
    found = re.search(r"([\d ]+) bytes free", _mtools(["mdir", "-i", f"{image}@@{offset}", "::"]))
    if found is None:
        raise GuestError(f"no free space in mdir's output for {image}@@{offset}")
    return int(found.group(1).replace(" ", ""))


def prepare_data_partition(image: Path, data: str) -> None:
    """Leave the stick's STATIONDATA partition fresh, nearly full, or relabelled (so not found by label)."""
    if data == "fresh":
        return
    offset = fat_partition_offset(image, DATA_LABEL)
    if offset is None:
        raise GuestError(f"no {DATA_LABEL} partition on {image}")
    target = f"{image}@@{offset}"
    if data == "missing":
        _mtools(["mlabel", "-i", target, "::DONNEES"])
        return
    if data != "full":
        raise ValueError(f"unknown data partition state {data!r}")
    # the data dir a previous session left, so the guest can still write a certificate into it
    _mtools(["mmd", "-i", target, "::station/certificates"])
    filler = image.with_name("filler.bin")
    with filler.open("wb") as handle:
        handle.truncate(data_free_bytes(image, offset) - FULL_LEAVES_BYTES)
    _mtools(["mcopy", "-i", target, str(filler), "::REMPLI.BIN"])
    filler.unlink()
