"""A world with real files: experiments in three states, each with a raw MX scan (a NeXus file
with an image stack, a note and a log) and a processed dataset made from the scan (a 1-D curve),
under one data root.

Everything restricted (the active and the embargoed experiment) carries a sentinel: in the
dataset title, the sample name, a file name, an HDF5 attribute, a parameter value and a restricted
parameter of the public dataset, so a test can assert that it reaches nobody who may not read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import h5py
import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient

from faircat.catalogue.accounts import create_token
from faircat.catalogue.checksum import sha256_file
from faircat.catalogue.models import Datafile, Dataset, Parameter, Sample
from faircat.catalogue.models.facility import instrument_scientist
from faircat.catalogue.models.parameters import ParameterType
from faircat.catalogue.nexus import read_nexus
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import DatasetType, MemberRole, Role, ValueType
from faircat.demo.nexusgen import example_spec, write_nexus
from faircat.web.app import create_app
from tests.catalogue import factories as f
from tests.catalogue.factories import NOW
from tests.portal.conftest import SECRET, password_hash

SENTINEL = "ZQXJ-restricted-sentinel"
STATES = ("active", "embargoed", "public")


@dataclass
class Experiment:
    label: str
    raw: int  # dataset ids
    processed: int
    files: dict[str, int] = field(default_factory=dict)  # file name -> id


@dataclass
class DataWorld:
    root: Path
    experiments: dict[str, Experiment]
    tokens: dict[str, str]  # "bound" (pia, XALOC), "other" (pia, BL13), "curator_other"

    def file_id(self, state: str, name: str) -> int:
        return self.experiments[state].files[name]


def _write_scan(folder: Path, label: str, restricted: bool, frames: int = 5) -> Path:
    proposal, visit = label.rsplit("-", 1)
    spec = example_spec(
        "mx",
        proposal=proposal,
        visit=visit,
        title=f"{SENTINEL} scan title" if restricted else "Open lysozyme scan",
        frames=frames,
        detector_shape=(48, 64),
    )
    path = write_nexus(folder / "scan_0001.nxs", spec)
    with h5py.File(path, "a") as handle:
        handle["entry"].attrs["operator_note"] = f"{SENTINEL} attr" if restricted else "open note"
    return path


def _write_curve(path: Path, restricted: bool) -> Path:
    """A processed 1-D NXdata: an azimuthally integrated curve."""
    with h5py.File(path, "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry.attrs["default"] = "result"
        data = entry.create_group("result")
        data.attrs.update({"NX_class": "NXdata", "signal": "intensity", "axes": ["q"]})
        q = data.create_dataset("q", data=np.linspace(0.01, 0.5, 200))
        q.attrs["units"] = "1/angstrom"
        data.create_dataset("intensity", data=1000 / (1 + (np.linspace(0.01, 0.5, 200) * 40) ** 2))
        entry.attrs["program"] = f"{SENTINEL} program" if restricted else "pyFAI"
    return path


def _datafile(session, dataset: Dataset, path: Path, fmt: str | None) -> Datafile:
    row = Datafile(
        dataset_id=dataset.id,
        name=path.name,
        location=str(path),
        size=path.stat().st_size,
        checksum=f"sha256:{sha256_file(path)}",
        format=fmt,
    )
    session.add(row)
    session.flush()
    return row


def build_dataworld(catalogue: Catalogue, root: Path) -> DataWorld:
    starts = {
        "active": NOW - timedelta(days=1),
        "embargoed": NOW - timedelta(days=60),
        "public": NOW - timedelta(days=4 * 365),
    }
    tokens: dict[str, str] = {}
    experiments: dict[str, Experiment] = {}
    with catalogue.transaction() as session:
        xaloc = f.instrument(session)
        f.instrument(session, "BL13", "xas")
        users = {}
        for username in ("pia", "cora", "paul", "otto", "sci"):
            users[username] = f.user(session, username, full_name=username.title() + " Test")
        users["cure"] = f.user(session, "cure", Role.CURATOR, full_name="Carla Curator")
        for user in users.values():
            user.password_hash = password_hash()
        session.execute(
            instrument_scientist.insert().values(instrument_id=xaloc.id, user_id=users["sci"].id)
        )
        team = (("pia", MemberRole.PI), ("cora", MemberRole.CO_PROPOSER))
        numeric = ParameterType(name="sample/temperature", unit="K", value_type=ValueType.NUMERIC)
        text = ParameterType(name="notes/operator", unit="", value_type=ValueType.STRING)
        hidden = ParameterType(
            name="calibration/secret", unit="", value_type=ValueType.STRING, public=False
        )
        session.add_all([numeric, text, hidden])
        session.flush()
        for state in STATES:
            restricted = state != "public"
            code = {"active": "ACT", "embargoed": "EMB", "public": "PUB"}[state]
            inv = f.investigation(
                session, code, start=starts[state], members=team, title=f"{state} experiment"
            )
            folder = root / inv.label
            folder.mkdir(parents=True)
            sample = Sample(
                investigation_id=inv.id,
                name=f"{SENTINEL} sample" if restricted else "lysozyme",
                chemical_formula="C613H959N193O185S10",
            )
            session.add(sample)
            session.flush()
            scan = _write_scan(folder, inv.label, restricted)
            raw = Dataset(
                investigation_id=inv.id,
                instrument_id=xaloc.id,
                sample_id=sample.id,
                name="scan_0001",
                title=f"{SENTINEL} title" if restricted else "Open lysozyme scan",
                type=DatasetType.RAW,
                start_time=starts[state],
                end_time=starts[state] + timedelta(minutes=5),
                plot_path=read_nexus(scan).plot.path,  # type: ignore[union-attr]
                doi=None if restricted else "10.80100/tls.pub-1.scan_0001",
            )
            raw.techniques = list(xaloc.techniques)
            processed = Dataset(
                investigation_id=inv.id,
                instrument_id=xaloc.id,
                name="proc_0001",
                title="Integrated curve",
                type=DatasetType.PROCESSED,
                plot_path="/entry/result",
            )
            session.add_all([raw, processed])
            session.flush()
            processed.inputs = [raw]
            experiment = Experiment(inv.label, raw.id, processed.id)
            note = folder / (f"{SENTINEL}-notes.txt" if restricted else "notes.txt")
            note.write_text("beam was fine\n")
            log = folder / "scan_0001.log"
            log.write_text("".join(f"frame {i} exposed 0.1 s\n" for i in range(5)))
            curve = _write_curve(folder / "curve.h5", restricted)
            for dataset, path, fmt in (
                (raw, scan, "application/x-nexus"),
                (raw, note, "text/plain"),
                (raw, log, None),
                (processed, curve, None),
            ):
                row = _datafile(session, dataset, path, fmt)
                experiment.files[path.name] = row.id
                dataset.size += row.size
                dataset.file_count += 1
            session.add_all(
                [
                    Parameter(parameter_type_id=numeric.id, dataset_id=raw.id, numeric_value=100.0),
                    Parameter(
                        parameter_type_id=text.id,
                        dataset_id=raw.id,
                        string_value=f"{SENTINEL} param" if restricted else "all good",
                    ),
                    Parameter(
                        parameter_type_id=hidden.id,
                        dataset_id=raw.id,
                        string_value=f"{SENTINEL} hidden",
                    ),
                ]
            )
            experiments[state] = experiment
        for name, user, instrument in (
            ("bound", "pia", "XALOC"),
            ("other", "pia", "BL13"),
            ("curator_other", "cure", "BL13"),
            ("unbound", "otto", None),
        ):
            _, secret = create_token(session, users[user], name, instrument=instrument)
            tokens[name] = secret
    return DataWorld(root, experiments, tokens)


def data_app(catalogue: Catalogue, root: Path, **config: object) -> Flask:
    settings = dataclasses.replace(catalogue.settings, secret_key=SECRET, data_roots=str(root))
    return create_app(settings, {"TESTING": True, "FAIRCAT_NOW": lambda: NOW, **config})


@pytest.fixture
def dataworld(catalogue: Catalogue, tmp_path: Path) -> DataWorld:
    return build_dataworld(catalogue, tmp_path / "data")


@pytest.fixture
def data_client(catalogue: Catalogue, dataworld: DataWorld) -> Iterator[FlaskClient]:
    app = data_app(catalogue, dataworld.root)
    yield app.test_client()
    app.extensions["faircat"].close()
