"""HDF5 over HTTP: h5grove's Flask blueprint behind our authorisation, and preview frames.

h5grove serves an HDF5 file's tree (``/meta``), attributes (``/attr``), slices (``/data`` as
JSON, binary, npy, csv or tiff) and statistics (``/stats``) for a ``file`` argument it joins to a
base folder without confining it. So the client never names a file here: it names a datafile id
in the URL (``/data/files/<id>/h5/meta?path=/entry``), and before any h5grove view runs we

1. check that the caller (session, token or anonymous) may read that file's dataset (404 if not,
   like a file that does not exist);
2. confine the file's storage path to the data roots (404, logged, when it escapes);
3. refuse a file whose external links, virtual datasets or external storage reach files outside
   its folder (:mod:`faircat.catalogue.workspace.h5links`): h5grove would follow them;
4. bound the size of a slice (``/data``, ``/stats``), so one request cannot read a whole 100 GB
   stack into memory;

and only then hand h5grove the resolved path, replacing any ``file`` argument the client sent.
The HDF5 path *inside* the file comes from the client and h5grove resolves it. hdf5plugin is
imported so bitshuffle/LZ4 (and Blosc, Zstd...) compressed detector data read like any other.

The preview routes draw the dataset's default NXdata plot: frames of images and image stacks
(:mod:`faircat.catalogue.workspace.frames`), 1-D signals with the publisher's renderer.
"""

from __future__ import annotations

import hashlib
import logging
import math
from typing import Any

import h5py
import hdf5plugin  # noqa: F401  (registers the compression filters h5grove's reads need)
from flask import Blueprint, Response, abort, g, request
from flask.typing import ResponseReturnValue
from h5grove import flask_utils as h5grove_flask
from h5grove.utils import parse_slice
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from faircat.catalogue.nexus import NexusPlot
from faircat.catalogue.workspace import files as workspace
from faircat.catalogue.workspace import frames
from faircat.catalogue.workspace.files import FileRow
from faircat.catalogue.workspace.h5links import check_links
from faircat.publisher.preview import PreviewError as DrawError
from faircat.publisher.preview import render_preview
from faircat.web import context
from faircat.web.downloads import confine, data_roots
from faircat.web.principal import current_caller

log = logging.getLogger(__name__)

bp = Blueprint("h5", __name__)
bp.register_blueprint(h5grove_flask.BLUEPRINT, url_prefix="/files/<id:file_id>/h5")
H5GROVE = f"{bp.name}.{h5grove_flask.BLUEPRINT.name}"

MAX_BINARY = 1 << 24  # values in one bin/npy/tiff slice: a 4096 x 4096 frame
MAX_TEXT = 1 << 20  # values in one JSON or CSV slice
PREVIEW_WIDTHS = (400, 800, 1200)
RENDER_VERSION = "1"


def _json_error(status: int, message: str) -> Response:
    return h5grove_flask.make_encoded_response({"message": message}, status=status)


@bp.url_value_preprocessor
def _take_file_id(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # h5grove's views take no arguments: the id is ours, kept aside for the checks below.
    if values is not None and "file_id" in values:
        g.h5_file_id = values.pop("file_id")


def _readable_file(file_id: int) -> FileRow | None:
    with context.catalogue().transaction() as session:
        caller = current_caller(session)
        return workspace.readable_file(session, caller.principal, file_id, context.now())


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    if not (request.endpoint or "").startswith(f"{H5GROVE}."):
        return None  # the preview routes check for themselves
    row = _readable_file(g.pop("h5_file_id"))
    real = confine(row) if row is not None else None
    if real is None:
        return _json_error(404, "No such file, or it belongs to an experiment you are not in.")
    if not check_links(real, data_roots()).safe:
        return _json_error(
            403,
            "This file links to files outside its folder, so it cannot be explored here; "
            "download it instead.",
        )
    if request.endpoint in (f"{H5GROVE}.data_route", f"{H5GROVE}.stats_route"):
        problem = _selection_problem(real, request.args)
        if problem:
            return _json_error(413, problem)
    args = request.args.copy()
    args["file"] = str(real)  # absolute: h5grove's join with H5_BASE_DIR keeps it as it is
    request.args = ImmutableMultiDict(args)  # type: ignore[misc]
    return None


def selection_size(shape: tuple[int, ...], selection: str | None) -> int:
    """How many values a ``selection`` (h5grove's NumPy-like syntax) picks from ``shape``."""
    if selection is None:
        return math.prod(shape)
    members = parse_slice(selection)
    if len(members) > len(shape):
        raise ValueError("too many members")
    count = 1
    for length, member in zip(shape, members, strict=False):
        count *= 1 if isinstance(member, int) else len(range(*member.indices(length)))
    return count * math.prod(shape[len(members) :])


def _selection_problem(real: Any, args: ImmutableMultiDict[str, str]) -> str | None:
    path = args.get("path") or "/"
    try:
        with h5py.File(real, "r", locking=False) as handle:
            found = handle.get(path)
            shape = found.shape if isinstance(found, h5py.Dataset) else None
    except (OSError, KeyError, RuntimeError, ValueError, TypeError):
        return None  # h5grove answers with what it finds
    if shape is None:
        return None
    try:
        size = selection_size(tuple(shape), args.get("selection"))
    except (ValueError, TypeError):
        return None  # h5grove answers 422 for a selection it cannot parse
    limit = MAX_TEXT if args.get("format") in (None, "json", "csv") else MAX_BINARY
    if size > limit:
        return (
            f"The selection holds {size} values; ask for at most {limit} at a time (one "
            f"frame in a binary format: selection=0&format=bin, or a region: "
            f"selection=0,0:1024,0:1024)."
        )
    return None


# h5grove's views raise these for arguments that do not fit the file (a group where a dataset
# was expected, a missing attribute, a selection h5py refuses): the client's mistake, not ours.
@bp.errorhandler(TypeError)
@bp.errorhandler(KeyError)
@bp.errorhandler(ValueError)
@bp.errorhandler(IndexError)
def _bad_arguments(error: Exception) -> ResponseReturnValue:
    log.info("h5grove refused %s: %r", request.full_path, error)
    return _json_error(
        422, "These arguments do not fit this file (wrong path, selection, attribute or format)."
    )


@bp.errorhandler(OSError)
def _unreadable(error: Exception) -> ResponseReturnValue:
    log.warning("h5grove could not read for %s: %r", request.full_path, error)
    return _json_error(
        422,
        "This part of the file cannot be read (a corrupt chunk or a "
        "compression filter this server does not have).",
    )


@bp.errorhandler(HTTPException)
def _http(error: HTTPException) -> ResponseReturnValue:
    if error.response is not None:  # h5grove's own JSON errors
        return error.response
    return _json_error(error.code or 500, error.description or error.name)


# -- previews -----------------------------------------------------------------------------------


def plot_file(dataset_id: int) -> tuple[FileRow, Any, NexusPlot] | None:
    """The dataset's file holding its default plot (the first HDF5 file, as on the landing
    pages), confined and checked, and the plot; None when there is nothing to draw."""
    now = context.now()
    with context.catalogue().transaction() as session:
        principal = current_caller(session).principal
        found = workspace.dataset_access(session, principal, dataset_id, now)
        if found is None or not found[0].plot_path:
            return None
        plot_path = found[0].plot_path
        rows = workspace.first_files(session, principal, dataset_id, now)
    row = next((r for r in rows if r.is_hdf5), None)
    real = confine(row) if row is not None else None
    if row is None or real is None or not check_links(real, data_roots()).safe:
        return None
    try:
        return row, real, frames.plot_at(real, plot_path)
    except frames.PreviewError as exc:
        log.info("no preview for dataset %s: %s", dataset_id, exc)
        return None


def describe(dataset_id: int) -> frames.PlotShape | None:
    found = plot_file(dataset_id)
    if found is None:
        return None
    _, real, plot = found
    try:
        return frames.describe(real, plot)
    except frames.PreviewError as exc:
        log.info("no preview for dataset %s: %s", dataset_id, exc)
        return None


def _width() -> int:
    raw = request.args.get("width", "800")
    return int(raw) if raw in {str(w) for w in PREVIEW_WIDTHS} else 800


@bp.get("/datasets/<id:dataset_id>/preview/<int:frame>.png")
def preview(dataset_id: int, frame: int) -> ResponseReturnValue:
    """Frame ``frame`` (0-based) of the default plot; a 1-D plot has only frame 0."""
    found = plot_file(dataset_id)
    if found is None:
        abort(404)
    _, real, plot = found
    width = _width()
    info = real.stat()
    tag = hashlib.sha256(
        f"{real}\0{info.st_mtime_ns}\0{info.st_size}\0{plot}\0{frame}\0{width}\0"
        f"{RENDER_VERSION}".encode()
    ).hexdigest()[:32]
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        try:
            shape = frames.describe(real, plot)
            if frame >= shape.frames:
                abort(404)
            if shape.kind == "line":
                data = render_preview(real, plot, width_px=width)
                scale = None
            else:
                data, scale = frames.render_frame(real, plot, frame, width)
        except (frames.PreviewError, DrawError) as exc:
            log.info("no preview for dataset %s: %s", dataset_id, exc)
            abort(404)
        response = Response(data, mimetype="image/png")
        if scale is not None:
            response.headers["X-Colour-Scale"] = (
                f"{scale.low:.6g} {scale.high:.6g} {'log' if scale.log else 'linear'}"
            )
    response.set_etag(tag)
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response
