"""The station's side of the registry protocol against a scripted registry on 127.0.0.1.

The scripted registry is a test double of the HTTP contract (docs/registry-api.md), but its log is real: entries
built with station.certify.logentry, a station.certify.merkle tree, checkpoints signed with
station.certify.checkpoint, proofs computed from that tree. It can misbehave on demand: rewrite its history (fork),
sign with another key, serve a wrong inclusion proof, or fail to answer proof requests. The end-to-end run against
the real Django registry is in the registry's own tests.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cert_helpers import issue_two
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from station.certify import keys, pdf
from station.certify.checkpoint import Checkpoint, Signer, sign_checkpoint
from station.certify.keys import sha256_hex
from station.certify.logentry import LogEntry, station_key_sha256
from station.certify.merkle import MemoryTree, leaf_hash
from station.cli import main
from station.store import config, enroll, logstate, outbox, upload
from station.store.datadir import DataDir

CODE = "ENROL-1234"
TOKEN = "tok-7f3a"
FAST = upload.Policy(attempts=2, backoff=0.01, max_backoff=0.02, timeout=2.0)


@dataclass
class Registry:
    """State and misbehaviour switches of the scripted registry."""

    base: str = ""
    signer: Signer = field(default_factory=lambda: Signer.generate("127.0.0.1/log"))
    tree: MemoryTree = field(default_factory=MemoryTree)
    entries: list[bytes] = field(default_factory=list)
    held: dict[str, tuple[str, int]] = field(default_factory=dict)  # record id -> (sha256, index)
    station_key: Ed25519PublicKey | None = None
    received: list[dict[str, object]] = field(default_factory=list)
    proof_requests: list[str] = field(default_factory=list)
    mode: str = "honest"  # honest, bad-signature, wrong-proof, no-proofs

    @property
    def origin(self) -> str:
        return self.signer.name

    def note(self) -> str:
        signer = Signer.generate(self.origin) if self.mode == "bad-signature" else self.signer
        return sign_checkpoint(Checkpoint(self.origin, self.tree.size, self.tree.root()), signer).decode()

    def fork(self) -> None:
        """Rewrite history: the first entry replaced, everything after it kept, the same key signing."""
        forged = [b"station-registry-entry/v1\nkind certificate\nid FORGED\n", *self.entries[1:]]
        self.tree = MemoryTree.of_leaf_hashes([leaf_hash(e) for e in forged])
        self.entries = forged


class Handler(BaseHTTPRequestHandler):
    registry: Registry

    def _json(self, status: int, payload: dict[str, object]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        r = self.registry
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/api/v1/enroll":
            if body["code"] != CODE:
                return self._json(400, {"error": "bad-code"})
            key = serialization.load_pem_public_key(body["public_key_pem"].encode())
            assert isinstance(key, Ed25519PublicKey)
            r.station_key = key
            return self._json(201, {
                "station_id": 7, "organisation": "Envie Test", "upload_endpoint": f"{r.base}/api/v1/records",
                "upload_token": TOKEN, "certificate_page": f"{r.base}/v/{{record_id}}",
                "log": {"origin": r.origin, "verifier_key": r.signer.verifier().key_string()}})
        assert self.path == "/api/v1/records"
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._json(401, {"error": "bad-token"})
        r.received.append(body)
        data = base64.b64decode(body["json"])
        digest = sha256_hex(data)
        rid = body["certificate_id"]
        if rid in r.held:
            sha, index = r.held[rid]
            if sha != digest:
                return self._json(409, {"sha256": sha, "error": "different-bytes"})
            return self._json(409, {"sha256": sha, "log_index": index, "checkpoint": r.note()})
        assert r.station_key is not None
        entry = LogEntry(body.get("kind") or "certificate", rid, digest, station_key_sha256(r.station_key)).encode()
        r.entries.append(entry)
        index = r.tree.append(leaf_hash(entry))
        r.held[rid] = (digest, index)
        return self._json(201, {"sha256": digest, "log_index": index, "checkpoint": r.note(), "flags": []})

    def do_GET(self) -> None:
        r = self.registry
        url = urllib.parse.urlsplit(self.path)
        r.proof_requests.append(self.path)
        if url.path == "/log/checkpoint" and r.mode != "no-proofs":
            data = r.note().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        q = {k: int(v[0]) for k, v in urllib.parse.parse_qs(url.query).items()}
        if r.mode == "no-proofs":
            return self._json(503, {"error": "busy"})
        if url.path == "/api/v1/proof/inclusion":
            proof = r.tree.inclusion_proof(q["index"], q["size"])
            if r.mode == "wrong-proof":
                proof = [bytes(32), *proof[1:]] if proof else [bytes(32)]
            return self._json(200, {"index": q["index"], "size": q["size"],
                                    "leaf_hash": r.tree.levels[0][q["index"]].hex(), "proof": [h.hex() for h in proof]})
        if url.path == "/api/v1/proof/consistency":
            proof = r.tree.consistency_proof(q["from"], q["to"])
            return self._json(200, {"from": q["from"], "to": q["to"], "proof": [h.hex() for h in proof]})
        return self._json(404, {"error": "not-found"})

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def registry() -> Iterator[Registry]:
    reg = Registry()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("RegistryHandler", (Handler,), {"registry": reg}))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    reg.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield reg
    httpd.shutdown()
    httpd.server_close()


def _enrolled(datadir: DataDir, registry: Registry) -> None:
    enroll.enroll(datadir, registry.base, CODE, "poste-3")


def _synthetic_audit(datadir: DataDir) -> Path:
    """A synthetic (test-built) signed audit record under audits/: the upload path only reads its bytes."""
    key = keys.load_or_create(datadir)
    ident = "AUD-" + key.fingerprint.replace("-", "")[:8].upper() + "-20260101T100000Z"
    data = json.dumps({"audit_id": ident, "synthetic": True}).encode()
    path = datadir.audits / f"{ident}.json"
    path.with_name(path.name + ".sig").write_bytes(key.sign(data))
    path.write_bytes(data)
    return path


def test_enroll_saves_what_the_station_needs(datadir: DataDir, registry: Registry) -> None:
    done = enroll.enroll(datadir, registry.base + "/", CODE, "poste-3")
    assert done.organisation == "Envie Test" and done.station_id == "7"
    settings = config.load(datadir)
    assert settings.upload_endpoint == f"{registry.base}/api/v1/records" and settings.upload_token == TOKEN
    assert settings.registry_url == registry.base and settings.station_name == "poste-3"
    assert settings.log_origin == registry.origin and settings.log_key == registry.signer.verifier().key_string()
    assert settings.certificate_page == f"{registry.base}/v/{{record_id}}"
    own = keys.load_public(keys.public_path(datadir).read_bytes())
    assert registry.station_key is not None and station_key_sha256(registry.station_key) == station_key_sha256(own.key)
    assert datadir.config_file.stat().st_mode & 0o777 == 0o600


def test_enroll_with_a_bad_code_changes_nothing(datadir: DataDir, registry: Registry,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(enroll.EnrollError) as caught:
        enroll.enroll(datadir, registry.base, "WRONG")
    assert caught.value.code == "bad-code"
    assert config.load(datadir).upload_endpoint == ""
    assert main(["--lang", "fr", "--data-dir", str(datadir.root), "enroll", registry.base, "WRONG"]) == 1
    assert "ce code" in capsys.readouterr().err
    assert main(["--lang", "en", "--data-dir", str(datadir.root), "enroll", registry.base, CODE]) == 0
    assert "enrolled with Envie Test" in capsys.readouterr().out


def test_enroll_refuses_plain_http_to_a_remote_host(datadir: DataDir) -> None:
    with pytest.raises(enroll.EnrollError, match="https"):
        enroll.enroll(datadir, "http://registre.example.org", CODE)


def test_upload_keeps_verified_proofs_and_verify_checks_them_offline(
        datadir: DataDir, registry: Registry, capsys: pytest.CaptureFixture[str]) -> None:
    _enrolled(datadir, registry)
    first, second = issue_two(datadir)
    audit_path = _synthetic_audit(datadir)
    summary = upload.upload_from_settings(datadir, FAST, sleep=lambda s: None)
    assert summary.ok and not summary.log_problems, summary
    ids = [first.certificate_id, second.certificate_id, audit_path.stem]
    assert sorted(summary.proved) == sorted(ids) and summary.checkpoint_size == 3
    assert sorted((str(b["certificate_id"]), str(b["kind"])) for b in registry.received) == sorted([
        (first.certificate_id, "certificate"), (second.certificate_id, "certificate"), (audit_path.stem, "audit")])
    assert all("lot" in b for b in registry.received)
    assert logstate.checkpoint_path(datadir).read_text() == registry.note()
    for path in (first.json_path, second.json_path, audit_path):
        saved = logstate.InclusionProof.from_json(logstate.proof_path(path).read_text())
        assert saved.sha256 == sha256_hex(path.read_bytes())
    assert sorted(e.log_index for e in outbox.sent(datadir) if e.log_index is not None) == [0, 1, 2]
    capsys.readouterr()
    assert main(["--data-dir", str(datadir.root), "certs", "--json"]) == 0
    rows = {r["certificate_id"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows[first.certificate_id]["inclusion_proof"] is True
    assert rows[first.certificate_id]["log_index"] == registry.held[first.certificate_id][1]
    assert main(["--lang", "fr", "--data-dir", str(datadir.root), "certs"]) == 0
    assert capsys.readouterr().out.count("dans le journal n°") == 2
    # offline: the enrolled key from the settings, or --log-key on a machine without them
    index = registry.held[first.certificate_id][1]
    assert main(["--lang", "en", "--data-dir", str(datadir.root), "verify", str(first.json_path)]) == 0
    assert f"in the log {registry.origin} at index {index}" in capsys.readouterr().out
    key = registry.signer.verifier().key_string()
    assert main(["--lang", "en", "--data-dir", str(datadir.root / "none"), "verify", "--log-key", key, "--json",
                 str(first.pdf_path)]) == 0
    assert f"at index {index}" in json.loads(capsys.readouterr().out)["log"]


def test_a_flipped_byte_in_a_saved_proof_or_checkpoint_fails_offline(datadir: DataDir, registry: Registry,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _enrolled(datadir, registry)
    first, second = issue_two(datadir)
    assert upload.upload_from_settings(datadir, FAST, sleep=lambda s: None).ok
    key = registry.signer.verifier().key_string()
    proof_file = logstate.proof_path(second.json_path)  # index 1 in a tree of 2: a one-hash path
    good = proof_file.read_text()
    saved = json.loads(good)
    flipped_hash = dict(saved, proof=[("0" if saved["proof"][0][0] != "0" else "1") + saved["proof"][0][1:]])
    note = saved["checkpoint"]
    at = note.index("\n") + 1  # the tree size line
    flipped_note = dict(saved, checkpoint=note[:at] + str(int(note[at]) + 1) + note[at + 1:])
    for bad in (flipped_hash, flipped_note, dict(saved, log_index=0)):
        proof_file.write_text(json.dumps(bad))
        assert main(["--lang", "en", "verify", "--log-key", key, str(second.json_path)]) == 1
        assert "not proven in the registry's log" in capsys.readouterr().out
    proof_file.write_text(good)
    other = Signer.generate(registry.origin).verifier().key_string()
    assert main(["--lang", "en", "verify", "--log-key", other, str(second.json_path)]) == 1
    assert main(["--lang", "en", "verify", "--log-key", key, str(second.json_path)]) == 0
    # another record's proof beside this one: the logged bytes are not these
    shutil.copy(logstate.proof_path(first.json_path), proof_file)
    assert main(["--lang", "en", "verify", "--log-key", key, str(second.json_path)]) == 1


def test_the_next_upload_checks_consistency_with_the_kept_checkpoint(datadir: DataDir, registry: Registry) -> None:
    _enrolled(datadir, registry)
    issue_two(datadir)
    assert upload.upload_from_settings(datadir, FAST, sleep=lambda s: None).ok
    _synthetic_audit(datadir)
    registry.proof_requests.clear()
    summary = upload.upload_from_settings(datadir, FAST, sleep=lambda s: None)
    assert summary.ok and summary.checkpoint_size == 3
    assert "/api/v1/proof/consistency?from=2&to=3" in registry.proof_requests
    assert Checkpoint.parse_text(logstate.checkpoint_path(datadir).read_text().split("\n\n")[0] + "\n").size == 3


def test_a_forked_log_is_reported_and_its_checkpoint_not_kept(datadir: DataDir, registry: Registry,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    _enrolled(datadir, registry)
    issue_two(datadir)
    assert upload.upload_from_settings(datadir, FAST, sleep=lambda s: None).ok
    kept = logstate.checkpoint_path(datadir).read_bytes()
    registry.fork()
    audit_path = _synthetic_audit(datadir)
    capsys.readouterr()
    assert main(["--lang", "en", "--data-dir", str(datadir.root), "upload"]) == 3
    err = capsys.readouterr().err
    assert "REGISTRY LOG PROBLEM" in err and "is not consistent with the checkpoint kept at size 2" in err
    assert logstate.checkpoint_path(datadir).read_bytes() == kept
    assert [e.certificate_id for e in outbox.pending(datadir)] == [audit_path.stem]
    assert not logstate.proof_path(audit_path).exists()


def test_a_checkpoint_signed_by_another_key_is_refused(datadir: DataDir, registry: Registry,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _enrolled(datadir, registry)
    registry.mode = "bad-signature"
    issue_two(datadir)
    summary = upload.upload_from_settings(datadir, FAST, sleep=lambda s: None)
    assert not summary.ok and summary.log_problems and "checkpoint refused" in summary.log_problems[0]
    assert summary.stopped and summary.sent == []
    assert not logstate.checkpoint_path(datadir).exists()
    assert len(outbox.pending(datadir)) == 2
    assert main(["--lang", "fr", "--data-dir", str(datadir.root), "upload"]) == 3


def test_a_wrong_inclusion_proof_is_a_log_problem(datadir: DataDir, registry: Registry) -> None:
    _enrolled(datadir, registry)
    registry.mode = "wrong-proof"
    first, _ = issue_two(datadir)
    summary = upload.upload_from_settings(datadir, FAST, sleep=lambda s: None)
    assert summary.log_problems and "inclusion proof" in summary.log_problems[0]
    assert not logstate.proof_path(first.json_path).exists()


def test_a_proof_not_served_is_fetched_at_the_next_upload(datadir: DataDir, registry: Registry) -> None:
    _enrolled(datadir, registry)
    first, second = issue_two(datadir)
    registry.mode = "no-proofs"  # records stored, but no proof of any kind served (a busy registry)
    summary = upload.upload_from_settings(datadir, FAST, sleep=lambda s: None)
    assert not summary.log_problems and summary.sent == [first.certificate_id, second.certificate_id]
    assert sorted(summary.proof_pending) == sorted(summary.sent) and summary.proved == []
    assert outbox.pending(datadir) == []
    # the first checkpoint was kept (nothing to be consistent with); the second could not be checked, so not kept
    assert Checkpoint.parse_text(logstate.checkpoint_path(datadir).read_text().split("\n\n")[0] + "\n").size == 1
    registry.mode = "honest"
    registry.proof_requests.clear()
    summary = upload.upload_from_settings(datadir, FAST, sleep=lambda s: None)
    assert summary.ok and sorted(summary.proved) == sorted([first.certificate_id, second.certificate_id]), summary
    assert "/log/checkpoint" in registry.proof_requests
    assert "/api/v1/proof/consistency?from=1&to=2" in registry.proof_requests
    assert logstate.proof_path(first.json_path).exists() and logstate.proof_path(second.json_path).exists()
    assert upload.upload_from_settings(datadir, FAST, sleep=lambda s: None).proved == []  # nothing left to do


def test_the_certificate_qr_names_the_registry_page_once_enrolled(datadir: DataDir, registry: Registry,
                                                                  tmp_path: Path) -> None:
    _enrolled(datadir, registry)
    first, _ = issue_two(datadir)
    expected = f"{registry.base}/v/{first.certificate_id}?sha256={first.sha256}"
    assert pdf.qr_payload(first.certificate_id, first.sha256, config.load(datadir).certificate_page) == expected
    if shutil.which("zbarimg") is None or shutil.which("pdftoppm") is None:
        pytest.skip("zbarimg or pdftoppm not installed: the payload is checked, not the printed code")
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(first.pdf_path), str(prefix)], check=True)
    done = subprocess.run(["zbarimg", "--quiet", "--raw", str(prefix.with_suffix(".png"))], capture_output=True,
                          text=True, check=False)
    assert done.stdout.strip() == expected
