"""CPU cost per file of each ingest stage, in one process (less noisy than bench/ingest.py).

    .venv/bin/python bench/ingest_cpu.py --dir /tmp/faircat-ingest-files [--files 500]

Uses the files ``bench/ingest.py --dir DIR`` keeps (the "1MB" class). Reports CPU ms per file
(``time.process_time``, so other jobs on the machine inflate it little) for: reading metadata
(``read_nexus``), pickling it as the reader processes do, loading it into a fresh SQLite
catalogue the first time, and loading it again unchanged. ``--profile STAGE`` prints a cProfile
of one stage instead.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pickle
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ingest import fresh_catalogue  # bench/ingest.py

from faircat.catalogue.ingest import LookupCache, load_metadata
from faircat.catalogue.nexus import read_nexus


def cpu_ms(fn: Callable[[], object], n: int) -> float:
    start = time.process_time()
    fn()
    return (time.process_time() - start) / n * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--profile", choices=("read", "load", "reload"))
    args = parser.parse_args()
    paths = sorted((args.dir / "1MB").glob("scan_*.nxs"))[: args.files]
    n = len(paths)
    read_nexus(paths[0])
    metas: list = []
    with tempfile.TemporaryDirectory() as tmp:
        catalogue = fresh_catalogue(os.environ.get("FAIRCAT_BENCH_DATABASE_URL"), Path(tmp))
        cache = LookupCache()

        def read() -> None:
            metas[:] = [read_nexus(p) for p in paths]

        connection = catalogue.engine.connect()

        def load() -> None:  # as ingest_paths does: one connection, a transaction per file
            for meta in metas:
                load_metadata(connection, meta, checksum=False, cache=cache)

        stages = {"read": read, "load": load, "reload": load}
        if args.profile:
            for name, fn in stages.items():
                if name == args.profile:
                    profile = cProfile.Profile()
                    profile.runcall(fn)
                    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
                    break
                fn()
            return
        print(f"{n} files, load average {os.getloadavg()[0]:.2f}")
        print(f"read_nexus      {cpu_ms(read, n):6.3f} ms/file")
        blob = pickle.dumps(metas, protocol=pickle.HIGHEST_PROTOCOL)
        print(f"pickle dumps    {cpu_ms(lambda: pickle.dumps(metas, protocol=5), n):6.3f} ms/file"
              f"  ({len(blob) / n:.0f} bytes/file)")
        print(f"pickle loads    {cpu_ms(lambda: pickle.loads(blob), n):6.3f} ms/file")
        print(f"load, first     {cpu_ms(load, n):6.3f} ms/file")
        print(f"load, unchanged {cpu_ms(load, n):6.3f} ms/file")
        connection.close()
        catalogue.close()


if __name__ == "__main__":
    main()
