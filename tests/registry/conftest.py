"""The registry's tests run against a real PostgreSQL cluster that this session starts itself.

A private cluster (registry.cluster: initdb + pg_ctl as `postgres` when root, socket only) is made once per
session in a temporary directory, migrated by its superuser as the start command does, and the app role's
grants applied; the tests then talk to it as the app role, like the web processes. Never SQLite, never a
mock. Without PostgreSQL binaries every test here is skipped with that reason.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from registry import config
from registry.cluster import Cluster, bin_dir

BASE = Path(tempfile.mkdtemp(prefix="registry-test-", dir=os.environ.get("STATION_TEST_DISK_DIR", "/var/tmp")))
os.chmod(BASE, 0o711)  # the cluster runs as postgres and must reach BASE/pg
atexit.register(shutil.rmtree, BASE, True)  # also when no test here needed the cluster
os.environ["REGISTRY_DATA_DIR"] = str(BASE)
os.environ["DATABASE_URL"] = config.embedded_url(BASE)  # the app role, as the web processes use it
os.environ["DJANGO_SETTINGS_MODULE"] = "registry.settings"
os.environ.pop("REGISTRY_LOG_ORIGIN", None)
os.environ["REGISTRY_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"

import django  # noqa: E402  (after the environment the settings read)

django.setup()

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.registry)


def owner_env() -> dict[str, str]:
    return dict(os.environ, DATABASE_URL=config.embedded_url(BASE, "postgres"))


def manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "registry", *args], env=env or dict(os.environ), cwd=ROOT,
                          capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    if bin_dir() is None:
        pytest.skip("PostgreSQL binaries not found (apt-get install postgresql; scripts/setup --test does)")
    pg = Cluster(BASE)
    pg.start()
    try:
        pg.ensure_database()
        for args in (("migrate", "--no-input", "-v", "0"), ("grant_app_role", config.APP_ROLE)):
            done = manage(*args, env=owner_env())
            assert done.returncode == 0, done.stderr
        yield pg
    finally:
        from django.db import connections

        connections.close_all()
        pg.stop("immediate")
        shutil.rmtree(BASE, ignore_errors=True)


@pytest.fixture(autouse=True)
def _database(cluster: Cluster) -> None:
    """Every test here needs the cluster (and is skipped with its reason when there is none)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    """A registry served by a real `python -m registry.server` process on loopback."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


def wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"registry exited {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"registry not answering at {url}:\n{log.read_text(errors='replace')}")


def start_live(env: dict[str, str], log: Path, *extra: str) -> Live:
    port = free_port()
    handle = log.open("ab")
    process = subprocess.Popen([sys.executable, "-m", "registry.server", "--port", str(port), *extra],
                               env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/log/checkpoint", process, log)
    return Live(url, process, log)


@pytest.fixture(scope="module")
def live(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The registry process on this session's cluster (DATABASE_URL mode, already migrated)."""
    log = tmp_path_factory.mktemp("live") / "registry.log"
    server = start_live(dict(os.environ), log, "--no-migrate", "--workers", "2")
    yield server
    stop_live(server)


def stop_live(server: Live) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, 9)
            server.process.wait(10)


# the portal's page tests share one small programme (orgs, users, lots, records through the real ingest)
from portal_world import station_files, world  # noqa: E402,F401
