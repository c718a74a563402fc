"""The registry's one start command: `python -m registry.server [--data-dir DIR] [--port 8480]`.

Without `DATABASE_URL` it creates (first time) and starts a private PostgreSQL cluster under the data
directory, socket only; migrates as the cluster's superuser; grants the app role (no UPDATE/DELETE on the
log); then serves with gunicorn on 127.0.0.1 as that role. With `DATABASE_URL` it migrates that database
(unless --no-migrate) and serves. On SIGTERM/SIGINT it stops gunicorn, then the private cluster.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import subprocess
import sys
from pathlib import Path

from registry import config
from registry.cluster import Cluster, ClusterError
from registry.log import key as log_key


def _manage(args: list[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "registry", *args], env=env, check=True)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m registry.server", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="default: $REGISTRY_DATA_DIR or "
                        "/var/lib/station-registry (root)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8480)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--no-migrate", action="store_true", help="with DATABASE_URL: the schema is managed "
                        "elsewhere (one migrating process in a multi-process deployment)")
    args = parser.parse_args(argv)

    if not _loopback(args.host) and os.environ.get("REGISTRY_BEHIND_PROXY") != "1":
        parser.error(f"refusing to serve plain HTTP on {args.host}: stations' tokens would travel in clear. "
                     "Serve on 127.0.0.1 behind a TLS proxy (set REGISTRY_BEHIND_PROXY=1 if the proxy is "
                     "on another host of a private network; docs/registry.md)")
    base = (args.data_dir or config.data_dir()).resolve()
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = dict(os.environ, REGISTRY_DATA_DIR=str(base), DJANGO_SETTINGS_MODULE="registry.settings")
    config.ensure_secret_key(base)
    try:
        signer = log_key.load_or_create(Path(env.get("REGISTRY_LOG_KEY", str(base / "log-key"))),
                                        env.get("REGISTRY_LOG_ORIGIN", ""))
    except log_key.LogKeyError as exc:
        print(f"registry: {exc}", file=sys.stderr)
        return 1

    cluster: Cluster | None = None
    if not env.get("DATABASE_URL"):
        cluster = Cluster(base)
        try:
            cluster.start()
            cluster.ensure_database()
        except ClusterError as exc:
            print(f"registry: {exc}", file=sys.stderr)
            return 1
        owner_env = dict(env, DATABASE_URL=config.embedded_url(base, "postgres"))
        _manage(["migrate", "--no-input", "-v", "0"], owner_env)
        _manage(["grant_app_role", config.APP_ROLE], owner_env)
        env["DATABASE_URL"] = config.embedded_url(base)
    elif not args.no_migrate:
        _manage(["migrate", "--no-input", "-v", "0"], env)
    _manage(["sign_checkpoint", "--quiet"], env)  # the empty tree's checkpoint on a new log; checks the last one
    print(f"registry: log {signer.name}, verifier key {signer.verifier().key_string()}", flush=True)

    print(f"registry: serving http://{args.host}:{args.port}/ (data {base})", flush=True)
    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "registry.wsgi:application",
                                 "--bind", f"{args.host}:{args.port}", "--workers", str(args.workers),
                                 "--worker-class", "sync", "--timeout", "60", "--graceful-timeout", "20",
                                 "--log-level", "warning"], env=env)

    def forward(signum: int, _frame: object) -> None:
        gunicorn.send_signal(signal.SIGTERM if signum != signal.SIGINT else signal.SIGINT)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = gunicorn.wait()
    if cluster is not None:
        try:
            cluster.stop()
        except ClusterError as exc:
            print(f"registry: {exc}", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
