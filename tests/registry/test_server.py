"""The one start command on a fresh data directory: its own PostgreSQL cluster (socket only), migrated, served
on loopback; stopped cleanly with the cluster on SIGTERM; refuses plain HTTP on a public address."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from conftest import ROOT, start_live, stop_live

from registry import config
from registry.cluster import Cluster


def test_embedded_start_makes_and_stops_its_own_cluster() -> None:
    base = Path(tempfile.mkdtemp(prefix="registry-embedded-", dir="/var/tmp"))
    os.chmod(base, 0o711)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["REGISTRY_DATA_DIR"] = str(base / "data")
    server = start_live(env, base / "server.log", "--workers", "1")
    try:
        data = base / "data"
        cluster = Cluster(data)
        assert cluster.running()
        conf = (config.cluster_dir(data) / "postgresql.auto.conf").read_text() + cluster.psql("SHOW listen_addresses")
        assert cluster.psql("SHOW listen_addresses").strip() == "", conf  # no TCP at all
        assert stat.S_IMODE((data / "log-key").stat().st_mode) == 0o600
        assert stat.S_IMODE((data / "secret-key").stat().st_mode) == 0o600
        with urllib.request.urlopen(server.url + "/log/checkpoint", timeout=10) as reply:
            assert reply.status == 200
        roles = cluster.psql("SELECT rolname FROM pg_roles WHERE rolname = 'registry_app'").split()
        assert roles == ["registry_app"]
    finally:
        stop_live(server)
    assert server.process.returncode == 0
    assert not Cluster(base / "data").running()
    shutil.rmtree(base, ignore_errors=True)


def test_refuses_plain_http_on_a_public_address() -> None:
    done = subprocess.run([sys.executable, "-m", "registry.server", "--host", "0.0.0.0"], cwd=ROOT,
                          capture_output=True, text=True, check=False,
                          env={k: v for k, v in os.environ.items() if k != "REGISTRY_BEHIND_PROXY"})
    assert done.returncode == 2
    assert "refusing to serve plain HTTP" in done.stderr
