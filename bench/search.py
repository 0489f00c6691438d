"""Search at facility scale: 1,000,000 datasets on PostgreSQL, 10 concurrent clients.

    .venv/bin/python bench/search.py [--datasets 1000000] [--clients 10] [--requests 400]
                                     [--reuse] [--database-url URL]

Creates a database ``faircat_search`` on the server of ``--database-url`` (default
$FAIRCAT_TEST_DATABASE_URL), migrates it and fills it with COPY: 20,000 experiments over ten
years on 20 beamlines of seven techniques, three members each, five samples each, 50 datasets
each (raw, processed, calibration), one to three files per dataset and four parameters per
dataset (wavelengths in angstrom - one MX beamline stores nm -, energies in eV, temperatures,
count times), as beamlines write them. The search documents are then built by the real
``faircat search reindex`` code (timed: it is what an operator runs after upgrading).

It serves the catalogue with ``faircat serve`` (gunicorn, 2 workers) and sends ``/portal/search``
requests from concurrent clients over kept-alive connections, anonymous (public data) or with
an API token of a member, and reports p50/p95/p99 per scenario. ``--reuse`` keeps the loaded
database of an earlier run.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

from faircat.catalogue import schema
from faircat.catalogue.accounts import create_token, get_user
from faircat.catalogue.db import make_engine
from faircat.catalogue.lifecycle import add_years
from faircat.catalogue.panet import TECHNIQUES
from faircat.catalogue.search.reindex import reindex
from faircat.catalogue.store import Catalogue
from faircat.config import load_settings

NOW = datetime.now(UTC)
PER_INVESTIGATION = 50
DATABASE = "faircat_search"
# beamline -> (technique, typical wavelength in angstrom or None, unit its files use)
BEAMLINES = {
    "XALOC": ("mx", 0.9792, "angstrom"),
    "ID23-1": ("mx", 0.8731, "angstrom"),
    "ID30A-3": ("mx", 0.9677, "angstrom"),
    "P13": ("mx", 1.0332, "nm"),
    "I04": ("mx", 0.9795, "angstrom"),
    "PROXIMA-1": ("mx", 0.9801, "angstrom"),
    "MSPD": ("powder", 0.4246, "angstrom"),
    "ID22": ("powder", 0.3542, "angstrom"),
    "I11": ("powder", 0.8260, "angstrom"),
    "NCD-SWEET": ("saxs", 1.0, "angstrom"),
    "ID02": ("saxs", 0.9950, "angstrom"),
    "BM29": ("saxs", 0.9919, "angstrom"),
    "CLAESS": ("xas", None, "eV"),
    "BM23": ("xas", None, "eV"),
    "B18": ("xas", None, "eV"),
    "ID21": ("xrf", None, "eV"),
    "I14": ("xrf", None, "eV"),
    "MISTRAL": ("tomo", None, "eV"),
    "ID19": ("tomo", None, "eV"),
    "I19": ("scxd", 0.6889, "angstrom"),
}
SAMPLES = {
    "mx": [
        ("lysozyme", "C613H959N193O185S10"),
        ("thaumatin", None),
        ("insulin", None),
        ("proteinase K", None),
        ("glucose isomerase", None),
        ("trypsin", None),
        ("ferritin", None),
        ("myoglobin", None),
        ("BRD4 fragment screen", None),
    ],
    "powder": [
        ("LaB6 standard", "LaB6"),
        ("CeO2", "CeO2"),
        ("zeolite ZSM-5", None),
        ("MOF-5", "Zn4O(BDC)3"),
        ("perovskite CsPbBr3", "CsPbBr3"),
    ],
    "saxs": [
        ("silica nanospheres", "SiO2"),
        ("BSA in buffer", None),
        ("micelles", None),
        ("gold nanorods", "Au"),
    ],
    "xas": [
        ("CuO pellet", "CuO"),
        ("Fe foil", "Fe"),
        ("Pt/C catalyst", "Pt"),
        ("NiO", "NiO"),
        ("MnO2", "MnO2"),
    ],
    "xrf": [("leaf section", None), ("paint cross-section", None), ("soil grain", None)],
    "tomo": [("limestone core", "CaCO3"), ("bone sample", None), ("battery cell", None)],
    "scxd": [("aspirin crystal", "C9H8O4"), ("quartz", "SiO2")],
}
FIRST = [
    "Ada",
    "Jordi",
    "Pia",
    "Carla",
    "Otto",
    "Nina",
    "Marta",
    "Lukas",
    "Sofia",
    "Pau",
    "Elena",
    "Jonas",
    "Ines",
    "Marco",
    "Laura",
    "Hugo",
    "Clara",
    "Ivan",
    "Ana",
    "Tomas",
    "Julia",
    "Felix",
    "Irene",
    "David",
    "Eva",
    "Oscar",
    "Lea",
    "Pablo",
    "Alba",
    "Max",
]
LAST = [
    "Lovelace",
    "Pujol",
    "Ibanez",
    "Curator",
    "Sider",
    "Garcia",
    "Muller",
    "Rossi",
    "Novak",
    "Silva",
    "Kowalski",
    "Fernandez",
    "Berg",
    "Costa",
    "Dubois",
    "Weber",
    "Lopez",
    "Moreau",
    "Fischer",
    "Martin",
    "Nowak",
    "Bianchi",
    "Jensen",
    "Vidal",
    "Keller",
    "Horvat",
    "Santos",
    "Lindqvist",
    "Moretti",
    "Petit",
    "Schmidt",
    "Romero",
    "Olsen",
    "Marin",
    "Roux",
]
MX_BEAMLINES = [name for name, (technique, _, _) in BEAMLINES.items() if technique == "mx"]


def ts(moment: datetime) -> str:
    return moment.isoformat()


def copy(cursor, table: str, columns: str, rows: Iterator[tuple]) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
            count += 1
            if count % 50_000 == 0:
                out.write(buffer.getvalue())
                buffer = io.StringIO()
        out.write(buffer.getvalue())
    return count


def load(url: str, datasets: int) -> None:
    """The catalogue's rows, by COPY (the search documents are built afterwards)."""
    engine = make_engine(url)
    schema.upgrade(engine)
    rng = random.Random(13)
    investigations = max(datasets // PER_INVESTIGATION, 1)
    users = max(investigations // 4, 50)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "INSERT INTO facility (id, name, short_name, doi_prefix, embargo_years, "
            "retention_years, licence, base_url, created_at, updated_at) VALUES (1, "
            "'Bench Light Source', 'BLS', '10.80100', 3, 5, 'CC-BY-4.0', 'https://x', now(), now())"
        )
        technique_ids = {short: i for i, short in enumerate(TECHNIQUES, start=1)}
        copy(
            cur,
            "technique",
            "id, pid, name",
            ((technique_ids[s], pid, name) for s, (pid, name) in TECHNIQUES.items()),
        )
        beamline_ids = {name: i for i, name in enumerate(BEAMLINES, start=1)}
        copy(
            cur,
            "instrument",
            "id, facility_id, name, full_name, created_at, updated_at",
            (
                (i, 1, name, f"{name} beamline", ts(NOW), ts(NOW))
                for name, i in beamline_ids.items()
            ),
        )
        copy(
            cur,
            "instrument_technique",
            "instrument_id, technique_id",
            ((beamline_ids[b], technique_ids[t]) for b, (t, _, _) in BEAMLINES.items()),
        )
        copy(
            cur,
            "user_account",
            "id, username, full_name, active, created_at, updated_at",
            (
                (
                    i,
                    f"user{i}",
                    f"{FIRST[i % len(FIRST)]} {LAST[(i // 7) % len(LAST)]}",
                    True,
                    ts(NOW),
                    ts(NOW),
                )
                for i in range(1, users + 1)
            ),
        )
        first_day = NOW - timedelta(days=3650)
        beamline_of = {
            i: list(BEAMLINES)[(i * 7) % len(BEAMLINES)] for i in range(1, investigations + 1)
        }

        def inv_rows() -> Iterator[tuple]:
            for i in range(1, investigations + 1):
                start = first_day + timedelta(seconds=int(3650 * 86400 * i / investigations))
                end = start + timedelta(days=2)
                technique = BEAMLINES[beamline_of[i]][0]
                yield (
                    i,
                    1,
                    f"P{i:07d}",
                    "1",
                    f"{SAMPLES[technique][i % len(SAMPLES[technique])][0].title()} "
                    f"{technique} study {i}",
                    ts(start),
                    ts(end),
                    ts(add_years(end, 3)),
                    "experiment",
                    f"10.80100/bls.P{i:07d}-1",
                    ts(NOW),
                    ts(NOW),
                )

        copy(
            cur,
            "investigation",
            "id, facility_id, proposal, visit, title, start_date, "
            "end_date, release_date, type, doi, created_at, updated_at",
            inv_rows(),
        )
        copy(
            cur,
            "investigation_instrument",
            "investigation_id, instrument_id",
            ((i, beamline_ids[beamline_of[i]]) for i in range(1, investigations + 1)),
        )
        roles = ("principal_investigator", "participant", "local_contact")
        copy(
            cur,
            "investigation_member",
            "investigation_id, user_id, role",
            (
                (i, 1 + (i * 7 + k * 131) % users, roles[k])
                for i in range(1, investigations + 1)
                for k in range(3)
            ),
        )

        samples: dict[int, list[tuple[int, str]]] = {}

        def sample_rows() -> Iterator[tuple]:
            sample_id = 0
            for i in range(1, investigations + 1):
                pool = SAMPLES[BEAMLINES[beamline_of[i]][0]]
                chosen = rng.sample(pool, min(3, len(pool)))
                samples[i] = []
                for name, formula in chosen:
                    sample_id += 1
                    samples[i].append((sample_id, name))
                    yield (sample_id, i, name, formula, ts(NOW), ts(NOW))

        copy(
            cur,
            "sample",
            "id, investigation_id, name, chemical_formula, created_at, updated_at",
            sample_rows(),
        )

        types = ("raw",) * 40 + ("processed",) * 9 + ("calibration",)
        ptypes = {
            ("instrument/beam/incident_wavelength", "angstrom"): 1,
            ("instrument/beam/incident_wavelength", "nm"): 2,
            ("instrument/monochromator/energy", "eV"): 3,
            ("sample/temperature", "K"): 4,
            ("instrument/detector/count_time", "s"): 5,
        }

        def dataset_rows() -> Iterator[tuple]:
            for d in range(1, datasets + 1):
                inv = 1 + (d - 1) // PER_INVESTIGATION
                inv = min(inv, investigations)
                beamline = beamline_of[inv]
                technique = BEAMLINES[beamline][0]
                sample_id, sample = samples[inv][d % len(samples[inv])]
                kind = types[d % len(types)]
                scan = d - (inv - 1) * PER_INVESTIGATION
                name = f"{'proc_' if kind == 'processed' else 'scan_'}{scan:04d}"
                start = first_day + timedelta(
                    seconds=int(3650 * 86400 * inv / investigations) + scan * 600
                )
                yield (
                    d,
                    inv,
                    beamline_ids[beamline],
                    sample_id,
                    name,
                    f"{sample}: {technique} scan {scan}",
                    kind,
                    ts(start),
                    ts(start + timedelta(minutes=5)),
                    f"/data/P{inv:07d}/{name}",
                    True,
                    rng.randrange(10**6, 10**10),
                    1,
                    ts(NOW),
                    ts(NOW),
                )

        copy(
            cur,
            "dataset",
            "id, investigation_id, instrument_id, sample_id, name, title, "
            "type, start_time, end_time, location, complete, size, file_count, created_at, "
            "updated_at",
            dataset_rows(),
        )
        copy(
            cur,
            "dataset_technique",
            "dataset_id, technique_id",
            (
                (
                    d,
                    technique_ids[
                        BEAMLINES[
                            beamline_of[min(1 + (d - 1) // PER_INVESTIGATION, investigations)]
                        ][0]
                    ],
                )
                for d in range(1, datasets + 1)
            ),
        )

        def file_rows() -> Iterator[tuple]:
            file_id = 0
            for d in range(1, datasets + 1):
                for k in range(1 + d % 3):
                    file_id += 1
                    suffix = "master" if k == 0 else f"data_{k:06d}"
                    yield (
                        file_id,
                        d,
                        f"scan_{d:07d}_{suffix}.h5",
                        f"/data/{d}/{k}.h5",
                        1 << 20,
                        ts(NOW),
                        ts(NOW),
                    )

        copy(
            cur,
            "datafile",
            "id, dataset_id, name, location, size, created_at, updated_at",
            file_rows(),
        )
        copy(
            cur,
            "parameter_type",
            "id, name, unit, value_type, public",
            ((i, name, unit, "numeric", True) for (name, unit), i in ptypes.items()),
        )

        def parameter_rows() -> Iterator[tuple]:
            pid = 0
            for d in range(1, datasets + 1):
                inv = min(1 + (d - 1) // PER_INVESTIGATION, investigations)
                technique, wavelength, unit = BEAMLINES[beamline_of[inv]]
                values = []
                if wavelength is not None:
                    # mostly the beamline's own wavelength; a fifth are MAD/SAD scans elsewhere
                    w = wavelength + rng.gauss(0, 0.002)
                    if rng.random() < 0.2:
                        w = rng.uniform(0.7, 1.8)
                    values.append(
                        (
                            ptypes[("instrument/beam/incident_wavelength", unit)],
                            w / 10 if unit == "nm" else w,
                        )
                    )
                else:
                    values.append((3, rng.uniform(4000, 30000)))
                values.append((4, 100.0 if technique == "mx" else rng.uniform(80, 400)))
                values.append((5, rng.choice((0.01, 0.05, 0.1, 1.0))))
                for type_id, value in values:
                    pid += 1
                    yield (pid, type_id, d, value)

        copy(cur, "parameter", "id, parameter_type_id, dataset_id, numeric_value", parameter_rows())
        for table in (
            "user_account",
            "investigation",
            "dataset",
            "datafile",
            "parameter",
            "parameter_type",
            "instrument",
            "technique",
            "facility",
            "sample",
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def vacuum(url: str) -> None:
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))  # index-only scans need the visibility map
    engine.dispose()


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
    for _ in range(150):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("faircat serve did not start")


def measure(clients: list[requests.Session], urls: list[str], per_client: int) -> list[float]:
    """Every client sends ``per_client`` requests (cycling through ``urls``) at once."""
    times: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def run(client: requests.Session, offset: int) -> None:
        mine = []
        for n in range(per_client):
            url = urls[(offset * 7 + n) % len(urls)]
            started = time.perf_counter()
            response = client.get(url)
            mine.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                failures.append(f"{url}: {response.status_code}")
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=run, args=(c, i)) for i, c in enumerate(clients)]
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
        f"{cuts[98]:.1f} |",
        flush=True,
    )


def scenario_urls(base: str) -> dict[str, list[str]]:
    page = f"{base}/portal/search?"
    windows = [
        ("0.9", "1.0", "angstrom"),
        ("0.09", "0.1", "nm"),
        ("0.97", "0.99", "angstrom"),
        ("1.0", "1.1", "angstrom"),
    ]
    two_facets = [
        page
        + urlencode(
            [
                ("beamline", b),
                ("technique", "mx"),
                ("param", "wavelength"),
                ("min", lo),
                ("max", hi),
                ("unit", unit),
            ]
        )
        for b in MX_BEAMLINES
        for lo, hi, unit in windows
    ]
    text_facet = [
        page + urlencode([("q", q), ("beamline", b)])
        for q in ("lysozyme", "thaumatin native", "P00012", "Lovelace")
        for b in MX_BEAMLINES[:3]
    ]
    return {
        "two facets + wavelength range": two_facets,
        "words + one facet": text_facet,
        "everything, newest first (no filter)": [page, page + "sort=name"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=400, help="per scenario, all clients")
    parser.add_argument("--database-url", default=os.environ.get("FAIRCAT_TEST_DATABASE_URL"))
    parser.add_argument("--reuse", action="store_true", help=f"keep an existing {DATABASE}")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/faircat-bench-search"))
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("give --database-url or set FAIRCAT_TEST_DATABASE_URL (PostgreSQL)")
    url = make_url(args.database_url).set(database=DATABASE).render_as_string(False)
    if not args.reuse:
        admin = make_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
        admin.dispose()
        started = time.perf_counter()
        load(url, args.datasets)
        print(
            f"loaded {args.datasets:,} datasets in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        engine = make_engine(url)
        started = time.perf_counter()
        written = reindex(engine).written
        seconds = time.perf_counter() - started
        engine.dispose()
        print(
            f"faircat search reindex: {written:,} documents in {seconds:.0f} s "
            f"({written / seconds:,.0f}/s)",
            flush=True,
        )
        vacuum(url)
    args.workdir.mkdir(parents=True, exist_ok=True)
    settings = load_settings(
        environ={}, overrides={"database_url": url, "instance_path": str(args.workdir)}
    )
    catalogue = Catalogue.open(settings)
    catalogue.upgrade()
    with catalogue.transaction() as session:
        secret = create_token(session, get_user(session, "user1"), "bench")[1]
    catalogue.close()

    port = free_port()
    server = serve(url, args.workdir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        anonymous = [requests.Session() for _ in range(args.clients)]
        members = []
        for _ in range(args.clients):
            client = requests.Session()
            client.headers["Authorization"] = f"Bearer {secret}"
            members.append(client)
        per_client = max(1, args.requests // args.clients)
        scenarios = scenario_urls(base)
        for client in anonymous[:1]:  # warm the workers and the database cache
            for urls in scenarios.values():
                for url in urls:
                    client.get(url)
        print(f"\n{args.clients} concurrent clients, {per_client} requests each per scenario\n")
        print("| scenario | requests | p50 ms | p95 ms | p99 ms |")
        print("|---|---|---|---|---|")
        for name, urls in scenarios.items():
            # one client alone: what one search costs, without queueing behind the others
            report(f"{name}, anonymous, 1 client", measure(anonymous[:1], urls, len(urls)))
            report(f"{name}, anonymous", measure(anonymous, urls, per_client))
            report(f"{name}, member (token)", measure(members, urls, per_client))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
