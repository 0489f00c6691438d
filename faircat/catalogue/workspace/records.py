"""One experiment or dataset, with what hangs off it, for a caller the policy lets READ it.

Every function that takes an id or label answers None when the object does not exist *or* the
caller may not read it: the API and pages turn both into the same 404, so nobody learns that an
embargoed experiment exists.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from faircat.catalogue.access import Action, Principal, Target, decide, target_for
from faircat.catalogue.investigations import get_investigation
from faircat.catalogue.lifecycle import dates_of, retention_end, state_at
from faircat.catalogue.models import Datafile, Dataset, Investigation, Parameter, Sample
from faircat.catalogue.models.data import dataset_input
from faircat.catalogue.vocab import LifecycleState
from faircat.catalogue.workspace import paging
from faircat.catalogue.workspace.naming import display_name
from faircat.errors import NotFoundError, ValidationError

MAX_FILES = 1000


def readable_investigation(
    session: Session, principal: Principal, label: str, now: datetime
) -> Investigation | None:
    try:
        investigation = get_investigation(session, label)
    except (NotFoundError, ValidationError):
        return None
    if not decide(principal, Action.READ, target_for(investigation, now)):
        return None
    return investigation


def readable_dataset(
    session: Session, principal: Principal, dataset_id: int, now: datetime
) -> Dataset | None:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        return None
    if not decide(principal, Action.READ, target_for(dataset.investigation, now)):
        return None
    return dataset


def reads_restricted(principal: Principal, target: Target) -> bool:
    """Would the caller read this experiment even before its release? (Its people, its
    beamline's scientists, staff - through a token only on the token's instrument.) Decides who
    sees parameters whose type is not public, on a public dataset too."""
    before_release = replace(target, state=LifecycleState.EMBARGOED, doi_registered=False)
    return decide(principal, Action.READ, before_release)


def experiment_json(
    session: Session, investigation: Investigation, now: datetime, retention_years: int
) -> dict[str, Any]:
    datasets = session.scalar(
        select(func.count(Dataset.id)).where(Dataset.investigation_id == investigation.id)
    )
    return {
        "label": investigation.label,
        "title": investigation.title,
        "state": state_at(dates_of(investigation), now).value,
        "start": investigation.start_date.isoformat(),
        "end": investigation.end_date.isoformat(),
        "release": investigation.release_date.isoformat(),
        "doi": investigation.doi,
        "beamlines": sorted(i.name for i in investigation.instruments),
        "datasets": datasets or 0,
        "summary": investigation.summary,
        "kept_until": retention_end(investigation.end_date, retention_years).isoformat(),
        "members": [
            {"name": m.user.full_name, "role": m.role.value, "orcid": m.user.orcid}
            for m in sorted(investigation.members, key=lambda m: (m.role.value, m.user.full_name))
        ],
    }


def dataset_json(session: Session, dataset: Dataset) -> dict[str, Any]:
    outputs = session.scalars(
        select(dataset_input.c.dataset_id)
        .where(dataset_input.c.input_id == dataset.id)
        .order_by(dataset_input.c.dataset_id)
    ).all()
    sample = dataset.sample.name if dataset.sample else None
    return {
        "id": dataset.id,
        "name": dataset.name,
        "display_name": display_name(dataset.name, dataset.title, sample),
        "type": dataset.type.value,
        "sample": sample,
        "start": dataset.start_time.isoformat() if dataset.start_time else None,
        "end": dataset.end_time.isoformat() if dataset.end_time else None,
        "size": dataset.size,
        "file_count": dataset.file_count,
        "doi": dataset.doi,
        "techniques": sorted(t.name for t in dataset.techniques),
        "experiment": dataset.investigation.label,
        "title": dataset.title,
        "description": dataset.description,
        "complete": dataset.complete,
        "inputs": sorted(d.id for d in dataset.inputs),
        "outputs": list(outputs),
    }


@dataclass(frozen=True)
class FilePage:
    items: list[dict[str, Any]]
    total: int
    next: str | None


def files_page(session: Session, dataset: Dataset, after: str | None, limit: int) -> FilePage:
    """The dataset's files by name (then id), keyset-paged. Locations are never shown."""
    if not 1 <= limit <= MAX_FILES:
        raise ValidationError(f"limit must be 1 to {MAX_FILES}", field="limit")
    query = select(Datafile).where(Datafile.dataset_id == dataset.id)
    if after:
        name, last_id = paging.decode(after, str)
        query = query.where(
            (Datafile.name > name) | ((Datafile.name == name) & (Datafile.id > last_id))
        )
    rows = session.scalars(query.order_by(Datafile.name, Datafile.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    total = session.scalar(
        select(func.count(Datafile.id)).where(Datafile.dataset_id == dataset.id)
    )
    items = [
        {
            "id": f.id,
            "name": f.name,
            "size": f.size,
            "checksum": f.checksum,
            "format": f.format,
            "modified": f.file_modified_at.isoformat() if f.file_modified_at else None,
        }
        for f in rows
    ]
    token = paging.encode(rows[-1].name, rows[-1].id) if more and rows else None
    return FilePage(items, total or 0, token)


def parameters_json(
    session: Session, dataset: Dataset, include_private: bool
) -> list[dict[str, Any]]:
    """The dataset's parameters; types marked not public only for the experiment's people."""
    rows = session.scalars(select(Parameter).where(Parameter.dataset_id == dataset.id)).all()
    result = []
    for p in sorted(rows, key=lambda p: (p.type.name, p.id)):
        if not p.type.public and not include_private:
            continue
        value: Any = p.numeric_value
        if value is None:
            value = p.string_value
        if value is None and p.datetime_value is not None:
            value = p.datetime_value.isoformat()
        result.append({"name": p.type.name, "value": value, "unit": p.type.unit, "error": p.error})
    return result


def samples_json(session: Session, investigation: Investigation) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Sample, func.count(Dataset.id))
        .outerjoin(Dataset, Dataset.sample_id == Sample.id)
        .where(Sample.investigation_id == investigation.id)
        .group_by(Sample.id)
        .order_by(Sample.name)
    ).all()
    return [
        {
            "id": s.id,
            "name": s.name,
            "description": s.description,
            "formula": s.chemical_formula,
            "datasets": n,
        }
        for s, n in rows
    ]
