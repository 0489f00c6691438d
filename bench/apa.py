"""APA citation cost: ``apa.apa`` against citeproc-py, ``python bench/apa.py --records 1000``.

Builds N distinct records (mostly 1-5 person creators with varied given names, some organisations,
every 50th record with 25 creators, half with a version), checks that both paths give the same
text for every record, then times each over all of them (garbage collector paused; wall and CPU
time of this process) and prints µs per citation.
"""

from __future__ import annotations

import argparse
import gc
import platform
import time
import warnings
from collections.abc import Callable
from datetime import date

from faircat.crosswalks import apa, citations
from faircat.crosswalks.view import Facility, Organization, Person, Record, RecordDates

FACILITY = Facility("ALBA Synchrotron", "https://data.alba.example")
GIVEN = ["Anna", "Jean-Pierre", "Tom", "Anna Maria", "José", "太郎", "Ludwig van", "J. R.", "Wei"]
FAMILY = ["García Pérez", "Dupont", "Smith", "van der Berg", "Núñez", "山田", "O'Brien", "Li"]


def make_records(count: int) -> list[Record]:
    records = []
    for i in range(count):
        size = 25 if i % 50 == 0 else 1 + i % 5
        creators: list[Person | Organization] = [
            Person(GIVEN[(i + k) % len(GIVEN)], f"{FAMILY[(i * 3 + k) % len(FAMILY)]}{k}")
            for k in range(size)
        ]
        if i % 7 == 0:
            creators.append(Organization(f"Institute {i % 13}"))
        records.append(
            Record(
                kind="dataset" if i % 10 else "experiment",
                local_id=f"ds-{i}",
                doi=f"10.5072/alba.ds.{i}",
                title=f"Lysozyme crystal {i}, collection {i % 7}" + ("." if i % 11 == 0 else ""),
                facility=FACILITY,
                creators=tuple(creators),
                access="open",
                dates=RecordDates(available=date(2020 + i % 7, 1, 1)),
                version=f"{i % 3}.0" if i % 2 else "",
            )
        )
    return records


def time_it(function: Callable[[Record], object], records: list[Record]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) for one pass over ``records``."""
    gc.collect()
    gc.disable()
    try:
        begin, cpu = time.perf_counter(), time.process_time()
        for record in records:
            function(record)
        return time.perf_counter() - begin, time.process_time() - cpu
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5, help="passes of apa() (best is kept)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # citeproc-py warns about CSL-JSON keys it does not use

    records = make_records(args.records)

    def oracle(record: Record) -> str:
        return citations._citeproc(record, "apa")

    mismatches = sum(apa.apa(record) != oracle(record) for record in records)
    print(f"Python {platform.python_version()}, {len(records)} records, mismatches: {mismatches}")

    fast = min(time_it(apa.apa, records) for _ in range(args.repeat))
    slow = time_it(oracle, records)
    for name, (wall, cpu) in (("apa.apa (direct)", fast), ("citeproc-py", slow)):
        print(
            f"{name:18s} {wall / len(records) * 1e6:10.1f} µs/citation wall "
            f"{cpu / len(records) * 1e6:10.1f} µs CPU {len(records) / wall:12,.0f} citations/s"
        )
    print(f"speed-up: {slow[0] / fast[0]:,.0f}x")


if __name__ == "__main__":
    main()
