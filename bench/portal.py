"""Portal and API latency at facility scale: 1,000,000 datasets on PostgreSQL, 10 clients.

    .venv/bin/python bench/portal.py [--datasets 1000000] [--clients 10] [--requests 300]

Loads the catalogue of ``bench/catalogue_scale.py`` (20,000 experiments of 50 datasets, with
files and parameters) into a database ``faircat_portal``, adds one experiment of 5,000 datasets
whose PI signs in, serves it with ``faircat serve`` (gunicorn, gthread) and sends requests
from concurrent clients over kept-alive connections, each client signed in (session cookie) or
with an API token, as people and scripts do. Reports p50/p95/p99 per scenario:

- the experiment page of the 5,000-dataset experiment (first page of its table, 100 rows), and
  the same filtered by text and sorted by size;
- the API's page of 1,000 datasets of that experiment, first and deep (keyset ``after``);
- the API's experiment listing (what the caller may read, newest first).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalogue_scale import NOW, copy, load, ts

from faircat.catalogue.accounts import create_token, get_user
from faircat.catalogue.db import make_engine
from faircat.catalogue.store import Catalogue
from faircat.config import load_settings

BIG = 5000
PASSWORD = "bench password 42"


def add_big_experiment(url: str) -> str:
    """One experiment of 5,000 datasets, led by ``benchpi``; returns its label."""
    from argon2 import PasswordHasher

    engine = make_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT max(id) FROM investigation")
        inv = cur.fetchone()[0] + 1
        cur.execute("SELECT max(id) FROM dataset")
        first = cur.fetchone()[0] + 1
        cur.execute("SELECT max(id) FROM user_account")
        pi = cur.fetchone()[0] + 1
        cur.execute(
            "INSERT INTO user_account (id, username, full_name, active, password_hash, "
            "created_at, updated_at) VALUES (%s, 'benchpi', 'Bench PI', true, %s, now(), now())",
            (pi, PasswordHasher().hash(PASSWORD)),
        )
        start = NOW - timedelta(days=60)
        end = start + timedelta(days=3)
        cur.execute(
            "INSERT INTO investigation (id, facility_id, proposal, visit, title, start_date, "
            "end_date, release_date, type, created_at, updated_at) VALUES "
            "(%s, 1, 'BIG0001', '1', 'A very long beamtime', %s, %s, %s, 'experiment', now(), "
            "now())",
            (inv, start, end, end + timedelta(days=3 * 365)),
        )
        cur.execute("INSERT INTO investigation_instrument VALUES (%s, 1)", (inv,))
        cur.execute(
            "INSERT INTO investigation_member (investigation_id, user_id, role) "
            "VALUES (%s, %s, 'principal_investigator')",
            (inv, pi),
        )
        copy(
            cur,
            "dataset",
            "id, investigation_id, instrument_id, name, title, type, start_time, location, "
            "complete, size, file_count, created_at, updated_at",
            (
                (
                    first + k,
                    inv,
                    1,
                    f"scan_{k:05d}",
                    f"{'lysozyme' if k % 3 else 'thaumatin'} soak {k}",
                    "raw" if k % 10 else "processed",
                    ts(start + timedelta(seconds=30 * k)),
                    f"/data/BIG0001/{k}",
                    True,
                    (k * 7919) % 10**9,
                    1 + k % 4,
                    ts(NOW),
                    ts(NOW),
                )
                for k in range(BIG)
            ),
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('dataset', 'id'), %s)", (first + BIG,))
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('user_account', 'id'), %s)", (pi + 1,)
        )
        cur.execute("ANALYZE dataset")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return "BIG0001-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, workdir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FAIRCAT_DATABASE_URL": url,
        "FAIRCAT_INSTANCE_PATH": str(workdir / "instance"),
        "FAIRCAT_SITE_DIR": str(workdir / "site"),
        "FAIRCAT_SECRET_KEY": "bench-secret",
        "FAIRCAT_CONFIG": "",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "faircat.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("faircat serve did not start")


def signed_in(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/portal/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    answer = session.post(
        f"{base}/portal/login",
        data={"username": "benchpi", "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.status_code
    return session


def measure(sessions: list[requests.Session], urls: list[str], per_client: int) -> list[float]:
    """Every client sends ``per_client`` requests (cycling through ``urls``) at once."""
    times: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []

    def run(client: requests.Session, offset: int) -> None:
        mine = []
        for n in range(per_client):
            url = urls[(offset + n) % len(urls)]
            started = time.perf_counter()
            response = client.get(url)
            mine.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                failures.append(f"{url}: {response.status_code}")
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=run, args=(s, i)) for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"{len(failures)} failed requests, e.g. {failures[0]}")
    return times


def report(name: str, times: list[float]) -> None:
    cuts = statistics.quantiles(times, n=100)
    print(
        f"| {name} | {len(times)} | {statistics.median(times):.1f} | {cuts[94]:.1f} | "
        f"{cuts[98]:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=300, help="per scenario, all clients")
    parser.add_argument("--database-url", default=os.environ.get("FAIRCAT_TEST_DATABASE_URL"))
    parser.add_argument("--reuse", action="store_true", help="keep an existing faircat_portal")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/faircat-bench-portal"))
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("give --database-url or set FAIRCAT_TEST_DATABASE_URL (PostgreSQL)")
    url = make_url(args.database_url).set(database="faircat_portal").render_as_string(False)
    if not args.reuse:
        admin = make_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "faircat_portal" WITH (FORCE)'))
            connection.execute(text('CREATE DATABASE "faircat_portal"'))
        admin.dispose()
        started = time.perf_counter()
        load(url, args.datasets)
        label = add_big_experiment(url)
        print(f"loaded {args.datasets + BIG:,} datasets in {time.perf_counter() - started:.0f} s")
    label = "BIG0001-1"
    args.workdir.mkdir(parents=True, exist_ok=True)
    settings = load_settings(
        environ={}, overrides={"database_url": url, "instance_path": str(args.workdir)}
    )
    catalogue = Catalogue.open(settings)
    catalogue.upgrade()
    with catalogue.transaction() as session:
        secret = create_token(session, get_user(session, "benchpi"), "bench")[1]
    catalogue.close()

    port = free_port()
    server = serve(url, args.workdir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        people = [signed_in(base) for _ in range(args.clients)]
        scripts = []
        for _ in range(args.clients):
            client = requests.Session()
            client.headers["Authorization"] = f"Bearer {secret}"
            scripts.append(client)
        per_client = max(1, args.requests // args.clients)
        page = f"{base}/portal/experiments/{label}"
        api = f"{base}/api/experiments/{label}/datasets?limit=1000"
        deep = requests.get(api + "&sort=name", headers=scripts[0].headers).json()
        for _ in range(3):
            deep = requests.get(
                f"{api}&sort=name&after={deep['next']}", headers=scripts[0].headers
            ).json()
        scenarios = {
            "experiment page, 5,000 datasets (table page of 100)": (people, [page]),
            "experiment page, text filter + sort by size": (
                people,
                [f"{page}?q=thaumatin&sort=-size", f"{page}?q=soak+1&type=processed"],
            ),
            "API: 1,000 datasets, first page": (scripts, [api]),
            "API: 1,000 datasets, 4th page (keyset)": (
                scripts,
                [f"{api}&sort=name&after={deep['next']}"],
            ),
            "API: experiments the caller may read": (scripts, [f"{base}/api/experiments"]),
        }
        for sessions, urls in scenarios.values():  # warm every worker's caches
            measure(sessions, urls, 3)
        print(f"\n{args.clients} concurrent clients, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
        print("| scenario | requests | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|")
        for name, (sessions, urls) in scenarios.items():
            report(name, measure(sessions, urls, per_client))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)


if __name__ == "__main__":
    main()
