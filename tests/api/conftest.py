"""API fixtures: the portal's world plus files, parameters, a scientist and API tokens, with a
sentinel planted in every restricted field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select

from faircat.catalogue.accounts import create_token
from faircat.catalogue.facility import add_instrument
from faircat.catalogue.models import (
    Datafile,
    Dataset,
    Instrument,
    Investigation,
    Parameter,
    ParameterType,
    Sample,
    User,
)
from faircat.catalogue.models.facility import instrument_scientist
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import ValueType
from tests.catalogue import factories as f
from tests.portal.conftest import World, build_world, portal_app

SENTINEL = "SENTINEL-7c1e"


@dataclass(frozen=True)
class ApiWorld:
    portal: World
    tokens: dict[str, str]  # who -> bearer secret
    restricted_dataset: int
    public_dataset: int


def _plant(session, inv: Investigation, public: bool) -> int:
    tag = "open" if public else SENTINEL
    sample = Sample(investigation_id=inv.id, name=f"{tag}-sample", chemical_formula=f"{tag}-F")
    session.add(sample)
    session.flush()
    dataset = Dataset(
        investigation_id=inv.id,
        name=f"scan_{inv.proposal}",
        title=f"{tag} title",
        sample_id=sample.id,
        size=10,
        file_count=1,
    )
    session.add(dataset)
    session.flush()
    session.add(
        Datafile(
            dataset_id=dataset.id,
            name=f"{tag}-file.h5",
            location=f"/nonexistent/{inv.proposal}/{tag}.h5",
            size=10,
            checksum="sha256:" + "0" * 64,
        )
    )
    wavelength = session.scalar(select(ParameterType).where(ParameterType.name == "wavelength"))
    if wavelength is None:
        wavelength = ParameterType(name="wavelength", unit="angstrom", value_type=ValueType.NUMERIC)
        secret = ParameterType(
            name="operator_note", unit="", value_type=ValueType.STRING, public=False
        )
        session.add_all([wavelength, secret])
        session.flush()
    secret = session.scalar(select(ParameterType).where(ParameterType.name == "operator_note"))
    session.add(
        Parameter(parameter_type_id=wavelength.id, dataset_id=dataset.id, numeric_value=0.98)
    )
    note = f"{SENTINEL} note"
    session.add(Parameter(parameter_type_id=secret.id, dataset_id=dataset.id, string_value=note))
    return dataset.id


def build_api_world(catalogue: Catalogue) -> ApiWorld:
    world = build_world(catalogue)
    with catalogue.transaction() as session:
        add_instrument(session, "MSPD", "MSPD beamline", ["powder"])
        xaloc = session.scalar(select(Instrument).where(Instrument.name == "XALOC"))
        mspd = session.scalar(select(Instrument).where(Instrument.name == "MSPD"))
        sci = f.user(session, "sci", full_name="Sara Scientist")
        session.execute(
            instrument_scientist.insert().values(instrument_id=xaloc.id, user_id=sci.id)
        )
        users = {u.username: u for u in session.scalars(select(User))}
        embargoed = session.scalar(select(Investigation).where(Investigation.proposal == "EMB1"))
        embargoed.title = f"{SENTINEL} embargoed title"
        public = session.scalar(select(Investigation).where(Investigation.proposal == "PUB1"))
        restricted = _plant(session, embargoed, public=False)
        open_ = _plant(session, public, public=True)
        tokens = {
            "pia_token": create_token(session, users["pia"], "script")[1],
            "pia_xaloc_token": create_token(session, users["pia"], "x", instrument="XALOC")[1],
            "pia_mspd_token": create_token(session, users["pia"], "m", instrument="MSPD")[1],
            "cure_mspd_token": create_token(session, users["cure"], "c", instrument="MSPD")[1],
            "otto_token": create_token(session, users["otto"], "o")[1],
        }
        assert mspd is not None
    return ApiWorld(world, tokens, restricted, open_)


@pytest.fixture
def api_world(catalogue: Catalogue) -> ApiWorld:
    return build_api_world(catalogue)


@pytest.fixture
def api_app(catalogue: Catalogue, api_world: ApiWorld) -> Iterator[Flask]:
    app = portal_app(catalogue)
    yield app
    app.extensions["faircat"].close()
