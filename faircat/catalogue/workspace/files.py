"""Datasets and their files as a reader sees them: the dataset page, downloads, zips, lists.

Every query here is filtered by the access policy: one object through ``access.decide`` (the
dataset page, which also needs the target to tell insiders from public readers), lists through
its SQL twin ``access.readable_clause``, so a file list, a zip or its manifest can only ever hold
files the caller may read. Nothing here opens a file: storage paths are returned for the web
layer to confine to the data roots (:mod:`faircat.catalogue.workspace.roots`) before use.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from faircat.catalogue.access import (
    Action,
    Principal,
    Target,
    decide,
    readable_clause,
    target_for,
)
from faircat.catalogue.investigations import get_investigation
from faircat.catalogue.lifecycle import dates_of, state_at
from faircat.catalogue.models import Datafile, Dataset, Investigation, Parameter, Sample
from faircat.catalogue.models.data import dataset_input
from faircat.catalogue.models.parameters import ParameterType
from faircat.catalogue.vocab import LifecycleState
from faircat.catalogue.workspace.naming import display_name
from faircat.errors import NotFoundError

MAX_FILES = 100_000  # files in one zip or list; past this, ask per dataset
PAGE_FILES = 1_000  # files listed on a dataset page; the rest through the file list

HDF5 = "application/x-hdf5"
_HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf", ".nxs", ".nx5", ".nx", ".cxi")
_HDF5_FORMATS = {"application/x-nexus", "application/x-hdf5", "application/x-hdf"}
# Types a browser would run or render as a page: served as bytes, whatever the ingest recorded.
_ACTIVE = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
    "text/xml",
    "application/xml",
}
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def media_type(name: str, format: str | None) -> str:
    """The Content-Type a file is served with: HDF5 and NeXus as ``application/x-hdf5``, a
    recorded media type when it is one (never one a browser would render), else by suffix."""
    lowered = (format or "").strip().lower()
    if lowered in _HDF5_FORMATS or name.lower().endswith(_HDF5_SUFFIXES):
        return HDF5
    guessed = lowered if _MEDIA_TYPE.match(lowered) else mimetypes.guess_type(name)[0]
    if not guessed or guessed in _ACTIVE:
        return "application/octet-stream"
    return guessed


def sha256_hex(checksum: str | None) -> str | None:
    """The hex digest of a stored ``sha256:<hex>`` checksum, None for anything else."""
    if not checksum or not checksum.startswith("sha256:"):
        return None
    digest = checksum[len("sha256:") :].lower()
    return digest if re.fullmatch(r"[0-9a-f]{64}", digest) else None


@dataclass(frozen=True)
class FileRow:
    id: int
    name: str
    size: int
    checksum: str | None
    format: str | None
    location: str  # storage path: for the web layer to confine, never to show
    dataset_id: int
    dataset_name: str
    experiment: str  # PROPOSAL-VISIT

    @property
    def media_type(self) -> str:
        return media_type(self.name, self.format)

    @property
    def sha256(self) -> str | None:
        return sha256_hex(self.checksum)

    @property
    def is_hdf5(self) -> bool:
        return self.media_type == HDF5


def _file_query() -> Select[Any]:
    return (
        select(
            Datafile.id,
            Datafile.name,
            Datafile.size,
            Datafile.checksum,
            Datafile.format,
            Datafile.location,
            Dataset.id.label("dataset_id"),
            Dataset.name.label("dataset_name"),
            Investigation.proposal,
            Investigation.visit,
        )
        .join(Dataset, Datafile.dataset_id == Dataset.id)
        .join(Investigation, Dataset.investigation_id == Investigation.id)
    )


def _file_rows(session: Session, query: Select[Any]) -> list[FileRow]:
    return [
        FileRow(
            row.id,
            row.name,
            row.size,
            row.checksum,
            row.format,
            row.location,
            row.dataset_id,
            row.dataset_name,
            f"{row.proposal}-{row.visit}",
        )
        for row in session.execute(query)
    ]


def _readable_files(
    session: Session, principal: Principal, now: datetime, *where: Any, limit: int = MAX_FILES
) -> list[FileRow]:
    """At most ``limit + 1`` rows: one more than allowed tells the caller there are too many."""
    query = (
        _file_query()
        .where(readable_clause(principal, now), *where)
        .order_by(Investigation.proposal, Investigation.visit, Dataset.name, Datafile.name)
        .order_by(Datafile.id)
        .limit(limit + 1)
    )
    return _file_rows(session, query)


def readable_file(
    session: Session, principal: Principal, file_id: int, now: datetime
) -> FileRow | None:
    rows = _readable_files(session, principal, now, Datafile.id == file_id)
    return rows[0] if rows else None


def dataset_files(
    session: Session, principal: Principal, dataset_id: int, now: datetime
) -> list[FileRow] | None:
    """The dataset's files, or None when the dataset does not exist for this caller."""
    if dataset_access(session, principal, dataset_id, now) is None:
        return None
    return _readable_files(session, principal, now, Dataset.id == dataset_id)


def first_files(
    session: Session, principal: Principal, dataset_id: int, now: datetime, limit: int = 100
) -> list[FileRow]:
    """The dataset's first files by name (where its default plot is looked for)."""
    return _readable_files(session, principal, now, Dataset.id == dataset_id, limit=limit - 1)


def experiment_files(
    session: Session, principal: Principal, label: str, now: datetime
) -> list[FileRow] | None:
    """Every file of the experiment ``PROPOSAL-VISIT``, or None when it is not readable."""
    try:
        investigation = get_investigation(session, label)
    except NotFoundError:
        return None
    if not decide(principal, Action.READ, target_for(investigation, now)):
        return None
    return _readable_files(session, principal, now, Investigation.id == investigation.id)


def selected_files(
    session: Session, principal: Principal, ids: Collection[int], now: datetime
) -> list[FileRow]:
    """The files among ``ids`` the caller may read; the others are left out silently (an
    unreadable id and a missing one must look the same)."""
    if not ids:
        return []
    return _readable_files(session, principal, now, Datafile.id.in_(sorted(set(ids))))


# -- the dataset page ---------------------------------------------------------------------------


def dataset_access(
    session: Session, principal: Principal, dataset_id: int, now: datetime
) -> tuple[Dataset, Target] | None:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        return None
    target = target_for(dataset.investigation, now)
    if not decide(principal, Action.READ, target):
        return None
    return dataset, target


def insider(principal: Principal, target: Target) -> bool:
    """Whether the caller would read the experiment if it were not public (member, its
    instrument's scientist, staff): only they see restricted parameters of public data."""
    return decide(principal, Action.READ, replace(target, state=LifecycleState.ACTIVE))


@dataclass(frozen=True)
class ParameterRow:
    name: str
    value: object
    unit: str
    error: float | None


@dataclass(frozen=True)
class DatasetLink:
    id: int
    label: str  # display name
    type: str
    experiment: str


@dataclass(frozen=True)
class DatasetPage:
    dataset: Dataset
    label: str
    experiment: Investigation
    state: LifecycleState
    target: Target
    insider: bool
    files: Sequence[FileRow]
    parameters: Sequence[ParameterRow]
    inputs: Sequence[DatasetLink]
    outputs: Sequence[DatasetLink]


def _links(session: Session, principal: Principal, now: datetime, *where: Any) -> list[DatasetLink]:
    query = (
        select(Dataset.id, Dataset.name, Dataset.title, Dataset.type, Sample.name.label("sample"))
        .add_columns(Investigation.proposal, Investigation.visit)
        .join(Investigation, Dataset.investigation_id == Investigation.id)
        .outerjoin(Sample, Dataset.sample_id == Sample.id)
        .where(readable_clause(principal, now), *where)
        .order_by(Dataset.name, Dataset.id)
        .limit(500)
    )
    return [
        DatasetLink(
            row.id,
            display_name(row.name, row.title, row.sample),
            str(row.type),
            f"{row.proposal}-{row.visit}",
        )
        for row in session.execute(query)
    ]


def dataset_page(
    session: Session, principal: Principal, dataset_id: int, now: datetime
) -> DatasetPage | None:
    found = dataset_access(session, principal, dataset_id, now)
    if found is None:
        return None
    dataset, target = found
    sample = dataset.sample
    inside = insider(principal, target)
    query = (
        select(Parameter)
        .join(ParameterType, Parameter.parameter_type_id == ParameterType.id)
        .where(Parameter.dataset_id == dataset.id)
        .order_by(ParameterType.name, Parameter.id)
    )
    if not inside:  # restricted parameters are never shown to the public, as on the site
        query = query.where(ParameterType.public.is_(True))
    parameters = [
        ParameterRow(p.type.name, p.value, p.type.unit, p.error) for p in session.scalars(query)
    ]
    inputs = _links(
        session,
        principal,
        now,
        Dataset.id.in_(
            select(dataset_input.c.input_id).where(dataset_input.c.dataset_id == dataset.id)
        ),
    )
    outputs = _links(
        session,
        principal,
        now,
        Dataset.id.in_(
            select(dataset_input.c.dataset_id).where(dataset_input.c.input_id == dataset.id)
        ),
    )
    files = _readable_files(session, principal, now, Dataset.id == dataset.id, limit=PAGE_FILES)
    return DatasetPage(
        dataset=dataset,
        label=display_name(dataset.name, dataset.title, sample.name if sample else None),
        experiment=dataset.investigation,
        state=state_at(dates_of(dataset.investigation), now),
        target=target,
        insider=inside,
        files=files,
        parameters=parameters,
        inputs=inputs,
        outputs=outputs,
    )
