"""The rows of a page of results: what is shown of each dataset found (one statement for the
datasets, one for their techniques; the page's ids were chosen under the access filter)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from faircat.catalogue.lifecycle import dates_of, state_at
from faircat.catalogue.models import Dataset, Instrument, Investigation, Sample, Technique
from faircat.catalogue.models.data import dataset_technique
from faircat.catalogue.vocab import LifecycleState
from faircat.catalogue.workspace.naming import display_name


@dataclass(frozen=True)
class Hit:
    dataset_id: int
    investigation_id: int
    name: str
    display_name: str
    type: str
    experiment: str
    experiment_title: str
    state: LifecycleState
    beamline: str | None
    techniques: tuple[str, ...]
    sample: str | None
    formula: str | None
    start: datetime | None
    doi: str | None
    score: float | None = None


def load_hits(conn: Connection, ranked: list[tuple[int, float | None]], now: datetime) -> list[Hit]:
    ids = [dataset_id for dataset_id, _ in ranked]
    if not ids:
        return []
    rows = {
        r.id: r
        for r in conn.execute(
            select(
                Dataset.id,
                Dataset.investigation_id,
                Dataset.name,
                Dataset.title,
                Dataset.type,
                Dataset.start_time,
                Dataset.doi,
                Sample.name.label("sample"),
                Sample.chemical_formula,
                Instrument.name.label("beamline"),
                Investigation.proposal,
                Investigation.visit,
                Investigation.title.label("experiment_title"),
                Investigation.start_date,
                Investigation.end_date,
                Investigation.release_date,
                Investigation.withdrawn_at,
            )
            .join(Investigation, Investigation.id == Dataset.investigation_id)
            .outerjoin(Sample, Sample.id == Dataset.sample_id)
            .outerjoin(Instrument, Instrument.id == Dataset.instrument_id)
            .where(Dataset.id.in_(ids))
        )
    }
    names: dict[int, list[str]] = defaultdict(list)
    for dataset_id, name in conn.execute(
        select(dataset_technique.c.dataset_id, Technique.name)
        .join(Technique, Technique.id == dataset_technique.c.technique_id)
        .where(dataset_technique.c.dataset_id.in_(ids))
        .order_by(Technique.name)
    ):
        names[dataset_id].append(name)
    hits = []
    for dataset_id, score in ranked:
        row = rows.get(dataset_id)
        if row is None:  # deleted between the two statements
            continue
        hits.append(
            Hit(
                dataset_id=row.id,
                investigation_id=row.investigation_id,
                name=row.name,
                display_name=display_name(row.name, row.title, row.sample),
                type=row.type.value,
                experiment=f"{row.proposal}-{row.visit}",
                experiment_title=row.experiment_title,
                state=state_at(dates_of(row), now),
                beamline=row.beamline,
                techniques=tuple(names.get(row.id, ())),
                sample=row.sample,
                formula=row.chemical_formula,
                start=row.start_time,
                doi=row.doi,
                score=score,
            )
        )
    return hits
