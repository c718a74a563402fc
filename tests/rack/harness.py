"""The virtual wipe rack: one TCG QEMU guest running the tree's `station`, with drives plugged,
pulled, faulted and powered off from the host.

Every drive is hot-plugged through QMP (one code path for every bus); the guest's root disk (serial
SYSROOT) and data disk (serial DATADISK, mounted at /data) are there from boot. The tree is shared
read-only at /src by 9p and `station` in the guest runs it with the guest's python3.
"""

from __future__ import annotations

import importlib.util
import json
import os
import py_compile
import subprocess
import sys
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from rack_build import REPO, GuestImage
from rack_proto import QMP, ExecResult, GuestAgent, Json

ROOT_PORTS = 6
GUEST_DATA_DIR = "/data/station"
STATION = "/usr/local/bin/station"
# the tree the guest runs: this repository, or a copy (STATION_RACK_SRC) to show a scenario catches a
# deliberate break without touching the working tree others use (docs/rack.md, "Does it catch a break?")
SHARE = Path(os.environ.get("STATION_RACK_SRC") or REPO)
QBOOT = Path("/usr/share/qemu/qboot.rom")  # a minimal firmware: about 1 s faster than SeaBIOS under TCG
# quiet serial console; skip checks that cost seconds under TCG (the guest is a test rig, not a target)
KERNEL_ARGS = ("console=ttyS0 quiet loglevel=4 panic=-1 tsc=reliable no_timer_check 8250.nr_uarts=1 "
               "cryptomgr.notests mitigations=off")
# a boot prints RACK-READY after 10-15 s of TCG; nothing at all after this long is a wedged emulator
SILENT_BOOT = 120


class SilentConsole(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"guest console silent after {seconds:.0f} s")
        self.seconds = seconds


class Bus(StrEnum):
    NVME = "nvme"
    VIRTIO = "virtio"
    SCSI = "scsi"
    USB = "usb"
    SATA = "sata"  # ide-hd on an ich9-ahci controller: cold-plugged only (AHCI refuses hot-plug)


@dataclass(frozen=True)
class Drive:
    """One emulated drive: its backing file, the serial the guest will read, and what goes wrong."""

    id: str
    bus: Bus
    serial: str  # virtio-blk keeps at most 20 characters
    image: Path
    throttle_bps: int | None = None  # slows every pass so a pull or a power cut lands mid-pass
    eio_sectors: tuple[int, ...] = ()  # 512-byte sectors whose reads and writes fail with EIO (blkdebug)
    model: str | None = None  # ide-hd's model string (IDENTIFY words 27-46); QEMU's default otherwise
    rotation_rate: int | None = None  # ide-hd: 1 = solid state, else RPM (IDENTIFY word 217)

    def block_node(self) -> Json:
        """The blockdev-add argument: file, then blkdebug when faulty, then raw."""
        image: Json = {"driver": "file", "filename": str(self.image.resolve())}
        if self.eio_sectors:
            rules = [{"event": event, "sector": sector, "errno": 5, "once": False}
                     for sector in self.eio_sectors for event in ("read_aio", "write_aio")]
            image = {"driver": "blkdebug", "inject-error": rules, "image": image}
        return {"driver": "raw", "node-name": f"{self.id}-raw", "file": image}


def compile_for_guest(package: Path, prefix: Path, guest_root: str = "/src") -> None:
    """Byte-compile the shared tree on the host, laid out as the guest's PYTHONPYCACHEPREFIX expects for
    /src/...: the host's python is the same 3.11 as the guest's, and compiling in the guest under TCG
    costs tens of seconds per boot. The pyc files record the source mtime, which 9p passes through."""
    saved = sys.pycache_prefix
    sys.pycache_prefix = str(prefix)
    try:
        for source in package.rglob("*.py"):
            guest_path = f"{guest_root}/{source.relative_to(package.parent)}"
            cfile = importlib.util.cache_from_source(guest_path)
            py_compile.compile(str(source), cfile=cfile, dfile=guest_path, doraise=True)
    finally:
        sys.pycache_prefix = saved


class Rack:
    """A running guest. Use as a context manager: the QEMU it started is always stopped (by pid)."""

    def __init__(self, guest: GuestImage, run_dir: Path, data_disk: Path, share: Path = SHARE,
                 memory_mib: int = 1024):
        self.guest = guest
        self.run_dir = run_dir
        self.data_disk = data_disk
        self.share = share
        self.memory_mib = memory_mib
        self.proc: subprocess.Popen[bytes] | None = None
        self._qmp: QMP | None = None
        self._agent: GuestAgent | None = None
        self.ports: dict[str, str] = {}  # drive id -> pcie-root-port it occupies
        self.cold: list[Drive] = []  # SATA drives on the QEMU command line: present from power-on
        self.boot_seconds = 0.0
        self.timings: list[tuple[str, float]] = []  # (what, seconds): printed with the console tail

    @property
    def serial_log(self) -> Path:
        return self.run_dir / "serial.log"

    @property
    def qmp(self) -> QMP:
        assert self._qmp is not None, "guest not booted"
        return self._qmp

    @property
    def agent(self) -> GuestAgent:
        assert self._agent is not None, "guest not booted"
        return self._agent

    def argv(self) -> list[str]:
        run = self.run_dir
        ports = [a for i in range(1, ROOT_PORTS + 1)
                 for a in ("-device", f"pcie-root-port,id=rp{i},chassis={i},slot={i}")]
        return [
            "qemu-system-x86_64", "-name", "station-rack", "-machine", "q35,accel=tcg", "-cpu", "max",
            "-smp", "2", "-m", str(self.memory_mib), "-display", "none", "-no-reboot", "-nodefaults",
            *(["-bios", str(QBOOT)] if QBOOT.exists() else []),
            "-kernel", str(self.guest.kernel), "-initrd", str(self.guest.initrd),
            "-append", f"{KERNEL_ARGS} init=/sbin/rack-init",
            "-blockdev", f"driver=file,filename={run / 'root.qcow2'},node-name=root-file",
            "-blockdev", "driver=qcow2,file=root-file,node-name=root",
            "-device", "virtio-blk-pci,drive=root,serial=SYSROOT",
            "-blockdev", f"driver=file,filename={self.data_disk.resolve()},node-name=data-file",
            "-blockdev", "driver=raw,file=data-file,node-name=data",
            "-device", "virtio-blk-pci,drive=data,serial=DATADISK",
            "-chardev", f"socket,id=ser0,path={run / 'serial.sock'},server=on,wait=off,logfile={self.serial_log}",
            "-serial", "chardev:ser0",
            "-qmp", f"unix:{run / 'qmp.sock'},server=on,wait=off",
            "-chardev", f"socket,id=qga0,path={run / 'qga.sock'},server=on,wait=off",
            "-device", "virtio-serial-pci", "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
            *ports,
            "-device", "qemu-xhci,id=xhci,p2=8,p3=8", "-device", "virtio-scsi-pci,id=scsi0",
            "-virtfs", f"local,path={self.share},mount_tag=src,security_model=none,readonly=on",
            "-virtfs", f"local,path={self.run_dir / 'pycache'},mount_tag=pycache,security_model=none",
            *self._cold_argv(),
        ]

    def _cold_argv(self) -> list[str]:
        """One ich9-ahci controller and an ide-hd per cold-plugged drive; nothing at all without them,
        so the hot-plug scenarios boot the very machine they always did."""
        if not self.cold:
            return []
        argv = ["-device", "ich9-ahci,id=sata0"]
        for port, drive in enumerate(self.cold):
            props = [f"bus=sata0.{port}", f"drive={drive.id}-raw", f"serial={drive.serial}", f"id={drive.id}"]
            if drive.model:
                props.append(f"model={drive.model}")
            if drive.rotation_rate is not None:
                props.append(f"rotation_rate={drive.rotation_rate}")
            argv += ["-blockdev", json.dumps(drive.block_node()), "-device", "ide-hd," + ",".join(props)]
        return argv

    def cold_plug(self, drive: Drive) -> None:
        """Put a SATA drive in the machine before power-on: AHCI cannot be hot-plugged (../shared/vm-rack.md
        section 7). It stays there across power cycles, like a drive screwed into the chassis."""
        if drive.bus is not Bus.SATA:
            raise ValueError(f"{drive.id}: only SATA drives are cold-plugged; use plug() for {drive.bus}")
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("cold_plug() before boot(): QEMU is already running")
        if len(self.cold) >= 6:
            raise RuntimeError("ich9-ahci has six ports")
        if "," in drive.serial + (drive.model or ""):
            raise ValueError("QEMU -device properties cannot hold a comma")
        self.cold.append(drive)

    def boot(self, timeout: float = 240) -> Rack:
        """Start QEMU on a fresh overlay of the root image and wait for the guest agent. A guest whose console stays
        empty for SILENT_BOOT seconds (TCG wedged before the kernel said anything: seen once in CI, on a loaded
        2-core machine, where a boot normally prints RACK-READY after 10-15 s) is powered off and booted once more;
        the retry is in the timings printed with every test."""
        try:
            return self._boot_once(timeout, SILENT_BOOT)
        except SilentConsole as silent:
            self.close()
            self.timings.append(("boot abandoned, console silent", silent.seconds))
            return self._boot_once(timeout, None)

    def _boot_once(self, timeout: float, silent_limit: float | None) -> Rack:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for name in ("root.qcow2", "qmp.sock", "qga.sock", "serial.sock"):
            (self.run_dir / name).unlink(missing_ok=True)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(self.guest.root),
                        str(self.run_dir / "root.qcow2")], check=True)
        compile_for_guest(self.share / "station", self.run_dir / "pycache")
        said = self._console_size()  # a power cycle appends to the same log
        started = time.monotonic()
        with (self.run_dir / "qemu.out").open("ab") as log:
            self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT)
        while self._agent is None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"QEMU exited with {self.proc.returncode}: "
                                   f"{(self.run_dir / 'qemu.out').read_text()[-2000:]}")
            waited = time.monotonic() - started
            if silent_limit is not None and waited > silent_limit and self._console_size() <= said:
                raise SilentConsole(waited)
            if waited > timeout:
                raise TimeoutError(f"guest agent silent after {timeout} s; console: {self.console_tail()}")
            try:
                self._agent = GuestAgent(self.run_dir / "qga.sock", timeout=2)
            except (OSError, EOFError, TimeoutError, ValueError):
                time.sleep(0.3)
        self.boot_seconds = time.monotonic() - started
        self.timings.append(("boot", self.boot_seconds))
        self._qmp = QMP(self.run_dir / "qmp.sock")
        return self

    def _console_size(self) -> int:
        try:
            return self.serial_log.stat().st_size
        except FileNotFoundError:
            return 0

    def console_tail(self, chars: int = 3000) -> str:
        try:
            return self.serial_log.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no console log)"

    # --- drives -------------------------------------------------------------------------------------

    def plug(self, drive: Drive) -> None:
        if drive.bus is Bus.SATA:
            raise ValueError(f"{drive.id}: AHCI cannot be hot-plugged; cold_plug() it before boot()")
        self.qmp.execute("blockdev-add", drive.block_node())
        node = f"{drive.id}-raw"
        if drive.throttle_bps:
            self.qmp.execute("object-add", {"qom-type": "throttle-group", "id": f"{drive.id}-tg",
                                            "limits": {"bps-total": drive.throttle_bps}})
            self.qmp.execute("blockdev-add", {"driver": "throttle", "node-name": f"{drive.id}-thr",
                                              "throttle-group": f"{drive.id}-tg", "file": node})
            node = f"{drive.id}-thr"
        device: Json = {"id": drive.id, "drive": node, "serial": drive.serial}
        if drive.bus in (Bus.NVME, Bus.VIRTIO):
            port = self._free_port()
            self.ports[drive.id] = port
            device |= {"driver": "nvme" if drive.bus is Bus.NVME else "virtio-blk-pci", "bus": port}
        elif drive.bus is Bus.SCSI:
            device |= {"driver": "scsi-hd", "bus": "scsi0.0"}
        else:
            device |= {"driver": "usb-storage", "bus": "xhci.0"}
        self.qmp.execute("device_add", device)

    def _free_port(self) -> str:
        used = set(self.ports.values())
        for i in range(1, ROOT_PORTS + 1):
            if f"rp{i}" not in used:
                return f"rp{i}"
        raise RuntimeError(f"all {ROOT_PORTS} root ports are taken")

    def unplug(self, drive: Drive, timeout: float = 30) -> None:
        """Pull the drive: the guest sees a surprise removal (USB, SCSI) or an ACPI eject (PCIe)."""
        if drive.bus is Bus.SATA:
            raise ValueError(f"{drive.id}: AHCI cannot be hot-unplugged")
        self.qmp.execute("device_del", {"id": drive.id})
        self.qmp.wait_event("DEVICE_DELETED", device=drive.id, timeout=timeout)
        self.ports.pop(drive.id, None)
        if drive.throttle_bps:
            self.qmp.execute("blockdev-del", {"node-name": f"{drive.id}-thr"})
            self.qmp.execute("object-del", {"id": f"{drive.id}-tg"})
        self.qmp.execute("blockdev-del", {"node-name": f"{drive.id}-raw"})

    def set_nvme_critical_warning(self, drive: Drive, bits: int) -> None:
        self.qmp.execute("qom-set", {"path": f"/machine/peripheral/{drive.id}",
                                     "property": "smart_critical_warning", "value": bits})

    def wait_for_serials(self, serials: list[str], timeout: float = 120) -> None:
        """Until udev has a /dev/disk/by-id link naming each serial. On a starved host (RCU stalls in
        the guest) a hot-plug event was seen to get lost, virtio-scsi's and (once in CI, the second of two
        NVMe drives plugged together) a PCIe port's: every 15 s, ask the SCSI hosts and the PCI buses to
        rescan, as an operator would."""
        started = time.monotonic()
        rescanned = started
        while True:
            links = self.sh("ls /dev/disk/by-id/ 2>/dev/null").stdout
            missing = [s for s in serials if s not in links]
            if not missing:
                return
            now = time.monotonic()
            if now > started + timeout:
                raise TimeoutError(f"guest never saw {missing}; by-id: {links.split()}")
            if now > rescanned + 15:
                self.sh("for h in /sys/class/scsi_host/*/scan; do echo '- - -' > $h; done; "
                        "echo 1 > /sys/bus/pci/rescan; udevadm settle -t 10")
                rescanned = now
            time.sleep(0.3)

    # --- commands -----------------------------------------------------------------------------------

    def sh(self, script: str, timeout: float = 120) -> ExecResult:
        return self.agent.run(["/bin/sh", "-c", script], timeout)

    def station_argv(self, *args: str) -> list[str]:
        return [STATION, "--data-dir", GUEST_DATA_DIR, *args]

    def station(self, *args: str, timeout: float = 300) -> ExecResult:
        started = time.monotonic()
        try:
            return self.agent.run(self.station_argv(*args), timeout)
        finally:
            self.timings.append((f"station {' '.join(args[:2])}", time.monotonic() - started))

    def timing_report(self) -> str:
        return ", ".join(f"{what} {seconds:.0f} s" for what, seconds in self.timings)

    def station_json(self, *args: str, timeout: float = 300) -> Any:
        return json.loads(self.station(*args, timeout=timeout).check().stdout)

    def read_guest_file(self, path: str) -> bytes:
        return self.agent.read_file(path)

    # --- power --------------------------------------------------------------------------------------

    def power_off(self, timeout: float = 60) -> None:
        """Clean shutdown: sync, then an immediate power-off by sysrq (no init to ask)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.agent.spawn(["/bin/sh", "-c", "sync; echo o > /proc/sysrq-trigger"], capture=False)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.qmp.execute("quit")
                self.proc.wait(30)
        self._disconnect()

    def pull_power(self) -> None:
        """Power loss: SIGKILL to our QEMU, no flush, no shutdown."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(30)
        self._disconnect()

    def _disconnect(self) -> None:
        for conn in (self._qmp, self._agent):
            if conn is not None:
                conn.close()
        self._qmp = self._agent = None
        self.ports.clear()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._disconnect()

    def __enter__(self) -> Rack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
