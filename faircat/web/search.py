"""The portal's search page ``/portal/search``: datasets by words, facets, dates and ranges.

Open to everyone: anonymous visitors search public data, a signed-in person also the data of
their experiments (and beamlines; staff everything), a script with its Bearer token what the
token reads. The page is a GET form that works without JavaScript: facets are checkboxes with
their counts, sorting a select, paging a "next" link carrying an opaque keyset token, so a
search can be bookmarked or sent to a colleague. Bad input is a message next to the form
(HTTP 400), never a 500. The query is faircat.catalogue.search, shared with the JSON API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from faircat.catalogue.access import Principal
from faircat.catalogue.models import Investigation, InvestigationMember
from faircat.catalogue.models.investigation import investigation_instrument
from faircat.catalogue.search import facets
from faircat.catalogue.search.executor import SearchResult, search
from faircat.catalogue.search.hits import Hit
from faircat.catalogue.search.query import SORTS, parse
from faircat.catalogue.search.text import fold
from faircat.errors import ValidationError
from faircat.web import context
from faircat.web.principal import current_caller

bp = Blueprint("search", __name__)

MAX_PAGE = 100
SORT_LABELS = {"relevance": "Best match", "newest": "Newest", "oldest": "Oldest", "name": "Name"}
# Suggestions only (a datalist): any parameter name or unit pint knows may be typed.
PARAMETER_SUGGESTIONS = ("wavelength", "energy", "temperature", "distance", "count_time", "flux")
UNIT_SUGGESTIONS = ("angstrom", "nm", "keV", "eV", "K", "degC", "mm", "s", "deg")


@bp.get("/search")
def page() -> ResponseReturnValue:
    now = context.now()
    with context.catalogue().transaction() as session:
        caller = current_caller(session)
        conn = session.connection()
        vocabulary = facets.vocabulary(conn)
        result: SearchResult | None = None
        problem = None
        try:
            query = parse(request.args.to_dict(flat=False), max_limit=MAX_PAGE)
            result = search(conn, caller.principal, query, now, vocabulary)
        except ValidationError as error:
            problem = str(error)
        openable = _openable(session, caller.principal, result.hits if result else [])
        body = render_template(
            "portal/search.html",
            current="search",
            result=result,
            problem=problem,
            args=request.args,
            vocabulary=vocabulary,
            sorts=[(s, SORT_LABELS[s]) for s in SORTS],
            openable=openable,
            mark=_marker(result.query.terms if result else ()),
            parameter_suggestions=PARAMETER_SUGGESTIONS,
            unit_suggestions=UNIT_SUGGESTIONS,
        )
    return body, 400 if problem else 200


def _openable(session: Session, principal: Principal, hits: Iterable[Hit]) -> set[int]:
    """Ids of the experiments whose portal page the caller may open (context.can_view): their
    team's, their beamlines', every one for staff. Public data found by anyone else links to the
    dataset only."""
    ids = {h.investigation_id for h in hits}
    if not ids or principal.is_staff:
        return ids
    if principal.user_id is None:
        return set()
    mine = Investigation.id.in_(
        select(InvestigationMember.investigation_id).where(
            InvestigationMember.user_id == principal.user_id
        )
    )
    beamlines = Investigation.id.in_(
        select(investigation_instrument.c.investigation_id).where(
            investigation_instrument.c.instrument_id.in_(sorted(principal.scientist_of))
        )
    )
    return set(
        session.scalars(
            select(Investigation.id).where(
                Investigation.id.in_(sorted(ids)),
                or_(mine, beamlines) if principal.scientist_of else mine,
            )
        )
    )


def _marker(terms: tuple[str, ...]) -> Callable[[str | None], Markup]:
    """A template function: ``mark(text)`` escapes ``text`` and wraps the words that start with a
    searched term in <mark>, folding both sides as the index does (Müller matches "muller")."""

    def mark(value: str | None) -> Markup:
        if not value:
            return Markup("")
        if not terms:
            return escape(value)
        parts = []
        for piece in re.split(r"([^\W_]+)", value):
            if piece and any(fold(piece).startswith(t) for t in terms):
                parts.append(Markup("<mark>%s</mark>") % piece)
            else:
                parts.append(escape(piece))
        return Markup("").join(parts)

    return mark
