"""The records every crosswalk is tested on: one builder per case, all deterministic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

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

ALBA = Organization(
    "ALBA Synchrotron",
    ror="https://ror.org/02550n020",
    city="Cerdanyola del Vallès",
    country="Spain",
)
FACILITY = Facility(
    name="ALBA Synchrotron",
    base_url="https://data.alba.example",
    ror="https://ror.org/02550n020",
    doi_prefix="10.5072",
    datacite_symbol="ALBA.DATA",
    catalogue_name="ALBA Open Data",
)
MX = Technique("http://purl.org/pan-science/PaNET/PaNET01164", "macromolecular crystallography")
XAS = Technique("http://purl.org/pan-science/PaNET/PaNET01196", "x-ray absorption spectroscopy")
XALOC = Instrument(
    "XALOC", "BL13 XALOC macromolecular crystallography beamline", "10.5072/alba.bl13", "ALBA"
)
ANNA = Person(
    "Anna",
    "García Pérez",
    orcid="0000-0002-1825-0097",
    affiliation=Organization("Universitat de Barcelona", ror="021018s57", city="Barcelona"),
)
TOM = Person("Tom", "Smith", orcid="https://orcid.org/0000-0001-5109-3700")
LOCAL_CONTACT = Person("Jordi", "Juanhuix", affiliation=ALBA)
EXPERIMENT_DOI = "10.5072/alba.exp.2023-0042"
EXPERIMENT_URL = "https://data.alba.example/doi/10.5072/alba.exp.2023-0042/"
START = datetime(2023, 5, 10, 8, 0, tzinfo=UTC)
END = datetime(2023, 5, 13, 8, 0, tzinfo=UTC)
RELEASE = date(2026, 5, 13)


def minimal() -> Record:
    """Only what is mandatory."""
    return Record(
        kind="dataset",
        local_id="ds-1",
        doi="10.5072/alba.ds.1",
        title="Scan 1",
        facility=Facility("ALBA Synchrotron", "https://data.alba.example"),
        creators=(Person("Anna", "García"),),
        access="open",
        dates=RecordDates(issued=date(2024, 1, 2)),
    )


def full() -> Record:
    """Every field set: an open raw MX dataset of an experiment."""
    return Record(
        kind="dataset",
        local_id="ds-1001",
        doi="10.5072/alba.ds.1001",
        title="Lysozyme crystal, collection 1",
        description="Diffraction images of a tetragonal lysozyme crystal at 100 K.\n\n"
        "Collected with a Pilatus 6M detector.",
        facility=FACILITY,
        creators=(ANNA, TOM),
        contributors=(
            Contributor(LOCAL_CONTACT, "ContactPerson", role="local contact"),
            Contributor(Person(full_name="Beamline Team XALOC"), "DataCollector"),
        ),
        access="open",
        dates=RecordDates(
            collected_start=START,
            collected_end=END,
            accepted=date(2023, 5, 13),
            available=RELEASE,
            issued=date(2023, 6, 1),
            updated=date(2026, 5, 14),
        ),
        licence="CC-BY-4.0",
        techniques=(MX,),
        keywords=("lysozyme", "protein crystallography"),
        instruments=(XALOC,),
        samples=(SampleView("lysozyme", "hen egg white lysozyme", "C613H959N193O185S10"),),
        parameters=(
            ParameterView("wavelength", 0.9792, "angstrom"),
            ParameterView("temperature", 100, "K"),
            ParameterView("detector", "Pilatus 6M"),
        ),
        files=(
            FileView(
                "lyso_1_master.h5",
                "files/lyso_1_master.h5",
                2_048_000,
                "ab" * 32,
                "application/x-hdf5",
            ),
            FileView(
                "lyso_1_data_000001.h5",
                "files/lyso_1_data_000001.h5",
                1_000_000_000,
                media_type="application/x-hdf5",
            ),
        ),
        size=1_002_048_000,
        file_count=2,
        formats=("application/x-hdf5",),
        version="1.0",
        fundings=(
            Funding(
                "European Commission",
                "https://doi.org/10.13039/501100000780",
                "101004728",
                "LEAPS-INNOV",
                "https://cordis.europa.eu/project/id/101004728",
            ),
            Funding("Spanish Ministry of Science", "https://ror.org/05r0vyz12", "PID2021-1234"),
        ),
        related=(
            RelatedItem("10.1107/S2059798323001234", "IsSupplementTo", "DOI", "JournalArticle"),
            RelatedItem("https://www.rcsb.org/structure/8ABC", "IsSourceOf", "URL", "Dataset"),
        ),
        part_of=(RecordRef(EXPERIMENT_URL, EXPERIMENT_DOI, "Lysozyme in-situ", "experiment"),),
        proposal="2023025042",
        visit="2023025042-1",
        investigation_type="proposal",
        dataset_type="raw",
        language="en",
    )


def unicode() -> Record:
    """Accents, CJK, right-to-left, emoji."""
    return replace(
        full(),
        doi="10.5072/alba.ds.ünï",
        title="Étude de la résonance — 結晶構造解析 — دراسة البلورات 🔬",
        description="Ça marche: ñandú, Øresund, Straße, 中文摘要, עברית, العربية.",
        creators=(
            Person("José", "Núñez Ñáñez", orcid="0000-0002-1825-0097", affiliation=ALBA),
            Person("太郎", "山田"),
            Person("محمد", "العلي"),
            Organization("Société Française de Neutronique"),
        ),
        keywords=("résonance", "結晶", "بلورات"),
    )


def many_creators() -> Record:
    """200 creators, as in a large collaboration."""
    creators = tuple(
        Person(
            f"Given{i:03d}",
            f"Family{i:03d}",
            orcid="0000-0002-1825-0097" if i % 7 == 0 else "",
            affiliation=ALBA if i % 2 else None,
        )
        for i in range(200)
    )
    return replace(full(), doi="10.5072/alba.ds.200", creators=creators)


def embargoed() -> Record:
    """An experiment under embargo: registered DOI, metadata-only page, no files."""
    return Record(
        kind="experiment",
        local_id="inv-2023025042-1",
        doi=EXPERIMENT_DOI,
        title="Lysozyme in-situ",
        description="Structure of lysozyme under pressure.",
        facility=FACILITY,
        creators=(ANNA, TOM),
        contributors=(Contributor(LOCAL_CONTACT, "ContactPerson", role="local contact"),),
        access="embargoed",
        dates=RecordDates(
            collected_start=START, collected_end=END, accepted=date(2023, 5, 13), available=RELEASE
        ),
        techniques=(MX,),
        instruments=(XALOC,),
        size=50_000_000_000,
        file_count=1200,
        parts=(
            RecordRef(
                "https://data.alba.example/doi/10.5072/alba.ds.1001/",
                "10.5072/alba.ds.1001",
                "Lysozyme crystal, collection 1",
            ),
            RecordRef(
                "https://data.alba.example/datasets/ds-1002/", "", "Lysozyme crystal, collection 2"
            ),
        ),
        proposal="2023025042",
        visit="2023025042-1",
        investigation_type="proposal",
    )


def public() -> Record:
    """The same experiment once released."""
    return replace(
        embargoed(),
        access="open",
        dates=replace(embargoed().dates, issued=RELEASE),
        files=(FileView("README.txt", "files/README.txt", 1200, media_type="text/plain"),),
        formats=("application/x-hdf5", "text/plain"),
    )


def withdrawn() -> Record:
    """A withdrawn dataset: a tombstone that keeps its DOI."""
    return replace(
        full(),
        access="withdrawn",
        files=(),
        dates=replace(full().dates, withdrawn=date(2026, 9, 1)),
        withdrawal_reason="the sample was mislabelled",
    )


def processed() -> Record:
    """A processed dataset derived from two raw ones."""
    return Record(
        kind="dataset",
        local_id="ds-1003",
        doi="10.5072/alba.ds.1003",
        title="Lysozyme, merged and scaled (autoPROC)",
        description="Integrated with XDS, scaled with AIMLESS.",
        facility=FACILITY,
        creators=(ANNA,),
        access="open",
        dates=RecordDates(available=RELEASE, issued=RELEASE),
        techniques=(MX,),
        instruments=(XALOC,),
        dataset_type="processed",
        inputs=(
            RecordRef(
                "https://data.alba.example/doi/10.5072/alba.ds.1001/", "10.5072/alba.ds.1001"
            ),
            RecordRef("https://data.alba.example/datasets/ds-1002/"),
        ),
        part_of=(RecordRef(EXPERIMENT_URL, EXPERIMENT_DOI, "Lysozyme in-situ", "experiment"),),
        files=(
            FileView(
                "aimless.mtz", "files/aimless.mtz", 3_500_000, media_type="application/octet-stream"
            ),
        ),
        size=3_500_000,
        file_count=1,
    )


def selection() -> Record:
    """A curated selection of datasets from two experiments, with a DOI of its own."""
    return Record(
        kind="selection",
        local_id="sel-7",
        doi="10.5072/alba.sel.7",
        title="Lysozyme reference data, 2023",
        description="Datasets chosen as reference for the lysozyme paper.",
        facility=FACILITY,
        creators=(TOM, ANNA),
        access="open",
        dates=RecordDates(available=date(2026, 6, 1), issued=date(2026, 6, 1)),
        licence="CC0-1.0",
        techniques=(MX, XAS),
        parts=(
            RecordRef(
                "https://data.alba.example/doi/10.5072/alba.ds.1001/",
                "10.5072/alba.ds.1001",
                "Lysozyme crystal, collection 1",
            ),
            RecordRef(
                "https://data.alba.example/doi/10.5072/alba.ds.1003/",
                "10.5072/alba.ds.1003",
                "Lysozyme, merged",
            ),
        ),
        related=(RelatedItem("10.1107/S2059798323001234", "IsSupplementTo"),),
    )


HOSTILE_TEXT = (
    "A\x00B\x01\x08\x0b\x0c\x1f\ud800\udfff\ufffe</script><!-- ]]> & \"q\" 'a' {b} %_$#^~\\"
)


def hostile() -> Record:
    """Everything that breaks naive serialisers, in every text field, and a 100 kB abstract."""
    bad = HOSTILE_TEXT
    return replace(
        full(),
        doi="10.5072/alba.ds.hostile",
        title=f"Title {bad}",
        description=f"Abstract {bad}\n\nSecond paragraph {bad}",
        creators=(
            Person(f"Given {bad}", f"Family {bad}", orcid="not an orcid"),
            Person(),
            Organization(bad),
        ),
        contributors=(Contributor(Person(full_name=bad), "NotAType"),),
        keywords=(bad, "", "\x00", bad),
        samples=(SampleView(bad, bad, bad),),
        parameters=(ParameterView(bad, bad, bad), ParameterView("nan", float("nan"))),
        related=(
            RelatedItem(bad, "NotARelation", "NotAType", "NotAResource"),
            RelatedItem("", "IsSupplementTo"),
        ),
        fundings=(Funding(bad, bad, bad, bad),),
        version=bad,
        language="not a language!",
        dataset_type=bad,
        licence="LicenseRef-odd",
        formats=(bad, bad),
    )


def huge_abstract() -> Record:
    """The hostile record with a 100 kB abstract (not a golden: too big to review)."""
    paragraph = f"Abstract {HOSTILE_TEXT}\n"
    return replace(hostile(), description=paragraph * (100_000 // len(paragraph) + 1))


CASES: dict[str, Callable[[], Record]] = {
    "minimal": minimal,
    "full": full,
    "unicode": unicode,
    "creators200": many_creators,
    "embargoed": embargoed,
    "public": public,
    "withdrawn": withdrawn,
    "processed": processed,
    "selection": selection,
    "hostile": hostile,
}
