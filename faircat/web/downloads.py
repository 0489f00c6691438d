"""Downloads under ``/data/``: one file (with ranges), many as a streamed zip, URL lists.

For people and scripts alike: the caller is a portal session, an API token (``Authorization:
Bearer``) or nobody (public data only), see :mod:`faircat.web.principal`. These routes sit
outside the portal's sign-in gate, and only read (GET), so they need no CSRF token.

- ``/data/files/<id>`` and ``/data/files/<id>/<name>``: the file, as an attachment, with its
  media type (HDF5 and NeXus: ``application/x-hdf5``), ranges (206) and conditional requests.
- ``.../files.zip`` of a dataset, an experiment, or a selection (``/data/files.zip?file=1&
  file=2``): a zip streamed as it is read, in constant memory whatever its size (stored, not
  compressed: detector data do not compress; ZIP64 past 4 GB), with a ``SHA256SUMS`` manifest
  from the catalogue's checksums (computed while streaming for files that have none). Its length
  is known up front, so clients show progress.
- ``.../files.txt``: one download URL a line, for ``wget -i`` or ``xargs curl``.

A file or dataset the caller may not read is 404, like one that does not exist; lists and zips
simply hold the readable files only. Every storage path is confined to the data roots before it
is opened (:mod:`faircat.catalogue.workspace.roots`).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request, send_file, url_for
from flask.typing import ResponseReturnValue
from zipstream import ZIP_STORED, ZipStream

from faircat.catalogue.workspace import files as workspace
from faircat.catalogue.workspace import zipplan
from faircat.catalogue.workspace.files import FileRow
from faircat.catalogue.workspace.roots import DataRoots, parse_roots
from faircat.config import Settings
from faircat.web import context
from faircat.web.principal import current_caller
from faircat.web.security import parse_id

bp = Blueprint("data", __name__)

CHUNK = 4 << 20  # bytes read at a time: fewer Python steps per GiB, still constant memory
MAX_SELECTION = 2_000  # ids in one ?file= selection (a URL cannot carry many more anyway)
MAX_LABEL = 140
_ROOTS = "faircat.data_roots"


def data_roots() -> DataRoots:
    return current_app.extensions[_ROOTS]  # type: ignore[no-any-return]


def confine(row: FileRow) -> Path | None:
    return data_roots().confine(row.location, what=f"datafile {row.id}")


def confine_location(location: str | None, *, what: str) -> Path | None:
    """For the public ``/files/`` route, which looks files up by DOI and name."""
    return data_roots().confine(location, what=what)


def init_downloads(app: Flask, settings: Settings) -> None:
    """Register the data routes; the roots are resolved now, so a bad setting stops start-up."""
    from faircat.web import hdf5

    app.extensions[_ROOTS] = DataRoots(parse_roots(settings.data_roots, settings.instance_path))
    # h5grove joins its ``file`` argument to this folder; ours is always an absolute, confined
    # path (hdf5.py), which the join keeps whole. A relative name could only come from a route
    # we did not guard, and would then point into a folder that cannot exist.
    app.config["H5_BASE_DIR"] = "/dev/null/no-unguarded-h5grove-files"
    app.register_blueprint(bp, url_prefix="/data")
    app.register_blueprint(hdf5.bp, url_prefix="/data")
    app.add_template_global(file_url)


def file_url(row: FileRow, *, external: bool = False) -> str:
    """Where a file downloads; under its own name when that fits in one URL segment."""
    if row.name and "/" not in row.name and row.name not in (".", ".."):
        return url_for("data.file_named", file_id=row.id, name=row.name, _external=external)
    return url_for("data.file", file_id=row.id, _external=external)


# -- one file -----------------------------------------------------------------------------------


def _readable(file_id: int) -> FileRow:
    with context.catalogue().transaction() as session:
        caller = current_caller(session)
        row = workspace.readable_file(session, caller.principal, file_id, context.now())
    if row is None:
        abort(404)
    return row


def send_datafile(row: FileRow) -> Response:
    real = confine(row)
    if real is None:
        abort(404)
    response = send_file(
        real,
        mimetype=row.media_type,
        as_attachment=True,
        download_name=row.name,
        conditional=True,  # Range -> 206, If-None-Match/If-Modified-Since -> 304
        etag=True,
        max_age=None,
    )
    # Restricted data must not sit in a shared cache; the browser revalidates (cheap: 304).
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


@bp.get("/files/<id:file_id>")
def file(file_id: int) -> ResponseReturnValue:
    return send_datafile(_readable(file_id))


@bp.get("/files/<id:file_id>/<name>")
def file_named(file_id: int, name: str) -> ResponseReturnValue:
    """The same, under the file's own name, so ``wget`` saves it under that name."""
    row = _readable(file_id)
    if row.name != name:
        abort(404)
    return send_datafile(row)


# -- many files ---------------------------------------------------------------------------------


def _selection() -> list[int]:
    raw = request.args.getlist("file")
    if len(raw) > MAX_SELECTION:
        abort(400, f"At most {MAX_SELECTION} files at once: download whole datasets instead.")
    ids = [parse_id(value) for value in raw]
    if any(i is None for i in ids):
        abort(400, "A file id must be a positive whole number.")
    return [i for i in ids if i is not None]


def _rows(kind: str, key: int | str | None) -> list[FileRow]:
    now = context.now()
    with context.catalogue().transaction() as session:
        principal = current_caller(session).principal
        if kind == "dataset":
            rows = workspace.dataset_files(session, principal, int(key), now)  # type: ignore[arg-type]
        elif kind == "experiment":
            label = str(key)
            ok = len(label) <= MAX_LABEL and label.isprintable()
            rows = workspace.experiment_files(session, principal, label, now) if ok else None
        else:
            rows = workspace.selected_files(session, principal, _selection(), now)
    if rows is None:
        abort(404)
    if len(rows) > workspace.MAX_FILES:
        abort(
            413,
            f"More than {workspace.MAX_FILES} files: download the datasets one by one, or use "
            "the file list.",
        )
    return rows


def _read(path: Path, size: int, digest: Any | None) -> Iterator[bytes]:
    """``size`` bytes of the file (the size the zip announced), in chunks; the SHA-256 is fed
    as they pass when the catalogue has none. Plain reads in the serving thread: a read-ahead
    thread measured no faster (docs/performance.md), so the simpler code stays."""
    with path.open("rb", buffering=0) as handle:
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        left = size
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                raise OSError(f"{path} is shorter than the {size} bytes it had")
            left -= len(chunk)
            if digest is not None:
                digest.update(chunk)
            yield chunk


def zip_stream(rows: Sequence[FileRow]) -> tuple[ZipStream, int]:
    """The zip of ``rows`` (only those that can be read from storage) and its length."""
    zs = ZipStream(compress_type=ZIP_STORED, sized=True)
    listed: list[tuple[str, str | None, Any | None]] = []
    missing = []
    for entry in zipplan.plan(rows):
        real = confine(entry.file)
        try:
            size = real.stat().st_size if real is not None else -1
        except OSError:
            size = -1
        if real is None or size < 0:
            missing.append(entry.arcname)
            continue
        stored = entry.file.sha256
        digest = None if stored else hashlib.sha256()
        zs.add(_read(real, size, digest), entry.arcname, size=size)
        listed.append((entry.arcname, stored, digest))

    def manifest() -> Iterator[bytes]:
        # Runs after every file has streamed (entries are written in order): digests are final.
        for arcname, stored, digest in listed:
            hexdigest = stored or digest.hexdigest()  # type: ignore[union-attr]
            yield zipplan.manifest_line(hexdigest, arcname).encode("utf-8")

    zs.add(manifest(), zipplan.MANIFEST, size=zipplan.manifest_size(a for a, _, _ in listed))
    if missing:
        zs.add(zipplan.missing_note(missing), zipplan.MISSING)
    return zs, len(zs)


def _zip_response(rows: Sequence[FileRow], download_name: str) -> Response:
    zs, length = zip_stream(rows)
    response = Response(iter(zs), mimetype="application/zip", direct_passthrough=True)
    response.content_length = length
    response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def _zip_name(text: str) -> str:
    """An ASCII file name for Content-Disposition (the zip's entries keep the real names)."""
    return (re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[:100] or "files") + ".zip"


def _url_list(rows: Sequence[FileRow]) -> Response:
    lines = "".join(file_url(row, external=True) + "\n" for row in rows)
    response = Response(lines, mimetype="text/plain")
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.get("/datasets/<id:dataset_id>/files.zip")
def dataset_zip(dataset_id: int) -> ResponseReturnValue:
    rows = _rows("dataset", dataset_id)
    name = rows[0].dataset_name if rows else f"dataset-{dataset_id}"
    return _zip_response(rows, _zip_name(name))


@bp.get("/datasets/<id:dataset_id>/files.txt")
def dataset_list(dataset_id: int) -> ResponseReturnValue:
    return _url_list(_rows("dataset", dataset_id))


@bp.get("/experiments/<label>/files.zip")
def experiment_zip(label: str) -> ResponseReturnValue:
    return _zip_response(_rows("experiment", label), _zip_name(label))


@bp.get("/experiments/<label>/files.txt")
def experiment_list(label: str) -> ResponseReturnValue:
    return _url_list(_rows("experiment", label))


@bp.get("/files.zip")
def selection_zip() -> ResponseReturnValue:
    return _zip_response(_rows("selection", None), "selection.zip")


@bp.get("/files.txt")
def selection_list() -> ResponseReturnValue:
    return _url_list(_rows("selection", None))
