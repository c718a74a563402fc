"""SIGKILL in the middle of a burst of uploads: the registry's processes and its PostgreSQL cluster are all killed
at once (as a power cut would), then started again. Nothing answered 201 is lost, nothing is stored twice,
every station's retry ends in 201 or a 409 for the same bytes, and the log's next checkpoint is provably
consistent with the last one handed out before the kill."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from conftest import manage, start_live, stop_live
from helpers import RealStation, new_station

from registry import config
from registry.cluster import Cluster
from station.certify import checkpoint as note
from station.certify import merkle

PER_STATION = 8
STATIONS = 4


@dataclass
class Sender:
    station: RealStation
    bodies: list[tuple[str, bytes]]
    answers: dict[str, tuple[int, dict[str, object]]] = field(default_factory=dict)
    stopped: str | None = None


def _send(url: str, token: str, record_id: str, body: bytes) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(f"{url}/api/v1/records", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": record_id, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _burst(url: str, sender: Sender) -> None:
    for record_id, body in sender.bodies:
        try:
            sender.answers[record_id] = _send(url, sender.station.token, record_id, body)
        except (OSError, ValueError) as exc:  # the kill: connection refused or reset, or a cut answer
            sender.stopped = f"{record_id}: {exc}"
            return


def _enroll(url: str, station: RealStation, code: str) -> None:
    request = urllib.request.Request(f"{url}/api/v1/enroll", method="POST", headers={
        "Content-Type": "application/json"}, data=json.dumps({
            "code": code, "name": station.datadir.root.name,
            "public_key_pem": station.key.public_pem().decode()}).encode())
    with urllib.request.urlopen(request, timeout=30) as reply:
        station.token = json.loads(reply.read())["upload_token"]


def _kill_everything(base: Path, server_pid: int) -> None:
    """SIGKILL the server's process group (start command, gunicorn and its workers) and the whole cluster."""
    postmaster = int((config.cluster_dir(base) / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            children.append(int(stat.parent.name))
    os.killpg(server_pid, signal.SIGKILL)
    for pid in (postmaster, *children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _wait_gone(pid: int) -> None:
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def test_sigkill_during_a_burst_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="registry-crash-", dir="/var/tmp"))
    os.chmod(work, 0o711)
    base = work / "data"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["REGISTRY_DATA_DIR"] = str(base)
    stations = [new_station(tmp_path, f"crash{n}") for n in range(STATIONS)]
    senders = []
    for station in stations:
        certs = [station.issue(failed=n % 3 == 2) for n in range(PER_STATION)]
        senders.append(Sender(station, [(c.certificate_id, station.body(c.certificate_id)) for c in certs]))

    server = start_live(env, work / "server.log", "--workers", "2")
    cluster = Cluster(base)
    try:
        manage_env = dict(env, DATABASE_URL=config.embedded_url(base))
        assert manage("create_organisation", "Atelier crash (test)", "--kind", "refurbisher",
                      env=manage_env).returncode == 0
        for sender in senders:
            code = manage("create_enrollment_code", "Atelier crash (test)", env=manage_env).stdout.strip()
            _enroll(server.url, sender.station, code)
        threads = [threading.Thread(target=_burst, args=(server.url, s)) for s in senders]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while sum(len(s.answers) for s in senders) < STATIONS * PER_STATION // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        _kill_everything(base, server.process.pid)
        for thread in threads:
            thread.join(60)
        server.process.wait(30)
        postmaster_file = config.cluster_dir(base) / "postmaster.pid"
        if postmaster_file.exists():
            _wait_gone(int(postmaster_file.read_text().split()[0]))
        before = {rid: answer for s in senders for rid, answer in s.answers.items()}
        accepted = {rid: a for rid, a in before.items() if a[0] == 201}
        assert accepted, "the kill came before any upload was answered"
        assert len(before) < STATIONS * PER_STATION, "the burst finished before the kill: nothing was cut"
        assert all(a[0] == 201 for a in before.values()), before
        last_handed = max((note.Checkpoint.parse_text(note.SignedNote.parse(str(a[1]["checkpoint"]).encode()).text)
                           for a in accepted.values()), key=lambda c: c.size)

        server = start_live(env, work / "server.log", "--workers", "2")  # crash recovery, then serve
        for sender in senders:  # each station retries everything, as its outbox would
            for record_id, body in sender.bodies:
                status, answer = _send(server.url, sender.station.token, record_id, body)
                assert status in (201, 409), (record_id, status, answer)
                assert "error" not in answer, answer
                if record_id in accepted:
                    assert (status, answer["log_index"]) == (409, accepted[record_id][1]["log_index"])

        total = STATIONS * PER_STATION
        counts = cluster.psql("SELECT count(*), count(DISTINCT record_id), count(DISTINCT log_index) "
                              "FROM core_record", database="registry").strip()
        assert counts == f"{total}|{total}|{total}", counts
        entries = cluster.psql("SELECT count(*), min(index), max(index) FROM core_logentry", database="registry")
        assert entries.strip() == f"{total}|0|{total - 1}"
        quarantined = cluster.psql("SELECT count(*) FROM core_quarantine", database="registry").strip()
        assert quarantined == "0"

        with urllib.request.urlopen(f"{server.url}/log/checkpoint", timeout=30) as reply:
            signed = reply.read()
        verifier = note.Verifier.parse(manage("log_key", env=manage_env).stdout.strip())
        head = note.open_checkpoint(signed, verifier)
        assert head.size == total
        with urllib.request.urlopen(f"{server.url}/api/v1/proof/consistency?from={last_handed.size}"
                                    f"&to={head.size}", timeout=30) as reply:
            proof = [bytes.fromhex(h) for h in json.loads(reply.read())["proof"]]
        merkle.verify_consistency(last_handed.size, head.size, last_handed.root, head.root, proof)
        verified = manage("sign_checkpoint", "--verify", env=manage_env)
        assert verified.returncode == 0, verified.stderr
        assert base64.b64encode(head.root).decode() in verified.stdout
    finally:
        stop_live(server)
        if cluster.running():
            cluster.stop("immediate")
        shutil.rmtree(work, ignore_errors=True)
