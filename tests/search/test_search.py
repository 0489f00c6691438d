"""Searching datasets: words, facets, dates, parameter ranges with units, sorting and paging,
on SQLite (FTS5) and PostgreSQL (tsvector + GIN)."""

from __future__ import annotations

import pytest

from faircat.errors import ValidationError
from tests.search.helpers import counts, names, run

PUBLIC = {"scan_0001", "scan_0002", "scan_0003", "xas_0001"}


def test_anonymous_finds_every_public_dataset_and_nothing_else(catalogue, world):
    result = run(catalogue)
    assert set(names(result)) == PUBLIC
    assert result.total == 4
    assert counts(result, "beamline") == {"NOTOS": 1, "XALOC": 3}
    assert counts(result, "technique") == {"mx": 3, "xas": 1}
    assert counts(result, "type") == {"processed": 1, "raw": 3}


@pytest.mark.parametrize(
    ("words", "found"),
    [
        ("thaumatin", {"scan_0001", "scan_0002", "scan_0003"}),  # experiment title
        ("PUB1", {"scan_0001", "scan_0002", "scan_0003"}),  # proposal
        ("10.80100/tls.pub1-1", {"scan_0001", "scan_0002", "scan_0003"}),  # DOI
        ("Ibáñez", {"scan_0001", "scan_0002", "scan_0003"}),  # a member
        ("ibanez", {"scan_0001", "scan_0002", "scan_0003"}),  # accents folded
        ("lysozyme", {"scan_0001"}),  # sample (the embargoed one is not anyone's to see)
        ("C613H951N193O185S10", {"scan_0001"}),  # formula
        ("c6h12o6", {"scan_0003"}),  # subscripts folded
        ("muller", {"scan_0003"}),
        ("scan_0001_data", {"scan_0001"}),  # file name
        ("cu_k_edge.xdi", {"xas_0001"}),
        ("lyso", {"scan_0001"}),  # prefixes
        ("thaumatin lysozyme", {"scan_0001"}),  # every word must match
        ("nothing-like-this", set()),
    ],
)
def test_words_find_titles_proposals_dois_people_samples_formulas_and_files(
    catalogue, world, words, found
):
    assert set(names(run(catalogue, q=words))) == found


def test_a_member_finds_their_embargoed_data_too(catalogue, world):
    assert set(names(run(catalogue, "pia", q="lysozyme"))) == {"scan_0001", "emb_0001"}
    assert set(names(run(catalogue, "nina", q="lysozyme"))) == {"scan_0001"}
    assert set(names(run(catalogue, "cure", q="lysozyme"))) == {"scan_0001", "emb_0001"}


def test_facets_filter_and_count_the_other_choices(catalogue, world):
    result = run(catalogue, beamline="XALOC", type="raw")
    assert set(names(result)) == {"scan_0001", "scan_0002"}
    assert result.total == 2
    # each facet is counted without its own filter: the other beamline and type still show
    assert counts(result, "beamline") == {"NOTOS": 1, "XALOC": 2}
    assert counts(result, "type") == {"processed": 1, "raw": 2}
    assert counts(result, "technique") == {"mx": 2}
    assert [v.key for v in result.facets["beamline"] if v.selected] == ["XALOC"]


def test_facet_values_of_one_facet_are_alternatives(catalogue, world):
    result = run(catalogue, beamline=["XALOC", "NOTOS"], technique="xas")
    assert names(result) == ["xas_0001"]
    assert counts(result, "beamline") == {"NOTOS": 1, "XALOC": 0}  # chosen: shown at zero
    assert counts(result, "technique") == {"mx": 3, "xas": 1}


def test_a_selected_value_without_results_is_still_shown(catalogue, world):
    result = run(catalogue, beamline="NOTOS", technique="mx")
    assert result.total == 0 and result.hits == []
    assert counts(result, "beamline") == {"NOTOS": 0, "XALOC": 3}
    assert counts(result, "technique") == {"mx": 0, "xas": 1}


@pytest.mark.parametrize(
    ("low", "high", "unit", "found"),
    [
        ("0.9", "1.0", "angstrom", {"scan_0001", "scan_0002"}),  # 0.09 nm is on the boundary
        ("0.09", "0.1", "nm", {"scan_0001", "scan_0002"}),
        ("90", "100", "pm", {"scan_0001", "scan_0002"}),
        ("0.9", "1.0", "Å", {"scan_0001", "scan_0002"}),
        ("1.1", "", "angstrom", {"scan_0003"}),
        ("", "0.95", "angstrom", {"scan_0002"}),
        ("0.9", "1.0", "keV", set()),  # an energy is not a wavelength
        ("0.97", "0.98", "", {"scan_0001"}),  # no unit: stored values as they are
    ],
)
def test_wavelength_ranges_in_any_length_unit(catalogue, world, low, high, unit, found):
    result = run(catalogue, param="wavelength", min=low, max=high, unit=unit)
    assert set(names(result)) == found
    assert result.total == len(found)


def test_temperatures_convert_with_their_offset(catalogue, world):
    assert set(names(run(catalogue, param="temperature", min="99", max="101", unit="K"))) == {
        "scan_0001",
        "scan_0003",  # -173.15 degC
    }
    found = run(catalogue, param="temperature", min="-174", max="-172", unit="degC")
    assert set(names(found)) == {"scan_0001", "scan_0003"}


def test_energies_in_ev_find_kev(catalogue, world):
    found = run(catalogue, param="edge_energy", min="8900", max="9000", unit="eV")
    assert names(found) == ["xas_0001"]


def test_a_range_with_two_facets(catalogue, world):
    result = run(
        catalogue,
        beamline="XALOC",
        technique="mx",
        param="wavelength",
        min="0.9",
        max="1",
        unit="angstrom",
    )
    assert set(names(result)) == {"scan_0001", "scan_0002"}
    assert counts(result, "beamline") == {"XALOC": 2}


def test_a_parameter_type_that_is_not_public_is_only_for_the_team(catalogue, world):
    assert names(run(catalogue, param="dose", min="4", max="6", unit="Gy")) == []
    assert names(run(catalogue, "nina", param="dose", min="4", max="6", unit="Gy")) == []
    assert names(run(catalogue, "pia", param="dose", min="4", max="6", unit="Gy")) == ["scan_0001"]
    assert names(run(catalogue, "cure", param="dose", min="4", max="6")) == ["scan_0001"]


def test_dates_include_both_days(catalogue, world):
    found = run(catalogue, **{"from": "2022-06-02", "to": "2022-06-03"})
    assert set(names(found)) == {"scan_0002", "scan_0003"}


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("newest", ["xas_0001", "scan_0003", "scan_0002", "scan_0001"]),
        ("oldest", ["scan_0001", "scan_0002", "scan_0003", "xas_0001"]),
        ("name", ["scan_0001", "scan_0002", "scan_0003", "xas_0001"]),
    ],
)
def test_keyset_pages_walk_every_sort_without_gaps(catalogue, world, sort, order):
    seen, after = [], None
    for _ in range(10):
        args = {"sort": sort, "limit": "1"} | ({"after": after} if after else {})
        page = run(catalogue, **args)
        assert page.total == 4
        seen += names(page)
        after = page.next
        if after is None:
            break
    assert seen == order


def test_relevance_puts_names_before_files_and_pages(catalogue, world):
    # "scan" is in every dataset name; "0001" in scan_0001's name and in no other
    first = run(catalogue, q="scan 0001", sort="relevance")
    assert names(first) == ["scan_0001"]
    pages, after = [], None
    for _ in range(10):
        page = run(catalogue, q="scan", limit="2", **({"after": after} if after else {}))
        pages += names(page)
        after = page.next
        if after is None:
            break
    assert sorted(pages) == ["scan_0001", "scan_0002", "scan_0003"]
    assert all(h.score is not None for h in run(catalogue, q="scan").hits)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"beamline": "BL99"}, "unknown beamline 'BL99' (known: NOTOS, XALOC)"),
        ({"technique": "cooking"}, "unknown technique 'cooking'"),
        ({"after": "not-a-token"}, "the 'after' token is not one this server made"),
    ],
)
def test_unknown_facet_values_and_tokens_are_named(catalogue, world, args, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(catalogue, **args)


def test_the_result_as_json_for_the_api(catalogue, world):
    import json

    from faircat.catalogue.search.payload import result_json

    payload = result_json(run(catalogue, q="lysozyme"))
    assert json.loads(json.dumps(payload)) == payload
    (item,) = payload["items"]
    assert item["name"] == "scan_0001" and item["experiment"] == "PUB1-1"
    assert item["state"] == "public" and item["techniques"] == ["macromolecular crystallography"]
    assert payload["total"] == 1 and payload["next"] is None
    assert payload["facets"]["beamline"] == [
        {"value": "XALOC", "label": "XALOC", "count": 1, "selected": False}
    ]
