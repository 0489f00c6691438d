"""Static export benchmark: full export of N public datasets, then incremental after one change.

    .venv/bin/python bench/export.py [--datasets 100000] [--database-url URL] [--full-runs 1|2]
                                     [--jobs N]

Builds a catalogue of N public datasets (50 per experiment, every experiment released) with
bulk inserts; every datafile points at one of a few real NeXus files, so previews are rendered
once and then served from the preview cache ("previews cached", as the issue states). Then:

1. full export (``--full``) of a new site, nothing published yet — pages/s;
2. a second full export over the first site (warm caches, unchanged records) — pages/s;
3. one dataset changes; incremental export — seconds.

Each line also gives the CPU time of the export's process and its page workers (user + system,
milliseconds per page): wall-clock figures on a shared machine move with other processes' load,
CPU time much less. Peak RSS is the export's process; "workers" the largest worker.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

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
from faircat.catalogue.store import Catalogue
from faircat.config import load_settings
from faircat.demo.builder import reset_catalogue
from faircat.demo.nexusgen import example_spec, write_nexus
from faircat.publisher.export import export_site

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
PER_EXPERIMENT = 50


def link(data: Path, d: int, target: Path) -> Path:
    """A distinct path per datafile (locations are unique) onto a few real NeXus files."""
    path = data / "links" / f"{d // 1000:03d}" / f"scan{d}.nxs"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def build(catalogue: Catalogue, datasets: int, data: Path) -> None:
    reset_catalogue(catalogue)
    catalogue.upgrade()
    files = [write_nexus(data / f"f{i}.nxs", example_spec("mx", i + 1)) for i in range(4)]
    with catalogue.transaction() as session:
        instrument = add_instrument(session, "XALOC", "XALOC MX beamline", ["mx"])
        technique_id = instrument.techniques[0].id
        facility_id = instrument.facility_id
        instrument_id = instrument.id
    experiments = max(datasets // PER_EXPERIMENT, 1)
    users = max(experiments // 4, 4)
    with catalogue.engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {
                    "username": f"u{i}",
                    "full_name": f"Given{i} Family{i}",
                    "given_name": f"Given{i}",
                    "family_name": f"Family{i}",
                    "active": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(users)
            ],
        )
        rows = []
        for i in range(experiments):
            end = NOW - timedelta(days=3 * 365 + 30 + i % 1000)
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
                    "release_date": end + timedelta(days=3 * 365),
                    "created_at": NOW,
                    "updated_at": NOW,
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
                    "role": ("principal_investigator", "participant")[min(k, 1)],
                }
                for i in range(experiments)
                for k in range(2)
            ],
        )
        for start in range(0, datasets, 10_000):
            batch = range(start, min(start + 10_000, datasets))
            conn.execute(
                insert(Dataset),
                [
                    {
                        "id": d + 1,
                        "investigation_id": 1 + d // PER_EXPERIMENT,
                        "instrument_id": instrument_id,
                        "name": f"scan{d % PER_EXPERIMENT}",
                        "title": f"Scan {d}",
                        "type": "raw",
                        "complete": True,
                        "size": 1 << 20,
                        "file_count": 1,
                        "plot_path": "/entry/data",
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for d in batch
                ],
            )
            conn.execute(
                insert(Datafile),
                [
                    {
                        "id": d + 1,
                        "dataset_id": d + 1,
                        "name": f"scan{d}.nxs",
                        "location": str(link(data, d, files[d % 4])),
                        "size": 1 << 20,
                        "checksum": f"sha256:{d % 4:064x}",
                        "format": "application/x-nexus",
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for d in batch
                ],
            )
            conn.execute(
                insert(dataset_technique),
                [{"dataset_id": d + 1, "technique_id": technique_id} for d in batch],
            )


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system time of this process and its finished children (the page workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--full-runs",
        type=int,
        default=2,
        choices=(1, 2),
        help="2: cold then warm caches; 1: cold only (saves time at 100k)",
    )
    parser.add_argument("--jobs", type=int, help="page worker processes (default: one per core)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="faircat-export-") as tmp:
        root = Path(tmp)
        overrides = {
            "instance_path": str(root / "instance"),
            "site_dir": str(root / "site"),
            "facility_base_url": "https://data.example.org",
        }
        if args.database_url:
            overrides["database_url"] = args.database_url
        catalogue = Catalogue.open(load_settings(environ={}, overrides=overrides))
        started = time.perf_counter()
        build(catalogue, args.datasets, root / "data")
        print(
            f"# export benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} "
            f"cores, catalogue of {args.datasets:,} datasets built in "
            f"{time.perf_counter() - started:.0f} s"
        )
        labels = ("full export, cold caches", "full export, warm caches")[: args.full_runs]
        for label in labels:
            cpu = cpu_seconds()
            report = export_site(catalogue, full=True, now=NOW, jobs=args.jobs)
            cpu = cpu_seconds() - cpu
            workers = peak_rss_mb(resource.RUSAGE_CHILDREN)
            print(
                f"| {label} | {report.written:,} pages | {report.seconds:.1f} s | "
                f"{report.written / report.seconds:,.0f} pages/s | CPU "
                f"{1000 * cpu / report.written:.2f} ms/page | peak RSS "
                f"{peak_rss_mb():,.0f} MB, workers {workers:,.0f} MB |"
            )
        with catalogue.transaction() as session:
            dataset = session.get(Dataset, 1)
            dataset.title, dataset.updated_at = "Scan 0, corrected", NOW + timedelta(seconds=1)
        cpu = cpu_seconds()
        report = export_site(catalogue, now=NOW + timedelta(seconds=2), jobs=args.jobs)
        print(
            f"| incremental after one dataset changed | {report.written} pages | "
            f"{report.seconds:.2f} s | CPU {cpu_seconds() - cpu:.2f} s |"
        )


if __name__ == "__main__":
    main()
