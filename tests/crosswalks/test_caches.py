"""The crosswalks' memo caches give the same output as computing afresh, and stay bounded."""

from __future__ import annotations

from faircat.crosswalks import prepared
from faircat.crosswalks.view import Organization, Person


def test_equal_agents_share_text_and_distinct_agents_do_not() -> None:
    ub = Organization("Universitat de Barcelona", "021018s57")
    orcid = "0000-0002-1825-0097"
    one = prepared.agent_text(Person("Anna", "García", orcid=orcid, affiliation=ub))
    same = prepared.agent_text(Person("Anna", "García", orcid=orcid, affiliation=ub))
    other = prepared.agent_text(Person("Anna", "García", affiliation=ub))
    assert one is same
    assert one == prepared._agent_text(Person("Anna", "García", "", "0000-0002-1825-0097", ub))
    assert (one.orcid, other.orcid) == ("https://orcid.org/0000-0002-1825-0097", "")
    assert one.affiliation_ror == "https://ror.org/021018s57"


def test_agent_cache_is_bounded() -> None:
    for n in range(prepared._AGENT_CACHE_SIZE + 10):
        prepared.agent_text(Person("A", f"B{n}"))
    assert len(prepared._AGENT_CACHE) <= prepared._AGENT_CACHE_SIZE
    assert prepared.agent_text(Person("A", "B3")).family == "B3"
