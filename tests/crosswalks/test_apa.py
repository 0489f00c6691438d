"""``apa.apa`` gives exactly what citeproc-py renders for the APA style (the oracle)."""

from __future__ import annotations

import warnings
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faircat.crosswalks import apa, citations
from faircat.crosswalks.view import Organization, Person, Record
from faircat.errors import MetadataError

from . import cases


def _oracle(record: Record) -> str:
    with warnings.catch_warnings():  # citeproc-py warns about CSL-JSON keys it does not use
        warnings.simplefilter("ignore")
        return citations._citeproc(record, "apa")


def _same(record: Record) -> str:
    """Assert apa() == citeproc-py, both for a text and for an error; returns the text."""
    try:
        expected = _oracle(record)
    except MetadataError as error:
        with pytest.raises(MetadataError) as caught:
            apa.apa(record)
        assert str(caught.value) == str(error)
        return ""
    assert apa.apa(record) == expected
    return expected


def _people(count: int) -> tuple[Person, ...]:
    return tuple(Person(f"Given{i}", f"Family{i}") for i in range(count))


@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_every_case(name: str) -> None:
    _same(cases.CASES[name]())


def test_known_texts() -> None:
    assert apa.apa(cases.full()) == (
        "García Pérez, A., & Smith, T. (2026). Lysozyme crystal, collection 1 (Version 1.0) "
        "[Dataset]. ALBA Synchrotron. https://doi.org/10.5072/alba.ds.1001"
    )
    assert apa.apa(cases.selection()).startswith("Smith, T., & García Pérez, A. (2026). ")
    assert "[Collection]" in apa.apa(cases.selection())
    text = apa.apa(cases.many_creators())
    assert "Family018, G., … Family199, G. (2026)" in text and "Family019" not in text


@pytest.mark.parametrize("count", range(1, 26))
def test_author_counts(count: int) -> None:
    _same(replace(cases.minimal(), creators=_people(count)))


@pytest.mark.parametrize("count", [1, 2, 3, 20, 21, 22])
def test_author_counts_mixed_with_organisations(count: int) -> None:
    creators = tuple(
        Organization(f"Institute {i}") if i % 3 == 1 else person
        for i, person in enumerate(_people(count))
    )
    _same(replace(cases.minimal(), creators=creators))
    # names nobody can print are left out before counting (the 21st becomes the 20th)
    _same(replace(cases.minimal(), creators=(*creators[:-1], Person(), creators[-1])))


NAMES = [
    Person("Jean-Pierre", "Dupont"),
    Person("Mary-jane", "Watson"),
    Person("Anna Maria", "Müller"),
    Person("J. R. R.", "Tolkien"),
    Person("J.P.", "Morgan"),
    Person("Ludwig", "van Beethoven"),
    Person("Jan", "van der Berg"),
    Person("Ludwig van", "Beethoven"),
    Person("de la", "Cruz"),
    Person("José", "Núñez Ñáñez"),
    Person("Élise", "Lefèvre"),
    Person("élise", "lefèvre"),
    Person("太郎", "山田"),
    Person("محمد", "العلي"),
    Person("Ǆemal", "Bijedić"),
    Person("İlker", "Öztürk"),
    Person("3D", "Scanner"),
    Person("Anna-", "Trailing"),
    Person("-", "Hyphen"),
    Person(".", "Dot"),
    Person("", "Family-only"),
    Person("Given-only"),
    Person(full_name="Beamline Team XALOC"),
    Person("Anna", "Comma,"),
    Person("Anna", "Dot."),
    Person("Anna,", "Given Comma"),
    Person("Given \x00 with\tcontrols\n", "Family \ud800 name  "),
    Person("\x00", "Ghost"),
    Person("Anna", "\x00", full_name="Fallback Full Name"),
    Organization("Société Française de Neutronique"),
    Organization("Acme Inc."),
    Organization("Trailing comma,"),
    Organization("Who?"),
    Organization("中国科学院"),
]


@pytest.mark.parametrize("who", NAMES, ids=repr)
@pytest.mark.parametrize("count", [1, 2, 3])
def test_name_variants(who: Person | Organization, count: int) -> None:
    others = _people(count - 1)
    _same(replace(cases.minimal(), creators=(*others, who)))  # last: after "&"
    if count > 1:
        _same(replace(cases.minimal(), creators=(who, *others)))  # first: before ", "


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Ends with a period."},
        {"title": "Ends with a question?"},
        {"title": "Ends with two periods.."},
        {"title": "Exclaims!", "version": "2.0"},
        {"title": '"Quoted" & <angled> [bracketed] (parenthesised): colon;'},
        {"title": 'Protected <span class="nocase">iPhone</span> case'},  # citeproc fallback
        {"version": "1-2"},  # citeproc's label says "Versions"
        {"version": "1.2.3"},
        {"version": "v1, v2"},
        {"version": "(draft)"},
        {"version": "\x00"},
        {"publication_year": 2024},
        {"publication_year": 999},
        {"publication_year": 0},
        {"publication_year": -44},
        {"publication_year": 12345},
        {"kind": "experiment"},
        {"kind": "selection"},
        {"doi": "https://doi.org/10.5072/ABC.def"},
        {"doi": "doi:10.5072/ends.with.dot."},
    ],
    ids=repr,
)
def test_fields(change: dict) -> None:
    _same(replace(cases.full(), **change))


@pytest.mark.parametrize("publisher", ["ALBA.", "ALBA?", "ALBA..", "A", '<SPAN class="nocase">X'])
def test_publisher(publisher: str) -> None:
    record = cases.full()
    _same(replace(record, facility=replace(record.facility, name=publisher)))


@pytest.mark.parametrize(
    "change",
    [
        {"title": "\x00"},
        {"doi": "nope"},
        {"creators": (Person(), Organization(" "))},
        {"publication_year": None, "dates": cases.RecordDates()},
    ],
    ids=repr,
)
def test_missing_fields_raise_like_citeproc(change: dict) -> None:
    record = cases.full()
    with pytest.raises(MetadataError):
        _oracle(replace(record, **change))
    _same(replace(record, **change))


def test_hot_path_is_apa() -> None:
    record = cases.unicode()
    assert citations.render_style(record, "apa") == apa.apa(record) == _oracle(record)
    cache: dict[str, str] = {}
    assert citations.cached_citation(record, "apa", cache) == apa.apa(record)
    assert list(cache.values()) == [apa.apa(record)]


# --- random records against citeproc ---------------------------------------------------------

_LETTERS = st.sampled_from("abcxyzABCXYZéÉñÑøßİıǅÆ山田太郎中文محمدعليΩωЖж")
_PUNCTUATION = st.sampled_from(" .,;:!?-'\"()[]&/…\x00\t\n\u00a0")
_WORD = st.text(_LETTERS, min_size=1, max_size=6)
_TEXT = st.text(st.one_of(_LETTERS, _LETTERS, _PUNCTUATION), max_size=20)
_PARTICLE = st.sampled_from(["van", "van der", "de la", "von", "di", "d'", "al-", "Mac"])


@st.composite
def _given_names(draw: st.DrawFn) -> str:
    words = draw(st.lists(_WORD, min_size=1, max_size=3))
    joiner = draw(st.sampled_from([" ", "-", ". ", ".", " - "]))
    text = joiner.join(words)
    if draw(st.booleans()):
        text = f"{text} {draw(_PARTICLE)}"
    return text if draw(st.integers(0, 9)) else draw(_TEXT)


@st.composite
def _family_names(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from([" ", "-"])).join(draw(st.lists(_WORD, min_size=1, max_size=3)))
    if draw(st.booleans()):
        text = f"{draw(_PARTICLE)} {text}"
    return text if draw(st.integers(0, 9)) else draw(_TEXT)


_PERSONS = st.builds(
    Person,
    given_name=st.one_of(st.just(""), _given_names()),
    family_name=st.one_of(st.just(""), _family_names()),
    full_name=st.one_of(st.just(""), _TEXT),
)
_ORGANISATIONS = st.builds(Organization, name=st.one_of(_TEXT, _family_names()))
_TITLES = st.one_of(
    _TEXT,
    st.builds(
        lambda words, end: " ".join(words) + end,
        st.lists(_WORD, min_size=1, max_size=6),
        st.sampled_from(["", ".", "?", "!", "..", ":", ",", " (v2)", "…"]),
    ),
)


@settings(
    max_examples=250,  # citeproc-py takes ~25 ms an example
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    creators=st.lists(st.one_of(_PERSONS, _PERSONS, _ORGANISATIONS), min_size=1, max_size=25),
    title=_TITLES,
    version=st.one_of(st.just(""), _TEXT, st.sampled_from(["1.0", "2", "1-2", "v3.1"])),
    year=st.one_of(st.none(), st.integers(-50, 3000)),
    publisher=st.one_of(st.just("ALBA Synchrotron"), _TEXT),
    kind=st.sampled_from(["dataset", "experiment", "selection"]),
)
def test_random_records(creators, title, version, year, publisher, kind) -> None:
    record = cases.minimal()
    record = replace(
        record,
        creators=tuple(creators),
        title=title,
        version=version,
        publication_year=year,
        facility=replace(record.facility, name=publisher),
        kind=kind,
    )
    _same(record)
