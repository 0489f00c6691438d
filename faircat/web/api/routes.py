"""The API's operations: experiments, datasets, files, parameters, samples (reads).

Each view resolves the caller (token, session or anonymous), reads through
:mod:`faircat.catalogue.workspace` and answers JSON; anything it may not read is a 404 that
says no more than a missing object would. Errors are ``{"error", "message"}`` with 400/401/404.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Blueprint, abort, jsonify, make_response, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from faircat import __version__
from faircat.catalogue.access import target_for
from faircat.catalogue.models import Dataset, Investigation
from faircat.catalogue.workspace import records
from faircat.catalogue.workspace.datasets import list_datasets
from faircat.catalogue.workspace.experiments import list_experiments
from faircat.errors import ValidationError
from faircat.web import context
from faircat.web.api import schemas as s
from faircat.web.api.spec import Param, document, operation
from faircat.web.experiment_data import browse_query, query_from
from faircat.web.principal import Caller, current_caller

bp = Blueprint("api", __name__, url_prefix="/api")

AFTER = Param(
    "after",
    {"type": "string", "maxLength": 512, "pattern": "^[A-Za-z0-9_-]+$"},
    "the `next` value of the previous page (opaque)",
)
LIMIT = Param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page size")
LABEL = Param("label", {"type": "string"}, "experiment label: PROPOSAL-VISIT", where="path")
ID = Param("id", {"type": "integer", "minimum": 1}, "dataset id", where="path")


def _error(status: int, code: str, message: str) -> ResponseReturnValue:
    return jsonify(error=code, message=message), status


def _not_found(what: str) -> NoReturn:
    abort(make_response(_error(404, "not_found", f"no {what} here that you may read")))


def _experiment(db: Session, label: str) -> tuple[Caller, Investigation]:
    """The caller and the experiment ``label`` if the caller may read it; 404 otherwise."""
    caller = current_caller(db)
    investigation = records.readable_investigation(db, caller.principal, label, context.now())
    if investigation is None:
        _not_found("experiment")
    return caller, investigation


def _dataset(db: Session, dataset_id: int) -> tuple[Caller, Dataset]:
    caller = current_caller(db)
    dataset = records.readable_dataset(db, caller.principal, dataset_id, context.now())
    if dataset is None:
        _not_found("dataset")
    return caller, dataset


@bp.errorhandler(ValidationError)
def _invalid(error: ValidationError) -> ResponseReturnValue:
    return _error(400, "bad_request", str(error))


@bp.errorhandler(HTTPException)
def _http(error: HTTPException) -> ResponseReturnValue:
    if error.response is not None:  # e.g. the 401 of current_caller, already JSON
        return error.response
    code = error.code or 500
    return _error(code, (error.name or "error").lower().replace(" ", "_"), error.description or "")


def _limit(default: int) -> int:
    text = request.args.get("limit", str(default))
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise ValidationError(f"limit {text!r} is not a number", field="limit")
    return int(text)


@operation(
    bp,
    "/experiments",
    summary="Experiments the caller may read",
    params=(
        Param("q", {"type": "string", "maxLength": 200}, "proposal, title or DOI contains"),
        Param("beamline", {"type": "string"}, "beamline name"),
        Param(
            "state",
            {"type": "string", "enum": ["scheduled", "active", "embargoed", "public", "withdrawn"]},
            "lifecycle state now",
        ),
        Param("year", {"type": "integer", "minimum": 1900, "maximum": 2999}, "start year"),
        Param("scope", {"type": "string", "enum": ["readable", "mine"]}, "readable (default): "
              "also every public experiment; mine: those you work on or look after"),
        AFTER,
        LIMIT,
    ),
    response=s.page_of(s.EXPERIMENT_SUMMARY),
)
def list_experiments_view() -> ResponseReturnValue:
    """Newest first. Public experiments are readable by everyone."""
    from dataclasses import replace

    at = context.now()
    with context.catalogue().transaction() as db:
        caller = current_caller(db)
        query = replace(
            browse_query(request.args),
            scope=request.args.get("scope", "readable"),
            limit=_limit(50),
        ).checked()
        page = list_experiments(db, caller.principal, at, query)
        items = [
            {
                "label": r.label,
                "title": r.title,
                "state": r.state.value,
                "start": r.start.isoformat(),
                "end": r.end.isoformat(),
                "release": r.release.isoformat(),
                "doi": r.doi,
                "beamlines": list(r.beamlines),
                "datasets": r.datasets,
            }
            for r in page.rows
        ]
    return jsonify(items=items, total=page.total, next=page.next)


@operation(
    bp, "/experiments/{label}", summary="One experiment", params=(LABEL,), response=s.EXPERIMENT
)
def get_experiment(label: str) -> ResponseReturnValue:
    """Dates, state, members, retention ("kept until")."""
    at = context.now()
    with context.catalogue().transaction() as db:
        _, investigation = _experiment(db, label)
        years = context.catalogue().settings.facility_retention_years
        return jsonify(records.experiment_json(db, investigation, at, years))


@operation(
    bp,
    "/experiments/{label}/datasets",
    summary="An experiment's datasets",
    params=(
        LABEL,
        Param("q", {"type": "string", "maxLength": 200}, "name, title or sample contains"),
        Param("type", {"type": "string", "enum": ["raw", "processed", "calibration"]}, "type"),
        Param("sample", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "sample id"),
        Param(
            "technique", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}, "technique id"
        ),
        Param(
            "sort",
            {
                "type": "string",
                "pattern": "^-?(name|type|start|end|size|files)$",
            },
            "column, '-' first for descending",
        ),
        AFTER,
        LIMIT,
    ),
    response=s.page_of(s.DATASET_ROW),
)
def list_experiment_datasets(label: str) -> ResponseReturnValue:
    """Filtered, sorted and keyset-paged like the experiment page's table."""
    with context.catalogue().transaction() as db:
        _, investigation = _experiment(db, label)
        page = list_datasets(db, investigation.id, query_from(request.args))
        items = [_row(r) for r in page.rows]
    return jsonify(items=items, total=page.total, next=page.next)


def _row(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "display_name": r.display_name,
        "type": r.type,
        "sample": r.sample,
        "start": r.start.isoformat() if r.start else None,
        "end": r.end.isoformat() if r.end else None,
        "size": r.size,
        "file_count": r.file_count,
        "doi": r.doi,
        "techniques": list(r.techniques),
    }


@operation(
    bp,
    "/experiments/{label}/samples",
    summary="An experiment's samples",
    params=(LABEL,),
    response={"type": "array", "items": s.SAMPLE},
)
def list_samples(label: str) -> ResponseReturnValue:
    """With the number of datasets measured on each."""
    with context.catalogue().transaction() as db:
        _, investigation = _experiment(db, label)
        return jsonify(records.samples_json(db, investigation))


@operation(bp, "/datasets/{id}", summary="One dataset", params=(ID,), response=s.DATASET)
def get_dataset(id: int) -> ResponseReturnValue:
    """With its provenance: the datasets it was made from (inputs) and made into (outputs)."""
    with context.catalogue().transaction() as db:
        _, dataset = _dataset(db, id)
        return jsonify(records.dataset_json(db, dataset))


@operation(
    bp,
    "/datasets/{id}/files",
    summary="A dataset's files",
    params=(ID, AFTER, LIMIT),
    response=s.page_of(s.FILE),
)
def list_files(id: int) -> ResponseReturnValue:
    """By name; the checksum is ``sha256:<hex>``."""
    with context.catalogue().transaction() as db:
        _, dataset = _dataset(db, id)
        page = records.files_page(db, dataset, request.args.get("after"), _limit(100))
    return jsonify(items=page.items, total=page.total, next=page.next)


@operation(
    bp,
    "/datasets/{id}/parameters",
    summary="A dataset's parameters",
    params=(ID,),
    response={"type": "array", "items": s.PARAMETER},
)
def list_parameters(id: int) -> ResponseReturnValue:
    """Typed values with units, as recorded from the NeXus file."""
    at = context.now()
    with context.catalogue().transaction() as db:
        caller, dataset = _dataset(db, id)
        private = records.reads_restricted(caller.principal, target_for(dataset.investigation, at))
        return jsonify(records.parameters_json(db, dataset, private))


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    facility = context.catalogue().settings.facility_name
    return jsonify(document("/api", f"{facility} data API", __version__))
