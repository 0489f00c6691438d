"""The data half of an experiment's portal page: datasets table, samples, retention, links.

The table is filtered, sorted and paged on the server (plain links and a GET form, so it works
without JavaScript and a filtered view can be bookmarked or shared with a colleague).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from faircat.catalogue.lifecycle import retention_end
from faircat.catalogue.models import Dataset, Investigation, Sample, Technique
from faircat.catalogue.models.data import dataset_technique
from faircat.catalogue.models.published import PublishedRecord
from faircat.catalogue.vocab import DatasetType, LifecycleState
from faircat.catalogue.workspace.datasets import SORTS, DatasetQuery, list_datasets
from faircat.catalogue.workspace.experiments import ExperimentQuery
from faircat.errors import ValidationError
from faircat.web.security import MAX_ID32, parse_id

PAGE = 100
SORT_LABELS = {
    "name": "Name",
    "type": "Type",
    "start": "Start",
    "end": "End",
    "size": "Size",
    "files": "Files",
}


def query_from(args: Mapping[str, str]) -> DatasetQuery:
    """The table's query from the page's URL; a malformed value is a ValidationError."""
    sort = args.get("sort", "start")
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    limit_text = args.get("limit", str(PAGE))
    if not limit_text.isascii() or not limit_text.isdigit() or len(limit_text) > 6:
        raise ValidationError(f"limit {limit_text!r} is not a number", field="limit")
    sample = args.get("sample") or None
    technique = args.get("technique") or None
    if sample is not None and parse_id(sample, MAX_ID32) is None:
        raise ValidationError(f"unknown sample {sample!r}", field="sample")
    if technique is not None and parse_id(technique, MAX_ID32) is None:
        raise ValidationError(f"unknown technique {technique!r}", field="technique")
    return DatasetQuery(
        text=args.get("q", "").strip(),
        type=args.get("type", ""),
        sample_id=parse_id(sample, MAX_ID32),
        technique_id=parse_id(technique, MAX_ID32),
        sort=sort,
        descending=descending,
        after=args.get("after") or None,
        limit=int(limit_text),
    ).checked()


def browse_query(args: Mapping[str, str]) -> ExperimentQuery:
    """The browse page's filters from its URL; a malformed value is a ValidationError."""
    year = args.get("year") or None
    if year is not None and not (year.isascii() and year.isdigit() and len(year) == 4):
        raise ValidationError(f"year {year!r} is not a year such as 2024", field="year")
    return ExperimentQuery(
        text=args.get("q", "").strip(),
        beamline=args.get("beamline", ""),
        state=args.get("state", ""),
        year=int(year) if year else None,
        after=args.get("after") or None,
    ).checked()


def data_context(
    session: Session,
    investigation: Investigation,
    state: LifecycleState,
    args: Mapping[str, str],
    retention_years: int,
) -> dict[str, Any]:
    """What experiment.html needs for its data sections (the view has checked READ)."""
    problem = None
    try:
        query = query_from(args)
        page = list_datasets(session, investigation.id, query)
    except ValidationError as error:
        problem = str(error)
        query = DatasetQuery()
        page = list_datasets(session, investigation.id, query)
    samples = session.execute(
        select(Sample, func.count(Dataset.id))
        .outerjoin(Dataset, Dataset.sample_id == Sample.id)
        .where(Sample.investigation_id == investigation.id)
        .group_by(Sample.id)
        .order_by(Sample.name)
    ).all()
    techniques = session.execute(
        select(Technique.id, Technique.name)
        .join(dataset_technique, dataset_technique.c.technique_id == Technique.id)
        .join(Dataset, Dataset.id == dataset_technique.c.dataset_id)
        .where(Dataset.investigation_id == investigation.id)
        .group_by(Technique.id, Technique.name)
        .order_by(Technique.name)
    ).all()
    landing = None
    if investigation.doi and state in (LifecycleState.PUBLIC, LifecycleState.EMBARGOED):
        # Relative: the same server (faircat serve, or nginx beside it) hosts the site.
        landing = session.scalar(
            select(PublishedRecord.path).where(PublishedRecord.pid == investigation.doi)
        )
    count = session.scalar(
        select(func.count(Dataset.id)).where(Dataset.investigation_id == investigation.id)
    )
    return {
        "dataset_count": count or 0,
        "table": page,
        "query": query,
        "table_problem": problem,
        "sort_labels": SORT_LABELS,
        "sorts": SORTS,
        "dataset_types": [t.value for t in DatasetType],
        "samples": [{"sample": s, "datasets": n} for s, n in samples],
        "techniques": techniques,
        "kept_until": retention_end(investigation.end_date, retention_years),
        "landing": landing,
        "public": state is LifecycleState.PUBLIC,
    }


def sort_link(query: DatasetQuery, column: str) -> dict[str, str]:
    """Query-string arguments of a column header link: sort by it, flip when already sorted."""
    descending = not query.descending if query.sort == column else column in ("size", "files")
    return {**filters_of(query), "sort": ("-" if descending else "") + column}


def filters_of(query: DatasetQuery) -> dict[str, str]:
    args = {"q": query.text, "type": query.type}
    if query.sample_id:
        args["sample"] = str(query.sample_id)
    if query.technique_id:
        args["technique"] = str(query.technique_id)
    return {k: v for k, v in args.items() if v}
