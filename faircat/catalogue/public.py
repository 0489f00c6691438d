"""The public view of the catalogue: what may be published, as crosswalk records.

This is the only bridge from the restricted tables to the publisher. It decides, per lifecycle
state at ``now``, what leaves the catalogue:

- public experiment: the experiment and each dataset, with files, public parameters, samples;
- embargoed experiment whose DOI is registered: a metadata-only experiment record (title,
  creators, dates, embargo end) and nothing of its datasets, summary or parameters;
- withdrawn experiment: tombstones (title, DOI, dates, withdrawal) for it and its datasets;
- a selection DOI (approved by a curator): its title and creators, and once the experiment is
  public its abstract and datasets (HasPart);
- anything else (scheduled, running, embargoed without a registered DOI): nothing at all.

Logbooks, e-mail addresses, storage paths and restricted parameter types never leave. Records
are streamed in chunks of experiments with a few IN-queries per chunk, so memory stays bounded
on catalogues of millions of datasets.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from faircat.catalogue.lifecycle import dates_of, state_at
from faircat.catalogue.models import (
    Datafile,
    DataPublication,
    Dataset,
    Facility,
    Instrument,
    Investigation,
    InvestigationMember,
    Parameter,
    ParameterType,
    Sample,
    Technique,
    User,
)
from faircat.catalogue.models.data import dataset_input, dataset_technique
from faircat.catalogue.models.facility import instrument_technique
from faircat.catalogue.models.investigation import investigation_instrument
from faircat.catalogue.models.publication import publication_dataset
from faircat.catalogue.vocab import DoiState, LifecycleState, MemberRole, PublicationKind
from faircat.config import Settings
from faircat.crosswalks import view as v
from faircat.crosswalks.urls import landing_url_for

CHUNK = 200  # experiments per round of queries
_ROLE_ORDER = {
    MemberRole.PI: 0,
    MemberRole.CO_PROPOSER: 1,
    MemberRole.PARTICIPANT: 2,
    MemberRole.LOCAL_CONTACT: 3,
}
_SUFFIX_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ACCESS = {
    LifecycleState.PUBLIC: "open",
    LifecycleState.EMBARGOED: "embargoed",
    LifecycleState.WITHDRAWN: "withdrawn",
}


@dataclass(frozen=True, slots=True)
class PreviewSource:
    """Where the default NXdata plot of an open dataset lives (never published itself)."""

    nexus_path: str
    plot_path: str
    key: str  # content key for the preview cache: checksum (or size+mtime) + plot path


@dataclass(frozen=True, slots=True)
class PublicItem:
    record: v.Record
    investigation_id: int
    dataset_id: int | None = None
    preview: PreviewSource | None = None
    beamlines: tuple[str, ...] = ()
    release_year: int | None = None


def _registered_doi() -> Any:
    """A DOI that is, or is being, registered: its metadata-only page is published *before*
    the registry call, so the DOI resolves from the moment DataCite has it."""
    wanted = [DoiState.REGISTERED, DoiState.FINDABLE]
    return or_(DataPublication.doi_state.in_(wanted), DataPublication.doi_target_state.in_(wanted))


def experiment_doi(facility: Facility, investigation: Investigation) -> str:
    """The experiment's DOI: stored, else derived from prefix, facility and proposal-visit."""
    if investigation.doi:
        return investigation.doi
    suffix = f"{facility.short_name}.{investigation.proposal}-{investigation.visit}"
    return f"{facility.doi_prefix}/{_SUFFIX_UNSAFE.sub('-', suffix).lower()}"


def dataset_doi(experiment: str, dataset_name: str, stored: str | None = None) -> str:
    return stored or f"{experiment}.{_SUFFIX_UNSAFE.sub('-', dataset_name).lower()}"


def dataset_title(experiment_title: str, dataset_name: str, stored: str | None = None) -> str:
    """The title of a dataset's record: its own, else the experiment's and the dataset's name."""
    return stored or f"{experiment_title}: dataset {dataset_name}"


def facility_view(facility: Facility, settings: Settings) -> v.Facility:
    return v.Facility(
        name=facility.name,
        base_url=facility.base_url,
        ror=facility.ror or "",
        doi_prefix=facility.doi_prefix,
        datacite_symbol=settings.datacite_username,
        catalogue_name=f"{facility.short_name} open data",
        default_licence=facility.licence,
    )


class PublicView:
    """Builds public records from one session; see the module docstring for the rules."""

    def __init__(self, session: Session, settings: Settings, now: datetime) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self.facility = session.scalars(select(Facility).order_by(Facility.id)).first()
        if self.facility is None:
            raise LookupError("the catalogue has no facility: run 'faircat db upgrade'")
        self.fview = facility_view(self.facility, settings)
        self.files_url = settings.facility_base_url + "/files"
        self.instruments = {i.id: i for i in session.scalars(select(Instrument))}
        self.techniques = {t.id: t for t in session.scalars(select(Technique))}
        self.instrument_techniques: dict[int, list[int]] = defaultdict(list)
        for iid, tid in session.execute(select(instrument_technique)):
            self.instrument_techniques[iid].append(tid)

    # -- which experiments ---------------------------------------------------------------------
    def _candidates(self) -> Any:
        registered = select(DataPublication.investigation_id).where(
            DataPublication.kind == PublicationKind.INVESTIGATION, _registered_doi()
        )
        return select(Investigation).where(
            or_(
                Investigation.release_date <= self.now,
                Investigation.withdrawn_at <= self.now,
                Investigation.id.in_(registered),
            )
        )

    def items(self, only: Iterable[int] | None = None) -> Iterator[PublicItem]:
        """Public items of every experiment, or of the experiments whose ids are ``only``."""
        if only is not None:
            ids = sorted(set(only))
            for i in range(0, len(ids), CHUNK):
                query = self._candidates().where(Investigation.id.in_(ids[i : i + CHUNK]))
                yield from self._chunk(list(self.session.scalars(query.order_by(Investigation.id))))
                self.session.expunge_all()
            return
        last = 0
        while True:
            query = self._candidates().where(Investigation.id > last).order_by(Investigation.id)
            chunk = list(self.session.scalars(query.limit(CHUNK)))
            if not chunk:
                return
            last = chunk[-1].id
            yield from self._chunk(chunk)
            self.session.expunge_all()  # bounded memory across chunks

    def _chunk(self, investigations: list[Investigation]) -> Iterator[PublicItem]:
        ids = [inv.id for inv in investigations]
        states = {inv.id: state_at(dates_of(inv), self.now) for inv in investigations}
        people = self._people(ids)
        instruments = self._by_investigation(investigation_instrument, ids, "instrument_id")
        registered = set(
            self.session.scalars(
                select(DataPublication.investigation_id).where(
                    DataPublication.investigation_id.in_(ids),
                    DataPublication.kind == PublicationKind.INVESTIGATION,
                    _registered_doi(),
                )
            )
        )
        shown = [i for i in ids if states[i] in (LifecycleState.PUBLIC, LifecycleState.WITHDRAWN)]
        datasets = self._datasets(shown)
        self._chunk_selections = self._selections(ids)
        for inv in investigations:
            state = states[inv.id]
            if state is LifecycleState.EMBARGOED and inv.id not in registered:
                continue
            if state not in _ACCESS:
                continue
            yield from self._experiment(
                inv, state, people[inv.id], instruments[inv.id], datasets.get(inv.id, [])
            )

    # -- bulk loads per chunk ------------------------------------------------------------------
    def _by_investigation(self, table: Any, ids: list[int], column: str) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        rows = self.session.execute(
            select(table.c.investigation_id, table.c[column]).where(
                table.c.investigation_id.in_(ids)
            )
        )
        for inv_id, value in rows:
            out[inv_id].append(value)
        return out

    def _people(self, ids: list[int]) -> dict[int, list[tuple[MemberRole, User]]]:
        out: dict[int, list[tuple[MemberRole, User]]] = defaultdict(list)
        rows = self.session.execute(
            select(InvestigationMember.investigation_id, InvestigationMember.role, User)
            .join(User, User.id == InvestigationMember.user_id)
            .where(InvestigationMember.investigation_id.in_(ids))
            .order_by(InvestigationMember.id)
        )
        for inv_id, role, user in rows:
            out[inv_id].append((role, user))
        for members in out.values():
            members.sort(key=lambda m: _ROLE_ORDER[m[0]])
        return out

    def _datasets(self, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        if not ids:
            return {}
        rows = list(
            self.session.scalars(
                select(Dataset).where(Dataset.investigation_id.in_(ids)).order_by(Dataset.id)
            )
        )
        ds_ids = [d.id for d in rows]
        files: dict[int, list[Datafile]] = defaultdict(list)
        params: dict[int, list[tuple[ParameterType, Parameter]]] = defaultdict(list)
        techniques: dict[int, list[int]] = defaultdict(list)
        inputs: dict[int, list[int]] = defaultdict(list)
        for i in range(0, len(ds_ids), 5000):  # stay under bind-parameter limits
            part = ds_ids[i : i + 5000]
            for f in self.session.scalars(
                select(Datafile).where(Datafile.dataset_id.in_(part)).order_by(Datafile.name)
            ):
                files[f.dataset_id].append(f)
            for ptype, param in self.session.execute(
                select(ParameterType, Parameter)
                .join(Parameter.type)
                .where(Parameter.dataset_id.in_(part), ParameterType.public.is_(True))
                .order_by(ParameterType.name)
            ):
                params[param.dataset_id].append((ptype, param))
            for ds_id, tid in self.session.execute(
                select(dataset_technique).where(dataset_technique.c.dataset_id.in_(part))
            ):
                techniques[ds_id].append(tid)
            for ds_id, input_id in self.session.execute(
                select(dataset_input).where(dataset_input.c.dataset_id.in_(part))
            ):
                inputs[ds_id].append(input_id)
        sample_ids = {d.sample_id for d in rows if d.sample_id}
        samples = (
            {s.id: s for s in self.session.scalars(select(Sample).where(Sample.id.in_(sample_ids)))}
            if sample_ids
            else {}
        )
        out: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for d in rows:
            out[d.investigation_id].append(
                {
                    "row": d,
                    "files": files[d.id],
                    "params": params[d.id],
                    "techniques": techniques[d.id],
                    "inputs": inputs[d.id],
                    "sample": samples.get(d.sample_id) if d.sample_id else None,
                }
            )
        return out

    # -- records -------------------------------------------------------------------------------
    def _agents(
        self, members: list[tuple[MemberRole, User]]
    ) -> tuple[tuple[v.Person, ...], tuple[v.Contributor, ...]]:
        creators, contacts = [], []
        for role, user in members:
            org = (
                v.Organization(user.affiliation, user.affiliation_ror or "")
                if user.affiliation
                else None
            )
            person = v.Person(
                user.given_name or "", user.family_name or "", user.full_name, user.orcid or "", org
            )
            if role is MemberRole.LOCAL_CONTACT:
                contacts.append(v.Contributor(person, "ContactPerson", role.value))
            else:
                creators.append(person)
        if not creators:  # a DOI needs a creator: the facility stands in
            creators.append(v.Person(full_name=self.facility.name))
        return tuple(creators), tuple(contacts)

    def _experiment(
        self,
        inv: Investigation,
        state: LifecycleState,
        members: list[tuple[MemberRole, User]],
        instrument_ids: list[int],
        datasets: list[dict[str, Any]],
    ) -> Iterator[PublicItem]:
        doi = experiment_doi(self.facility, inv)
        url = landing_url_for(self.fview.base_url, doi)
        creators, contacts = self._agents(members)
        access = _ACCESS[state]
        instruments = tuple(self._instrument(i) for i in instrument_ids)
        technique_ids = sorted(
            {t for i in instrument_ids for t in self.instrument_techniques[i]}
            | {t for d in datasets for t in d["techniques"]}
        )
        techniques = tuple(self._technique(t) for t in technique_ids)
        dates = v.RecordDates(
            collected_start=inv.start_date,
            collected_end=inv.end_date,
            accepted=inv.end_date.date(),
            available=inv.release_date.date(),
            issued=inv.release_date.date() if state is not LifecycleState.EMBARGOED else None,
            withdrawn=inv.withdrawn_at.date() if inv.withdrawn_at else None,
        )
        beamlines = tuple(i.name for i in instruments)
        year = inv.release_date.year
        open_ = state is LifecycleState.PUBLIC
        experiment_ref = v.RecordRef(url=url, doi=doi, title=inv.title, kind="experiment")
        dataset_refs = []
        for d in datasets:
            ds_doi = dataset_doi(doi, d["row"].name, d["row"].doi)
            dataset_refs.append(
                v.RecordRef(
                    url=landing_url_for(self.fview.base_url, ds_doi),
                    doi=ds_doi,
                    title=self._ds_title(inv, d["row"]),
                    kind="dataset",
                )
            )
        common = dict(
            facility=self.fview,
            creators=creators,
            access=access,
            dates=dates,
            licence=self.facility.licence,
            proposal=inv.proposal,
            visit=inv.visit,
            investigation_type=inv.type,
        )
        yield PublicItem(
            v.Record(
                kind="experiment",
                local_id=f"experiment-{inv.id}",
                title=inv.title,
                doi=doi,
                landing_url=url,
                description=(inv.summary or "") if open_ else "",
                contributors=contacts if open_ else (),
                techniques=techniques if open_ else (),
                instruments=instruments if open_ else (),
                parts=tuple(dataset_refs),
                size=sum(d["row"].size for d in datasets) if open_ else None,
                file_count=sum(d["row"].file_count for d in datasets) if open_ else None,
                **common,
            ),
            investigation_id=inv.id,
            # A metadata-only page (embargoed, DOI registered) shows title, creators and dates
            # only: everything else above is empty unless open, and no beamline lists it.
            beamlines=() if state is LifecycleState.EMBARGOED else beamlines,
            release_year=year,
        )
        for d, ref in zip(datasets, dataset_refs, strict=True):
            yield self._dataset(
                inv, d, ref, experiment_ref, datasets, open_, contacts, common, beamlines, year
            )
        refs = {d["row"].id: ref for d, ref in zip(datasets, dataset_refs, strict=True)}
        for publication, dataset_ids in self._chunk_selections.get(inv.id, []):
            yield self._selection(
                inv,
                publication,
                [refs[i] for i in dataset_ids if i in refs],
                experiment_ref,
                open_,
                common,
                () if state is LifecycleState.EMBARGOED else beamlines,
                year,
            )

    def _selections(self, ids: list[int]) -> dict[int, list[tuple[DataPublication, list[int]]]]:
        """Selection DOIs (registered or being registered) of these experiments."""
        out: dict[int, list[tuple[DataPublication, list[int]]]] = defaultdict(list)
        publications = list(
            self.session.scalars(
                select(DataPublication)
                .where(
                    DataPublication.investigation_id.in_(ids),
                    DataPublication.kind == PublicationKind.SELECTION,
                    _registered_doi(),
                )
                .options(selectinload(DataPublication.creators))
                .order_by(DataPublication.id)
            )
        )
        if not publications:
            return out
        members: dict[int, list[int]] = defaultdict(list)
        for pub_id, ds_id in self.session.execute(
            select(publication_dataset.c.publication_id, publication_dataset.c.dataset_id)
            .where(publication_dataset.c.publication_id.in_([p.id for p in publications]))
            .order_by(publication_dataset.c.dataset_id)
        ):
            members[pub_id].append(ds_id)
        for publication in publications:
            out[publication.investigation_id].append((publication, members[publication.id]))
        return out

    def _selection(
        self,
        inv: Investigation,
        publication: DataPublication,
        parts: list[v.RecordRef],
        experiment: v.RecordRef,
        open_: bool,
        common: dict[str, Any],
        beamlines: tuple[str, ...],
        year: int,
    ) -> PublicItem:
        creators = tuple(
            v.Person(
                c.given_name or "",
                c.family_name or "",
                c.full_name,
                c.orcid or "",
                v.Organization(c.affiliation, c.affiliation_ror or "") if c.affiliation else None,
            )
            for c in publication.creators
            if c.contributor_type == "creator"
        ) or (v.Person(full_name=self.facility.name),)
        record = v.Record(
            kind="selection",
            local_id=f"selection-{publication.id}",
            title=publication.title,
            doi=publication.doi,
            landing_url=landing_url_for(self.fview.base_url, publication.doi),
            description=(publication.abstract or "") if open_ else "",
            creators=creators,
            licence=publication.licence or self.facility.licence,
            keywords=tuple(k.strip() for k in (publication.keywords or "").split(",") if k.strip())
            if open_
            else (),
            parts=tuple(parts) if open_ else (),
            part_of=(experiment,),
            **{k: val for k, val in common.items() if k not in ("creators", "licence")},
        )
        return PublicItem(record, inv.id, None, None, beamlines, year)

    def _ds_title(self, inv: Investigation, row: Dataset) -> str:
        return dataset_title(inv.title, row.name, row.title)

    def _dataset(
        self,
        inv: Investigation,
        d: dict[str, Any],
        ref: v.RecordRef,
        experiment: v.RecordRef,
        siblings: list[dict[str, Any]],
        open_: bool,
        contacts: tuple[v.Contributor, ...],
        common: dict[str, Any],
        beamlines: tuple[str, ...],
        year: int,
    ) -> PublicItem:
        row: Dataset = d["row"]
        by_id = {s["row"].id: s for s in siblings}
        inputs = tuple(
            v.RecordRef(
                url=landing_url_for(
                    self.fview.base_url,
                    dataset_doi(experiment.doi, by_id[i]["row"].name, by_id[i]["row"].doi),
                ),
                doi=dataset_doi(experiment.doi, by_id[i]["row"].name, by_id[i]["row"].doi),
                title=self._ds_title(inv, by_id[i]["row"]),
                kind="dataset",
            )
            for i in d["inputs"]
            if i in by_id
        )
        sample = d["sample"]
        files = (
            tuple(
                v.FileView(
                    name=f.name,
                    path=f.name,
                    size=f.size,
                    sha256=(f.checksum or "").removeprefix("sha256:"),
                    media_type="application/x-hdf5"
                    if f.format == "application/x-nexus"
                    else (f.format or "application/octet-stream"),
                    url=f"{self.files_url}/{ref.doi}/{f.name}",
                )
                for f in d["files"]
            )
            if open_
            else ()
        )
        preview = None
        first = d["files"][0] if d["files"] else None
        if open_ and row.plot_path and first is not None:
            key = (first.checksum or f"{first.size}-{first.file_modified_at}") + row.plot_path
            preview = PreviewSource(first.location, row.plot_path, key)
        dates = common["dates"]
        record = v.Record(
            kind="dataset",
            local_id=f"dataset-{row.id}",
            title=ref.title,
            doi=ref.doi,
            landing_url=ref.url,
            description=(row.description or "") if open_ else "",
            contributors=contacts if open_ else (),
            techniques=tuple(self._technique(t) for t in d["techniques"]) if open_ else (),
            instruments=(self._instrument(row.instrument_id),)
            if open_ and row.instrument_id
            else (),
            samples=(
                v.SampleView(sample.name, sample.description or "", sample.chemical_formula or ""),
            )
            if open_ and sample
            else (),
            parameters=tuple(
                v.ParameterView(ptype.name, _value(param), ptype.unit)
                for ptype, param in d["params"]
            )
            if open_
            else (),
            files=files,
            size=row.size if open_ else None,
            file_count=row.file_count if open_ else None,
            formats=("application/x-hdf5",) if open_ and files else (),
            part_of=(experiment,),
            inputs=inputs if open_ else (),
            dataset_type=row.type.value,
            dates=v.RecordDates(
                collected_start=row.start_time,
                collected_end=row.end_time,
                accepted=dates.accepted,
                available=dates.available,
                issued=dates.issued,
                withdrawn=dates.withdrawn,
            ),
            **{k: val for k, val in common.items() if k != "dates"},
        )
        return PublicItem(record, inv.id, row.id, preview, beamlines, year)

    def _instrument(self, instrument_id: int) -> v.Instrument:
        i = self.instruments[instrument_id]
        return v.Instrument(i.name, i.full_name, i.pid or "", self.facility.name)

    def _technique(self, technique_id: int) -> v.Technique:
        t = self.techniques[technique_id]
        return v.Technique(t.pid, t.name)


def _value(param: Parameter) -> str | float:
    value = param.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value if value is not None else ""


def public_file(session: Session, doi: str, name: str, now: datetime) -> str | None:
    """Storage path of file ``name`` of the open dataset ``doi``, or None (never restricted)."""
    from faircat.catalogue.models.published import PublishedRecord

    row = session.execute(
        select(PublishedRecord.dataset_id, PublishedRecord.investigation_id).where(
            PublishedRecord.pid == doi,
            PublishedRecord.kind == "dataset",
            PublishedRecord.status == "open",
        )
    ).first()
    if row is None:
        return None
    # The published table may lag behind a withdrawal: ask the lifecycle, not the table.
    investigation = session.get(Investigation, row.investigation_id)
    if investigation is None or state_at(dates_of(investigation), now) is not LifecycleState.PUBLIC:
        return None
    return session.scalar(
        select(Datafile.location).where(
            Datafile.dataset_id == row.dataset_id, Datafile.name == name
        )
    )
