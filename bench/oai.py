"""OAI-PMH harvest benchmark (issue 5): full ListRecords over HTTP, faircat vs ``oaipmh``.

    .venv/bin/python bench/oai.py [--records 100000] [--database-url URL] [--keep]
        [--formats oai_dc,oai_datacite,datacite] [--harvesters 1,2] [--pyoai-pages 200]
        [--pyoai-full] [--skip-pyoai] [--profile SECONDS] [--json FILE]
        [--faircat-app MODULE:APP --pythonpath DIR] [--worker-class gthread] [--threads 4]

1. Builds N published records with bulk inserts (``bench/oai_data.py``: real crosswalk
   renderings varied per record, mass-release datestamps, 2 % withdrawn, set memberships).
   The default database is an SQLite file under the temp dir, named after N; with a
   PostgreSQL URL the database is created when missing (never ``test``: the test suite
   truncates it). ``--keep`` reuses a database this script built with the same N (1,000,000
   records with three formats take ~3 min to build on PostgreSQL).
2. Serves faircat's provider (``faircat.oaipmh.wsgi:application``, or ``--faircat-app`` to
   measure a candidate change) with gunicorn, 2 workers (``gthread``, 4 threads each, as
   ``faircat serve`` runs: connections kept alive; ``--worker-class sync`` closes the
   connection after every response, as the first figures did), 100 records a page, and
   harvests every record in ``oai_datacite``: once with one harvester (one request at a time:
   one harvester keeps one worker busy, its own parsing runs on the other core), then with two
   harvesters at once (aggregate rate). Each harvester is its own
   process (``bench/oai_client.py``), checks every page and counts its CPU time. The workers'
   RSS is read from /proc every 0.5 s; their CPU time, and the PostgreSQL backends', before and
   after each harvest.
3. Serves the same tables with the ``oaipmh`` package's ``BatchingServer``
   (``bench/oai_pyoai.py``, offset paging) under the same gunicorn settings and harvests the
   first ``--pyoai-pages`` pages, then single pages deep in the list (offsets N/4, N/2, 3N/4,
   N-100), and extrapolates a full harvest from a least-squares fit of page time against
   offset (``--pyoai-full`` also harvests everything, for real).
4. ``--profile S`` also samples the workers with py-spy for S seconds of harvests of each
   provider and prints where the time goes; ``bench/oai_inproc.py`` times a page's parts
   inside faircat's provider (one core, no HTTP).

First-vs-last page: the first page also counts the list (completeListSize), so the figure
compares the median of pages 2-11 with the median of the last 10 pages; page 1 is shown too.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oai_data import build, existing, withdrawn  # bench/ is sys.path[0] when run as a script
from oaipmh.server import encodeResumptionToken
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from faircat.catalogue.store import Catalogue
from faircat.config import load_settings

HERE = Path(__file__).resolve().parent
PREFIX = "oai_datacite"
PAGE = 100
TICK = os.sysconf("SC_CLK_TCK")
ENV_DROP = ("FAIRCAT_", "OAI_BENCH_")


# -- database -----------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create a PostgreSQL database when missing; refuse the test suite's."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    name = parsed.database or ""
    if name in ("", "test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing database {name!r}: name a benchmark database")
    admin = create_engine(
        parsed.set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            return
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def prepare(args: argparse.Namespace, root: Path) -> tuple[str, Any]:
    url = (
        args.database_url
        or f"sqlite:///{Path(tempfile.gettempdir())}/faircat-oai-bench/oai-{args.records}.db"
    )
    ensure_database(url)
    settings = load_settings(
        environ={},
        overrides={
            "database_url": url,
            "instance_path": str(root / "instance"),
            "facility_base_url": "https://data.example.org",
        },
    )
    catalogue = Catalogue.open(settings)
    built = existing(catalogue) if args.keep else None
    formats = tuple(args.formats.split(","))
    if built is None or built.records != args.records or PREFIX not in built.formats:
        print(f"# building {args.records:,} records ({', '.join(formats)}) in {url}", flush=True)
        built = build(catalogue, args.records, formats)
    catalogue.close()
    return url, built


# -- servers and measurements -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


_ENGINES: dict[str, Any] = {}


def backend_cpu(url: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving the benchmark database (empty for SQLite:
    its work is inside the workers)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return {}
    if url not in _ENGINES:
        _ENGINES[url] = create_engine(
            parsed.set(drivername="postgresql+psycopg"), poolclass=NullPool
        )
    with _ENGINES[url].connect() as conn:
        pids = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ).scalars()
        out = {}
        for pid in pids:
            with contextlib.suppress(OSError):
                out[pid] = cpu_seconds(pid)
    return out


class Server:
    """gunicorn, 2 workers, as a subprocess; ``stop`` ends it by its own pid."""

    def __init__(
        self,
        name: str,
        app: str,
        env: dict[str, str],
        cwd: Path,
        worker_class: str = "gthread",
        pythonpath: str = "",
        threads: int = 4,
    ) -> None:
        self.name = name
        self.database_url = env["OAI_BENCH_DATABASE_URL"]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = cwd / f"gunicorn-{name}.log"
        command = [
            sys.executable, "-m", "gunicorn", "-w", "2", "-k", worker_class,
            "--threads", str(threads), "-b", f"127.0.0.1:{self.port}", "--timeout", "600",
            "--pythonpath", ",".join(filter(None, [str(HERE), pythonpath])),
            "--error-logfile", str(self.log), app,
        ]  # fmt: skip
        self.process = subprocess.Popen(command, env=env, cwd=cwd)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "?verb=Identify", timeout=5) as reply:
                    reply.read()
                if len(self.workers()) == 2:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise SystemExit(f"{name}: gunicorn did not start; see {self.log}")
            time.sleep(0.2)

    def workers(self) -> list[int]:
        return sorted(children(self.process.pid))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Sampler(threading.Thread):
    """The workers' RSS every 0.5 s."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.samples: list[tuple[float, list[float]]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            with contextlib.suppress(OSError):
                self.samples.append((time.perf_counter(), [rss_mb(p) for p in self.pids]))
            self._halt.wait(0.5)

    def between(self, start: float, end: float) -> list[list[float]]:
        return [values for moment, values in self.samples if start <= moment <= end]

    def stop(self) -> None:
        self._halt.set()
        self.join()


@dataclass
class Harvest:
    provider: str
    label: str
    clients: int
    records: int
    seconds: float
    client_cpu: float
    server_cpu: float  # the gunicorn workers
    database_cpu: float  # the PostgreSQL backends (0 for SQLite: in the workers)
    bytes: int
    pages: list[float]
    rss: list[list[float]]  # per sample, per worker
    complete_list_size: int | None
    deleted: int
    finished: bool
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    def early_late(self) -> tuple[float, float, float]:
        """(page 1, median of pages 2-11, median of the last 10 pages) in ms."""
        pages = self.pages
        return (
            pages[0] * 1000,
            statistics.median(pages[1:11] or pages) * 1000,
            statistics.median(pages[-10:]) * 1000,
        )

    def rss_points(self) -> str:
        if not self.rss:
            return "-"
        points = [self.rss[0], self.rss[len(self.rss) // 2], self.rss[-1]]
        per_worker = zip(*points, strict=True)
        return ", ".join("/".join(f"{v:.0f}" for v in worker) for worker in per_worker)

    def summary(self) -> dict[str, Any]:
        first, early, late = self.early_late()
        tenth = max(1, len(self.pages) // 10)
        tenths = [
            statistics.median(self.pages[i : i + tenth]) * 1000
            for i in range(0, len(self.pages) - tenth + 1, tenth)
        ]
        return {
            "provider": self.provider,
            "harvest": self.label,
            "clients": self.clients,
            "records": self.records,
            "seconds": round(self.seconds, 2),
            "records_per_s": round(self.rate),
            "page1_ms": round(first, 1),
            "pages_2_11_median_ms": round(early, 1),
            "last_10_median_ms": round(late, 1),
            "last_over_first": round(late / early, 2),
            "first_tenth_median_ms": round(tenths[0], 1),
            "last_tenth_median_ms": round(tenths[-1], 1),
            "slowest_tenth_median_ms": round(max(tenths), 1),
            "tenths_median_ms": [round(t, 1) for t in tenths],
            "page_p50_ms": round(statistics.median(self.pages) * 1000, 1),
            "page_p99_ms": round(quantile(self.pages, 0.99) * 1000, 1),
            "mb_per_s": round(self.bytes / self.seconds / 1e6, 1),
            "server_cpu_s": round(self.server_cpu, 1),
            "server_cpu_us_per_record": round(self.server_cpu / self.records * 1e6, 1),
            "database_cpu_s": round(self.database_cpu, 1),
            "database_cpu_us_per_record": round(self.database_cpu / self.records * 1e6, 1),
            "client_cpu_s": round(self.client_cpu, 1),
            "worker_rss_mb_start_mid_end": self.rss_points(),
            "worker_rss_mb_max": [
                round(max(s[i] for s in self.rss), 1) for i in range(len(self.rss[0]))
            ]
            if self.rss
            else [],
            "complete_list_size": self.complete_list_size,
            "deleted": self.deleted,
            "finished": self.finished,
            "notes": self.notes,
        }


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_clients(
    server: Server,
    sampler: Sampler,
    label: str,
    count: int,
    root: Path,
    extra: list[str] | None = None,
) -> Harvest:
    """``count`` harvester processes at once; their pages pooled, records summed."""
    outs = [root / f"{server.name}-{label}-{i}.json".replace(" ", "_") for i in range(count)]
    cpu0 = sum(cpu_seconds(p) for p in server.workers())
    db0 = backend_cpu(server.database_url)
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(HERE / "oai_client.py"),
                server.url,
                PREFIX,
                "--out",
                str(out),
                *(extra or []),
            ]
        )
        for out in outs
    ]
    failed = [p.wait() for p in procs]
    end = time.perf_counter()
    if any(failed):
        raise SystemExit(f"{server.name} {label}: a harvester failed (see above)")
    cpu1 = sum(cpu_seconds(p) for p in server.workers())
    db1 = backend_cpu(server.database_url)
    results = [json.loads(out.read_text()) for out in outs]
    pages = (
        results[0]["page_seconds"]
        if count == 1
        else [
            statistics.mean(group)
            for group in zip(*(r["page_seconds"] for r in results), strict=False)
        ]
    )
    return Harvest(
        provider=server.name,
        label=label,
        clients=count,
        records=sum(r["records"] for r in results),
        seconds=end - start,
        client_cpu=sum(r["client_cpu_seconds"] for r in results),
        server_cpu=cpu1 - cpu0,
        database_cpu=sum(v - db0.get(pid, 0.0) for pid, v in db1.items()),
        bytes=sum(r["bytes"] for r in results),
        pages=pages,
        rss=sampler.between(start, end),
        complete_list_size=results[0]["complete_list_size"],
        deleted=results[0]["deleted"],
        finished=all(r["finished"] for r in results),
    )


def check_full(harvest: Harvest, expected: int, deleted: int) -> None:
    per_client = harvest.records // harvest.clients
    problems = []
    if per_client != expected or harvest.records % harvest.clients:
        problems.append(f"{harvest.records} records for {harvest.clients} x {expected}")
    if harvest.complete_list_size not in (None, expected):
        problems.append(f"completeListSize {harvest.complete_list_size} != {expected}")
    if harvest.deleted != deleted:
        problems.append(f"{harvest.deleted} deleted records, expected {deleted}")
    if problems:
        raise SystemExit(f"{harvest.provider} {harvest.label}: " + "; ".join(problems))


def profile(server: Server, seconds: int, root: Path, client_args: list[str]) -> list[str]:
    """py-spy on both workers while harvesters run back to back: top functions, self and
    inclusive, over the samples where a worker was busy (py-spy leaves idle threads out)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return ["py-spy not installed: .venv/bin/pip install py-spy"]
    out = root / f"profile-{server.name}.txt"
    deadline = time.monotonic() + seconds + 1
    client = [sys.executable, str(HERE / "oai_client.py"), server.url, PREFIX]
    client += ["--out", str(root / "profile-client.json"), *client_args]

    def harvest_until_deadline() -> None:
        while time.monotonic() < deadline:
            subprocess.run(client, check=True)

    harvester = threading.Thread(target=harvest_until_deadline)
    harvester.start()
    time.sleep(0.5)
    spy_run = subprocess.run(
        [spy, "record", "--pid", str(server.process.pid), "--subprocesses", "--rate", "200",
         "--duration", str(seconds), "--format", "raw", "--output", str(out)],
        capture_output=True,
        text=True,
    )  # fmt: skip
    harvester.join()
    if spy_run.returncode != 0 or not out.exists():
        return [f"py-spy failed: {spy_run.stderr.strip()[-300:]}"]
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";") if f and not f.startswith("process ")]
        frames = [f for f in frames if f]
        if (
            not frames
            or frames[-1].startswith(("wait (", "_worker (futures/"))
            or "select (" in frames[-1]
        ):
            continue  # idle workers waiting for a connection, idle gthread threads
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    lines = [f"{server.name}: {total} busy samples over {seconds} s (both workers)", "self:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(18)]
    lines.append("inclusive:")
    lines += [
        f"  {100 * n / total:5.1f}%  {name}"
        for name, n in inclusive.most_common(60)
        if n < 0.9 * total  # leave out gunicorn's frames around every request
    ]
    return lines


def _frame(frame: str) -> str:
    """``function (path/file.py:line)`` -> ``function (file.py)``; thread names dropped."""
    if " (" not in frame:
        return ""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = Path(path).parts
    short = "/".join(parts[-2:]) if len(parts) > 1 else path
    return f"{name} ({short})"


# -- the run --------------------------------------------------------------------------------


def faircat_env(url: str, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_DROP)}
    env.update(
        FAIRCAT_DATABASE_URL=url,
        FAIRCAT_SECRET_KEY="bench-secret-key-for-oai-tokens",
        FAIRCAT_OAI_PAGE_SIZE=str(PAGE),
        FAIRCAT_FACILITY_BASE_URL="https://data.example.org",
        FAIRCAT_INSTANCE_PATH=str(root / "instance"),
        OAI_BENCH_DATABASE_URL=url,
    )
    return env


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares ``time = a + b * offset``."""
    xs, ys = [float(x) for x, _ in points], [y for _, y in points]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return my - b * mx, b


def pyoai_sample(
    server: Server, sampler: Sampler, args: argparse.Namespace, built: Any, root: Path
) -> tuple[Harvest, Harvest, dict[str, Any]]:
    """The first pages (one harvester, then two), single deep pages, and the extrapolation."""
    pages = min(args.pyoai_pages, -(-built.records // PAGE))
    limit = ["--max-pages", str(pages)]
    prefix = run_clients(server, sampler, f"first {pages * PAGE:,}, 1 harvester", 1, root, limit)
    print(json.dumps(prefix.summary()), flush=True)
    both = run_clients(server, sampler, f"first {pages * PAGE:,}, 2 harvesters", 2, root, limit)
    print(json.dumps(both.summary()), flush=True)
    points = [(i * PAGE, t) for i, t in enumerate(prefix.pages)]
    deep = {}
    for share in (0.25, 0.5, 0.75, 1.0):
        offset = min(int(built.records * share), built.records - PAGE)
        offset -= offset % PAGE
        token = encodeResumptionToken({"metadataPrefix": PREFIX, "batch_size": PAGE + 1}, offset)
        extra = ["--token", token, "--max-pages", "1"]
        times = [
            run_clients(server, sampler, f"offset {offset}", 1, root, extra).pages[0]
            for _ in range(3)
        ]
        deep[offset] = statistics.median(times)
        points.append((offset, deep[offset]))
    a, b = fit(points)
    total_pages = -(-built.records // PAGE)
    seconds = total_pages * a + b * PAGE * total_pages * (total_pages - 1) / 2
    extrapolated = {
        "page_ms_at_offset": {str(k): round(v * 1000, 1) for k, v in deep.items()},
        "fit_ms": [round(a * 1000, 2), round(b * 1e6, 4)],
        "fit_note": "page time = a + b * offset/1000, in ms",
        "full_harvest_seconds": round(seconds, 1),
        "records_per_s": round(built.records / seconds),
        "first_page_ms": round(prefix.pages[0] * 1000, 1),
        "last_page_ms": round(deep[max(deep)] * 1000, 1),
    }
    print(json.dumps({"oaipmh extrapolated full harvest": extrapolated}), flush=True)
    return prefix, both, extrapolated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: an SQLite file under the temp dir")
    parser.add_argument("--keep", action="store_true", help="reuse a database built earlier")
    parser.add_argument(
        "--formats",
        default="oai_dc,oai_datacite,datacite",
        help="formats stored per record (oai_datacite is the one harvested)",
    )
    parser.add_argument("--pyoai-pages", type=int, default=200)
    parser.add_argument("--pyoai-full", action="store_true", help="harvest all with oaipmh")
    parser.add_argument("--skip-pyoai", action="store_true")
    parser.add_argument(
        "--harvesters", default="1,2", help="concurrent harvesters of faircat's full list, runs"
    )
    parser.add_argument("--profile", type=int, default=0, metavar="SECONDS")
    parser.add_argument(
        "--faircat-app",
        default="faircat.oaipmh.wsgi:application",
        help="the WSGI app to measure as faircat's (to try a change); --pythonpath to find it",
    )
    parser.add_argument("--pythonpath", default="", help="extra path for gunicorn's import")
    parser.add_argument(
        "--worker-class",
        default="gthread",
        help="gunicorn worker class (gthread, as faircat serve, keeps connections alive; "
        "sync closes them after every response)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if PREFIX not in args.formats.split(","):
        parser.error(f"--formats must include {PREFIX}")

    with tempfile.TemporaryDirectory(prefix="faircat-oai-") as tmp:
        root = Path(tmp)
        url, built = prepare(args, root)
        load = os.getloadavg()
        machine = {
            "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "cores": os.cpu_count(),
            "database": make_url(url).get_backend_name(),
            "records": built.records,
            "formats": list(built.formats),
            "build_seconds": round(built.seconds, 1),
            "build_reused": built.reused,
            "oai_datacite_mean_bytes": round(built.oai_datacite_bytes),
            "load_average_at_start": [round(v, 2) for v in load],
        }
        print(
            f"# OAI-PMH harvest benchmark {machine['date']}, {machine['cores']} cores, "
            f"{machine['database']}, {built.records:,} records ({', '.join(built.formats)}; "
            f"oai_datacite {built.oai_datacite_bytes:,.0f} B mean), database "
            f"{'reused, built earlier in' if built.reused else 'built in'} {built.seconds:.0f} s, "
            f"load average {load[0]:.2f}",
            flush=True,
        )
        expected_deleted = sum(1 for n in range(1, built.records + 1) if withdrawn(n))
        env = faircat_env(url, root)
        harvests: list[Harvest] = []
        profiles: dict[str, list[str]] = {}
        extrapolated: dict[str, Any] = {}

        server = Server(
            "faircat", args.faircat_app, env, root, args.worker_class, args.pythonpath, args.threads
        )
        sampler = Sampler(server.workers())
        sampler.start()
        try:
            run_clients(server, sampler, "warm-up", 2, root, ["--max-pages", "3"])
            for clients in sorted({int(n) for n in args.harvesters.split(",")}):
                label = f"full, {clients} harvester{'s' if clients > 1 else ''}"
                harvest = run_clients(server, sampler, label, clients, root)
                check_full(harvest, built.records, expected_deleted)
                harvests.append(harvest)
                print(json.dumps(harvest.summary()), flush=True)
            if args.profile:
                profiles["faircat"] = profile(server, args.profile, root, [])
        finally:
            server.stop()
            sampler.stop()

        if not args.skip_pyoai:
            server = Server(
                "oaipmh", "oai_pyoai:application", env, root, args.worker_class, "", args.threads
            )
            sampler = Sampler(server.workers())
            sampler.start()
            try:
                run_clients(server, sampler, "warm-up", 2, root, ["--max-pages", "3"])
                if args.pyoai_full:
                    harvest = run_clients(server, sampler, "full, 1 harvester", 1, root)
                    check_full(harvest, built.records, expected_deleted)
                    harvests.append(harvest)
                    print(json.dumps(harvest.summary()), flush=True)
                prefix, both, extrapolated = pyoai_sample(server, sampler, args, built, root)
                harvests += [prefix, both]
                if args.profile:
                    # mid-list pages: what a page costs on average over a full harvest
                    middle = built.records // 2 // PAGE * PAGE
                    token = encodeResumptionToken(
                        {"metadataPrefix": PREFIX, "batch_size": PAGE + 1}, middle
                    )
                    extra = ["--token", token, "--max-pages", "20"]
                    profiles["oaipmh"] = profile(server, args.profile, root, extra)
            finally:
                server.stop()
                sampler.stop()

        # one core, no HTTP: where a page's time goes inside faircat's provider
        inproc = subprocess.run(
            [sys.executable, str(HERE / "oai_inproc.py"), url],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        machine["faircat_in_process"] = json.loads(inproc.stdout)
        print(json.dumps({"faircat in process, ms per page": machine["faircat_in_process"]}))

    report(machine, harvests, extrapolated, profiles, args.json)


def report(
    machine: dict[str, Any],
    harvests: list[Harvest],
    extrapolated: dict[str, Any],
    profiles: dict[str, list[str]],
    json_path: Path | None,
) -> None:
    rows = [h.summary() for h in harvests]
    print()
    print(
        "| provider | harvest | records | s | records/s | page ms: 1st / 2-11 / last 10 "
        "| median page ms by tenth: first / last / slowest "
        "| CPU µs/record: workers / PostgreSQL / harvesters | worker RSS MB start/mid/end |"
    )
    print("|---" * 8 + "|")
    for r in rows:
        client_us = r["client_cpu_s"] / r["records"] * 1e6
        print(
            f"| {r['provider']} | {r['harvest']} | {r['records']:,} | {r['seconds']:.1f} "
            f"| **{r['records_per_s']:,}** | {r['page1_ms']:.1f} / "
            f"{r['pages_2_11_median_ms']:.1f} / {r['last_10_median_ms']:.1f} "
            f"| {r['first_tenth_median_ms']:.1f} / {r['last_tenth_median_ms']:.1f} / "
            f"{r['slowest_tenth_median_ms']:.1f} "
            f"| {r['server_cpu_us_per_record']:.0f} / {r['database_cpu_us_per_record']:.0f} / "
            f"{client_us:.0f} | {r['worker_rss_mb_start_mid_end']} |"
        )
    fair = [h for h in harvests if h.provider == "faircat" and h.clients == 1]
    ratio: dict[str, Any] = {}
    if fair and extrapolated:
        ratio["full_harvest_faircat_over_oaipmh_extrapolated"] = round(
            fair[0].rate / extrapolated["records_per_s"], 1
        )
    pyoai = [h for h in harvests if h.provider == "oaipmh" and h.clients == 1]
    if fair and pyoai:
        n = len(pyoai[0].pages)
        fair_prefix = n * PAGE / sum(fair[0].pages[:n])
        ratio["same_prefix_faircat_over_oaipmh"] = round(fair_prefix / pyoai[0].rate, 1)
        if pyoai[0].finished:
            ratio["full_harvest_faircat_over_oaipmh"] = round(fair[0].rate / pyoai[0].rate, 1)
    if extrapolated:
        print(
            f"\noaipmh BatchingServer, full harvest extrapolated from the fit: "
            f"{extrapolated['full_harvest_seconds']:,.0f} s = "
            f"{extrapolated['records_per_s']:,} records/s; page at offset: "
            f"{extrapolated['page_ms_at_offset']} ms"
        )
    if ratio:
        print(f"ratios: {ratio}")
    for name, lines in profiles.items():
        print(f"\n## py-spy, {name}")
        print("\n".join(lines))
    if json_path:
        json_path.write_text(
            json.dumps(
                {
                    "machine": machine,
                    "harvests": rows,
                    "oaipmh_extrapolated": extrapolated,
                    "ratios": ratio,
                    "profiles": profiles,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
