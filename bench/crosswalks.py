"""Crosswalk throughput on one core: ``python bench/crosswalks.py --records 100000``.

Builds N distinct, realistic records (an open raw MX dataset with three creators, a contact,
funding, two files, parameters and relations), then times each format over all of them and the
four that the publisher and OAI-PMH need per record together (DataCite XML + DataCite JSON +
JSON-LD + oai_dc): the headline is ``registry.render_core`` on one core, and the same in a
``ProcessPoolExecutor(2)`` over chunks (``--processes``; wall clock, workers forked with the
records in memory, each returning only the byte count). CSL styles through citeproc-py are far
slower, so they are timed on a sample (``--citation-records``), with and without the content-hash
cache.
"""

from __future__ import annotations

import argparse
import copy
import gc
import multiprocessing
import os
import platform
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from datacite import schema45
from lxml import etree

from faircat.crosswalks import citations, datacite, datacite_xml, oai_dc, registry, schemaorg
from faircat.crosswalks.view import (
    Contributor,
    Facility,
    FileView,
    Funding,
    Instrument,
    Organization,
    ParameterView,
    Person,
    Record,
    RecordDates,
    RecordRef,
    RelatedItem,
    SampleView,
    Technique,
)

FACILITY = Facility(
    "ALBA Synchrotron",
    "https://data.alba.example",
    ror="https://ror.org/02550n020",
    doi_prefix="10.5072",
    datacite_symbol="ALBA.DATA",
    catalogue_name="ALBA Open Data",
)
ALBA = Organization("ALBA Synchrotron", ror="https://ror.org/02550n020")
UB = Organization("Universitat de Barcelona", ror="https://ror.org/021018s57")
MX = Technique("http://purl.org/pan-science/PaNET/PaNET01164", "macromolecular crystallography")
XALOC = Instrument("XALOC", "BL13 XALOC", "10.5072/alba.bl13", "ALBA")


def make_records(count: int) -> list[Record]:
    start = datetime(2023, 1, 1, tzinfo=UTC)
    template = Record(
        kind="dataset",
        local_id="",
        doi="",
        title="",
        description="Diffraction images of a tetragonal lysozyme crystal at 100 K, "
        "collected with a Pilatus 6M detector at the XALOC beamline. " * 3,
        facility=FACILITY,
        creators=(),
        contributors=(Contributor(Person("Jordi", "Juanhuix", affiliation=ALBA)),),
        access="open",
        licence="CC-BY-4.0",
        techniques=(MX,),
        keywords=("lysozyme", "protein crystallography"),
        instruments=(XALOC,),
        samples=(SampleView("lysozyme", "hen egg white lysozyme", "C613H959N193O185S10"),),
        parameters=(ParameterView("wavelength", 0.9792, "angstrom"), ParameterView("T", 100, "K")),
        formats=("application/x-hdf5",),
        version="1.0",
        fundings=(Funding("European Commission", "https://doi.org/10.13039/501100000780", "1"),),
        related=(RelatedItem("10.1107/S2059798323001234", "IsSupplementTo"),),
        dataset_type="raw",
    )
    records = []
    for i in range(count):
        begin = start + timedelta(hours=i % 20000)
        records.append(
            replace(
                template,
                local_id=f"ds-{i}",
                doi=f"10.5072/alba.ds.{i}",
                title=f"Lysozyme crystal {i}, collection {i % 7}",
                creators=(
                    Person("Anna", f"García{i}", orcid="0000-0002-1825-0097", affiliation=UB),
                    Person("Tom", "Smith", affiliation=ALBA),
                    Person("Wei", "Li"),
                ),
                dates=RecordDates(
                    collected_start=begin,
                    collected_end=begin + timedelta(hours=8),
                    accepted=begin.date(),
                    available=date(2026, 1, 1) + timedelta(days=i % 365),
                    issued=begin.date(),
                ),
                files=(
                    FileView(f"scan_{i}_master.h5", f"files/scan_{i}_master.h5", 2_000_000),
                    FileView(f"scan_{i}_data.h5", f"files/scan_{i}_data.h5", 1_000_000_000),
                ),
                size=1_002_000_000,
                file_count=2,
                part_of=(RecordRef(f"https://data.alba.example/doi/10.5072/alba.exp.{i // 50}/",
                                   f"10.5072/alba.exp.{i // 50}", kind="experiment"),),
            )
        )  # fmt: skip
    return records


def datacite_four(record: Record) -> None:
    """The four as before render_core: DataCite JSON + XML from one dict, JSON-LD, oai_dc."""
    data = datacite.to_datacite(record)
    datacite.json_bytes(data)
    datacite_xml.xml_bytes(data)
    schemaorg.schemaorg_jsonld(record)
    oai_dc.oai_dc_xml(record)


def lxml_reference_xml(record: Record) -> None:
    """DataCite XML through the lxml reference builder (what the writer replaced)."""
    datacite_xml.reference_xml_bytes(datacite.to_datacite(record))


_POOL_RECORDS: list[Record] = []  # set before forking the pool: workers inherit it


def _render_chunk(bounds: tuple[int, int]) -> int:
    total = 0
    for record in _POOL_RECORDS[bounds[0] : bounds[1]]:
        total += sum(map(len, registry.render_core(record).values()))
    return total


def time_pool(records: list[Record], processes: int) -> float:
    """Wall seconds for render_core over ``records`` in a pool of ``processes`` (forked)."""
    global _POOL_RECORDS
    _POOL_RECORDS = records
    size = max(1, min(2000, len(records) // (processes * 8) or 1))
    chunks = [(i, min(i + size, len(records))) for i in range(0, len(records), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        list(pool.map(_render_chunk, [(0, 1)] * processes))  # start the workers, untimed
        begin = time.perf_counter()
        list(pool.map(_render_chunk, chunks))
        return time.perf_counter() - begin


def four_separately(record: Record) -> None:
    """The same four through the public one-format functions (DataCite dict built twice)."""
    datacite.datacite_json(record)
    datacite_xml.datacite_xml(record)
    schemaorg.schemaorg_jsonld(record)
    oai_dc.oai_dc_xml(record)


def package_xml(record: Record) -> None:
    """DataCite XML through the datacite package's converter, for comparison."""
    data = datacite.to_datacite(record)
    etree.tostring(schema45.dump_etree(copy.deepcopy(data)), encoding="UTF-8")


def time_it(function: Callable[[Record], object], records: list[Record]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process): CPU time is what other load cannot inflate."""
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
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--citation-records", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per row")
    parser.add_argument("--processes", type=int, default=2, help="pool size for the pool row")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, lxml {etree.__version__}, nproc {os.cpu_count()}")
    begin = time.perf_counter()
    records = make_records(args.records)
    print(f"built {len(records)} records in {time.perf_counter() - begin:.1f} s\n")
    sample = records[: args.citation_records]
    cache: dict[str, str] = {}
    for record in sample:  # fill the cache, untimed: the cached run measures hits
        citations.cached_citation(record, "apa", cache)
    rows: list[tuple[str, Callable[[Record], object], list[Record]]] = [
        ("DataCite JSON dict", datacite.to_datacite, records),
        ("DataCite JSON file", datacite.datacite_json, records),
        ("DataCite XML file (text serialiser)", datacite_xml.datacite_xml, records),
        ("DataCite XML, lxml reference builder", lxml_reference_xml, records),
        ("DataCite XML via datacite.schema45", package_xml, records),
        ("schema.org JSON-LD file", schemaorg.schemaorg_jsonld, records),
        ("oai_dc XML", oai_dc.oai_dc_xml, records),
        ("4 formats: render_core (headline)", registry.render_core, records),
        ("4 formats, shared DataCite dict only", datacite_four, records),
        ("4 formats, one call each", four_separately, records),
        ("citation: DataCite text", citations.citation_text, records),
        ("citation: BibTeX", citations.bibtex, records),
        ("citation: RIS", citations.ris, records),
        ("citation: CSL-JSON", citations.csl_json, records),
        ("citation: content key (sha256)", lambda r: citations.citation_key(r, "apa"), records),
    ]
    for style in citations.STYLES:
        rows.append((f"citation: {style} (citeproc-py)", _styled(style), sample))
    rows.append(("citation: apa, cached (hit)", _cached(cache), sample))
    rows.append(("citation: apa (faircat formatter)", lambda r: citations.render_style(r, "apa"),
                 records))
    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    head = f"| {'records':>8} | {'seconds':>8} | {'records/s':>10} | µs/record | CPU µs/rec |"
    print(f"| {'format':<42} {head}")
    print(f"|{'-' * 44}|{'-' * 9}:|{'-' * 9}:|{'-' * 11}:|{'-' * 10}:|{'-' * 11}:|")
    for name, function, subset in rows:
        seconds, cpu = min(time_it(function, subset) for _ in range(args.repeat))
        _row(name, len(subset), seconds, cpu)
        if function is registry.render_core and args.processes > 1:
            seconds = min(time_pool(records, args.processes) for _ in range(args.repeat))
            _row(f"4 formats: render_core, {args.processes} processes", len(records), seconds)
    print(f"\nload average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _row(name: str, count: int, seconds: float, cpu: float | None = None) -> None:
    rate = count / seconds
    cpu_cell = f"{1e6 * cpu / count:>10.1f}" if cpu is not None else f"{'-':>10}"
    cells = f"{count:>8} | {seconds:>8.2f} | {rate:>10,.0f} | {1e6 / rate:>9.1f} | {cpu_cell}"
    print(f"| {name:<42} | {cells} |", flush=True)


def _styled(style: str) -> Callable[[Record], object]:
    # citeproc-py itself: render_style("apa") now takes faircat's own APA formatter
    return lambda record: citations._citeproc(record, style)


def _cached(cache: dict[str, str]) -> Callable[[Record], object]:
    return lambda record: citations.cached_citation(record, "apa", cache)


if __name__ == "__main__":
    main()
