"""Search documents: written by ingest, rebuilt by reindexing, removed with their dataset."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from faircat.catalogue.ingest import ingest_file
from faircat.catalogue.investigations import add_member
from faircat.catalogue.models import Dataset, Investigation, SearchDocument
from faircat.catalogue.search.reindex import reindex
from faircat.catalogue.vocab import MemberRole, Role
from faircat.demo.nexusgen import example_spec, write_nexus
from tests.catalogue import factories as f
from tests.search.helpers import names, run


def _documents(catalogue) -> dict[int, object]:
    with catalogue.engine.connect() as conn:
        rows = conn.execute(select(SearchDocument.dataset_id, SearchDocument.indexed_at))
        return {row[0]: row[1] for row in rows}


def test_ingest_writes_the_document_in_the_same_transaction(catalogue, tmp_path):
    with catalogue.transaction() as session:
        f.instrument(session, "XALOC", "mx")
        f.user(session, "cure", Role.CURATOR)
    spec = example_spec("mx", 7)
    path = write_nexus(tmp_path / "scan7.nxs", spec)
    assert ingest_file(catalogue.engine, path).status == "created"
    found = run(catalogue, "cure", q=spec.sample_name)
    assert names(found) == ["7"]
    assert names(run(catalogue, "cure", q="scan7.nxs")) == ["7"]
    assert names(run(catalogue, "cure", q=spec.users[0].name)) == ["7"]
    assert names(run(catalogue, "cure", param="wavelength", min="0.97", max="0.98", unit="Å")) == [
        "7"
    ]
    before = _documents(catalogue)
    assert ingest_file(catalogue.engine, path).status == "unchanged"
    assert _documents(catalogue) == before  # an unchanged file rewrites nothing


def test_reindex_rewrites_what_changed_elsewhere(catalogue, world):
    assert reindex(catalogue.engine).written == len(world.ids)
    assert reindex(catalogue.engine, changed_only=True).written == 0
    with catalogue.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB2"))
        inv.title = "Copper edges, amended wombat"
    assert names(run(catalogue, q="wombat")) == []  # until reindexed
    assert reindex(catalogue.engine, changed_only=True).written == 1
    assert names(run(catalogue, q="wombat")) == ["xas_0001"]


def test_a_new_member_reaches_every_dataset_of_the_experiment(catalogue, world):
    with catalogue.transaction() as session:
        quentin = f.user(session, "quentin", full_name="Quentin Newcomer")
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB1"))
        add_member(session, inv, quentin, MemberRole.PARTICIPANT)
    assert reindex(catalogue.engine, changed_only=True).written == 3
    assert set(names(run(catalogue, q="newcomer"))) == {"scan_0001", "scan_0002", "scan_0003"}


def test_a_deleted_dataset_leaves_no_document_and_no_word(catalogue, world):
    with catalogue.transaction() as session:
        session.execute(delete(Dataset).where(Dataset.id == world.ids["xas_0001"]))
    with catalogue.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(SearchDocument)) == len(world.ids) - 1
    assert names(run(catalogue, q="copper")) == []
