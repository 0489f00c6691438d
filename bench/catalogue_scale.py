"""Catalogue at scale: bulk-load 1,000,000 datasets into PostgreSQL and EXPLAIN the hot queries.

    .venv/bin/python bench/catalogue_scale.py [--datasets 1000000] [--database-url URL]

The URL names a PostgreSQL server (default: $FAIRCAT_TEST_DATABASE_URL); a database
``faircat_scale`` is created on it (dropped first), migrated with the real migrations, and
filled with COPY: investigations over ten years (50 datasets each), three members each,
one datafile and two parameters per dataset. The queries explained are the ones the portal,
the publisher and the release job run, compiled from the real SQLAlchemy expressions
(``access.readable_clause``, ``lifecycle.public_clause``).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from faircat.catalogue import schema
from faircat.catalogue.access import Principal, readable_clause
from faircat.catalogue.db import make_engine
from faircat.catalogue.lifecycle import add_years, public_clause
from faircat.catalogue.models import Dataset, Investigation
from faircat.catalogue.vocab import Role

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
PER_INVESTIGATION = 50


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


def load(url: str, datasets: int) -> dict[str, float]:
    engine = make_engine(url)
    schema.upgrade(engine)
    rng = random.Random(1)
    investigations = datasets // PER_INVESTIGATION
    users = max(investigations // 5, 10)
    timings: dict[str, float] = {}
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        started = time.perf_counter()
        cur.execute("INSERT INTO facility (id, name, short_name, doi_prefix, embargo_years, "
                    "retention_years, licence, base_url, created_at, updated_at) VALUES "
                    "(1, 'Bench', 'B', '10.80100', 3, 5, 'CC-BY-4.0', 'https://x', now(), now())")
        cur.execute("INSERT INTO technique (id, pid, name) VALUES (1, 'PaNET01164', 'mx')")
        for i in range(1, 6):
            cur.execute("INSERT INTO instrument (id, facility_id, name, full_name, created_at, "
                        f"updated_at) VALUES ({i}, 1, 'BL{i}', 'Beamline {i}', now(), now())")
        copy(cur, "user_account", "id, username, full_name, orcid, active, created_at, updated_at",
             ((i, f"user{i}", f"User {i}", None, True, ts(NOW), ts(NOW))
              for i in range(1, users + 1)))
        first = NOW - timedelta(days=3650)

        def inv_rows() -> Iterator[tuple]:
            for i in range(1, investigations + 1):
                start = first + timedelta(seconds=int(3650 * 86400 * i / investigations))
                end = start + timedelta(days=2)
                withdrawn = ts(add_years(end, 3) + timedelta(days=30)) if i % 997 == 0 else None
                yield (i, 1, f"P{i:07d}", "1", f"Experiment {i}", ts(start), ts(end),
                       ts(add_years(end, 3)), withdrawn, "experiment", ts(NOW), ts(NOW))

        copy(cur, "investigation", "id, facility_id, proposal, visit, title, start_date, "
             "end_date, release_date, withdrawn_at, type, created_at, updated_at", inv_rows())
        copy(cur, "investigation_instrument", "investigation_id, instrument_id",
             ((i, 1 + i % 5) for i in range(1, investigations + 1)))
        roles = ("principal_investigator", "participant", "local_contact")
        copy(cur, "investigation_member", "investigation_id, user_id, role",
             ((i, 1 + (i * 7 + k * 131) % users, roles[k])
              for i in range(1, investigations + 1) for k in range(3)))
        timings["reference rows"] = time.perf_counter() - started

        started = time.perf_counter()

        def dataset_rows() -> Iterator[tuple]:
            for d in range(1, datasets + 1):
                inv = 1 + (d - 1) // PER_INVESTIGATION
                yield (d, inv, 1 + inv % 5, f"scan{d}", "raw", f"/data/P{inv:07d}", True,
                       rng.randrange(10**6, 10**9), 1, ts(NOW), ts(NOW))

        copy(cur, "dataset", "id, investigation_id, instrument_id, name, type, location, "
             "complete, size, file_count, created_at, updated_at", dataset_rows())
        timings["datasets"] = time.perf_counter() - started
        started = time.perf_counter()
        copy(cur, "datafile", "id, dataset_id, name, location, size, checksum, created_at, "
             "updated_at", ((d, d, f"scan{d}.nxs", f"/data/{d}/scan.nxs", 1 << 20, None,
                             ts(NOW), ts(NOW)) for d in range(1, datasets + 1)))
        timings["datafiles"] = time.perf_counter() - started
        started = time.perf_counter()
        cur.execute("INSERT INTO parameter_type (id, name, unit, value_type, public) VALUES "
                    "(1, 'instrument/beam/incident_wavelength', 'angstrom', 'numeric', true), "
                    "(2, 'sample/temperature', 'K', 'numeric', true)")
        copy(cur, "parameter", "id, parameter_type_id, dataset_id, numeric_value",
             ((2 * d + k, k + 1, d, 0.8 + rng.random() if k == 0 else 100 + rng.random() * 200)
              for d in range(1, datasets + 1) for k in range(2)))
        timings["parameters"] = time.perf_counter() - started
        for table in ("user_account", "investigation", "dataset", "datafile", "parameter",
                      "parameter_type", "instrument", "technique", "facility"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        started = time.perf_counter()
        cur.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - started
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return timings


def queries() -> dict[str, object]:
    member = Principal(user_id=42, roles=frozenset({Role.USER}))
    scientist = Principal(user_id=43, roles=frozenset({Role.USER}), scientist_of=frozenset({2}))
    anonymous = Principal()
    return {
        "public experiments, newest first (home page)": select(Investigation.id,
            Investigation.title).where(public_clause(NOW))
            .order_by(Investigation.release_date.desc()).limit(20),
        "datasets a member may read (portal listing)": select(Dataset.id, Dataset.name)
            .join(Investigation).where(readable_clause(member, NOW))
            .order_by(Dataset.id.desc()).limit(50),
        "datasets an instrument scientist may read": select(Dataset.id).join(Investigation)
            .where(readable_clause(scientist, NOW), Dataset.instrument_id == 2)
            .order_by(Dataset.id.desc()).limit(50),
        "count of public datasets (anonymous)": select(func.count(Dataset.id))
            .join(Investigation).where(readable_clause(anonymous, NOW)),
        "releases due since the last run (release job)": select(Investigation.id).where(
            Investigation.release_date > NOW - timedelta(days=1),
            Investigation.release_date <= NOW),
        "datasets of one experiment": select(Dataset.id, Dataset.name)
            .where(Dataset.investigation_id == 12345).order_by(Dataset.name),
    }


def explain(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        for title, query in queries().items():
            sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
            plan = connection.execute(text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql))
            lines = [row[0] for row in plan]
            print(f"\n### {title}\n\n```sql\n{sql}\n```\n\n```\n" + "\n".join(lines) + "\n```")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("FAIRCAT_TEST_DATABASE_URL"))
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("give --database-url or set FAIRCAT_TEST_DATABASE_URL (PostgreSQL)")
    admin = make_engine(args.database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('DROP DATABASE IF EXISTS "faircat_scale" WITH (FORCE)'))
        connection.execute(text('CREATE DATABASE "faircat_scale"'))
    url = make_url(args.database_url).set(database="faircat_scale").render_as_string(False)
    started = time.perf_counter()
    timings = load(url, args.datasets)
    total = time.perf_counter() - started
    print(f"# {args.datasets:,} datasets loaded into PostgreSQL in {total:.0f} s "
          f"({args.datasets / total:,.0f} datasets/s including files, parameters, ANALYZE)")
    for step, seconds in timings.items():
        print(f"- {step}: {seconds:.1f} s")
    explain(url)
    if not args.keep:
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "faircat_scale" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
