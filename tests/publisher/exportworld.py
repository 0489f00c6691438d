"""A catalogue for export tests (the ``world`` fixture, tests/publisher/conftest.py) and checks of
the site an export writes."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from faircat.catalogue.ingest import ingest_paths
from faircat.catalogue.models import (
    DataPublication,
    Investigation,
    LogbookEvent,
    Parameter,
    ParameterType,
    User,
)
from faircat.catalogue.vocab import (
    DoiState,
    EventCategory,
    EventType,
    MemberRole,
    PublicationKind,
    ValueType,
)
from faircat.demo.nexusgen import UserSpec, example_spec, write_nexus
from faircat.publisher.manifest import Manifest
from tests.catalogue import factories as f

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SENTINEL = "ZQXJSENTINEL"  # never a substring of anything real


def s(what: str) -> str:
    return f"{SENTINEL}-{what}"


def scans(catalogue, tmp_path: Path, proposal: str, start: datetime, n: int,
          title: str, folder: str) -> list[Path]:
    """``n`` NeXus files of one experiment, ingested."""
    paths = []
    for scan in range(1, n + 1):
        spec = example_spec(
            "mx", scan, proposal=proposal, visit=1, title=title,
            start=start + timedelta(hours=scan), end=start + timedelta(hours=scan, minutes=5),
            users=(UserSpec("Ada Lovelace", "principal_investigator", "Uni",
                            "0000-0002-1825-0097", f"{s('email')}@example.org"),),
        )
        paths.append(write_nexus(tmp_path / folder / f"{proposal}_{scan}.nxs", spec))
    report = ingest_paths(catalogue.engine, paths, readers=0)
    assert report.ok, report.errors
    return paths


def build_world(catalogue, tmp_path: Path):
    """Experiments in every state, with sentinels planted in everything restricted."""
    with catalogue.transaction() as session:
        f.instrument(session, "XALOC", "mx")
        f.user(session, "pi", email=f"{s('member-email')}@example.org")
    public_start = NOW - timedelta(days=4 * 365)
    # public: data under a folder whose name must never appear (storage paths are restricted)
    scans(catalogue, tmp_path, "PUB", public_start, 2, "Open lysozyme scan", s("path"))
    scans(catalogue, tmp_path, "EMB", NOW - timedelta(days=200), 2, s("embargoed-dataset"), "e")
    scans(catalogue, tmp_path, "REG", NOW - timedelta(days=300), 1, s("registered-dataset"), "r")
    scans(catalogue, tmp_path, "RUN", NOW - timedelta(hours=5), 1, s("running-dataset"), "a")
    with catalogue.transaction() as session:
        invs = {i.proposal: i for i in session.scalars(select(Investigation))}
        invs["PUB"].title, invs["PUB"].summary = "Open experiment on lysozyme", "A public summary."
        invs["EMB"].title, invs["EMB"].summary = s("embargoed-title"), s("embargoed-summary")
        invs["REG"].title, invs["REG"].summary = "Registered but embargoed", s("registered-summary")
        invs["RUN"].title = s("running-title")
        session.add(DataPublication(
            kind=PublicationKind.INVESTIGATION, investigation_id=invs["REG"].id,
            doi="10.80100/tls.reg-1", title=invs["REG"].title, licence="CC-BY-4.0",
            doi_state=DoiState.REGISTERED))
        invs["REG"].doi = "10.80100/tls.reg-1"
        pi = session.scalar(select(User).where(User.username == "pi"))
        f_inv = invs["PUB"]
        from faircat.catalogue.investigations import add_member

        add_member(session, f_inv, pi, MemberRole.CO_PROPOSER)
        session.add(LogbookEvent(investigation_id=f_inv.id, type=EventType.ANNOTATION,
                                 category=EventCategory.COMMENT, content=s("logbook")))
        secret = ParameterType(name=s("restricted-parameter"), unit="", public=False,
                               value_type=ValueType.STRING)
        dataset_id = f_inv.datasets[0].id
        session.add(Parameter(type=secret, dataset_id=dataset_id, string_value=s("value")))
    return catalogue


def all_text(root: Path) -> str:
    chunks = []
    for path in root.rglob("*"):
        chunks.append(str(path.relative_to(root)))
        if path.is_symlink():
            chunks.append(os.readlink(path))
        elif path.is_file():
            chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


def complete(out: Path) -> None:
    """Every page named in the manifest is whole: index.html plus its metadata files."""
    manifest = Manifest.read(out)
    assert manifest is not None
    paths = manifest.paths()
    manifest.close()
    assert paths
    for path in paths:
        folder = out / path.strip("/")
        assert (folder / "index.html").is_file(), path
        html = (folder / "index.html").read_text()
        assert html.rstrip().endswith("</html>"), path
        for name in ("datacite.xml", "linkset.json", "citation.bib"):
            assert (folder / name).is_file(), (path, name)
    assert (out / "index.html").is_file() and (out / "sitemap.xml").is_file()
