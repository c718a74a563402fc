"""Outbox and upload against a real HTTP server on 127.0.0.1 that fails, times out, answers 409 and succeeds."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cert_helpers import issue_two

from station.certify import keys
from station.cli import main
from station.store import outbox, upload
from station.store.config import Settings, save
from station.store.datadir import DataDir

TOKEN = "s3cret-token"
FAST = upload.Policy(attempts=4, backoff=0.01, max_backoff=0.05, timeout=1.0)


@dataclass
class Script:
    """What the server answers, request after request; 'ok' once the list is used up."""

    replies: list[str] = field(default_factory=list)
    received: list[dict[str, object]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    stored: dict[str, str] = field(default_factory=dict)


class Handler(BaseHTTPRequestHandler):
    script: Script

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.script.auth.append(self.headers.get("Authorization", ""))
        self.script.received.append(body)
        action = self.script.replies.pop(0) if self.script.replies else "ok"
        if action == "timeout":
            time.sleep(2.5)  # longer than the client's timeout
            return self._answer(201, {"sha256": body["sha256"]})
        if action == "ok":
            self.script.stored[body["certificate_id"]] = body["sha256"]
            return self._answer(201, {"certificate_id": body["certificate_id"], "sha256": body["sha256"]})
        if action == "409":
            return self._answer(409, {"sha256": body["sha256"]})
        if action == "409-other":
            return self._answer(409, {"sha256": "0" * 64})
        return self._answer(int(action), {"error": action})

    def _answer(self, status: int, payload: dict[str, object]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout case)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()
    handler = type("ScriptedHandler", (Handler,), {"script": script})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1/certificates", script
    httpd.shutdown()
    httpd.server_close()


def _sent_ids(datadir: DataDir) -> list[str]:
    return [e.certificate_id for e in outbox.sent(datadir)]


def test_success_moves_to_sent_and_the_server_gets_exact_bytes(datadir: DataDir, server: tuple[str, Script]) -> None:
    url, script = server
    first, second = issue_two(datadir)
    summary = upload.upload_http(datadir, url, TOKEN, FAST, sleep=lambda s: None)
    assert summary.ok and summary.sent == [first.certificate_id, second.certificate_id]
    assert outbox.pending(datadir) == [] and _sent_ids(datadir) == summary.sent
    assert script.auth == [f"Bearer {TOKEN}"] * 2
    public = keys.load_public(keys.public_path(datadir).read_bytes())
    for body, issued in zip(script.received, (first, second), strict=True):
        data = base64.b64decode(str(body["json"]))
        assert data == issued.json_path.read_bytes()
        assert public.verify(base64.b64decode(str(body["signature"])), data)
        assert base64.b64decode(str(body["pdf"])) == issued.pdf_path.read_bytes()


def test_server_errors_are_retried_with_backoff(datadir: DataDir, server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = ["500", "503"]
    issue_two(datadir)
    waits: list[float] = []
    summary = upload.upload_http(datadir, url, TOKEN, FAST, sleep=waits.append)
    assert summary.ok and len(summary.sent) == 2
    assert len(script.received) == 4
    assert waits == [0.01, 0.02]  # doubled after each failure


def test_timeout_is_retried_and_nothing_is_lost(datadir: DataDir, server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = ["timeout"]
    issue_two(datadir)
    summary = upload.upload_http(datadir, url, TOKEN, FAST, sleep=lambda s: None)
    assert summary.ok and len(summary.sent) == 2


def test_409_already_have_it_counts_as_sent(datadir: DataDir, server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = ["409"]
    first, second = issue_two(datadir)
    summary = upload.upload_http(datadir, url, TOKEN, FAST, sleep=lambda s: None)
    assert summary.ok and summary.already == [first.certificate_id] and summary.sent == [second.certificate_id]
    assert outbox.pending(datadir) == []


def test_409_with_another_document_stays_queued(datadir: DataDir, server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = ["409-other"]
    first, _ = issue_two(datadir)
    summary = upload.upload_http(datadir, url, TOKEN, FAST, sleep=lambda s: None)
    assert "different document" in summary.failed[first.certificate_id]
    assert [e.certificate_id for e in outbox.pending(datadir)] == [first.certificate_id]


def test_failing_server_keeps_everything_queued(datadir: DataDir, server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = ["500"] * 8
    issue_two(datadir)
    summary = upload.upload_http(datadir, url, TOKEN, FAST, sleep=lambda s: None)
    assert len(summary.failed) == 2 and summary.sent == []
    pending = outbox.pending(datadir)
    assert len(pending) == 2 and all(e.attempts == 1 and "500" in str(e.last_error) for e in pending)
    assert outbox.sent(datadir) == []
    # the next run, with the server back, sends them
    assert upload.upload_http(datadir, url, TOKEN, FAST, sleep=lambda s: None).ok
    assert outbox.pending(datadir) == []


def test_refused_token_stops_the_run(datadir: DataDir, server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = ["401"]
    issue_two(datadir)
    summary = upload.upload_http(datadir, url, TOKEN, FAST, sleep=lambda s: None)
    assert summary.stopped and len(script.received) == 1
    assert len(outbox.pending(datadir)) == 2


def test_client_error_is_not_retried(datadir: DataDir, server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = ["422"]
    first, second = issue_two(datadir)
    summary = upload.upload_http(datadir, url, TOKEN, FAST, sleep=lambda s: None)
    assert list(summary.failed) == [first.certificate_id] and summary.sent == [second.certificate_id]
    assert len(script.received) == 2


def test_nobody_listening_keeps_everything_queued(datadir: DataDir) -> None:
    issue_two(datadir)
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    summary = upload.upload_http(datadir, f"http://127.0.0.1:{closed}/", TOKEN, FAST, sleep=lambda s: None)
    assert len(summary.failed) == 2 and all("no answer" in e for e in summary.failed.values())
    assert len(outbox.pending(datadir)) == 2


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(upload.UploadError, match="https"):
        upload.check_endpoint("http://example.org/upload")
    upload.check_endpoint("https://example.org/upload")
    upload.check_endpoint("http://[::1]:8080/x")


def test_upload_command_uses_the_settings(datadir: DataDir, server: tuple[str, Script],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    url, _ = server
    save(datadir, Settings(upload_endpoint=url, upload_token=TOKEN))
    issue_two(datadir)
    assert main(["--lang", "en", "--data-dir", str(datadir.root), "upload"]) == 0
    assert capsys.readouterr().out.count("sent") == 2
    assert main(["--data-dir", str(datadir.root), "certs", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["upload"] for r in rows] == ["sent", "sent"] and all(r["pdf"] for r in rows)


def test_copy_to_a_share(datadir: DataDir, tmp_path: Path) -> None:
    first, second = issue_two(datadir)
    share = tmp_path / "share"
    share.mkdir()
    assert main(["--data-dir", str(datadir.root), "upload", "--to", str(share)]) == 0
    for issued in (first, second):
        assert (share / issued.json_path.name).read_bytes() == issued.json_path.read_bytes()
        assert (share / issued.sig_path.name).exists() and (share / issued.pdf_path.name).exists()
    assert outbox.pending(datadir) == []


def test_share_holding_other_bytes_keeps_it_queued(datadir: DataDir, tmp_path: Path) -> None:
    first, _ = issue_two(datadir)
    share = tmp_path / "share"
    share.mkdir()
    (share / first.json_path.name).write_text("{}")
    summary = upload.copy_to_dir(datadir, share)
    assert first.certificate_id in summary.failed
    assert first.certificate_id in {e.certificate_id for e in outbox.pending(datadir)}


def test_queue_survives_a_restart_and_corrupt_marker(datadir: DataDir) -> None:
    first, second = issue_two(datadir)
    (datadir.outbox / f"{first.certificate_id}.json").write_text("{trunc")
    ids = [e.certificate_id for e in outbox.pending(datadir)]
    assert ids == [first.certificate_id, second.certificate_id]
