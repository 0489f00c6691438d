"""The pure DOI state machine: transitions, validation on leaving draft, history, metadata."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from faircat.dev.datacite.store import (
    EVENTS,
    STATES,
    DoiRecord,
    Refused,
    apply,
    next_state,
)
from tests.dev import json_metadata, xml_attribute, xml_record

DOI = "10.5072/ds.1"
URL = "https://data.alba.example/doi/10.5072/ds.1/"
T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)
T2 = T0 + timedelta(minutes=2)

# Every (state, event) pair: DataCite's transitions; anything else leaves the state.
EXPECTED = {
    ("draft", "register"): "registered",
    ("draft", "publish"): "findable",
    ("draft", "hide"): "draft",
    ("draft", "show"): "draft",
    ("registered", "register"): "registered",
    ("registered", "publish"): "findable",
    ("registered", "hide"): "registered",
    ("registered", "show"): "findable",
    ("findable", "register"): "findable",
    ("findable", "publish"): "findable",
    ("findable", "hide"): "registered",
    ("findable", "show"): "findable",
}


def create(attributes: dict, now: datetime = T0) -> DoiRecord:
    return apply(None, DOI, attributes, client_id="faircat.test", now=now)


def update(record: DoiRecord, attributes: dict, now: datetime = T1) -> DoiRecord:
    return apply(record, DOI, attributes, client_id="faircat.test", now=now)


def refusal(func, *args) -> Refused:
    with pytest.raises(Refused) as info:
        func(*args)
    return info.value


def sources(exc: Refused) -> set[str]:
    return {e["source"] for e in exc.errors}


def test_the_transition_table_is_datacites():
    assert set(EXPECTED) == {(s, e) for s in STATES for e in EVENTS}
    for (state, event), expected in EXPECTED.items():
        assert next_state(state, event) == expected, (state, event)
    for state in STATES:
        assert next_state(state, None) == state


def test_no_event_leads_back_to_draft():
    for state in ("registered", "findable"):
        for event in EVENTS:
            assert next_state(state, event) != "draft"


def test_unknown_events_and_states_are_errors():
    with pytest.raises(ValueError, match="unknown event"):
        next_state("draft", "delete")
    with pytest.raises(ValueError, match="unknown state"):
        next_state("tombstoned", "publish")


def test_a_draft_needs_nothing_but_its_doi():
    record = create({})
    assert (record.doi, record.state, record.url, record.xml) == (DOI, "draft", None, None)
    assert record.created == record.updated == T0
    assert record.registered is None
    assert record.events == [
        {
            "at": "2025-01-02T03:04:05.000Z",
            "action": "create",
            "event": None,
            "from": None,
            "to": "draft",
            "attributes": [],
        }
    ]


def test_a_draft_may_hold_incomplete_metadata():
    record = create({"titles": [{"title": "Only a title"}], "url": URL})
    assert record.state == "draft"
    assert record.metadata["titles"] == [{"title": "Only a title"}]
    record = create({"xml": xml_attribute(xml_record(DOI, title=None))})
    assert record.state == "draft"
    assert "titles" not in record.metadata


def test_leaving_draft_needs_a_url():
    exc = refusal(create, {**json_metadata(), "event": "publish"})
    assert exc.status == 422
    assert exc.errors == [{"source": "url", "uid": DOI, "title": "Can't be blank"}]


def test_leaving_draft_needs_valid_metadata_named_in_the_errors():
    draft = create({"url": URL, "titles": [{"title": "T"}]})
    exc = refusal(update, draft, {"event": "register"})
    assert exc.status == 422
    assert {"creators", "publisher", "publication_year", "types"} <= sources(exc)
    titles = " ".join(e["title"] for e in exc.errors)
    assert "Creators are missing" in titles
    assert all(e["uid"] == DOI for e in exc.errors)


def test_publish_register_hide_show():
    draft = create({"url": URL, **json_metadata()})
    registered = update(draft, {"event": "register"}, T1)
    assert registered.state == "registered"
    assert registered.registered == T1
    findable = update(registered, {"event": "publish"}, T2)
    assert findable.state == "findable"
    assert findable.registered == T1  # the first time it left draft
    hidden = update(findable, {"event": "hide"}, T2)
    assert hidden.state == "registered"
    shown = update(hidden, {"event": "show"}, T2)
    assert shown.state == "findable"
    assert [(e["event"], e["from"], e["to"]) for e in shown.events] == [
        (None, None, "draft"),
        ("register", "draft", "registered"),
        ("publish", "registered", "findable"),
        ("hide", "findable", "registered"),
        ("show", "registered", "findable"),
    ]
    assert draft.state == "draft"  # apply returns new records; the old ones are untouched
    assert len(draft.events) == 1


def test_an_event_that_does_not_apply_is_ignored_as_at_datacite():
    findable = create({"url": URL, **json_metadata(), "event": "publish"})
    again = update(findable, {"event": "register"})
    assert again.state == "findable"
    draft = create({})
    assert update(draft, {"event": "hide"}).state == "draft"


@pytest.mark.parametrize("event", ["register", "publish"])
def test_registered_and_findable_never_return_to_draft(event):
    record = create({"url": URL, **json_metadata(), "event": event})
    exc = refusal(update, record, {"state": "draft"})
    assert exc.status == 422
    assert exc.errors[0]["source"] == "state"
    assert "can't be returned to the draft state" in exc.errors[0]["title"]
    assert update(create({}), {"state": "draft"}).state == "draft"  # a draft stays one


def test_unknown_events_are_refused():
    exc = refusal(create, {"event": "publsh"})
    assert exc.status == 422
    assert exc.errors[0]["source"] == "event"
    assert "publsh" in exc.errors[0]["title"]


def test_doi_syntax_and_url_format():
    with pytest.raises(Refused) as info:
        apply(None, "10.5072/with space", {}, client_id="c", now=T0)
    assert info.value.errors == [
        {"source": "doi", "uid": "10.5072/with space", "title": "Is invalid"}
    ]
    exc = refusal(create, {"url": "data.alba.example/x"})
    assert exc.errors == [{"source": "url", "uid": DOI, "title": "URL is not valid"}]


def test_dois_are_kept_in_lower_case():
    record = apply(None, "10.5072/DS.Upper", {}, client_id="c", now=T0)
    assert record.doi == "10.5072/ds.upper"


def test_json_updates_merge_key_by_key_and_rewrite_the_xml():
    record = create({"url": URL, **json_metadata("First"), "event": "publish"})
    assert b"<title>First</title>" in record.xml
    assert record.metadata_version == 1
    renamed = update(record, {"titles": [{"title": "Second"}]})
    assert renamed.metadata["titles"] == [{"title": "Second"}]
    assert renamed.metadata["creators"] == record.metadata["creators"]
    assert b"<title>Second</title>" in renamed.xml
    assert renamed.metadata_version == 2
    moved = update(renamed, {"url": "https://elsewhere.example/ds/1"})
    assert moved.metadata_version == 2  # the URL is not metadata
    assert moved.url == "https://elsewhere.example/ds/1"


def test_a_registered_doi_is_validated_again_on_every_change():
    record = create({"url": URL, **json_metadata(), "event": "register"})
    exc = refusal(update, record, {"titles": []})
    assert "titles" in sources(exc)
    exc = refusal(update, record, {"url": ""})
    assert exc.errors[0]["source"] == "url"


def test_publisher_strings_and_numeric_years_are_normalised():
    record = create(
        {**json_metadata(publisher="ALBA", publicationYear=2024), "url": URL, "event": "publish"}
    )
    assert record.metadata["publisher"] == {"name": "ALBA"}
    assert record.metadata["publicationYear"] == "2024"
    assert record.metadata["schemaVersion"] == "http://datacite.org/schema/kernel-4"


def test_objects_where_datacite_wants_objects_even_in_drafts():
    exc = refusal(create, {"titles": ["a bare string"], "types": "Dataset"})
    assert exc.errors == [
        {
            "source": "titles",
            "uid": DOI,
            "title": "Title 'a bare string' should be an object instead of a string.",
        },
        {
            "source": "types",
            "uid": DOI,
            "title": "Types 'Dataset' should be an object instead of a string.",
        },
    ]


def test_an_xml_payload_is_kept_as_sent_and_read_for_its_mandatory_properties():
    xml = xml_record(DOI)
    record = create({"xml": xml_attribute(xml), "url": URL, "event": "publish"})
    assert record.xml == xml
    assert record.state == "findable"
    assert record.metadata["titles"] == [{"title": "Lysozyme crystal, collection 1"}]
    assert record.metadata["publisher"] == {"name": "ALBA Synchrotron"}
    assert record.metadata["types"] == {"resourceTypeGeneral": "Dataset", "resourceType": "Scan"}
    assert record.metadata["creators"][0]["name"] == "García, Anna"


def test_an_xml_payload_without_title_cannot_be_published():
    exc = refusal(
        create, {"xml": xml_attribute(xml_record(DOI, title=None)), "url": URL, "event": "publish"}
    )
    by_source = {e["source"]: e["title"] for e in exc.errors}
    assert by_source["titles"] == "Titles are missing: at least one non-empty title."
    assert by_source["xml"].startswith(f"DOI {DOI}: Missing child element(s).")
    assert "titles" in by_source["xml"]


def test_garbage_xml_is_refused_even_for_a_draft():
    assert refusal(create, {"xml": "not base64!"}).errors[0]["source"] == "xml"
    exc = refusal(create, {"xml": xml_attribute(b"<resource><oops></resource>")})
    assert exc.errors[0]["source"] == "xml"
    assert "at line 1" in exc.errors[0]["title"]


def test_records_survive_a_json_round_trip():
    record = create({"xml": xml_attribute(xml_record(DOI)), "url": URL, "event": "register"})
    again = DoiRecord.from_json(record.to_json())
    assert again == record
