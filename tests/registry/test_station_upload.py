"""End to end on loopback: a real station data directory enrolls with `station enroll`, wipes two file-backed
drives with `station wipe` (real certificates), sends them with `station upload` to a registry served by a
real `python -m registry.server` process; the registry then holds exactly those bytes, lists them to the
station, and proves each one's inclusion in its signed log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from conftest import ROOT, Live, manage

from registry.core.models import Record
from station.certify import checkpoint as note
from station.certify import logentry, merkle
from station.certify.keys import load_or_create
from station.store import config
from station.store.datadir import DataDir

MIB = 1 << 20


def station(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "station.cli", "--lang", "en", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)


def _get(url: str, token: str) -> dict[str, object]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        data: dict[str, object] = json.loads(reply.read())
    return data


def test_enroll_wipe_upload_and_prove(live: Live, disk_dir: Path) -> None:
    org = manage("create_organisation", "Atelier bout-en-bout (test)", "--kind", "refurbisher")
    assert org.returncode == 0, org.stderr
    code = manage("create_enrollment_code", "Atelier bout-en-bout (test)")
    assert code.returncode == 0, code.stderr
    data = disk_dir / "station-data"
    enrolled = station(data, "enroll", live.url, code.stdout.strip(), "--name", "banc-bout-en-bout")
    assert enrolled.returncode == 0, enrolled.stderr + enrolled.stdout

    for name in ("ssd.img", "hdd.img"):
        target = disk_dir / name
        target.write_bytes(os.urandom(2 * MIB))
        wiped = station(data, "wipe", str(target), "--method", "zero", "--verify", "full", "--yes")
        assert wiped.returncode == 0, wiped.stderr
        assert target.read_bytes() == bytes(2 * MIB)

    sent = station(data, "upload")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    certificates = sorted((data / "certificates").glob("*-*.json"))
    certificates = [p for p in certificates if p.name.count(".") == 1 and not p.name.startswith("chain")]
    assert len(certificates) == 2, certificates

    settings = config.load(DataDir(data, "option"))
    held = _get(f"{live.url}/api/v1/records", settings.upload_token)
    records = held["records"]
    assert isinstance(records, list)
    assert sorted(r["record_id"] for r in records) == sorted(p.stem for p in certificates)
    verifier = note.Verifier.parse(settings.log_key)
    with urllib.request.urlopen(f"{live.url}/log/checkpoint", timeout=30) as reply:
        head = note.open_checkpoint(reply.read(), verifier)
    station_line = logentry.station_key_sha256(load_or_create(DataDir(data, "option")).public.key)
    for path in certificates:
        record = Record.objects.get(record_id=path.stem)
        assert bytes(record.json_bytes) == path.read_bytes()  # the exact bytes the station signed
        proof = _get(f"{live.url}/api/v1/proof/inclusion?index={record.log_index}&size={head.size}", "")
        leaf = merkle.leaf_hash(logentry.entry_bytes("certificate", path.stem, record.sha256, station_line))
        assert bytes.fromhex(str(proof["leaf_hash"])) == leaf
        merkle.verify_inclusion(leaf, record.log_index, head.size,
                                [bytes.fromhex(h) for h in proof["proof"]], head.root)  # type: ignore[union-attr]

    again = station(data, "upload")  # nothing queued: asks for a consistency proof from its saved checkpoint
    assert again.returncode == 0, again.stdout + again.stderr
    for path in certificates:
        verified = station(data, "verify", str(path))
        assert verified.returncode == 0, verified.stdout + verified.stderr
