"""Real harvesters over real HTTP: Sickle (B2FIND), oaipmh-scythe and the ``oaipmh`` client.

Each harvests the full list from the provider served by a threaded HTTP server; all must agree
on the records, deleted ones included, with small pages so that tokens are followed.
"""

from __future__ import annotations

# Imported, not importorskip'd: the harvesters are in the ``test`` extra, and a missing one must
# fail the run rather than quietly skip the tests that matter most to harvesters.
import oaipmh.client as oaipmh_client
import oaipmh_scythe as scythe
import sickle

from tests.oaipmh.test_protocol import EXPOSED


def test_sickle_harvests_everything(live_server):
    url, _ = live_server
    client = sickle.Sickle(url, max_retries=0)
    for prefix in ("oai_dc", "oai_datacite", "datacite"):
        records = list(client.ListRecords(metadataPrefix=prefix, ignore_deleted=False))
        assert len(records) == EXPOSED
        assert len({r.header.identifier for r in records}) == EXPOSED
        assert sum(r.header.deleted for r in records) == 2
    # what B2FIND does: skip deleted records, read completeListSize for progress
    kept = client.ListRecords(metadataPrefix="oai_datacite", ignore_deleted=True)
    first = next(kept)
    assert first.header.identifier
    assert kept.resumption_token.complete_list_size == str(EXPOSED)
    assert len([first, *kept]) == EXPOSED - 2
    assert (
        len(list(client.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False))) == EXPOSED
    )
    assert {s.setSpec for s in client.ListSets()} >= {"beamline", "beamline:xaloc", "openaire_data"}
    assert client.Identify().deletedRecord == "persistent"


def test_sickle_over_post(live_server):
    url, _ = live_server
    client = sickle.Sickle(url, http_method="POST", max_retries=0)
    records = list(client.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    assert len(records) == EXPOSED


def test_oaipmh_scythe_harvests_everything(live_server):
    url, _ = live_server
    with scythe.Scythe(url) as client:
        records = list(client.list_records(metadata_prefix="oai_datacite"))
        assert len(records) == EXPOSED
        assert len({r.header.identifier for r in records}) == EXPOSED
        headers = list(client.list_identifiers(metadata_prefix="oai_dc"))
        assert len(headers) == EXPOSED
        one = client.get_record(identifier=records[0].header.identifier, metadata_prefix="oai_dc")
        assert one.header.identifier == records[0].header.identifier
        assert client.identify().granularity == "YYYY-MM-DDThh:mm:ssZ"


def test_oaipmh_client_harvests_everything(live_server):
    from oaipmh.metadata import MetadataRegistry, oai_dc_reader

    url, _ = live_server
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    client = oaipmh_client.Client(url, registry)
    records = list(client.listRecords(metadataPrefix="oai_dc"))
    assert len(records) == EXPOSED
    assert sum(header.isDeleted() for header, _metadata, _about in records) == 2
    titles = [metadata["title"] for header, metadata, _ in records if not header.isDeleted()]
    assert all(titles)
    headers = list(client.listIdentifiers(metadataPrefix="oai_datacite"))
    assert len(headers) == EXPOSED
    assert client.identify().deletedRecord() == "persistent"
    assert {spec for spec, _name, _description in client.listSets()} >= {
        "beamline",
        "openaire_data",
    }
