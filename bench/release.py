"""Release benchmark: N experiments reach their release date on the same day.

    .venv/bin/python bench/release.py [--experiments 10000] [--datasets-per-experiment 1]
                                      [--database-url URL] [--workers 8]

Builds N ended experiments (bulk inserts), all released on RELEASE_DAY, with their datasets and
files (links onto four real NeXus files, so previews render four times and then come from the
cache). A local DataCite (``faircat dev datacite``, its own process) stands in for the registry.

1. The day before: the release job registers every experiment DOI (``registered``, metadata-only
   landing pages) - timed, but not the figure.
2. The release day: the release job releases all N experiments: experiment DOIs ``findable``
   and every dataset's DOI registered ``findable`` at the local DataCite, pages re-exported,
   OAI datestamps moved. Timed per step; the issue's figure is the
   total (< 60 s for 10,000 experiments). Then the outcome is checked: every DOI findable in the
   registry and every released record's datestamp equal to the run's time.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from faircat.catalogue.facility import add_instrument
from faircat.catalogue.models import (
    Datafile,
    Dataset,
    Investigation,
    InvestigationMember,
    User,
)
from faircat.catalogue.models.data import dataset_technique
from faircat.catalogue.models.investigation import investigation_instrument
from faircat.catalogue.models.published import PublishedRecord
from faircat.catalogue.store import Catalogue
from faircat.config import load_settings
from faircat.demo.builder import reset_catalogue
from faircat.demo.nexusgen import example_spec, write_nexus
from faircat.publisher.release import run_release

RELEASE_DAY = datetime(2026, 11, 20, tzinfo=UTC)
PASSWORD = "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build(catalogue: Catalogue, experiments: int, per: int, data: Path) -> None:
    reset_catalogue(catalogue)
    catalogue.upgrade()
    files = [write_nexus(data / f"f{i}.nxs", example_spec("mx", i + 1)) for i in range(4)]
    now = RELEASE_DAY - timedelta(days=2)
    with catalogue.transaction() as session:
        instrument = add_instrument(session, "XALOC", "XALOC MX beamline", ["mx"])
        technique_id, instrument_id = instrument.techniques[0].id, instrument.id
        facility_id = instrument.facility_id
    with catalogue.engine.begin() as conn:
        users = max(experiments // 4, 4)
        conn.execute(
            insert(User),
            [
                {
                    "username": f"u{i}",
                    "full_name": f"Given{i} Family{i}",
                    "given_name": f"Given{i}",
                    "family_name": f"Family{i}",
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(users)
            ],
        )
        rows = []
        for i in range(experiments):
            end = RELEASE_DAY - timedelta(days=3 * 365) + timedelta(seconds=7 * i % 80_000)
            rows.append(
                {
                    "id": i + 1,
                    "facility_id": facility_id,
                    "proposal": f"P{i:06d}",
                    "visit": "1",
                    "title": f"Structure of protein {i} bound to ligand {i}",
                    "summary": "A summary of the experiment. " * 5,
                    "type": "experiment",
                    "start_date": end - timedelta(days=2),
                    "end_date": end,
                    # everything is released on RELEASE_DAY, spread over the day
                    "release_date": RELEASE_DAY + timedelta(seconds=(7 * i) % 80_000),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        conn.execute(insert(Investigation), rows)
        conn.execute(
            insert(investigation_instrument),
            [
                {"investigation_id": i + 1, "instrument_id": instrument_id}
                for i in range(experiments)
            ],
        )
        conn.execute(
            insert(InvestigationMember),
            [
                {
                    "investigation_id": i + 1,
                    "user_id": 1 + (i * 3 + k) % users,
                    "role": ("principal_investigator", "participant")[k],
                }
                for i in range(experiments)
                for k in range(2)
            ],
        )
        total = experiments * per
        links = data / "links"
        for start in range(0, total, 10_000):
            batch = range(start, min(start + 10_000, total))
            conn.execute(
                insert(Dataset),
                [
                    {
                        "id": d + 1,
                        "investigation_id": 1 + d // per,
                        "instrument_id": instrument_id,
                        "name": f"scan{d % per}",
                        "title": f"Scan {d}",
                        "type": "raw",
                        "complete": True,
                        "size": 1 << 20,
                        "file_count": 1,
                        "plot_path": "/entry/data",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for d in batch
                ],
            )
            paths = []
            for d in batch:
                path = links / f"{d // 1000:03d}" / f"scan{d}.nxs"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.symlink_to(files[d % 4])
                paths.append(path)
            conn.execute(
                insert(Datafile),
                [
                    {
                        "id": d + 1,
                        "dataset_id": d + 1,
                        "name": f"scan{d}.nxs",
                        "location": str(path),
                        "size": 1 << 20,
                        "checksum": f"sha256:{d % 4:064x}",
                        "format": "application/x-nexus",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for d, path in zip(batch, paths, strict=True)
                ],
            )
            conn.execute(
                insert(dataset_technique),
                [{"dataset_id": d + 1, "technique_id": technique_id} for d in batch],
            )


def start_datacite(prefix: str, username: str, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "faircat.cli",
            "dev",
            "datacite",
            "--port",
            str(port),
            "--prefix",
            prefix,
            "--username",
            username,
            "--password",
            PASSWORD,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/heartbeat", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the local DataCite did not start")


def registry_states(port: int, prefix: str, username: str) -> dict[str, int]:
    import requests

    counts: dict[str, int] = {}
    url: str | None = f"http://127.0.0.1:{port}/dois"
    params: dict[str, object] | None = {"prefix": prefix, "page[size]": 1000, "page[cursor]": 1}
    while url:
        body = requests.get(url, params=params, auth=(username, PASSWORD), timeout=60).json()
        for item in body["data"]:
            state = item["attributes"]["state"]
            counts[state] = counts.get(state, 0) + 1
        url, params = body.get("links", {}).get("next"), None
    return counts


def describe(label: str, report) -> str:  # type: ignore[no-untyped-def]
    steps = ", ".join(f"{step} {secs:.1f} s" for step, secs in report.seconds.items())
    return (
        f"| {label} | {sum(report.seconds.values()):.1f} s | {steps} | "
        f"{report.export.written:,} pages, {report.export.published:,} records re-published, "
        f"{report.registry.done:,} DOIs moved |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=10_000)
    parser.add_argument("--datasets-per-experiment", type=int, default=1)
    parser.add_argument("--database-url")
    parser.add_argument("--workers", type=int, default=8, help="concurrent DataCite calls")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="faircat-release-") as tmp:
        root = Path(tmp)
        port = free_port()
        overrides = {
            "instance_path": str(root / "instance"),
            "site_dir": str(root / "site"),
            "facility_base_url": "https://data.example.org",
            "datacite_url": f"http://127.0.0.1:{port}/",
            "datacite_workers": str(args.workers),
        }
        if args.database_url:
            overrides["database_url"] = args.database_url
        settings = load_settings(environ={}, overrides=overrides)
        settings = dataclasses.replace(settings, datacite_password=PASSWORD)
        catalogue = Catalogue.open(settings)
        started = time.perf_counter()
        build(catalogue, args.experiments, args.datasets_per_experiment, root / "data")
        built = time.perf_counter() - started
        server = start_datacite(settings.facility_doi_prefix, settings.datacite_username, port)
        try:
            print(
                f"# release benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
                f"{os.cpu_count()} cores, {catalogue.engine.dialect.name}: "
                f"{args.experiments:,} experiments x {args.datasets_per_experiment} dataset(s), "
                f"built in {built:.0f} s; local DataCite in its own process; "
                f"{args.workers} concurrent registry calls"
            )
            before = run_release(catalogue, settings, RELEASE_DAY - timedelta(days=1))
            print(describe("the day before: register every experiment DOI", before))
            release_time = RELEASE_DAY + timedelta(hours=23, minutes=59)
            report = run_release(catalogue, settings, release_time)
            print(describe("release day: release every experiment", report))
            assert report.decisions.released == args.experiments, report.decisions
            assert not report.registry.retried and not report.registry.rejected
            states = registry_states(port, settings.facility_doi_prefix, settings.datacite_username)
            # every experiment DOI moved to findable, every dataset DOI registered findable
            expected = args.experiments * (1 + args.datasets_per_experiment)
            assert report.decisions.dataset_dois == expected - args.experiments, report.decisions
            assert states == {"findable": expected}, states
            with catalogue.transaction() as session:
                moved = session.scalar(
                    select(func.count()).where(PublishedRecord.datestamp == release_time)
                )
            assert moved == expected, (moved, expected)
            print(
                f"checked: {states['findable']:,} DOIs findable at the registry, "
                f"{moved:,} OAI datestamps = {release_time.isoformat()}"
            )
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
