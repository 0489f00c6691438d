"""Running a search as someone, from URL-style arguments."""

from __future__ import annotations

from sqlalchemy import select

from faircat.catalogue.access import ANONYMOUS, principal_for
from faircat.catalogue.models import User
from faircat.catalogue.search.executor import SearchResult, search
from faircat.catalogue.search.query import parse
from faircat.catalogue.store import Catalogue
from tests.catalogue.factories import NOW


def run(catalogue: Catalogue, who: str | None = None, **args: str | list[str]) -> SearchResult:
    listed = {k: v if isinstance(v, list) else [v] for k, v in args.items()}
    with catalogue.transaction() as session:
        principal = ANONYMOUS
        if who is not None:
            principal = principal_for(session.scalar(select(User).where(User.username == who)))
        return search(session.connection(), principal, parse(listed), NOW)


def names(result: SearchResult) -> list[str]:
    return [h.name for h in result.hits]


def counts(result: SearchResult, facet: str) -> dict[str, int]:
    return {v.key: v.count for v in result.facets[facet]}
