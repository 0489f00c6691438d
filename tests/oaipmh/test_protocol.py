"""The conformance checklist of ../shared/reference/oai-pmh.md, one test (or more) per item.

Every response goes through ``Oai._check``: HTTP 200 answers are parsed and validated against
the strict ``oai-response.xsd`` (payloads included) before a test looks at them.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from faircat.catalogue.models import Investigation
from faircat.oaipmh.wsgi import create_provider
from faircat.publisher.publish import publish
from tests.oaipmh.conftest import NS, Oai
from tests.oaipmh.world import NOW, SENTINEL

EXPOSED = 10  # 2 * 3 open + XAS experiment and dataset + 2 withdrawn (see world.build)
DATESTAMP = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
REPO = "data.tls.example.org"
OPEN_EXPERIMENT = f"oai:{REPO}:10.80100/tls.open0000-1"
WITHDRAWN = f"oai:{REPO}:10.80100/tls.wdr1-1"


def identifiers(pages) -> list[str]:
    return [text for page in pages for text in page.texts(".//o:header/o:identifier")]


def without_response_date(body: bytes) -> bytes:
    """The body minus what depends on the second it was made (responseDate, token expiry)."""
    body = re.sub(rb"<responseDate>[^<]*</responseDate>", b"", body)
    return re.sub(rb'expirationDate="[^"]*">[^<]*<', b"", body)


# -- transport ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        {"verb": "Identify"},
        {"verb": "ListRecords", "metadataPrefix": "oai_dc"},
        {"verb": "GetRecord", "metadataPrefix": "datacite", "identifier": OPEN_EXPERIMENT},
        {"verb": "ListSets"},
        {"verb": "Nonsense"},
        {"verb": "ListIdentifiers"},
    ],
)
def test_1_get_and_post_give_identical_answers(oai: Oai, args):
    assert without_response_date(oai.get(**args).body) == without_response_date(
        oai.post(**args).body
    )


def test_1_post_follows_resumption_tokens(oai: Oai):
    first = oai.post(verb="ListIdentifiers", metadataPrefix="oai_dc")
    second = oai.post(verb="ListIdentifiers", resumptionToken=first.token().text)
    assert second.error() is None and second.token().get("cursor") == "3"


def test_2_oai_errors_are_http_200(oai: Oai):
    response = oai.get(verb="NoSuchVerb")
    assert response.status == 200 and response.error() == "badVerb"


def test_2_overload_is_503_with_retry_after(make_oai):
    oai = make_oai(oai_max_concurrent=1)
    repository = oai.app.provider.repository
    entered, release = threading.Event(), threading.Event()
    page = repository.page

    def slow_page(*args, **kwargs):
        entered.set()
        release.wait(10)
        return page(*args, **kwargs)

    repository.page = slow_page
    results = []
    busy = threading.Thread(
        target=lambda: results.append(oai.get(verb="ListRecords", metadataPrefix="oai_dc"))
    )
    busy.start()
    assert entered.wait(10)
    try:
        refused = oai.get(verb="Identify")
    finally:
        release.set()
        busy.join(10)
    assert refused.status == 503 and int(refused.headers["Retry-After"]) > 0
    assert results[0].status == 200 and results[0].error() is None
    assert oai.get(verb="Identify").status == 200  # the slot was given back


def test_2_database_down_is_503_with_retry_after(small_pages, oai_schema):
    import dataclasses

    from faircat.catalogue.store import Catalogue

    down = dataclasses.replace(
        small_pages, database_url="postgresql+psycopg://postgres@127.0.0.1:9/nothing"
    )
    app = create_provider(down, Catalogue.open(down))
    response = Oai(app, oai_schema).get(verb="Identify")
    assert response.status == 503 and response.headers["Retry-After"]


def test_3_content_type_and_valid_xml_from_control_characters(world, small_pages, oai: Oai):
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "OPEN0001"))
        inv.title = "Bell\x07 form\x0cfeed \ufffe end"  # (PostgreSQL text cannot hold NUL)
        inv.summary = "tab\tand\x1b[31m escape"
    with world.transaction() as session:
        publish(session, small_pages, NOW + timedelta(minutes=1))
    identifier = f"oai:{REPO}:10.80100/tls.open0001-1"
    for prefix in ("oai_dc", "oai_datacite", "datacite"):
        response = oai.get(verb="GetRecord", metadataPrefix=prefix, identifier=identifier)
        assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
        assert b"Bell form" in response.body.replace(b"feed", b"")  # parsed: control chars gone
    # arguments echoed back are cleaned too
    response = oai.get("verb=ListRecords&resumptionToken=%01%02abc%EF%BF%BE")
    assert response.error() == "badResumptionToken"


# -- envelope ----------------------------------------------------------------------------------


def test_5_response_date_is_now_in_utc_seconds(oai: Oai):
    before = datetime.now(UTC).replace(microsecond=0)
    text = oai.get(verb="Identify").texts("o:responseDate")[0]
    after = datetime.now(UTC)
    assert DATESTAMP.match(text)
    assert before <= datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) <= after


def test_6_request_echoes_base_url_and_arguments(oai: Oai):
    response = oai.get(
        verb="ListRecords", metadataPrefix="oai_dc", set="beamline", **{"from": "2020-01-01"}
    )
    request = response.tree.find("o:request", NS)
    assert request.text == "https://data.tls.example.org/oai"
    assert request.attrib == {
        "verb": "ListRecords",
        "metadataPrefix": "oai_dc",
        "set": "beamline",
        "from": "2020-01-01",
    }
    error = oai.get(verb="GetRecord", metadataPrefix="nope", identifier=OPEN_EXPERIMENT)
    assert error.error() == "cannotDisseminateFormat"
    assert error.request_attributes()["metadataPrefix"] == "nope"


@pytest.mark.parametrize(
    "query", ["verb=Bogus&metadataPrefix=oai_dc", "verb=ListRecords&metadataPrefix=oai_dc&x=1"]
)
def test_6_no_echo_after_bad_verb_or_bad_argument(oai: Oai, query):
    response = oai.get(query)
    assert response.error() in ("badVerb", "badArgument")
    assert response.request_attributes() == {}
    assert response.tree.find("o:request", NS).text == "https://data.tls.example.org/oai"


# -- Identify ----------------------------------------------------------------------------------


def test_7_identify(oai: Oai):
    response = oai.get(verb="Identify")
    identify = response.tree.find("o:Identify", NS)
    value = {child.tag.split("}")[1]: child.text for child in identify if child.text}
    assert value["baseURL"] == "https://data.tls.example.org/oai"
    assert value["protocolVersion"] == "2.0"
    assert value["adminEmail"] == "data-curation@alba.example.org"
    assert value["deletedRecord"] == "persistent"
    assert value["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    earliest = value["earliestDatestamp"]
    stamps = [
        t for page in oai.harvest(metadataPrefix="oai_dc") for t in page.texts(".//o:datestamp")
    ]
    assert stamps and all(earliest <= stamp for stamp in stamps) and earliest in stamps
    oid = "{http://www.openarchives.org/OAI/2.0/oai-identifier}"
    description = identify.find(f"o:description/{oid}oai-identifier", NS)
    assert description.findtext(f"{oid}repositoryIdentifier") == REPO
    assert description.findtext(f"{oid}sampleIdentifier").startswith(f"oai:{REPO}:")
    ids = identifiers(oai.harvest(metadataPrefix="oai_dc"))
    assert ids and all(i.startswith(f"oai:{REPO}:10.80100/") for i in ids)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"oai_admin_email": "root@localhost"}, "oai_admin_email"),
        ({"oai_admin_email": "nobody"}, "oai_admin_email"),
        ({"facility_base_url": "http://localhost:8080"}, "dotted domain"),
        ({"oai_repository_identifier": "not a domain"}, "dotted domain"),
    ],
)
def test_7_identify_refuses_settings_harvesters_reject(small_pages, world, changes, problem):
    import dataclasses

    from faircat.errors import ConfigError

    with pytest.raises(ConfigError, match=problem):
        create_provider(dataclasses.replace(small_pages, **changes), world)


def test_7_earliest_datestamp_of_an_empty_repository(catalogue, small_pages, oai_schema):
    oai = Oai(create_provider(small_pages, catalogue), oai_schema)
    assert oai.get(verb="Identify").texts(".//o:earliestDatestamp") == ["1970-01-01T00:00:00Z"]
    assert oai.get(verb="ListRecords", metadataPrefix="oai_dc").error() == "noRecordsMatch"
    # ListSets is never empty: the top-level sets are always listed
    assert "openaire_data" in oai.get(verb="ListSets").texts(".//o:setSpec")


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "metadataPrefix=oai_dc",
        "verb=Nonsense",
        "verb=listrecords",
        "verb=Identify&verb=Identify",
        "verb=Identify&verb=ListSets",
        "verb=",
    ],
)
def test_8_bad_verb(oai: Oai, query):
    assert oai.get(query).error() == "badVerb"


@pytest.mark.parametrize(
    "query",
    [
        "verb=ListRecords",  # missing metadataPrefix
        "verb=GetRecord&metadataPrefix=oai_dc",  # missing identifier
        "verb=GetRecord&identifier=" + OPEN_EXPERIMENT,  # missing metadataPrefix
        "verb=Identify&metadataPrefix=oai_dc",  # illegal extra
        "verb=ListSets&set=beamline",
        "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=datacite",  # repeated
        "verb=ListRecords&metadataPrefix=oai_dc&from=2020-13-01",  # malformed dates
        "verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01T00:00:00",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01T00:00:00.5Z",
        "verb=ListRecords&metadataPrefix=oai_dc&until=yesterday",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01&until=2021-01-01T00:00:00Z",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2021-01-01&until=2020-01-01",
        "verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=abc",  # token + other
        "verb=ListIdentifiers&resumptionToken=abc&from=2020-01-01",
        "verb=ListRecords&metadataPrefix=oai%20dc",  # impossible prefix
        "verb=ListRecords&metadataPrefix=oai_dc&set=a::b",  # impossible setSpec
        "verb=ListRecords&metadataPrefix=",  # empty value
    ],
)
def test_9_bad_argument(oai: Oai, query):
    response = oai.get(query)
    assert response.error() == "badArgument", response.body
    assert response.request_attributes() == {}


def test_10_cannot_disseminate_format(oai: Oai):
    assert oai.get(verb="ListRecords", metadataPrefix="marc21").error() == "cannotDisseminateFormat"
    assert (
        oai.get(verb="GetRecord", metadataPrefix="marc21", identifier=OPEN_EXPERIMENT).error()
        == "cannotDisseminateFormat"
    )


@pytest.mark.parametrize(
    "identifier",
    [
        f"oai:{REPO}:10.80100/tls.nothing-1",  # unknown
        f"oai:{REPO}:10.80100/tls.reg1-1",  # registered DOI, still embargoed
        f"oai:{REPO}:10.80100/tls.emb1-1",  # embargoed, no DOI yet
        f"oai:{REPO}:10.80100/tls.run1-1",  # running
        "oai:other.example.org:10.80100/tls.open0000-1",  # another repository
        "10.80100/tls.open0000-1",  # not an OAI identifier at all
        "oai:data.tls.example.org:",
    ],
)
def test_10_id_does_not_exist_also_for_restricted_records(oai: Oai, identifier):
    for verb, extra in (("GetRecord", {"metadataPrefix": "oai_dc"}), ("ListMetadataFormats", {})):
        response = oai.get(verb=verb, identifier=identifier, **extra)
        assert response.error() == "idDoesNotExist", (verb, identifier)
        assert SENTINEL.encode() not in response.body


def test_10_no_records_match(oai: Oai):
    assert (
        oai.get(verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2099-01-01"}).error()
        == "noRecordsMatch"
    )
    assert (
        oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", until="1999-01-01").error()
        == "noRecordsMatch"
    )
    assert (
        oai.get(verb="ListRecords", metadataPrefix="oai_dc", set="beamline:nowhere").error()
        == "noRecordsMatch"
    )


def test_10_bad_resumption_tokens(make_oai):
    oai = make_oai()
    token = oai.get(verb="ListRecords", metadataPrefix="oai_dc").token().text
    body, signature = token.split(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
    for bad in ("garbage", "", token + "x", tampered, "." + signature, token.replace(".", "")):
        if bad == "":
            continue
        assert oai.get(verb="ListRecords", resumptionToken=bad).error() == "badResumptionToken", bad
    # bound to its verb
    assert oai.get(verb="ListIdentifiers", resumptionToken=token).error() == "badResumptionToken"
    assert oai.get(verb="ListSets", resumptionToken=token).error() == "badResumptionToken"
    # expired: the same token a day and a bit later
    later = make_oai(clock=lambda: datetime.now(UTC) + timedelta(hours=25))
    response = later.get(verb="ListRecords", resumptionToken=token)
    assert response.error() == "badResumptionToken" and b"expired" in response.body
    # signed with this installation's secret only
    other = make_oai(secret_key="another secret")
    assert other.get(verb="ListRecords", resumptionToken=token).error() == "badResumptionToken"
    # and the genuine token still works
    assert oai.get(verb="ListRecords", resumptionToken=token).error() is None


def test_10_list_metadata_formats(oai: Oai):
    expected = {"oai_dc", "oai_datacite", "datacite"}
    assert set(oai.get(verb="ListMetadataFormats").texts(".//o:metadataPrefix")) == expected
    for identifier in (OPEN_EXPERIMENT, WITHDRAWN):
        response = oai.get(verb="ListMetadataFormats", identifier=identifier)
        assert set(response.texts(".//o:metadataPrefix")) == expected


# -- selective harvesting ----------------------------------------------------------------------


def test_11_from_and_until_are_inclusive(oai: Oai):
    # world: open records published at NOW - 1 day, withdrawn ones at NOW
    day_before = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    now = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(identifiers(oai.harvest(metadataPrefix="oai_dc", until=day_before))) == 8
    assert len(identifiers(oai.harvest(metadataPrefix="oai_dc", **{"from": now}))) == 2
    both = oai.harvest(metadataPrefix="oai_dc", **{"from": day_before, "until": now})
    assert len(identifiers(both)) == EXPOSED
    one_second_later = (NOW + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (
        oai.get(verb="ListRecords", metadataPrefix="oai_dc", **{"from": one_second_later}).error()
        == "noRecordsMatch"
    )


def test_11_until_in_the_far_future_is_until_now(oai: Oai):
    for until in ("9999-12-31", "9999-12-31T23:59:59Z"):
        assert len(identifiers(oai.harvest(metadataPrefix="oai_dc", until=until))) == EXPOSED
    first = oai.get(verb="ListRecords", metadataPrefix="oai_dc", **{"from": "0001-01-01"})
    assert first.error() is None


def test_11_day_granularity_means_the_whole_day(oai: Oai):
    day = (NOW - timedelta(days=1)).date().isoformat()
    assert len(identifiers(oai.harvest(metadataPrefix="oai_dc", until=day))) == 8
    assert (
        len(identifiers(oai.harvest(metadataPrefix="oai_dc", **{"from": day, "until": day}))) == 8
    )
    assert (
        len(identifiers(oai.harvest(metadataPrefix="oai_dc", **{"from": NOW.date().isoformat()})))
        == 2
    )


def test_12_sets_are_hierarchical(oai: Oai):
    sets = oai.get(verb="ListSets")
    specs = sets.texts(".//o:setSpec")
    assert {
        "beamline",
        "beamline:xaloc",
        "beamline:notos",
        "technique",
        "technique:PaNET01196",
        "type",
        "type:in-house-research",
        "openaire_data",
    } <= set(specs)
    assert SENTINEL.encode() not in sets.body
    xas = {
        i.rsplit(":", 1)[1]
        for i in identifiers(oai.harvest(metadataPrefix="oai_dc", set="beamline:notos"))
    }
    assert xas == {"10.80100/tls.xas1-1", "10.80100/tls.xas1-1.scan0"}
    beamlines = identifiers(oai.harvest(metadataPrefix="oai_dc", set="beamline"))
    assert len(beamlines) == EXPOSED  # every record is on some beamline
    assert len(identifiers(oai.harvest(metadataPrefix="oai_dc", set="openaire_data"))) == EXPOSED
    techniques = identifiers(oai.harvest(metadataPrefix="oai_dc", set="technique:PaNET01196"))
    assert techniques == [f"oai:{REPO}:10.80100/tls.xas1-1"]
    # headers name the record's sets, parents included
    header = oai.get(
        verb="GetRecord", metadataPrefix="oai_dc", identifier=f"oai:{REPO}:10.80100/tls.xas1-1"
    )
    assert {"beamline", "beamline:notos", "technique:PaNET01196"} <= set(
        header.texts(".//o:setSpec")
    )


def _datestamp(oai: Oai, identifier: str) -> str:
    return oai.get(verb="GetRecord", metadataPrefix="oai_dc", identifier=identifier).texts(
        ".//o:datestamp"
    )[0]


def test_13_datestamp_moves_on_release_amendment_and_withdrawal(world, small_pages, oai: Oai):
    released = f"oai:{REPO}:10.80100/tls.reg1-1"
    assert (
        oai.get(verb="GetRecord", metadataPrefix="oai_dc", identifier=released).error()
        == "idDoesNotExist"
    )
    with world.transaction() as session:
        reg = session.scalar(select(Investigation).where(Investigation.proposal == "REG1"))
        reg.release_date = NOW + timedelta(hours=1)  # an approved early release
        reg.title = "Registered experiment, now released"
    before = _datestamp(oai, OPEN_EXPERIMENT)
    # nothing changed: publishing again moves no datestamp
    with world.transaction() as session:
        publish(session, small_pages, NOW + timedelta(minutes=30))
    assert _datestamp(oai, OPEN_EXPERIMENT) == before
    # release
    with world.transaction() as session:
        publish(session, small_pages, NOW + timedelta(hours=2))
    assert _datestamp(oai, released) == "2026-06-01T14:00:00Z"
    incremental = identifiers(
        oai.harvest(metadataPrefix="oai_dc", **{"from": "2026-06-01T13:00:00Z"})
    )
    assert sorted(incremental) == [released, released + ".scan0"]
    # amendment
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "OPEN0000"))
        inv.title = "Amended title"
    with world.transaction() as session:
        publish(session, small_pages, NOW + timedelta(hours=3))
    assert _datestamp(oai, OPEN_EXPERIMENT) == "2026-06-01T15:00:00Z"
    # withdrawal
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "OPEN0000"))
        inv.withdrawn_at = NOW + timedelta(hours=3, minutes=30)
    with world.transaction() as session:
        publish(session, small_pages, NOW + timedelta(hours=4))
    response = oai.get(verb="GetRecord", metadataPrefix="oai_dc", identifier=OPEN_EXPERIMENT)
    assert response.texts(".//o:datestamp") == ["2026-06-01T16:00:00Z"]
    assert response.tree.find(".//o:header", NS).get("status") == "deleted"


# -- flow control ------------------------------------------------------------------------------


def test_14_15_tokens_cursor_and_list_size(oai: Oai):
    before = datetime.now(UTC)
    pages = oai.harvest(metadataPrefix="oai_dc")
    assert [len(page.all(".//o:record")) for page in pages] == [3, 3, 3, 1]
    tokens = [page.token() for page in pages]
    assert [t.get("cursor") for t in tokens] == ["0", "3", "6", "9"]
    assert {t.get("completeListSize") for t in tokens} == {str(EXPOSED)}
    for token in tokens[:-1]:
        assert token.text
        expires = datetime.strptime(token.get("expirationDate"), "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=UTC
        )
        assert expires > before
    last = tokens[-1]
    assert last.text is None and last.get("expirationDate") is None  # <resumptionToken .../>


def test_14_complete_lists_carry_no_token(make_oai):
    oai = make_oai(oai_page_size=50)
    response = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert len(response.all(".//o:header")) == EXPOSED and response.token() is None


def test_17_no_empty_page_when_the_total_is_a_multiple_of_the_page_size(make_oai):
    oai = make_oai(oai_page_size=5)
    pages = oai.harvest(metadataPrefix="oai_dc")
    assert [len(page.all(".//o:record")) for page in pages] == [5, 5]
    assert pages[-1].token().text is None and pages[-1].token().get("cursor") == "5"
    oai = make_oai(oai_page_size=EXPOSED)
    pages = oai.harvest("ListIdentifiers", metadataPrefix="oai_dc")
    assert len(pages) == 1 and pages[0].token() is None


def test_16_full_harvest_returns_every_record_once_while_records_change(
    world, small_pages, make_oai
):
    clock = [NOW + timedelta(hours=1)]
    oai = make_oai(clock=lambda: clock[0])
    seen = []
    page = oai.get(verb="ListRecords", metadataPrefix="oai_dc")
    seen += identifiers([page])
    # during the harvest: one record released, one already harvested amended, one not yet
    # harvested amended (it moves past the frozen window: the next incremental harvest has it)
    with world.transaction() as session:
        invs = {i.proposal: i for i in session.scalars(select(Investigation))}
        invs["REG1"].release_date = NOW + timedelta(hours=1, minutes=30)
        invs["OPEN0000"].title = "Amended after it was harvested"
        invs["XAS1"].title = "Amended before it was harvested"
    clock[0] = NOW + timedelta(hours=2)
    with world.transaction() as session:
        publish(session, small_pages, clock[0])
    while page.token() is not None and page.token().text:
        page = oai.get(verb="ListRecords", resumptionToken=page.token().text)
        seen += identifiers([page])
    assert len(seen) == len(set(seen))  # nothing twice
    released = f"oai:{REPO}:10.80100/tls.reg1-1"
    assert released not in seen  # released after the harvest froze its window
    # the next incremental harvest (from the first page's responseDate) has all that changed
    clock[0] = NOW + timedelta(hours=3)
    later = identifiers(oai.harvest(metadataPrefix="oai_dc", **{"from": "2026-06-01T13:00:00Z"}))
    assert {released, OPEN_EXPERIMENT, f"oai:{REPO}:10.80100/tls.xas1-1"} <= set(later)
    assert set(seen) | set(later) >= {i for i in identifiers(oai.harvest(metadataPrefix="oai_dc"))}


# -- records -----------------------------------------------------------------------------------


def test_18_deleted_records_are_headers_only(oai: Oai):
    pages = oai.harvest(metadataPrefix="oai_datacite")
    deleted = [
        r for p in pages for r in p.all(".//o:record") if r.find("o:header", NS).get("status")
    ]
    assert [r.findtext("o:header/o:identifier", namespaces=NS) for r in deleted] == [
        WITHDRAWN,
        WITHDRAWN + ".scan0",
    ]
    assert all(r.find("o:metadata", NS) is None for r in deleted)
    record = oai.get(verb="GetRecord", metadataPrefix="datacite", identifier=WITHDRAWN)
    assert record.tree.find(".//o:header", NS).get("status") == "deleted"
    assert record.tree.find(".//o:metadata", NS) is None
    listed = oai.harvest("ListIdentifiers", metadataPrefix="oai_dc")
    statuses = [h.get("status") for p in listed for h in p.all(".//o:header")]
    assert statuses.count("deleted") == 2


def test_19_every_record_in_every_format(oai: Oai):
    ids = identifiers(oai.harvest("ListIdentifiers", metadataPrefix="oai_dc"))
    for prefix in ("oai_dc", "oai_datacite", "datacite"):
        records = [r for p in oai.harvest(metadataPrefix=prefix) for r in p.all(".//o:record")]
        assert [r.findtext("o:header/o:identifier", namespaces=NS) for r in records] == ids
    wrapper = oai.get(verb="GetRecord", metadataPrefix="oai_datacite", identifier=OPEN_EXPERIMENT)
    dc = "{http://schema.datacite.org/oai/oai-1.1/}"
    assert wrapper.tree.findtext(f".//{dc}schemaVersion").startswith("4")
    assert wrapper.tree.findtext(f".//{dc}datacentreSymbol")


def test_nothing_restricted_in_any_answer(oai: Oai):
    queries = [{"verb": "Identify"}, {"verb": "ListSets"}, {"verb": "ListMetadataFormats"}]
    for prefix in ("oai_dc", "oai_datacite", "datacite"):
        queries.append({"verb": "ListRecords", "metadataPrefix": prefix})
        queries.append({"verb": "ListIdentifiers", "metadataPrefix": prefix})
    for query in queries:
        for page in (
            oai.harvest(**query)
            if query["verb"].startswith("List") and "metadataPrefix" in query
            else [oai.get(**query)]
        ):
            assert SENTINEL.encode() not in page.body


def test_the_provider_reads_only_published_tables(world, oai: Oai):
    from sqlalchemy import event

    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement.lower())

    engine = oai.app.provider.repository.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        oai.get(verb="Identify")
        oai.get(verb="ListSets")
        oai.harvest(metadataPrefix="oai_dc")
        oai.harvest(metadataPrefix="oai_dc", set="beamline:xaloc")
        oai.get(verb="GetRecord", metadataPrefix="oai_dc", identifier=OPEN_EXPERIMENT)
        oai.get(verb="ListMetadataFormats", identifier=OPEN_EXPERIMENT)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    tables = {t for s in statements for t in re.findall(r"\b(?:from|join)\s+\"?(\w+)", s)}
    assert statements and tables <= {
        "published_record",
        "published_metadata",
        "published_set",
        "oai_set",
    }, tables
