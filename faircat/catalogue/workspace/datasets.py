"""An experiment's datasets as a table: filtered, sorted and paged by keyset.

The portal's experiment page and the API's dataset listing read through :func:`list_datasets`;
the caller has already been allowed to READ the experiment (the access check is the view's, on
the experiment, so every row here is readable). Sorting is by one column and the id, so paging
stays exact when values repeat; NULL dates sort first (as the epoch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session

from faircat.catalogue.models import Dataset, Sample, Technique, UTCDateTime
from faircat.catalogue.models.data import dataset_technique
from faircat.catalogue.vocab import DatasetType
from faircat.catalogue.workspace import paging
from faircat.catalogue.workspace.naming import display_name
from faircat.errors import ValidationError

MAX_PAGE = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _dated(column: Any) -> ColumnElement[Any]:
    return func.coalesce(column, type_coerce(literal(_EPOCH, UTCDateTime()), UTCDateTime()))


# name -> (expression, python type of its values)
SORTS: dict[str, tuple[Any, type]] = {
    "name": (Dataset.name, str),
    "start": (_dated(Dataset.start_time), datetime),
    "end": (_dated(Dataset.end_time), datetime),
    "size": (Dataset.size, int),
    "files": (Dataset.file_count, int),
    "type": (Dataset.type, str),
}


@dataclass(frozen=True)
class DatasetQuery:
    text: str = ""
    type: str = ""
    sample_id: int | None = None
    technique_id: int | None = None
    sort: str = "start"
    descending: bool = False
    after: str | None = None
    limit: int = 100

    def checked(self) -> DatasetQuery:
        """Itself, or a ValidationError naming the parameter that cannot be used."""
        if self.sort not in SORTS:
            raise ValidationError(
                f"cannot sort by {self.sort!r}: use one of {', '.join(SORTS)}", field="sort"
            )
        if self.type and self.type not in {t.value for t in DatasetType}:
            kinds = ", ".join(t.value for t in DatasetType)
            raise ValidationError(f"unknown dataset type {self.type!r}: use {kinds}", field="type")
        if not 1 <= self.limit <= MAX_PAGE:
            raise ValidationError(f"limit must be 1 to {MAX_PAGE}", field="limit")
        if len(self.text) > 200:
            raise ValidationError("the search text is longer than 200 characters", field="q")
        return self


@dataclass(frozen=True)
class DatasetRow:
    id: int
    name: str
    display_name: str
    type: str
    sample: str | None
    sample_id: int | None
    start: datetime | None
    end: datetime | None
    size: int
    file_count: int
    doi: str | None
    techniques: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetPage:
    rows: list[DatasetRow]
    total: int  # rows matching the filters, all pages
    next: str | None  # token of the next page, None on the last
    types: dict[str, int] = field(default_factory=dict)  # counts per type, before the type filter


def _filters(investigation_id: int, query: DatasetQuery) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [Dataset.investigation_id == investigation_id]
    if query.text:
        pattern = "%" + query.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_"
        ) + "%"
        sample_match = Dataset.sample_id.in_(
            select(Sample.id).where(func.lower(Sample.name).like(pattern, escape="\\"))
        )
        clauses.append(
            or_(
                func.lower(Dataset.name).like(pattern, escape="\\"),
                func.lower(func.coalesce(Dataset.title, "")).like(pattern, escape="\\"),
                sample_match,
            )
        )
    if query.sample_id is not None:
        clauses.append(Dataset.sample_id == query.sample_id)
    if query.technique_id is not None:
        clauses.append(
            Dataset.id.in_(
                select(dataset_technique.c.dataset_id).where(
                    dataset_technique.c.technique_id == query.technique_id
                )
            )
        )
    return clauses


def list_datasets(session: Session, investigation_id: int, query: DatasetQuery) -> DatasetPage:
    query = query.checked()
    expression, kind = SORTS[query.sort]
    clauses = _filters(investigation_id, query)
    types = dict(
        session.execute(
            select(Dataset.type, func.count()).where(*clauses).group_by(Dataset.type)
        ).all()
    )
    if query.type:
        clauses.append(Dataset.type == DatasetType(query.type))
    total = session.scalar(select(func.count()).select_from(Dataset).where(*clauses)) or 0
    # Columns, not ORM objects: a page of 1,000 rows costs a third as much to load.
    page = select(
        Dataset.id,
        Dataset.name,
        Dataset.title,
        Dataset.type,
        Dataset.sample_id,
        Dataset.start_time,
        Dataset.end_time,
        Dataset.size,
        Dataset.file_count,
        Dataset.doi,
        Sample.name.label("sample_name"),
    ).outerjoin(Sample, Sample.id == Dataset.sample_id)
    page = page.where(*clauses)
    if query.after:
        value, last_id = paging.decode(query.after, kind)
        if kind is str and query.sort == "type":
            value = DatasetType(value) if value in {t.value for t in DatasetType} else value
        beyond = (
            or_(expression < value, and_(expression == value, Dataset.id < last_id))
            if query.descending
            else or_(expression > value, and_(expression == value, Dataset.id > last_id))
        )
        page = page.where(beyond)
    order = (expression.desc(), Dataset.id.desc()) if query.descending else (expression, Dataset.id)
    found = session.execute(page.order_by(*order).limit(query.limit + 1)).all()
    more = len(found) > query.limit
    found = found[: query.limit]
    techniques = _techniques(session, [d.id for d in found])
    rows = [
        DatasetRow(
            id=d.id,
            name=d.name,
            display_name=display_name(d.name, d.title, d.sample_name),
            type=d.type.value,
            sample=d.sample_name,
            sample_id=d.sample_id,
            start=d.start_time,
            end=d.end_time,
            size=d.size,
            file_count=d.file_count,
            doi=d.doi,
            techniques=techniques.get(d.id, ()),
        )
        for d in found
    ]
    next_token = None
    if more and rows:
        last = found[-1]
        value = {
            "name": last.name,
            "start": last.start_time or _EPOCH,
            "end": last.end_time or _EPOCH,
            "size": last.size,
            "files": last.file_count,
            "type": last.type.value,
        }[query.sort]
        next_token = paging.encode(value, last.id)
    return DatasetPage(rows, total, next_token, {str(k.value): v for k, v in types.items()})


def _techniques(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    if not ids:
        return {}
    result: dict[int, list[str]] = {}
    rows = session.execute(
        select(dataset_technique.c.dataset_id, Technique.name)
        .join(Technique, Technique.id == dataset_technique.c.technique_id)
        .where(dataset_technique.c.dataset_id.in_(ids))
        .order_by(Technique.name)
    )
    for dataset_id, name in rows:
        result.setdefault(dataset_id, []).append(name)
    return {k: tuple(v) for k, v in result.items()}
