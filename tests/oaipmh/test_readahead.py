"""Read-ahead: the next page is read while the harvester parses, and changes nothing it sees."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from faircat.oaipmh.readahead import ReadAhead
from tests.oaipmh.conftest import utcnow

_DATE = re.compile(rb"<responseDate>[^<]*</responseDate>")


def _bodies(pages: list[Any]) -> list[bytes]:
    return [_DATE.sub(b"", page.body) for page in pages]


def test_harvest_equals_harvest_without_read_ahead(make_oai: Callable[..., Any]) -> None:
    moment = utcnow()  # one clock for both: same token expiry, so the same bytes
    with_read_ahead = make_oai(clock=lambda: moment)
    without = make_oai(clock=lambda: moment)
    without.app.provider.read_ahead = None
    for verb, prefix in (("ListRecords", "oai_datacite"), ("ListIdentifiers", "oai_dc")):
        ours = with_read_ahead.harvest(verb, metadataPrefix=prefix)
        assert len(ours) > 2  # pages of 3: tokens were followed
        assert _bodies(ours) == _bodies(without.harvest(verb, metadataPrefix=prefix))


def test_next_page_is_read_ahead_and_taken(make_oai: Callable[..., Any]) -> None:
    oai = make_oai()
    read_ahead: ReadAhead = oai.app.provider.read_ahead
    first = oai.get(verb="ListRecords", metadataPrefix="oai_dc")
    assert len(read_ahead.pending()) == 1
    taken = []
    original = read_ahead.take

    def spy(*args: Any) -> Any:
        rows = original(*args)
        taken.append(rows)
        return rows

    read_ahead.take = spy  # type: ignore[method-assign]
    oai.get(verb="ListRecords", resumptionToken=first.token().text)
    assert taken and taken[0] is not None and len(taken[0]) == 4  # page size 3, plus one


def test_stale_pages_are_read_again(make_oai: Callable[..., Any]) -> None:
    moment = utcnow()
    oai = make_oai(clock=lambda: moment)
    read_ahead: ReadAhead = oai.app.provider.read_ahead
    read_ahead.ttl = 0.0  # every page read ahead is too old by the time it is asked for
    pages = oai.harvest("ListRecords", metadataPrefix="oai_dc")
    fresh = make_oai(clock=lambda: moment)
    fresh.app.provider.read_ahead = None
    assert _bodies(pages) == _bodies(fresh.harvest("ListRecords", metadataPrefix="oai_dc"))


def test_bounded_and_failures_fall_back(make_oai: Callable[..., Any]) -> None:
    oai = make_oai()
    read_ahead: ReadAhead = oai.app.provider.read_ahead
    read_ahead.capacity = 2
    for _ in range(5):  # five harvesters start lists; only the newest two next pages are kept
        oai.get(verb="ListRecords", metadataPrefix="oai_dc", set="openaire_data")
        oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc")
        oai.get(verb="ListRecords", metadataPrefix="oai_datacite")
    assert len(read_ahead.pending()) <= 2

    class Broken:
        def page(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("database gone")

    broken = ReadAhead(Broken())  # type: ignore[arg-type]
    window_key = read_ahead.pending()[0]
    broken.schedule(*window_key)
    assert broken.take(*window_key) is None  # the request then reads directly
