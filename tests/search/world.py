"""A small catalogue to search: two public experiments on two beamlines, an embargoed one of
Pia's, and Otto's restricted experiment with a sentinel word in every searchable place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from faircat.catalogue.models import (
    Datafile,
    Dataset,
    Parameter,
    ParameterType,
    Sample,
    Technique,
)
from faircat.catalogue.panet import TECHNIQUES
from faircat.catalogue.search import documents
from faircat.catalogue.store import Catalogue
from faircat.catalogue.vocab import DatasetType, MemberRole, Role, ValueType
from tests.catalogue import factories as f
from tests.catalogue.factories import NOW
from tests.portal.conftest import password_hash

SENTINEL = "zqxsentinel"


@dataclass(frozen=True)
class SearchWorld:
    ids: dict[str, int]  # dataset name -> id


class _Builder:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.types: dict[tuple[str, str], ParameterType] = {}
        self.ids: dict[str, int] = {}

    def ptype(self, name: str, unit: str, *, public: bool = True, kind=ValueType.NUMERIC):
        key = (name, unit)
        if key not in self.types:
            self.types[key] = ParameterType(name=name, unit=unit, value_type=kind, public=public)
            self.session.add(self.types[key])
        return self.types[key]

    def dataset(
        self,
        inv,
        name: str,
        *,
        technique: str,
        start: datetime | None,
        title: str | None = None,
        sample: tuple[str, str | None] | None = None,
        files: tuple[str, ...] = (),
        params: tuple[tuple[str, str, float | str], ...] = (),
        kind: DatasetType = DatasetType.RAW,
        private: tuple[tuple[str, str, float], ...] = (),
    ) -> None:
        sample_row = None
        if sample:
            sample_row = Sample(investigation_id=inv.id, name=sample[0], chemical_formula=sample[1])
            self.session.add(sample_row)
        technique_row = self.session.query(Technique).filter_by(pid=TECHNIQUES[technique][0]).one()
        dataset = Dataset(
            investigation_id=inv.id,
            instrument_id=inv.instruments[0].id,
            name=name,
            title=title,
            type=kind,
            start_time=start,
            sample=sample_row,
            techniques=[technique_row],
        )
        self.session.add(dataset)
        self.session.flush()
        for i, file_name in enumerate(files):
            self.session.add(
                Datafile(
                    dataset_id=dataset.id, name=file_name, location=f"/d/{dataset.id}/{i}", size=1
                )
            )
        for pname, unit, value in params:
            numeric = not isinstance(value, str)
            ptype = self.ptype(pname, unit, kind=ValueType.NUMERIC if numeric else ValueType.STRING)
            self.session.add(
                Parameter(
                    type=ptype,
                    dataset_id=dataset.id,
                    numeric_value=value if numeric else None,
                    string_value=None if numeric else value,
                )
            )
        for pname, unit, value in private:
            self.session.add(
                Parameter(
                    type=self.ptype(pname, unit, public=False),
                    dataset_id=dataset.id,
                    numeric_value=value,
                )
            )
        self.ids[name] = dataset.id


def at(days_ago: int) -> datetime:
    return NOW - timedelta(days=days_ago)


def build(catalogue: Catalogue) -> SearchWorld:
    with catalogue.transaction() as session:
        f.instrument(session, "XALOC", "mx")
        f.instrument(session, "NOTOS", "xas")
        for username, name in (
            ("pia", "Pia Ibáñez"),
            ("otto", "Otto Sider"),
            ("nina", "Nina Outsider"),
        ):
            f.user(session, username, full_name=name).password_hash = password_hash()
        f.user(
            session, "cure", Role.CURATOR, full_name="Carla Curator"
        ).password_hash = password_hash()
        pia = (("pia", MemberRole.PI),)
        old = at(4 * 365)
        pub1 = f.investigation(
            session, "PUB1", start=old, members=pia, title="Public thaumatin structures"
        )
        pub1.doi = "10.80100/tls.pub1-1"
        pub2 = f.investigation(
            session, "PUB2", start=old, instrument_name="NOTOS", title="Copper edges"
        )
        emb = f.investigation(session, "EMB1", start=at(60), members=pia, title="Embargoed soaks")
        secret = f.investigation(
            session,
            "SEC1",
            start=at(60),
            members=(("otto", MemberRole.PI),),
            title=f"The {SENTINEL} project",
        )
        b = _Builder(session)
        wl, mono = "instrument/beam/incident_wavelength", "instrument/monochromator/wavelength"
        b.dataset(
            pub1,
            "scan_0001",
            technique="mx",
            start=datetime(2022, 6, 1, 10, tzinfo=UTC),
            title="lysozyme native",
            sample=("lysozyme", "C613H951N193O185S10"),
            files=("scan_0001_master.h5", "scan_0001_data_000001.h5"),
            params=((wl, "angstrom", 0.9792), ("sample/temperature", "K", 100.0)),
            private=(("dose", "Gy", 5.0),),
        )
        b.dataset(
            pub1,
            "scan_0002",
            technique="mx",
            start=datetime(2022, 6, 2, 10, tzinfo=UTC),
            sample=("thaumatin", None),
            files=("scan_0002_master.h5",),
            params=((mono, "nm", 0.09),),  # exactly 0.9 angstrom: on the boundary
        )
        b.dataset(
            pub1,
            "scan_0003",
            technique="mx",
            start=datetime(2022, 6, 3, 10, tzinfo=UTC),
            kind=DatasetType.PROCESSED,
            sample=("Müller salt", "C₆H₁₂O₆"),
            params=((wl, "angstrom", 1.2), ("sample/temperature", "degC", -173.15)),
        )
        b.dataset(
            pub2,
            "xas_0001",
            technique="xas",
            start=datetime(2022, 7, 1, 10, tzinfo=UTC),
            sample=("copper foil", "Cu"),
            files=("cu_k_edge.xdi",),
            params=(("instrument/monochromator/edge_energy", "keV", 8.979),),
        )
        b.dataset(
            emb,
            "emb_0001",
            technique="mx",
            start=at(59),
            title="lysozyme soak",
            sample=("lysozyme", None),
            params=((wl, "angstrom", 0.95),),
        )
        b.dataset(
            secret,
            f"{SENTINEL}_scan",
            technique="mx",
            start=at(59),
            title=f"{SENTINEL} title",
            sample=(f"{SENTINEL} sample", f"{SENTINEL.title()}O2"),
            files=(f"{SENTINEL}_file.h5",),
            params=(
                (wl, "angstrom", 0.95),
                (f"instrument/{SENTINEL}_gauge", "mm", 42.0),
                ("instrument/note", "", f"{SENTINEL} value"),
            ),
        )
        session.flush()  # Core reads below: the ORM's pending rows must be in the database
        documents.write(session.connection(), sorted(b.ids.values()))
        return SearchWorld(dict(b.ids))
