"""Published records for the OAI-PMH benchmark (``bench/oai.py``), built with bulk inserts.

The metadata is real: a few representative records (raw and processed datasets, an experiment,
a selection) on five beamlines, open and withdrawn, are rendered once through the real
crosswalks (``registry.render_core``, ``oai_datacite.oai_datacite_xml``) and stored as the
publisher stores them (``publish._fragment``: no XML declaration). Every record then gets its
own DOI, landing URL and title by substituting a marker number in those renderings, so each
stored fragment is distinct and of realistic size.

Datestamps look like a real publisher's history: an initial publish run that put the backlog
(the first 20 % of the records) under one single datestamp, then one publish run per
experiment release (its 50 records share a datestamp) over ten years, 5 % of the records
amended later and 2 % withdrawn later (exposed as deleted records). Every record is exposed
(open or withdrawn); set memberships (``openaire_data``, beamline, technique, experiment type,
with their parents) are the real ``oai_sets.record_sets`` of the template.

SQLite is filled with Core ``insert`` executemany (the column types format the datestamps);
PostgreSQL with ``COPY`` (psycopg), then ``VACUUM ANALYZE``.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, inspect, select, text

from faircat.catalogue.models import Investigation
from faircat.catalogue.models.published import (
    OaiSet,
    PublishedMetadata,
    PublishedRecord,
    PublishedSet,
)
from faircat.catalogue.store import Catalogue
from faircat.crosswalks import oai_datacite, oai_sets, registry
from faircat.crosswalks.view import (
    Contributor,
    Facility,
    FileView,
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
from faircat.demo.builder import reset_catalogue
from faircat.publisher.publish import _fragment, _set_elements

FORMATS = ("oai_dc", "oai_datacite", "datacite")
MARK = "987654321"  # replaced by the record number in every rendering
PER_EXPERIMENT = 50
BACKLOG = 0.20  # share of records published together by the first publish run
AMENDED_EVERY = 20  # 5 %
WITHDRAWN_EVERY = 50  # 2 %
FIRST_RUN = datetime(2016, 11, 1, 3, 0, 0, 123456, tzinfo=UTC)
LAST_RUN = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
BUILD_TABLE = "bench_oai_build"

ALBA = Organization(
    "ALBA Synchrotron",
    ror="https://ror.org/02550n020",
    city="Cerdanyola del Vallès",
    country="Spain",
)
FACILITY = Facility(
    name="ALBA Synchrotron",
    base_url="https://data.example.org",
    ror="https://ror.org/02550n020",
    doi_prefix="10.5072",
    datacite_symbol="ALBA.DATA",
    catalogue_name="ALBA Open Data",
)
# (beamline, full name, technique IRI, technique name, typical parameter)
BEAMLINES = (
    (
        "XALOC",
        "BL13 XALOC macromolecular crystallography",
        "PaNET01164",
        "macromolecular crystallography",
        ("wavelength", 0.9792, "angstrom"),
    ),
    (
        "CLAESS",
        "BL22 CLAESS absorption and emission spectroscopy",
        "PaNET01196",
        "x-ray absorption spectroscopy",
        ("edge energy", 8979.0, "eV"),
    ),
    (
        "MSPD",
        "BL04 MSPD materials science and powder diffraction",
        "PaNET01129",
        "powder diffraction",
        ("wavelength", 0.4133, "angstrom"),
    ),
    (
        "NCD-SWEET",
        "BL11 NCD-SWEET small-angle scattering",
        "PaNET01188",
        "small angle x-ray scattering",
        ("sample-detector distance", 6.7, "m"),
    ),
    (
        "BOREAS",
        "BL29 BOREAS resonant absorption and scattering",
        "PaNET01200",
        "x-ray magnetic circular dichroism",
        ("temperature", 2.5, "K"),
    ),
)
ANNA = Person(
    "Anna",
    "García Pérez",
    orcid="0000-0002-1825-0097",
    affiliation=Organization("Universitat de Barcelona", ror="021018s57", city="Barcelona"),
)
TOM = Person("Tom", "Smith", orcid="https://orcid.org/0000-0001-5109-3700")
CONTACT = Person("Jordi", "Juanhuix", affiliation=ALBA)


@dataclass(frozen=True)
class Template:
    """One rendering: fragments and header of a record whose number is :data:`MARK`."""

    kind: str
    status: str
    beamline: str
    title: str
    fragments: dict[str, tuple[str, ...]]  # format -> text split at MARK
    sets: list[tuple[str, str]]


def _record(kind: str, beamline: int, status: str) -> Record:
    name, full_name, panet, technique_name, (pname, pvalue, punit) = BEAMLINES[beamline]
    technique = Technique(f"http://purl.org/pan-science/PaNET/{panet}", technique_name)
    instrument = Instrument(name, full_name, f"10.5072/alba.{name.lower()}", "ALBA")
    experiment = RecordRef(
        f"https://data.example.org/doi/10.5072/alba.exp.{MARK}/",
        f"10.5072/alba.exp.{MARK}",
        f"Experiment {MARK}",
        "experiment",
    )
    released = date(2024, 5, 13)
    common: dict[str, Any] = {
        "facility": FACILITY,
        "access": status,
        "techniques": (technique,),
        "instruments": (instrument,),
        "proposal": "2021025042",
        "visit": "2021025042-1",
        "investigation_type": "proposal",
    }
    if kind == "experiment":
        record = Record(
            kind="experiment",
            local_id=f"inv-{MARK}",
            doi=f"10.5072/alba.exp.{MARK}",
            title=f"Experiment {MARK}: {technique_name} at {name}",
            description=f"Beamtime {MARK} at {name}: {technique_name} of the users' samples.",
            creators=(ANNA, TOM),
            contributors=(Contributor(CONTACT, "ContactPerson", role="local contact"),),
            dates=RecordDates(available=released, issued=released),
            size=50_000_000_000,
            file_count=1200,
            parts=(
                RecordRef(
                    f"https://data.example.org/doi/10.5072/alba.ds.{MARK}/",
                    f"10.5072/alba.ds.{MARK}",
                    f"Scan {MARK}",
                ),
            ),
            **common,
        )
    elif kind == "selection":
        record = Record(
            kind="selection",
            local_id=f"sel-{MARK}",
            doi=f"10.5072/alba.sel.{MARK}",
            title=f"Reference data {MARK}, {technique_name}",
            description="Datasets chosen as reference for the paper.",
            creators=(TOM, ANNA),
            dates=RecordDates(available=released, issued=released),
            licence="CC0-1.0",
            parts=(
                RecordRef(
                    f"https://data.example.org/doi/10.5072/alba.ds.{MARK}/",
                    f"10.5072/alba.ds.{MARK}",
                    f"Scan {MARK}",
                ),
            ),
            related=(RelatedItem("10.1107/S2059798323001234", "IsSupplementTo"),),
            **common,
        )
    elif kind == "processed":
        record = Record(
            kind="dataset",
            local_id=f"ds-{MARK}",
            doi=f"10.5072/alba.ds.{MARK}",
            title=f"Scan {MARK}, reduced and merged",
            description="Integrated, scaled and merged with the beamline's pipeline.",
            creators=(ANNA,),
            dates=RecordDates(available=released, issued=released),
            dataset_type="processed",
            part_of=(experiment,),
            inputs=(RecordRef("https://data.example.org/datasets/ds-1002/"),),
            files=(
                FileView(
                    "merged.h5", "files/merged.h5", 3_500_000, media_type="application/x-hdf5"
                ),
            ),
            size=3_500_000,
            file_count=1,
            **common,
        )
    else:
        record = Record(
            kind="dataset",
            local_id=f"ds-{MARK}",
            doi=f"10.5072/alba.ds.{MARK}",
            title=f"Scan {MARK} on {name}",
            description=f"{technique_name.capitalize()} scan {MARK} collected on {name}.",
            creators=(ANNA,),
            contributors=(Contributor(CONTACT, "ContactPerson", role="local contact"),),
            dates=RecordDates(
                collected_start=datetime(2021, 5, 10, 8, tzinfo=UTC),
                collected_end=datetime(2021, 5, 13, 8, tzinfo=UTC),
                available=released,
                issued=released,
            ),
            licence="CC-BY-4.0",
            samples=(SampleView("sample 1", "the users' sample"),),
            parameters=(ParameterView(pname, pvalue, punit),),
            files=(
                FileView(
                    f"scan{MARK}.nxs",
                    f"files/scan{MARK}.nxs",
                    2_048_000,
                    media_type="application/x-hdf5",
                ),
            ),
            size=2_048_000,
            file_count=1,
            formats=("application/x-hdf5",),
            part_of=(experiment,),
            dataset_type="raw",
            **common,
        )
    if status == "withdrawn":
        record = replace(
            record,
            files=(),
            dates=replace(record.dates, withdrawn=date(2026, 9, 1)),
            withdrawal_reason="the sample was mislabelled",
        )
    return record


def templates() -> dict[tuple[str, int, str], Template]:
    """Every (kind, beamline, status) rendering, through the real crosswalks."""
    out = {}
    for kind in ("raw", "processed", "experiment", "selection"):
        for beamline in range(len(BEAMLINES)):
            for status in ("open", "withdrawn"):
                record = _record(kind, beamline, status)
                core = registry.render_core(record)
                texts = {
                    "oai_dc": _fragment(core["oai_dc.xml"]),
                    "oai_datacite": _fragment(oai_datacite.oai_datacite_xml(record)),
                    "datacite": _fragment(core["datacite.xml"]),
                }
                out[kind, beamline, status] = Template(
                    kind=record.kind,
                    status=status,
                    beamline=BEAMLINES[beamline][0],
                    title=record.title,
                    fragments={name: tuple(t.split(MARK)) for name, t in texts.items()},
                    sets=oai_sets.record_sets(record, [BEAMLINES[beamline][0]]),
                )
    return out


def fill(parts: tuple[str, ...], number: str) -> str:
    return number.join(parts)


@dataclass(frozen=True, slots=True)
class Plan:
    """Record ``n`` (1-based): which template, which experiment, which datestamp."""

    n: int
    investigation: int
    key: tuple[str, int, str]
    datestamp: datetime


def _kind(n: int) -> str:
    slot = n % PER_EXPERIMENT
    if slot == 0:
        return "experiment"
    if slot == 1:
        return "selection"
    return "raw" if slot % 3 else "processed"


def withdrawn(n: int) -> bool:
    """Record ``n`` is withdrawn (served as a deleted record)."""
    return n % WITHDRAWN_EVERY == 7


def plans(records: int) -> Iterator[Plan]:
    rng = random.Random(5)
    experiments = max(1, -(-records // PER_EXPERIMENT))
    span = (LAST_RUN - FIRST_RUN).total_seconds()
    backlog = int(records * BACKLOG)
    for n in range(1, records + 1):
        inv = 1 + (n - 1) // PER_EXPERIMENT
        status = "withdrawn" if withdrawn(n) else "open"
        if n <= backlog:
            moment = FIRST_RUN
        else:
            # one publish run per experiment release, at the release's time (microseconds kept)
            moment = FIRST_RUN + timedelta(seconds=span * inv / experiments, microseconds=inv)
        if status == "withdrawn" or n % AMENDED_EVERY == 3:
            later = rng.uniform((moment - FIRST_RUN).total_seconds(), span)
            moment = FIRST_RUN + timedelta(seconds=later)
        yield Plan(n, inv, (_kind(n), inv % len(BEAMLINES), status), moment)


def pid(plan: Plan, template: Template) -> str:
    code = {"experiment": "exp", "selection": "sel"}.get(template.kind, "ds")
    return f"10.5072/alba.{code}.{plan.n}"


def record_row(plan: Plan, template: Template) -> dict[str, Any]:
    doi = pid(plan, template)
    number = str(plan.n)
    return {
        "id": plan.n,
        "pid": doi,
        "kind": template.kind,
        "status": template.status,
        "investigation_id": plan.investigation,
        "dataset_id": plan.n if template.kind == "dataset" else None,
        "datestamp": plan.datestamp,
        "content_hash": f"{plan.n:064x}",
        "path": f"/doi/{doi}/",
        "title": template.title.replace(MARK, number),
        "snippet": "",
        "release_year": 2024,
        "beamlines": template.beamline,
        "techniques": "",
        "technique_names": "",
        "set_specs": _set_elements(template.sets),
    }


def _investigations(records: int, facility_id: int) -> Iterator[dict[str, Any]]:
    for i in range(1, max(1, -(-records // PER_EXPERIMENT)) + 1):
        end = FIRST_RUN + timedelta(days=i % 3000)
        yield {
            "id": i,
            "facility_id": facility_id,
            "proposal": f"P{i:07d}",
            "visit": "1",
            "title": f"Experiment {i}",
            "summary": None,
            "type": "experiment",
            "start_date": end - timedelta(days=2),
            "end_date": end,
            "release_date": end + timedelta(days=3 * 365),
            "created_at": FIRST_RUN,
            "updated_at": FIRST_RUN,
        }


@dataclass
class Built:
    records: int
    formats: tuple[str, ...]
    seconds: float
    reused: bool
    oai_datacite_bytes: float  # mean fragment size


def existing(catalogue: Catalogue) -> Built | None:
    """The build recorded in the database, if any."""
    if not inspect(catalogue.engine).has_table(BUILD_TABLE):
        return None
    with catalogue.engine.connect() as conn:
        row = conn.execute(
            text(f"SELECT records, formats, seconds, mean_bytes FROM {BUILD_TABLE}")
        ).first()
        if row is None:
            return None
        count = conn.execute(select(func.count()).select_from(PublishedRecord)).scalar_one()
    if count != row[0]:
        return None
    return Built(row[0], tuple(row[1].split(",")), row[2], True, row[3])


def build(catalogue: Catalogue, records: int, formats: Sequence[str]) -> Built:
    """Drop everything, migrate, and fill the published tables with ``records`` records."""
    started = time.perf_counter()
    reset_catalogue(catalogue)
    catalogue.upgrade()
    with catalogue.engine.connect() as conn:
        facility_id = conn.execute(text("SELECT min(id) FROM facility")).scalar_one()
    shapes = templates()
    if catalogue.engine.dialect.name == "postgresql":
        _copy_all(catalogue, records, formats, shapes, facility_id)
    else:
        _insert_all(catalogue, records, formats, shapes, facility_id)
    sizes = [len(fill(t.fragments["oai_datacite"], "123456")) for t in shapes.values()]
    weights = [{"raw": 32, "processed": 16, "experiment": 1, "selection": 1}[k[0]] for k in shapes]
    mean = sum(s * w for s, w in zip(sizes, weights, strict=True)) / sum(weights)
    seconds = time.perf_counter() - started
    with catalogue.engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE {BUILD_TABLE} (records INTEGER, formats TEXT, seconds FLOAT, "
                "mean_bytes FLOAT)"
            )
        )
        conn.execute(
            text(f"INSERT INTO {BUILD_TABLE} VALUES (:r, :f, :s, :m)"),
            {"r": records, "f": ",".join(formats), "s": seconds, "m": mean},
        )
    return Built(records, tuple(formats), seconds, False, mean)


def _set_rows(shapes: dict[tuple[str, int, str], Template]) -> list[tuple[str, str]]:
    names: dict[str, str] = {}
    for template in shapes.values():
        names.update(template.sets)
    return sorted(names.items())


def _insert_all(
    catalogue: Catalogue,
    records: int,
    formats: Sequence[str],
    shapes: dict[tuple[str, int, str], Template],
    facility_id: int,
) -> None:
    batch = 5_000
    with catalogue.engine.begin() as conn:
        conn.execute(insert(Investigation), list(_investigations(records, facility_id)))
        conn.execute(insert(OaiSet), [{"spec": s, "name": name} for s, name in _set_rows(shapes)])
        todo = plans(records)
        while True:
            chunk = [p for _, p in zip(range(batch), todo, strict=False)]
            if not chunk:
                break
            rows, metadata, sets = [], [], []
            for plan in chunk:
                template = shapes[plan.key]
                rows.append(record_row(plan, template))
                number = str(plan.n)
                for name in formats:
                    metadata.append(
                        {
                            "record_id": plan.n,
                            "format": name,
                            "content": fill(template.fragments[name], number),
                        }
                    )
                sets.extend(
                    {"record_id": plan.n, "spec": spec, "datestamp": plan.datestamp}
                    for spec, _ in template.sets
                )
            conn.execute(insert(PublishedRecord), rows)
            conn.execute(insert(PublishedMetadata), metadata)
            conn.execute(insert(PublishedSet), sets)


def _escape(value: str) -> str:
    """COPY text format."""
    return (
        value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )


def _cell(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    return _escape(str(value))


def _copy(cursor: Any, table: str, columns: Sequence[str], lines: Iterator[str]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
        buffer = io.StringIO()
        size = 0
        for line in lines:
            buffer.write(line)
            size += len(line)
            if size > 8 << 20:
                out.write(buffer.getvalue())
                buffer, size = io.StringIO(), 0
        out.write(buffer.getvalue())


def _rows(columns: Sequence[str], rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield "\t".join(_cell(row[c]) for c in columns) + "\n"


def _copy_all(
    catalogue: Catalogue,
    records: int,
    formats: Sequence[str],
    shapes: dict[tuple[str, int, str], Template],
    facility_id: int,
) -> None:
    # Fragments are escaped once per template; a record's line is then a join.
    escaped = {
        key: {name: tuple(_escape(p) for p in t.fragments[name]) for name in formats}
        for key, t in shapes.items()
    }
    raw = catalogue.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SET synchronous_commit = off")
        inv_columns = list(next(_investigations(1, facility_id)))
        _copy(
            cur,
            "investigation",
            inv_columns,
            _rows(inv_columns, _investigations(records, facility_id)),
        )
        _copy(
            cur,
            "oai_set",
            ["spec", "name"],
            (f"{_escape(s)}\t{_escape(n)}\n" for s, n in _set_rows(shapes)),
        )
        columns = list(record_row(next(plans(1)), next(iter(shapes.values()))))
        _copy(
            cur,
            "published_record",
            columns,
            _rows(columns, (record_row(p, shapes[p.key]) for p in plans(records))),
        )

        def metadata() -> Iterator[str]:
            for plan in plans(records):
                number = str(plan.n)
                parts = escaped[plan.key]
                for name in formats:
                    yield f"{number}\t{name}\t{number.join(parts[name])}\n"

        _copy(cur, "published_metadata", ["record_id", "format", "content"], metadata())

        def set_lines() -> Iterator[str]:
            for plan in plans(records):
                stamp = plan.datestamp.isoformat()
                for spec, _ in shapes[plan.key].sets:
                    yield f"{plan.n}\t{spec}\t{stamp}\n"

        _copy(cur, "published_set", ["record_id", "spec", "datestamp"], set_lines())
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('published_record', 'id'), %s)", (records,)
        )
        raw.commit()
        raw.driver_connection.autocommit = True
        cur.execute("VACUUM ANALYZE")
    finally:
        raw.close()
