"""NeXus ingest into the catalogue, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from faircat.catalogue.ingest import ingest_file, ingest_paths, read_ahead
from faircat.catalogue.models import (
    Base,
    Datafile,
    Dataset,
    Investigation,
    InvestigationMember,
    Parameter,
    Sample,
    User,
)
from faircat.catalogue.nexus import iter_nexus_paths
from faircat.catalogue.vocab import MemberRole
from faircat.demo.nexusgen import UserSpec, example_spec, truncate_file, write_nexus, write_not_hdf5
from faircat.errors import IngestError
from tests.catalogue import factories as f


@pytest.fixture
def beamlines(catalogue):
    with catalogue.transaction() as session:
        f.instrument(session, "XALOC", "mx")
        f.instrument(session, "NCD-SWEET", "saxs")
    return catalogue


def snapshot(catalogue) -> dict[str, list[tuple]]:
    """Every row of every table, to prove that a re-ingest writes nothing."""
    with catalogue.engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(table.select())), key=repr)
            for table in Base.metadata.sorted_tables
        }


def test_ingest_creates_the_whole_record(beamlines, tmp_path):
    path = write_nexus(tmp_path / "scan1.nxs", example_spec("mx", 1))
    result = ingest_file(beamlines.engine, path)
    assert result.status == "created"
    with beamlines.transaction() as session:
        inv = session.scalar(select(Investigation))
        assert (inv.proposal, inv.visit) == ("mx23694", "2")
        assert [i.name for i in inv.instruments] == ["XALOC"]
        dataset = session.scalar(select(Dataset))
        assert dataset.name == "1" and dataset.definition == "NXmx" and dataset.complete
        assert [t.name for t in dataset.techniques] == ["macromolecular crystallography"]
        assert dataset.plot_path == "/entry/data"
        datafile = session.scalar(select(Datafile))
        assert datafile.size == path.stat().st_size == dataset.size
        assert datafile.checksum == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        sample = session.scalar(select(Sample))
        assert (sample.name, sample.chemical_formula) == ("lysozyme", "C613H959N193O185S10")
        members = {m.user.full_name: m.role for m in session.scalars(select(InvestigationMember))}
        assert members == {"Ada Lovelace": MemberRole.PI, "Jordi Pujol": MemberRole.LOCAL_CONTACT}
        ada = session.scalar(select(User).where(User.full_name == "Ada Lovelace"))
        assert ada.orcid == "0000-0002-1825-0097" and not ada.active
        params = {(p.type.name, p.type.unit): p.value for p in session.scalars(select(Parameter))}
        wavelength = [v for (name, unit), v in params.items() if name.endswith("wavelength")]
        assert wavelength and all(isinstance(v, float) for v in wavelength)
        assert all(unit is not None for _, unit in params)


def test_reingest_changes_nothing(beamlines, tmp_path):
    paths = [write_nexus(tmp_path / f"scan{n}.nxs", example_spec("mx", n)) for n in (1, 3)]
    first = ingest_paths(beamlines.engine, paths)
    assert first.ok and first.count("created") == 2
    before = snapshot(beamlines)
    again = ingest_paths(beamlines.engine, paths)
    assert again.count("unchanged") == 2
    assert snapshot(beamlines) == before


def test_growing_file_is_updated(beamlines, tmp_path):
    spec = example_spec("mx", 1, end=None)
    path = write_nexus(tmp_path / "scan.nxs", spec)
    ingest_file(beamlines.engine, path)
    with beamlines.transaction() as session:
        assert not session.scalar(select(Dataset)).complete
    later = spec.start + timedelta(hours=30)
    write_nexus(path, replace(spec, end=later, frames=8))
    assert ingest_file(beamlines.engine, path).status == "updated"
    with beamlines.transaction() as session:
        dataset = session.scalar(select(Dataset))
        assert dataset.complete and dataset.size == path.stat().st_size
        inv = session.scalar(select(Investigation))
        assert inv.end_date == later  # the visit stretched to the data
        assert inv.release_date == datetime(
            later.year + 3, later.month, later.day, later.hour, later.minute, tzinfo=UTC
        )


def test_bad_files_are_named_and_the_batch_goes_on(beamlines, tmp_path):
    good = write_nexus(tmp_path / "a_good.nxs", example_spec("mx", 1))
    truncate_file(write_nexus(tmp_path / "b_trunc.nxs", example_spec("mx", 2)), 2000)
    write_not_hdf5(tmp_path / "c_text.nxs")
    write_nexus(tmp_path / "d_unknown.nxs", example_spec("mx", 3, instrument="BL99"))
    write_nexus(
        tmp_path / "e_orcid.nxs",
        example_spec(
            "mx",
            4,
            users=(UserSpec("Bad Orcid", "principal_investigator", orcid="0000-0002-1825-0098"),),
        ),
    )
    good2 = write_nexus(tmp_path / "f_good.nxs", example_spec("saxs", 5))
    report = ingest_paths(beamlines.engine, list(iter_nexus_paths([tmp_path])))
    assert [r.path.name for r in report.results] == ["a_good.nxs", "f_good.nxs"]
    problems = {
        e.path.name if hasattr(e.path, "name") else str(e.path): str(e) for e in report.errors
    }
    assert set(problems) == {"b_trunc.nxs", "c_text.nxs", "d_unknown.nxs", "e_orcid.nxs"}
    assert "BL99" in problems["d_unknown.nxs"] and "unknown instrument" in problems["d_unknown.nxs"]
    assert "wrong check digit" in problems["e_orcid.nxs"]
    for name, message in problems.items():
        assert name in message and "\n" not in message
    # the failing files left nothing behind: no user "Bad Orcid", no dataset of scan 3/4
    with beamlines.transaction() as session:
        assert session.scalar(select(func.count(Dataset.id))) == 2
        assert session.scalar(select(User).where(User.full_name == "Bad Orcid")) is None
    assert good.exists() and good2.exists()


def test_users_are_matched_by_orcid_across_files(beamlines, tmp_path):
    paths = [write_nexus(tmp_path / f"s{n}.nxs", example_spec("mx", n)) for n in (1, 2, 3)]
    assert ingest_paths(beamlines.engine, paths).ok
    with beamlines.transaction() as session:
        assert session.scalar(select(func.count(User.id))) == 2  # Ada and Jordi, once each
        assert session.scalar(select(func.count(Investigation.id))) == 2  # visits 1 and 2


def test_ingest_error_for_unknown_instrument_is_clear(beamlines, tmp_path):
    path = write_nexus(tmp_path / "x.nxs", example_spec("mx", 1, instrument="BL99"))
    with pytest.raises(IngestError) as info:
        ingest_file(beamlines.engine, path)
    assert str(info.value).startswith(str(path))
    assert "known: NCD-SWEET, XALOC" in str(info.value)


def test_stretching_a_visit_keeps_a_release_date_moved_by_a_curator(beamlines, tmp_path):
    from faircat.catalogue.models import ReleaseRequest
    from faircat.catalogue.vocab import RequestKind, RequestStatus

    spec = example_spec("mx", 1)
    ingest_file(beamlines.engine, write_nexus(tmp_path / "a.nxs", spec))
    moved = datetime(2031, 1, 1, tzinfo=UTC)
    with beamlines.transaction() as session:
        inv = session.scalar(select(Investigation))
        pi = session.scalar(select(User).where(User.full_name == "Ada Lovelace"))
        session.add(ReleaseRequest(kind=RequestKind.EXTENSION, status=RequestStatus.APPROVED,
                                   investigation_id=inv.id, requester_id=pi.id,
                                   justification="paper in preparation", requested_date=moved,
                                   decided_at=datetime(2025, 1, 1, tzinfo=UTC)))
        inv.release_date = moved
    later = replace(spec, scan=2, start=spec.start + timedelta(days=2),
                    end=spec.start + timedelta(days=2, hours=1))
    ingest_file(beamlines.engine, write_nexus(tmp_path / "b.nxs", later))
    with beamlines.transaction() as session:
        inv = session.scalar(select(Investigation))
        assert inv.end_date == later.end
        assert inv.release_date == moved


def test_large_batches_read_in_another_process_in_order(beamlines, tmp_path):
    paths = []
    for n in range(1, 81):
        path = tmp_path / f"s{n:03d}.nxs"
        if n % 20 == 0:
            paths.append(write_not_hdf5(path))
        else:
            paths.append(write_nexus(path, example_spec("mx", n, big_bytes=None)))
    seen = []
    report = ingest_paths(beamlines.engine, paths, checksum=False, readers=1,
                          on_result=lambda r: seen.append(Path(str(r.path)).name))
    assert seen == [p.name for p in paths]
    assert len(report.results) == 76 and len(report.errors) == 4
    assert all("not an HDF5 file" in str(e) for e in report.errors)


def test_dataset_totals_follow_their_files(beamlines, tmp_path):
    def totals() -> dict[str, tuple[int, int]]:
        with beamlines.transaction() as session:
            return {d.name: (d.size, d.file_count) for d in session.scalars(select(Dataset))}

    spec = example_spec("mx", 1)
    a = write_nexus(tmp_path / "a.nxs", spec)
    ingest_file(beamlines.engine, a)  # a new dataset and file: totals written with the dataset
    assert totals() == {"1": (a.stat().st_size, 1)}
    b = write_nexus(tmp_path / "b.nxs", replace(spec, frames=8))  # a second file of scan 1
    ingest_file(beamlines.engine, b)
    assert totals() == {"1": (a.stat().st_size + b.stat().st_size, 2)}
    write_nexus(b, replace(spec, scan=2))  # b now holds scan 2: it moves to a new dataset
    assert ingest_file(beamlines.engine, b).status == "created"
    assert totals() == {"1": (a.stat().st_size, 1), "2": (b.stat().st_size, 1)}


def test_read_ahead_with_several_readers_keeps_file_order(tmp_path):
    paths = []
    for n in range(1, 101):
        path = tmp_path / f"s{n:03d}.nxs"
        if n % 25 == 0:
            paths.append(write_not_hdf5(path))
        else:
            paths.append(write_nexus(path, example_spec("saxs", n, big_bytes=None)))
    items = list(read_ahead(paths, workers=2, chunk=4))
    assert [Path(item.path).name for item in items] == [p.name for p in paths]
    failed = [item for item in items if isinstance(item, IngestError)]
    assert [Path(e.path).name for e in failed] == ["s025.nxs", "s050.nxs", "s075.nxs", "s100.nxs"]


def rows(catalogue) -> dict[str, int]:
    with catalogue.transaction() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Investigation, Dataset, Datafile, Sample, User, Parameter)
        }


@pytest.mark.parametrize("proposal", ["<img src=x onerror=alert(1)>", "../../tmp/x"])
def test_unsafe_experiment_identifiers_are_refused_and_nothing_is_stored(
    beamlines, tmp_path, proposal
):
    spec = replace(example_spec("mx", 1), proposal=proposal, visit=1)
    assert spec.experiment_identifier == f"{proposal}-1"  # as the files in the issue carry it
    bad = write_nexus(tmp_path / "a_bad.nxs", spec)
    good = write_nexus(tmp_path / "b_good.nxs", example_spec("mx", 3))
    before = snapshot(beamlines)
    with pytest.raises(IngestError) as info:
        ingest_file(beamlines.engine, bad)
    assert str(info.value) == (
        f"{bad}: invalid proposal {proposal!r}: 1-64 letters, digits, '.', '_' or '-', "
        f"starting with a letter or digit (from /entry/experiment_identifier {proposal + '-1'!r})"
    )
    assert snapshot(beamlines) == before  # not even the file's users
    report = ingest_paths(beamlines.engine, [bad, good])  # the batch goes on
    assert [r.path for r in report.results] == [good]
    assert [e.path for e in report.errors] == [bad]
    assert "invalid proposal" in report.errors[0].problem
    with beamlines.transaction() as session:
        assert session.scalars(select(Investigation.proposal)).all() == ["mx23694"]
        assert session.scalars(select(Datafile.location)).all() == [str(good)]


def test_a_visit_from_visit_id_is_checked_too(beamlines, tmp_path):
    import h5py

    path = write_nexus(tmp_path / "a.nxs", example_spec("mx", 1))
    with h5py.File(path, "a") as f:
        del f["entry/experiment_identifier"]
        f["entry/experiment_identifier"] = "mx23694"  # no -VISIT: the visit is visit_id
        f["entry/visit_id"] = "../1"
    before = rows(beamlines)
    with pytest.raises(IngestError, match=r"invalid visit '\.\./1'.*/entry/experiment_identifier"):
        ingest_file(beamlines.engine, path)
    assert rows(beamlines) == before


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", ".."])
def test_unsafe_dataset_names_are_refused(beamlines, tmp_path, name):
    path = write_nexus(tmp_path / "a.nxs", replace(example_spec("mx", 1), scan=name))
    before = rows(beamlines)
    with pytest.raises(IngestError) as info:
        ingest_file(beamlines.engine, path)
    assert f"invalid dataset name {name!r}" in str(info.value)
    assert "(from /entry/entry_identifier)" in str(info.value)
    assert rows(beamlines) == before


def test_a_dataset_name_whose_doi_would_not_fit_is_refused(beamlines, tmp_path):
    path = write_nexus(tmp_path / "a.nxs", replace(example_spec("mx", 1), scan="s" * 240))
    with pytest.raises(IngestError, match=r"dataset name would make the DOI .* characters long"):
        ingest_file(beamlines.engine, path)
    assert rows(beamlines)["Dataset"] == 0


def test_an_experiment_that_would_share_a_doi_is_refused(beamlines, tmp_path):
    first = write_nexus(tmp_path / "a.nxs", example_spec("mx", 1))  # mx23694-2
    ingest_file(beamlines.engine, first)
    before = rows(beamlines)
    twin = write_nexus(tmp_path / "b.nxs", replace(example_spec("mx", 3), proposal="MX23694"))
    with pytest.raises(IngestError) as info:
        ingest_file(beamlines.engine, twin)
    assert "experiment MX23694-2 would have the DOI of investigation mx23694-2" in str(info.value)
    assert rows(beamlines) == before
