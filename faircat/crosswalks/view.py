"""The public view of a record: what the crosswalks read.

The catalogue builds these frozen dataclasses from its database (only what the public may see:
``files`` is empty unless the record is open); the crosswalks turn them into metadata formats and
never look anything up. Text fields may hold anything a user typed, control characters included:
every crosswalk cleans text for its own format.

Conventions:
- ``doi`` is bare (``10.5072/alba.1234``), never a URL; ``orcid`` is the bare iD
  (``0000-0002-1825-0097``) or its URL; ``ror`` is the ROR URL or the bare 9-character id.
- Dates are :class:`datetime.date`; the acquisition interval is :class:`datetime.datetime` (UTC)
  because the PaNOSC API wants date-times.
- Empty strings and empty tuples mean "unknown": the property is left out of every format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Kind = Literal["experiment", "dataset", "selection"]
Access = Literal["open", "embargoed", "withdrawn"]


@dataclass(frozen=True, slots=True)
class Organization:
    """An institution: affiliation, facility, funder or organisational creator."""

    name: str
    ror: str = ""
    address: str = ""
    city: str = ""
    country: str = ""


@dataclass(frozen=True, slots=True)
class Person:
    """A person; ``full_name`` is used when given/family names are unknown."""

    given_name: str = ""
    family_name: str = ""
    full_name: str = ""
    orcid: str = ""
    affiliation: Organization | None = None

    @property
    def display_name(self) -> str:
        """``Family, Given`` as DataCite and most citation styles want it."""
        if self.family_name and self.given_name:
            return f"{self.family_name}, {self.given_name}"
        return self.family_name or self.full_name or self.given_name


Agent = Person | Organization


@dataclass(frozen=True, slots=True)
class Contributor:
    """A contributor with its DataCite ``contributorType`` (e.g. ``ContactPerson``)."""

    agent: Agent
    contributor_type: str = "ContactPerson"
    role: str = ""  # the catalogue's own role name (PI, local contact...), for PaNOSC members


@dataclass(frozen=True, slots=True)
class Facility:
    """The publisher: the facility that runs the catalogue."""

    name: str
    base_url: str  # public site, e.g. https://data.alba.example; no trailing slash needed
    ror: str = ""
    doi_prefix: str = ""
    datacite_symbol: str = ""  # repository id, e.g. ALBA.DATA
    catalogue_name: str = ""  # e.g. "ALBA Open Data"
    default_licence: str = "CC-BY-4.0"


@dataclass(frozen=True, slots=True)
class Technique:
    """A PaNET technique: ``iri`` like ``http://purl.org/pan-science/PaNET/PaNET01164``."""

    iri: str
    name: str


@dataclass(frozen=True, slots=True)
class Instrument:
    """A beamline; ``pid`` is a DOI, Handle or URL when the instrument has one."""

    name: str
    full_name: str = ""
    pid: str = ""
    facility: str = ""


@dataclass(frozen=True, slots=True)
class FileView:
    """A public file; ``path`` is relative to the landing page, ``url`` overrides it."""

    name: str
    path: str
    size: int | None = None
    sha256: str = ""
    media_type: str = "application/octet-stream"
    url: str = ""


@dataclass(frozen=True, slots=True)
class ParameterView:
    name: str
    value: str | float | int
    unit: str = ""


@dataclass(frozen=True, slots=True)
class SampleView:
    name: str
    description: str = ""
    chemical_formula: str = ""
    pid: str = ""


@dataclass(frozen=True, slots=True)
class RecordRef:
    """Another faircat record this one links to (experiment, dataset, selection)."""

    url: str  # absolute landing URL, used when there is no DOI
    doi: str = ""
    title: str = ""
    kind: Kind = "dataset"


@dataclass(frozen=True, slots=True)
class RelatedItem:
    """An outside resource, e.g. a paper: ``IsSupplementTo`` ``10.1107/S2059798320001234``."""

    identifier: str
    relation_type: str = "IsSupplementTo"
    identifier_type: str = "DOI"
    resource_type_general: str = ""  # e.g. JournalArticle
    title: str = ""


@dataclass(frozen=True, slots=True)
class Funding:
    funder_name: str
    funder_identifier: str = ""  # ROR URL or Crossref Funder DOI URL
    award_number: str = ""
    award_title: str = ""
    award_uri: str = ""


@dataclass(frozen=True, slots=True)
class RecordDates:
    """Every date a record may carry; the crosswalks pick what each format wants.

    ``accepted`` is the embargo start, ``available`` the release date (embargo end or early
    release); the publication year is the year of ``available`` (OpenAIRE rule), else ``issued``.
    """

    collected_start: datetime | None = None
    collected_end: datetime | None = None
    accepted: date | None = None
    available: date | None = None
    issued: date | None = None
    updated: date | None = None
    withdrawn: date | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """One DOI'd thing: a whole experiment, a dataset or a selection of datasets."""

    kind: Kind
    local_id: str
    title: str
    facility: Facility
    creators: tuple[Agent, ...]
    doi: str = ""
    description: str = ""
    landing_url: str = ""  # absolute; empty: derived from facility.base_url and doi
    access: Access = "embargoed"
    dates: RecordDates = field(default_factory=RecordDates)
    publication_year: int | None = None  # overrides the year derived from dates
    contributors: tuple[Contributor, ...] = ()
    licence: str = ""  # SPDX id; empty: facility.default_licence
    techniques: tuple[Technique, ...] = ()
    keywords: tuple[str, ...] = ()
    instruments: tuple[Instrument, ...] = ()
    samples: tuple[SampleView, ...] = ()
    parameters: tuple[ParameterView, ...] = ()
    files: tuple[FileView, ...] = ()  # only when open
    size: int | None = None  # bytes
    file_count: int | None = None
    formats: tuple[str, ...] = ()  # media types
    version: str = ""
    fundings: tuple[Funding, ...] = ()
    related: tuple[RelatedItem, ...] = ()
    part_of: tuple[RecordRef, ...] = ()  # IsPartOf: the experiment, selections
    parts: tuple[RecordRef, ...] = ()  # HasPart: datasets of an experiment or selection
    inputs: tuple[RecordRef, ...] = ()  # IsDerivedFrom: raw datasets of a processed one
    proposal: str = ""
    visit: str = ""
    investigation_type: str = ""  # e.g. "proposal", "industrial", "in-house research"
    dataset_type: str = ""  # raw, processed, calibration (datasets only)
    language: str = "en"
    withdrawal_reason: str = ""
