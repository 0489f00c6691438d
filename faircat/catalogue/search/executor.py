"""One search: the page of datasets, the total and the facet counts, over what the caller reads.

Every statement joins the live investigation row and applies
:func:`faircat.catalogue.access.readable_clause`: rows, counts and totals never include what
the caller may not read. A parameter of a type that is not public is used only for callers who
would read the experiment before its release (its team, its beamline's scientists, staff): for
everyone else such a parameter does not exist, so a range cannot be used to probe its value.

Three statements per search: the page (keyset over the sort key and the dataset id, never
OFFSET), the grouped counts (facets.py) and the details of the page's rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    case,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.engine import Connection

from faircat.catalogue.access import Principal, readable_clause
from faircat.catalogue.models import (
    Investigation,
    Parameter,
    ParameterType,
    SearchDocument,
    SearchText,
)
from faircat.catalogue.search import facets
from faircat.catalogue.search.facets import FacetValue, Selection
from faircat.catalogue.search.hits import Hit, load_hits
from faircat.catalogue.search.query import ParameterRange, SearchQuery
from faircat.catalogue.search.text import fold, fts5_query, postgres_query
from faircat.catalogue.search.units import bounds_in, scale_of
from faircat.catalogue.vocab import ValueType
from faircat.catalogue.workspace import paging
from faircat.errors import ValidationError

D = SearchDocument.__table__.c
T = SearchText.__table__.c
# Before anything was released, nothing was public: what the caller reads at this instant is
# what it reads whatever the release dates (the SQL twin of records.reads_restricted).
_BEFORE_ANY_RELEASE = datetime(1, 1, 2, tzinfo=UTC)


@dataclass(frozen=True)
class SearchResult:
    query: SearchQuery
    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetValue]]
    next: str | None


def search(
    conn: Connection,
    principal: Principal,
    query: SearchQuery,
    now: datetime,
    vocabulary: facets.Vocabulary | None = None,
) -> SearchResult:
    """The page of ``query`` for ``principal`` at ``now``; ``vocabulary``: the facets' values,
    when the caller has read them already. A ValidationError names a facet value or a token
    that cannot be used."""
    words = vocabulary or facets.vocabulary(conn)
    beamlines = facets.resolve(words.beamlines, query.beamlines, "beamline")
    techniques = facets.resolve(words.techniques, query.techniques, "technique")
    types = facets.resolve(words.types, query.types, "type")
    selection = Selection(
        frozenset(int(c.id) for c in beamlines),
        frozenset(int(c.id) for c in techniques),
        frozenset(str(c.id) for c in types),
    )
    dialect = conn.dialect.name
    base = _filters(conn, principal, query, now, dialect)
    chosen = _facet_clauses(selection)

    rank = _rank(query, dialect)
    ids, next_token = _page(conn, query, [*base, *chosen], rank)
    tally = facets.tally(_cells(conn, base, chosen), selection)
    return SearchResult(
        query=query,
        hits=load_hits(conn, ids, now),
        total=tally.total,
        facets={
            "beamline": facets.values(words.beamlines, tally.beamlines, beamlines),
            "technique": facets.values(words.techniques, tally.techniques, techniques),
            "type": facets.values(words.types, tally.types, types),
        },
        next=next_token,
    )


# -- filters ------------------------------------------------------------------------------------


def _filters(
    conn: Connection, principal: Principal, query: SearchQuery, now: datetime, dialect: str
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [readable_clause(principal, now)]
    if query.terms:
        clauses.append(_text_clause(query.terms, dialect))
    if query.start_from:
        clauses.append(D.start_time >= datetime.combine(query.start_from, datetime.min.time(), UTC))
    if query.start_to:
        end = datetime.combine(query.start_to, datetime.min.time(), UTC) + timedelta(days=1)
        clauses.append(D.start_time < end)
    for wanted in query.parameters:
        clauses.append(_parameter_clause(conn, principal, wanted))
    return clauses


def _text_clause(terms: tuple[str, ...], dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        matching = select(T.dataset_id).where(
            literal_column("search_text.search_fts").op("@@")(
                func.to_tsquery(literal_column("'simple'::regconfig"), postgres_query(terms))
            )
        )
        return D.dataset_id.in_(matching)
    matching = (
        select(literal_column("rowid"))
        .select_from(text("search_fts"))
        .where(text("search_fts MATCH :fts_query").bindparams(fts_query=fts5_query(terms)))
    )
    return D.dataset_id.in_(matching)


def _rank(query: SearchQuery, dialect: str) -> ColumnElement[Any] | None:
    if query.sort != "relevance":
        return None
    if dialect == "postgresql":
        score = func.ts_rank(
            literal_column("search_text.search_fts"),
            func.to_tsquery(literal_column("'simple'::regconfig"), postgres_query(query.terms)),
        ).cast(Float)
        return select(score).where(T.dataset_id == D.dataset_id).scalar_subquery()
    # bm25 needs its MATCH in the same statement: one scalar subquery per row of the page's
    # candidates. Lower bm25 is better; the rank is its negation, so larger is better anywhere.
    return (
        select(-func.bm25(literal_column("search_fts"), 10.0, 1.0))
        .select_from(text("search_fts"))
        .where(
            text("search_fts MATCH :rank_query").bindparams(rank_query=fts5_query(query.terms)),
            literal_column("search_fts.rowid") == D.dataset_id,
        )
        .scalar_subquery()
    )


def matches_name(type_name: str, asked: str) -> bool:
    """``wavelength`` names ``instrument/monochromator/wavelength`` and
    ``instrument/beam/incident_wavelength``, not ``wavelength_spread``; a path names itself."""
    name = fold(type_name)
    if name == asked or name.endswith("/" + asked):
        return True
    leaf = name.rsplit("/", 1)[-1]
    return "/" not in asked and leaf.endswith("_" + asked)


def _parameter_clause(
    conn: Connection, principal: Principal, wanted: ParameterRange
) -> ColumnElement[bool]:
    types = conn.execute(
        select(ParameterType.id, ParameterType.name, ParameterType.unit, ParameterType.public)
        .where(ParameterType.value_type == ValueType.NUMERIC)
        .order_by(ParameterType.id)
    ).all()
    open_ranges: list[ColumnElement[bool]] = []
    private_ranges: list[ColumnElement[bool]] = []
    for row in types:
        if not matches_name(row.name, wanted.name):
            continue
        bounds: tuple[float | None, float | None] | None = (wanted.low, wanted.high)
        if wanted.unit is not None:
            stored = scale_of(row.unit or "")
            bounds = (
                None if stored is None else bounds_in(wanted.low, wanted.high, wanted.unit, stored)
            )
        if bounds is None:
            continue  # another kind of quantity (an energy for a length): never a match
        low, high = bounds
        clause = Parameter.parameter_type_id == row.id
        if low is not None:
            clause = and_(clause, Parameter.numeric_value >= low)
        if high is not None:
            clause = and_(clause, Parameter.numeric_value <= high)
        (open_ranges if row.public else private_ranges).append(clause)

    def having(ranges: list[ColumnElement[bool]]) -> ColumnElement[bool]:
        return D.dataset_id.in_(select(Parameter.dataset_id).where(or_(*ranges)))

    found: list[ColumnElement[bool]] = []
    if open_ranges:
        found.append(having(open_ranges))
    if private_ranges:
        insiders = readable_clause(principal, _BEFORE_ANY_RELEASE)
        found.append(and_(insiders, having(private_ranges)))
    return or_(*found) if found else false()


def _facet_clauses(selection: Selection) -> list[ColumnElement[bool]]:
    clauses = []
    if selection.beamlines:
        clauses.append(D.instrument_id.in_(sorted(selection.beamlines)))
    if selection.techniques:
        clauses.append(or_(*(D.techniques.like(f"% {t} %") for t in sorted(selection.techniques))))
    if selection.types:
        clauses.append(D.dataset_type.in_(sorted(selection.types)))
    return clauses


def _joined(*columns: Any) -> Any:
    return select(*columns).select_from(
        SearchDocument.__table__.join(Investigation, Investigation.id == D.investigation_id)
    )


# -- page, counts, rows -------------------------------------------------------------------------

_SORT_KEYS: dict[str, tuple[Any, bool, type]] = {
    # sort -> (column, descending, python type of the token's value)
    "newest": (D.start_time, True, datetime),
    "oldest": (D.start_time, False, datetime),
    "name": (D.name, False, str),
}


def _page(
    conn: Connection,
    query: SearchQuery,
    clauses: list[ColumnElement[bool]],
    rank: ColumnElement[Any] | None,
) -> tuple[list[tuple[int, float | None]], str | None]:
    if rank is not None:
        key, descending, kind = rank, True, float
    else:
        key, descending, kind = _SORT_KEYS[query.sort]
    statement = _joined(D.dataset_id, key.label("sort_key")).where(*clauses)
    if query.after:
        value, last_id = paging.decode(query.after, kind)
        value = _token_value(value, kind)
        # Typed literals: a datetime must be bound as the column binds it (naive UTC on SQLite).
        position = tuple_(key, D.dataset_id)
        last = tuple_(literal(value, type_=key.type), literal(last_id, type_=D.dataset_id.type))
        statement = statement.where(position < last if descending else position > last)
    order = (key.desc(), D.dataset_id.desc()) if descending else (key, D.dataset_id)
    rows = conn.execute(statement.order_by(*order).limit(query.limit + 1)).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    token = paging.encode(rows[-1].sort_key, rows[-1].dataset_id) if more and rows else None
    scores = [(r.dataset_id, float(r.sort_key) if rank is not None else None) for r in rows]
    return scores, token


def _token_value(value: Any, kind: type) -> Any:
    """The sort value of a decoded token, or a ValidationError: sort keys are never NULL, ranks
    are finite floats, and no name holds NUL (which PostgreSQL refuses in a string)."""
    if kind is float and type(value) in (int, float):
        try:
            value = float(value)
        except OverflowError:
            value = None
        if value is not None and math.isfinite(value):
            return value
    elif value is not None and not (kind is str and "\x00" in value):
        return value
    raise ValidationError(
        "the 'after' token is not one this server made: start again from the first page",
        field="after",
    )


def _cells(
    conn: Connection, base: list[ColumnElement[bool]], chosen: list[ColumnElement[bool]]
) -> list[tuple[int | None, str, str, int]]:
    clauses = list(base)
    if len(chosen) > 1:  # rows failing two facet filters count nowhere
        failing = sum((case((c, 0), else_=1) for c in chosen), start=literal_column("0"))
        clauses.append(failing <= 1)
    statement = (
        _joined(D.instrument_id, D.dataset_type, D.techniques, func.count())
        .where(*clauses)
        .group_by(D.instrument_id, D.dataset_type, D.techniques)
    )
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(statement)]
