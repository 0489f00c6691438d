"""Loading one file's NeXus metadata into the catalogue: an upsert that writes only what differs.

This is the hot path of ingest (hundreds of files per second), so it uses SQLAlchemy Core
statements and a per-batch :class:`LookupCache` instead of ORM objects: an ORM unit of work per
file costs more than reading the file. What a transaction learns (new ids, new members) is
staged and kept only if that transaction commits, so a failed file cannot leave the cache
pointing at rows that were rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, case, exists, func, insert, select, update
from sqlalchemy.engine import Connection

from faircat.catalogue import identifiers
from faircat.catalogue.accounts import split_name, username_base
from faircat.catalogue.checksum import sha256_file
from faircat.catalogue.investigations import doi_twin
from faircat.catalogue.lifecycle import default_release_date
from faircat.catalogue.models import (
    AuditEvent,
    Datafile,
    Dataset,
    Facility,
    Instrument,
    Investigation,
    InvestigationMember,
    Parameter,
    ParameterType,
    ReleaseRequest,
    Sample,
    Technique,
    User,
)
from faircat.catalogue.models.base import utcnow
from faircat.catalogue.models.data import dataset_technique
from faircat.catalogue.models.facility import instrument_technique
from faircat.catalogue.models.investigation import investigation_instrument
from faircat.catalogue.nexus import NexusMetadata, NexusParameter, NexusUser
from faircat.catalogue.orcid import normalise_orcid
from faircat.catalogue.panet import TECHNIQUES
from faircat.catalogue.search import documents as search_documents
from faircat.catalogue.vocab import DatasetType, MemberRole, RequestKind, RequestStatus, ValueType
from faircat.errors import DuplicateError, FaircatError, NotFoundError, ValidationError

# NeXus application definitions -> PaNET technique short names (faircat.catalogue.panet).
DEFINITION_TECHNIQUES = {
    "NXmx": "mx",
    "NXmonopd": "powder",
    "NXxas": "xas",
    "NXxasproc": "xas",
    "NXcanSAS": "saxs",
    "NXsas": "saxs",
    "NXtomo": "tomo",
    "NXtomoproc": "tomo",
    "NXfluo": "xrf",
}

_ROLES = {
    "pi": MemberRole.PI,
    "principal_investigator": MemberRole.PI,
    "principal investigator": MemberRole.PI,
    "proposer": MemberRole.PI,
    "main_proposer": MemberRole.PI,
    "co_proposer": MemberRole.CO_PROPOSER,
    "co-proposer": MemberRole.CO_PROPOSER,
    "coproposer": MemberRole.CO_PROPOSER,
    "local_contact": MemberRole.LOCAL_CONTACT,
    "local contact": MemberRole.LOCAL_CONTACT,
}
_MISSING = object()

# The per-file statements are built once: building a statement costs more than running it on
# SQLite (bench/ingest.py). Core tables, not ORM entities, skip the ORM bulk-insert layer.
_DS, _DF, _PAR, _SMP = (
    Dataset.__table__,
    Datafile.__table__,
    Parameter.__table__,
    Sample.__table__,
)
_DATASET_FIELDS = (
    "title",
    "definition",
    "start_time",
    "end_time",
    "location",
    "sample_id",
    "instrument_id",
    "complete",
    "plot_path",
)
_SELECT_DATASET = select(_DS.c.id, *(_DS.c[k] for k in _DATASET_FIELDS)).where(
    _DS.c.investigation_id == bindparam("inv"), _DS.c.name == bindparam("name")
)
_INSERT_DATASET = _DS.insert().returning(_DS.c.id)
_SELECT_DATAFILE = select(
    _DF.c.id, _DF.c.dataset_id, _DF.c.size, _DF.c.checksum, _DF.c.file_modified_at
).where(_DF.c.location == bindparam("loc"))
_INSERT_DATAFILE = _DF.insert()
_FILES_OF = _DF.c.dataset_id == _DS.c.id
# One statement recomputes the totals of the file's dataset (and of its previous one if moved).
_UPDATE_TOTALS = (
    _DS.update()
    .where(_DS.c.id.in_([bindparam("a"), bindparam("b")]))
    .values(
        size=select(func.coalesce(func.sum(_DF.c.size), 0)).where(_FILES_OF).scalar_subquery(),
        file_count=select(func.count(_DF.c.id)).where(_FILES_OF).scalar_subquery(),
    )
)
_INSERT_TECHNIQUE = dataset_technique.insert()
_SELECT_TECHNIQUES = select(dataset_technique.c.technique_id).where(
    dataset_technique.c.dataset_id == bindparam("ds")
)
_INSERT_PARAMETER = _PAR.insert()
_SELECT_PARAMETERS = select(
    _PAR.c.id,
    _PAR.c.parameter_type_id,
    _PAR.c.numeric_value,
    _PAR.c.datetime_value,
    _PAR.c.string_value,
).where(_PAR.c.dataset_id == bindparam("ds"))
_SELECT_SAMPLE = select(_SMP.c.id, _SMP.c.chemical_formula).where(
    _SMP.c.investigation_id == bindparam("inv"), _SMP.c.name == bindparam("name")
)
_INSERT_SAMPLE = _SMP.insert().returning(_SMP.c.id)
_INV = Investigation.__table__
_TOUCH_DATASET = (
    _DS.update().where(_DS.c.id == bindparam("ds_id")).values(updated_at=bindparam("now"))
)
_TOUCH_INVESTIGATION = (
    _INV.update().where(_INV.c.id == bindparam("inv_id")).values(updated_at=bindparam("now"))
)
_RELEASE_MOVED = exists().where(
    ReleaseRequest.investigation_id == _INV.c.id,
    ReleaseRequest.status == RequestStatus.APPROVED,
    ReleaseRequest.kind.in_([RequestKind.EARLY_RELEASE, RequestKind.EXTENSION]),
)
_STRETCH = (
    _INV.update()
    .where(_INV.c.id == bindparam("inv_id"))
    .values(
        start_date=bindparam("start"),
        end_date=bindparam("end"),
        updated_at=bindparam("now"),
        release_date=case((_RELEASE_MOVED, _INV.c.release_date), else_=bindparam("release")),
    )
)


def member_role(raw: str | None) -> MemberRole:
    return _ROLES.get((raw or "").strip().lower(), MemberRole.PARTICIPANT)


def value_type(value: object) -> ValueType:
    if isinstance(value, datetime):
        return ValueType.DATETIME
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ValueType.NUMERIC
    return ValueType.STRING


def parameter_columns(value: object) -> dict[str, Any]:
    kind = value_type(value)
    return {
        "numeric_value": float(value) if kind is ValueType.NUMERIC else None,  # type: ignore[arg-type]
        "datetime_value": value if kind is ValueType.DATETIME else None,
        "string_value": str(value) if kind is ValueType.STRING else None,
    }


def checked(meta: NexusMetadata) -> NexusMetadata:
    """``meta`` with its proposal, visit and dataset name checked by the rules every way into
    the catalogue shares (:mod:`faircat.catalogue.identifiers`): they become DOIs and paths.
    The refusal names the NeXus field the value came from."""
    source = f"{meta.entry}/experiment_identifier {meta.experiment_identifier!r}"
    try:
        proposal = identifiers.proposal(meta.proposal)
        visit = identifiers.visit(meta.visit)
    except ValidationError as exc:
        raise ValidationError(f"{exc} (from {source})", field=exc.field) from None
    name = dataset_name(meta)
    try:
        identifiers.dataset_name(name)
    except ValidationError as exc:
        where = f"{meta.entry}/entry_identifier" if meta.entry_identifier else "the file name"
        raise ValidationError(f"{exc} (from {where})", field=exc.field) from None
    if (proposal, visit) == (meta.proposal, meta.visit):
        return meta
    return replace(meta, proposal=proposal, visit=visit)


def dataset_name(meta: NexusMetadata) -> str:
    return meta.entry_identifier or meta.path.stem


@dataclass(frozen=True)
class InvestigationRow:
    id: int
    start: datetime
    end: datetime
    instrument_ids: frozenset[int]
    member_ids: frozenset[int]


class LookupCache:
    """Ids learnt during a batch; staged per transaction, kept on commit, dropped on rollback."""

    def __init__(self) -> None:
        self._kept: dict[tuple[Any, ...], Any] = {}
        self._staged: dict[tuple[Any, ...], Any] = {}

    def get(self, key: tuple[Any, ...]) -> Any:
        value = self._staged.get(key, _MISSING)
        return self._kept.get(key, _MISSING) if value is _MISSING else value

    def put(self, key: tuple[Any, ...], value: Any) -> Any:
        self._staged[key] = value
        return value

    def commit(self) -> None:
        self._kept.update(self._staged)
        self._staged.clear()

    def discard(self) -> None:
        self._staged.clear()


class Loader:
    """Upserts one file's metadata on an open connection (inside the caller's transaction)."""

    def __init__(self, conn: Connection, cache: LookupCache, *, checksum: bool = True) -> None:
        self.conn = conn
        self.cache = cache
        self.checksum = checksum
        self.changed = False

    def load(self, meta: NexusMetadata) -> tuple[str, str, int]:
        """Returns (status, investigation label, dataset id)."""
        meta = checked(meta)
        instrument_id, instrument_techniques = self._instrument(meta.instrument)
        people = [(self._user(u), member_role(u.role)) for u in meta.users]
        inv, created = self._investigation(meta, instrument_id)
        self._members(meta, inv, people)
        sample_id = self._sample(inv.id, meta)
        datafile = self.conn.execute(_SELECT_DATAFILE, {"loc": str(meta.path)}).first()
        # A new file of a new dataset (every file of a first ingest): the dataset's totals are
        # the file's, written with the dataset instead of recomputed by a statement more.
        totals = (meta.size, 1) if datafile is None else (0, 0)
        dataset_id, dataset_created = self._dataset(inv.id, instrument_id, sample_id, meta, totals)
        self._techniques(dataset_id, meta, instrument_techniques, dataset_created)
        recount = not dataset_created or datafile is not None
        self._datafile(dataset_id, meta, datafile, recount=recount)
        self._parameters(dataset_id, meta.parameters, dataset_created)
        label = f"{meta.proposal}-{meta.visit}"
        if created or dataset_created or self.changed:  # in this file's transaction
            search_documents.refresh(self.conn, dataset_id)
        if created or dataset_created:
            return "created", label, dataset_id
        if self.changed:
            # The publisher finds what to re-export through these timestamps (indexed).
            now = utcnow()
            self.conn.execute(_TOUCH_DATASET, {"ds_id": dataset_id, "now": now})
            self.conn.execute(_TOUCH_INVESTIGATION, {"inv_id": inv.id, "now": now})
        return ("updated" if self.changed else "unchanged"), label, dataset_id

    # -- reference data ------------------------------------------------------------------------
    def _facility(self) -> tuple[int, int, str]:
        """(id, embargo years, the start of its DOIs: ``<prefix>/<short name>.``)"""
        key = ("facility",)
        found = self.cache.get(key)
        if found is _MISSING:
            row = self.conn.execute(
                select(
                    Facility.id, Facility.embargo_years, Facility.doi_prefix, Facility.short_name
                )
                .order_by(Facility.id)
                .limit(1)
            ).first()
            if row is None:
                raise NotFoundError("the catalogue has no facility: run 'faircat db upgrade'")
            stem = f"{row.doi_prefix}/{row.short_name}."
            found = self.cache.put(key, (row.id, row.embargo_years, stem))
        return found

    def _instrument(self, name: str) -> tuple[int, tuple[int, ...]]:
        key = ("instrument", name)
        found = self.cache.get(key)
        if found is _MISSING:
            instrument_id = self.conn.scalar(select(Instrument.id).where(Instrument.name == name))
            if instrument_id is None:
                known = ", ".join(
                    self.conn.scalars(select(Instrument.name).order_by(Instrument.name))
                )
                raise NotFoundError(
                    f"unknown instrument {name!r} (known: {known or 'none'}); register it with "
                    "'faircat instrument add'"
                )
            techniques = tuple(
                self.conn.scalars(
                    select(instrument_technique.c.technique_id).where(
                        instrument_technique.c.instrument_id == instrument_id
                    )
                )
            )
            found = self.cache.put(key, (instrument_id, techniques))
        return found

    def _technique(self, short: str) -> int:
        key = ("technique", short)
        found = self.cache.get(key)
        if found is _MISSING:
            pid, name = TECHNIQUES[short]
            found = self.conn.scalar(select(Technique.id).where(Technique.pid == pid))
            if found is None:
                found = self.conn.execute(
                    insert(Technique).values(pid=pid, name=name).returning(Technique.id)
                ).scalar_one()
            self.cache.put(key, found)
        return found

    # -- people --------------------------------------------------------------------------------
    def _user(self, person: NexusUser) -> int:
        name = " ".join(person.name.split())
        if not name:
            raise FaircatError("an NXuser group has an empty name")
        orcid = None
        if person.orcid:
            try:
                orcid = normalise_orcid(person.orcid)
            except FaircatError as exc:
                raise FaircatError(f"user {name!r}: {exc}") from None
        email = (person.email or "").strip().lower() or None
        # Without an identifier, the same name in the same facility is the same person: one
        # account to merge later is better than a new one per file.
        keys = [("orcid", orcid)] if orcid else []
        keys += [("email", email)] if email else []
        keys = keys or [("name", name)]
        for kind, value in keys:
            found = self.cache.get(("user", kind, value))
            if found is not _MISSING:
                return found
            column = {"orcid": User.orcid, "email": User.email, "name": User.full_name}[kind]
            query = select(User.id).where(column == value)
            if kind == "name":
                query = query.where(User.orcid.is_(None))
            found = self.conn.scalar(query.order_by(User.id).limit(1))
            if found is not None:
                return self.cache.put(("user", kind, value), found)
        given, family = split_name(name)
        user_id = self.conn.execute(
            insert(User)
            .values(
                username=self._free_username(name),
                full_name=name,
                given_name=given,
                family_name=family,
                email=email,
                orcid=orcid,
                affiliation=person.affiliation,
                active=False,  # claimed when the person first logs in
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            .returning(User.id)
        ).scalar_one()
        self.changed = True
        for kind, value in keys:
            self.cache.put(("user", kind, value), user_id)
        return user_id

    def _free_username(self, name: str) -> str:
        base = username_base(name)
        taken = set(self.conn.scalars(select(User.username).where(User.username.like(f"{base}%"))))
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}{n}"
        return candidate

    # -- investigation -------------------------------------------------------------------------
    def _investigation(
        self, meta: NexusMetadata, instrument_id: int
    ) -> tuple[InvestigationRow, bool]:
        key = ("investigation", meta.proposal, meta.visit)
        inv = self.cache.get(key)
        start, end = meta.start_time, meta.end_time or meta.start_time
        facility_id, embargo, _ = self._facility()
        if inv is _MISSING:
            row = self.conn.execute(
                select(Investigation.id, Investigation.start_date, Investigation.end_date).where(
                    Investigation.proposal == meta.proposal, Investigation.visit == meta.visit
                )
            ).first()
            if row is None:
                return self._new_investigation(meta, instrument_id, facility_id, embargo), True
            inv = InvestigationRow(
                row.id,
                row.start_date,
                row.end_date,
                frozenset(
                    self.conn.scalars(
                        select(investigation_instrument.c.instrument_id).where(
                            investigation_instrument.c.investigation_id == row.id
                        )
                    )
                ),
                frozenset(
                    self.conn.scalars(
                        select(InvestigationMember.user_id).where(
                            InvestigationMember.investigation_id == row.id
                        )
                    )
                ),
            )
        if instrument_id not in inv.instrument_ids:
            self.conn.execute(
                insert(investigation_instrument).values(
                    investigation_id=inv.id, instrument_id=instrument_id
                )
            )
            inv = replace(inv, instrument_ids=inv.instrument_ids | {instrument_id})
            self.changed = True
        # Data taken outside the scheduled window stretch it; the default release date follows
        # the end unless a curator has already moved it (decided in SQL, in the same statement,
        # so an approval landing during a batch is never overwritten).
        if start < inv.start or end > inv.end:
            self.conn.execute(
                _STRETCH,
                {
                    "inv_id": inv.id,
                    "start": min(start, inv.start),
                    "end": max(end, inv.end),
                    "release": default_release_date(max(end, inv.end), embargo),
                    "now": utcnow(),
                },
            )
            inv = replace(inv, start=min(start, inv.start), end=max(end, inv.end))
            self.changed = True
        return self.cache.put(key, inv), False

    def _new_investigation(
        self, meta: NexusMetadata, instrument_id: int, facility_id: int, embargo: int
    ) -> InvestigationRow:
        twin = doi_twin(self.conn, meta.proposal, meta.visit)
        if twin is not None:
            raise DuplicateError(
                f"experiment {meta.proposal}-{meta.visit} would have the DOI of investigation "
                f"{twin} (DOIs ignore case): correct {meta.entry}/experiment_identifier"
            )
        start, end = meta.start_time, meta.end_time or meta.start_time
        now = utcnow()
        inv_id = self.conn.execute(
            insert(Investigation)
            .values(
                facility_id=facility_id,
                proposal=meta.proposal,
                visit=meta.visit,
                title=f"Proposal {meta.proposal}, visit {meta.visit} on {meta.instrument}",
                type="experiment",
                start_date=start,
                end_date=end,
                release_date=default_release_date(end, embargo),
                created_at=now,
                updated_at=now,
            )
            .returning(Investigation.id)
        ).scalar_one()
        self.conn.execute(
            insert(investigation_instrument).values(
                investigation_id=inv_id, instrument_id=instrument_id
            )
        )
        self.conn.execute(
            insert(AuditEvent).values(
                actor_label="ingest",
                action="investigation.create",
                target_type="investigation",
                target_id=str(inv_id),
                created_at=now,
                after={"proposal": meta.proposal, "visit": meta.visit, "source": str(meta.path)},
            )
        )
        inv = InvestigationRow(inv_id, start, end, frozenset({instrument_id}), frozenset())
        return self.cache.put(("investigation", meta.proposal, meta.visit), inv)

    def _members(
        self, meta: NexusMetadata, inv: InvestigationRow, people: list[tuple[int, MemberRole]]
    ) -> None:
        # Existing roles are never changed by a file: the proposal system owns them.
        new = {}
        for user_id, role in people:
            if user_id not in inv.member_ids and user_id not in new:
                new[user_id] = role
        if not new:
            return
        self.conn.execute(
            insert(InvestigationMember),
            [
                {"investigation_id": inv.id, "user_id": uid, "role": role}
                for uid, role in new.items()
            ],
        )
        self.cache.put(
            ("investigation", meta.proposal, meta.visit),
            replace(inv, member_ids=inv.member_ids | set(new)),
        )
        self.changed = True

    # -- sample, dataset, file, parameters -----------------------------------------------------
    def _sample(self, investigation_id: int, meta: NexusMetadata) -> int | None:
        if not meta.sample_name:
            return None
        key = ("sample", investigation_id, meta.sample_name)
        found = self.cache.get(key)
        if found is _MISSING:
            row = self.conn.execute(
                select(Sample.id, Sample.chemical_formula).where(
                    Sample.investigation_id == investigation_id, Sample.name == meta.sample_name
                )
            ).first()
            if row is None:
                now = utcnow()
                sample_id = self.conn.execute(
                    insert(Sample)
                    .values(
                        investigation_id=investigation_id,
                        name=meta.sample_name,
                        chemical_formula=meta.sample_formula,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(Sample.id)
                ).scalar_one()
                self.changed = True
                return self.cache.put(key, (sample_id, meta.sample_formula))[0]
            found = (row.id, row.chemical_formula)
        sample_id, formula = found
        if meta.sample_formula and meta.sample_formula != formula:
            self.conn.execute(
                update(Sample)
                .where(Sample.id == sample_id)
                .values(chemical_formula=meta.sample_formula, updated_at=utcnow())
            )
            self.changed = True
        return self.cache.put(key, (sample_id, meta.sample_formula or formula))[0]

    def _dataset(
        self,
        investigation_id: int,
        instrument_id: int,
        sample_id: int | None,
        meta: NexusMetadata,
        totals: tuple[int, int],
    ) -> tuple[int, bool]:
        """(dataset id, created); ``totals`` (size, file count) are used only when created."""
        name = dataset_name(meta)
        values = dict(
            zip(
                _DATASET_FIELDS,
                (
                    meta.title,
                    meta.definition,
                    meta.start_time,
                    meta.end_time,
                    str(meta.path.parent),
                    sample_id,
                    instrument_id,
                    meta.end_time is not None,
                    meta.plot.path if meta.plot else None,
                ),
                strict=True,
            )
        )
        row = self.conn.execute(_SELECT_DATASET, {"inv": investigation_id, "name": name}).first()
        now = utcnow()
        if row is None:
            # Its DOI (stem, experiment, name; folding punctuation only shortens) must fit.
            doi = f"{self._facility()[2]}{meta.proposal}-{meta.visit}.{name}"
            identifiers.doi_length(doi, "dataset name")
            dataset_id = self.conn.execute(
                _INSERT_DATASET,
                {
                    "investigation_id": investigation_id,
                    "name": name,
                    "type": DatasetType.RAW,
                    "size": totals[0],
                    "file_count": totals[1],
                    "created_at": now,
                    "updated_at": now,
                    **values,
                },
            ).scalar_one()
            return dataset_id, True
        current = row._mapping
        changed = {k: v for k, v in values.items() if current[k] != v}
        if changed:
            self.conn.execute(
                update(Dataset).where(Dataset.id == row.id).values(**changed, updated_at=now)
            )
            self.changed = True
        return row.id, False

    def _techniques(
        self,
        dataset_id: int,
        meta: NexusMetadata,
        instrument_techniques: tuple[int, ...],
        created: bool,
    ) -> None:
        short = DEFINITION_TECHNIQUES.get(meta.definition or "")
        wanted = {self._technique(short)} if short else set(instrument_techniques)
        present = (
            set() if created else set(self.conn.scalars(_SELECT_TECHNIQUES, {"ds": dataset_id}))
        )
        missing = wanted - present
        if missing:
            self.conn.execute(
                _INSERT_TECHNIQUE,
                [{"dataset_id": dataset_id, "technique_id": t} for t in sorted(missing)],
            )
            self.changed = True

    def _datafile(
        self, dataset_id: int, meta: NexusMetadata, row: Row[Any] | None, *, recount: bool
    ) -> None:
        """Insert or update the file's row (``row``: its current one); ``recount``: recompute
        the totals of its dataset (and of the dataset it moved from) when anything changed."""
        location = str(meta.path)
        mtime = datetime.fromtimestamp(meta.mtime, UTC)
        same = row is not None and row.size == meta.size and row.file_modified_at == mtime
        if same and (row.checksum or not self.checksum):  # type: ignore[union-attr]
            checksum = row.checksum  # type: ignore[union-attr]
        else:
            checksum = f"sha256:{sha256_file(meta.path)}" if self.checksum else None
        now = utcnow()
        values = {
            "dataset_id": dataset_id,
            "size": meta.size,
            "checksum": checksum,
            "file_modified_at": mtime,
        }
        if row is None:
            self.conn.execute(
                _INSERT_DATAFILE,
                {
                    "name": meta.path.name,
                    "location": location,
                    "format": "application/x-nexus",
                    "created_at": now,
                    "updated_at": now,
                    **values,
                },
            )
        elif any(getattr(row, k) != v for k, v in values.items()):
            self.conn.execute(
                update(Datafile).where(Datafile.id == row.id).values(**values, updated_at=now)
            )
        else:
            return
        self.changed = True
        if recount:  # denormalised totals, so that listings never sum millions of file rows
            previous = row.dataset_id if row is not None else dataset_id
            self.conn.execute(_UPDATE_TOTALS, {"a": dataset_id, "b": previous})

    def _parameter_type(self, param: NexusParameter) -> int:
        unit = param.unit or ""
        key = ("ptype", param.name, unit)
        found = self.cache.get(key)
        if found is _MISSING:
            found = self.conn.scalar(
                select(ParameterType.id).where(
                    ParameterType.name == param.name, ParameterType.unit == unit
                )
            )
            if found is None:
                found = self.conn.execute(
                    insert(ParameterType)
                    .values(
                        name=param.name,
                        unit=unit,
                        value_type=value_type(param.value),
                        public=True,
                    )
                    .returning(ParameterType.id)
                ).scalar_one()
            self.cache.put(key, found)
        return found

    def _parameters(
        self, dataset_id: int, params: tuple[NexusParameter, ...], created: bool
    ) -> None:
        wanted = {self._parameter_type(p): parameter_columns(p.value) for p in params}
        existing: dict[int, tuple[int, dict[str, Any]]] = {}
        if not created:
            for row in self.conn.execute(_SELECT_PARAMETERS, {"ds": dataset_id}):
                existing[row.parameter_type_id] = (
                    row.id,
                    {
                        "numeric_value": row.numeric_value,
                        "datetime_value": row.datetime_value,
                        "string_value": row.string_value,
                    },
                )
        gone = [pid for type_id, (pid, _) in existing.items() if type_id not in wanted]
        if gone:
            self.conn.execute(Parameter.__table__.delete().where(Parameter.id.in_(gone)))
        fresh = []
        for type_id, columns in wanted.items():
            if type_id not in existing:
                fresh.append({"parameter_type_id": type_id, "dataset_id": dataset_id, **columns})
            elif existing[type_id][1] != columns:
                self.conn.execute(
                    update(Parameter).where(Parameter.id == existing[type_id][0]).values(**columns)
                )
                self.changed = True
        if fresh:
            self.conn.execute(_INSERT_PARAMETER, fresh)
        if gone or fresh:
            self.changed = True
