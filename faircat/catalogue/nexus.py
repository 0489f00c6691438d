"""Catalogue metadata from a NeXus/HDF5 file, without reading its detector data.

``read_nexus`` opens the file, picks the NXentry, reads the fields the catalogue maps (title, times,
identifiers, users, instrument, sample), every small dataset as a parameter, and where the default
plot lives. It reads object headers and attributes only, plus the values of datasets of at most
``MAX_ELEMENTS`` elements outside NXdata groups: the size of a dataset is checked on its dataspace
before anything is read, so the cost depends on the number of objects in the tree, never on the
size of the data (a 1 GB file reads as fast as a 1 MB one).

It uses h5py's low-level API (h5f/h5g/h5o/h5d/h5a): the high-level wrappers cost several times
the HDF5 calls they wrap (``attrs.get`` ~80 µs against ~25 µs; ``visititems`` 3.5 ms against
0.3 ms for ``h5o.visit`` on a 44-object entry), and what remains is HDF5's own cost per object
opened (~35 µs). Figures in docs/perf-nexus.md.

Every failure (not HDF5, truncated, missing required field, bad time) is an ``IngestError`` naming
the file and the problem in one line, so a batch can report it and carry on. A link that cannot be
followed (a dangling soft link, a cycle of soft links, an external link to a missing file) is not a
failure: it is skipped, and named in the metadata's ``warnings``.
"""

from __future__ import annotations

import logging
import math
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import h5py
import numpy as np
from h5py import h5a, h5d, h5f, h5g, h5l, h5o, h5p, h5s, h5t

from faircat.errors import IngestError

log = logging.getLogger(__name__)

SUFFIXES = frozenset({".nxs", ".nx5", ".h5", ".hdf5", ".nexus"})
MAX_ELEMENTS = 16  # larger datasets are data, not parameters, and are never read
MAX_PARAMETERS = 200
MAX_TEXT = 1024  # a longer string is a document (a macro, a config dump), not a parameter
MAX_DEPTH = 10  # bounds the walk of a tree whose hard links form a cycle
MAX_OBJECTS = 2000  # objects visited per file: bounds a pathological tree
MAX_WARNINGS = 20  # links named in the warnings of one file; the rest are counted
_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ERRORS = (OSError, KeyError, RuntimeError, ValueError, TypeError, IndexError, OverflowError)


@dataclass(frozen=True)
class NexusUser:
    name: str
    role: str | None
    affiliation: str | None
    orcid: str | None
    email: str | None


@dataclass(frozen=True)
class NexusParameter:
    name: str  # path relative to the entry, e.g. "instrument/beam/incident_wavelength"
    value: float | int | str | datetime | bool
    unit: str | None


@dataclass(frozen=True)
class NexusPlot:
    path: str  # absolute HDF5 path of the default NXdata group
    signal: str
    axes: tuple[str, ...]


@dataclass(frozen=True)
class NexusMetadata:
    path: Path
    entry: str
    title: str
    start_time: datetime
    end_time: datetime | None
    definition: str | None
    experiment_identifier: str
    proposal: str
    visit: str
    entry_identifier: str | None
    instrument: str
    sample_name: str | None
    sample_formula: str | None
    users: tuple[NexusUser, ...]
    parameters: tuple[NexusParameter, ...]
    plot: NexusPlot | None
    size: int
    mtime: float
    warnings: tuple[str, ...] = ()  # what was skipped while reading (links not followed)


# -- values ------------------------------------------------------------------------------------


def _decode(raw: object) -> str:
    """Text from bytes (fixed or variable length, any padding), replacing invalid UTF-8."""
    if isinstance(raw, bytes):  # np.bytes_ is a bytes subclass
        return raw.decode("utf-8", "replace").rstrip("\x00").strip()
    return str(raw).strip()


def _scalar(array: np.ndarray) -> object:
    """A 1-element array as a Python value; several strings joined by lines; else None."""
    if array.dtype.kind in "SO":  # only strings are read into S or O buffers
        if array.size == 1:
            return _decode(array[0])
        return "\n".join(_decode(item) for item in array.flat)
    if array.size != 1:
        return None
    if array.dtype.kind == "f" and array.dtype.itemsize < 8:
        return float(str(array[0]))  # float32 0.1 as 0.1, not 0.10000000149011612
    return array.item()


def _parse_time(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# -- low-level HDF5 (h5py's own wrappers cost more than the calls; see the module docstring) ---


@cache
def _fapl() -> h5p.PropFAID:
    fapl = h5p.create(h5p.FILE_ACCESS)
    fapl.set_fclose_degree(h5f.CLOSE_STRONG)  # closing the file closes everything we opened
    fapl.set_file_locking(False, True)  # acquisition may be writing the file right now
    fapl.set_cache(0, 0, 0, 0.75)  # no raw-data chunk cache: we never read chunked data
    return fapl


_STRING_DTYPES = {encoding: h5py.string_dtype(encoding) for encoding in ("ascii", "utf-8")}


@cache
def _memory_type(dtype: str) -> h5t.TypeID:
    """Cached HDF5 memory types: h5py would build a new one for every read."""
    if dtype in ("ascii", "utf-8"):
        return h5t.py_create(h5py.string_dtype(dtype))
    return h5t.py_create(np.dtype(dtype))


def _numeric(dtype: str) -> tuple[np.dtype, h5t.TypeID]:
    return np.dtype(dtype), _memory_type(dtype)


# Read buffers looked up by HDF5 type: (size, unsigned) for integers, size for floats, and
# "is UTF-8" for variable-length strings (fewer calls into h5py than building them per read).
_INTEGERS = {(n, u): _numeric(f"{'u' if u else 'i'}{n}") for n in (1, 2, 4, 8) for u in (0, 1)}
_FLOATS = {n: _numeric(f"f{n}") for n in (2, 4, 8)}
_VLEN = {True: (_STRING_DTYPES["utf-8"], _memory_type("utf-8")),
         False: (_STRING_DTYPES["ascii"], _memory_type("ascii"))}


def _buffer(tid: h5t.TypeID) -> tuple[np.dtype, h5t.TypeID | None] | None:
    """The numpy buffer and memory type to read a number or string, None for other types."""
    kind = tid.get_class()
    if kind == h5t.STRING:
        if tid.is_variable_str():
            return _VLEN[tid.get_cset() == h5t.CSET_UTF8]  # read as bytes
        return np.dtype(f"S{tid.get_size()}"), tid  # raw bytes, decoded by _decode
    if kind == h5t.INTEGER:
        return _INTEGERS.get((tid.get_size(), int(tid.get_sign() == h5t.SGN_NONE)))
    if kind == h5t.FLOAT:
        return _FLOATS.get(tid.get_size(), _FLOATS[8])
    if kind == h5t.ENUM:  # h5py writes bool as an enum
        try:
            dtype = tid.dtype
        except TypeError:
            return None
        return (dtype, None) if dtype.kind in "biu" else None
    return None  # compound, array, opaque, reference, bitfield, time: not parameters


def _attr(oid: h5g.GroupID | h5d.DatasetID, name: bytes) -> np.ndarray | None:
    if not h5a.exists(oid, name):
        return None
    attr = h5a.open(oid, name)
    count = attr.get_space().get_simple_extent_npoints()
    buffer = _buffer(attr.get_type()) if 0 < count <= MAX_ELEMENTS else None
    if buffer is None:
        return None
    array = np.empty(count, dtype=buffer[0])
    attr.read(array, mtype=buffer[1])
    return array


def _attr_text(oid: h5g.GroupID | h5d.DatasetID, name: bytes) -> str | None:
    array = _attr(oid, name)
    if array is None or array.dtype.kind not in "SO":
        return None
    return _scalar(array) or None  # type: ignore[return-value]


def _read_small(did: h5d.DatasetID) -> np.ndarray | None:
    """A dataset's values if it holds 1..MAX_ELEMENTS numbers or strings; never reads more."""
    count = did.get_space().get_simple_extent_npoints()
    buffer = _buffer(did.get_type()) if 0 < count <= MAX_ELEMENTS else None
    if buffer is None:
        return None
    array = np.empty(count, dtype=buffer[0])  # flat: H5S_ALL selects the file's whole shape
    did.read(h5s.ALL, h5s.ALL, array, buffer[1])
    return array


Broken = dict[str, str]  # links of a file that could not be followed: path -> why


def _follow(parent: h5g.GroupID, raw: bytes, path: str, broken: Broken) -> object | None:
    """The object a soft or external link names; None when it cannot be followed (a dangling
    link, a cycle of soft links, a missing external file), the link then noted in ``broken``."""
    try:
        return h5o.open(parent, raw)
    except (KeyError, RuntimeError, OSError) as exc:  # RuntimeError: "too many links"
        try:
            value = parent.links.get_val(raw)
        except _ERRORS:
            value = b"?"
        if isinstance(value, tuple):  # an external link: (file, path)
            target = ":".join(part.decode("utf-8", "replace") for part in value)
            broken[path] = f"external link {path} -> {target}: cannot be opened"
        else:
            why = "a cycle of links" if isinstance(exc, RuntimeError) else "no such object"
            broken[path] = f"soft link {path} -> {value.decode('utf-8', 'replace')}: {why}"
        return None


class _Node:
    """A group member, opened once; a group lists its own members on first use. ``broken`` is
    shared by the nodes of one file."""

    __slots__ = ("_members", "broken", "is_group", "name", "nx_class", "oid", "path")

    def __init__(
        self, name: str, oid: h5g.GroupID | h5d.DatasetID, path: str, broken: Broken
    ) -> None:
        self.name, self.oid, self.path, self.broken = name, oid, path, broken
        self.is_group = isinstance(oid, h5g.GroupID)
        self.nx_class = _attr_text(oid, b"NX_class") if self.is_group else None
        self._members: dict[str, _Node] | None = None

    def members(self) -> dict[str, _Node]:
        """Members in name order: hard links, and soft links to datasets (a soft link to a
        group repeats part of the tree and may form a cycle; an external link opens another
        file, maybe missing, maybe huge). A soft link that cannot be followed is skipped."""
        if self._members is None:
            links: list[tuple[bytes, int]] = []
            self.oid.links.iterate(lambda name, info: links.append((name, info.type)), info=True)
            self._members = {}
            prefix = self.path.rstrip("/")
            for raw, link_type in links[:MAX_OBJECTS]:
                if link_type not in (h5l.TYPE_HARD, h5l.TYPE_SOFT):
                    continue
                name = raw.decode("utf-8", "replace")
                if link_type == h5l.TYPE_HARD:
                    oid = h5o.open(self.oid, raw)
                else:
                    oid = _follow(self.oid, raw, f"{prefix}/{name}", self.broken)
                if isinstance(oid, h5d.DatasetID) or (
                    isinstance(oid, h5g.GroupID) and link_type == h5l.TYPE_HARD
                ):
                    self._members[name] = _Node(name, oid, f"{prefix}/{name}", self.broken)
        return self._members

    def group(self, name: str, nx_class: str) -> _Node | None:
        """The member group called ``name``, else the first member group of ``nx_class``."""
        members = self.members()
        if name in members and members[name].is_group:
            return members[name]
        return next((node for node in members.values() if node.nx_class == nx_class), None)

    def value(self, name: str) -> object:
        node = self.members().get(name)
        if node is None or node.is_group:
            return None
        array = _read_small(node.oid)  # type: ignore[arg-type]
        return None if array is None else _scalar(array)

    def text(self, name: str) -> str | None:
        """A field as text (a number as its text), None when missing or empty."""
        value = self.value(name)
        return None if value is None or value == "" else str(value)


# -- the entry --------------------------------------------------------------------------------

_VISIT_SUFFIX = re.compile(r"^(?P<proposal>.+)-(?P<visit>\d+)$")
_MAPPED = frozenset(
    {"title", "start_time", "end_time", "definition", "experiment_identifier"}
    | {"entry_identifier", "visit_id"}
)


def _find_entry(root: h5g.GroupID, path: Path, broken: Broken) -> _Node:
    """The group named by the root @default, else the first NXentry in name order (the root's
    members are opened one by one: a file may hold hundreds of entries)."""
    default = (_attr_text(root, b"default") or "").strip("/")
    raw = default.encode()
    if default and "/" not in default and root.links.exists(raw):
        hard = root.links.get_info(raw).type == h5l.TYPE_HARD
        oid = h5o.open(root, raw) if hard else _follow(root, raw, f"/{default}", broken)
        if isinstance(oid, h5g.GroupID):
            return _Node(default, oid, f"/{default}", broken)
    links: list[tuple[bytes, int]] = []
    root.links.iterate(lambda name, info: links.append((name, info.type)), info=True)
    for raw, link_type in links:
        if link_type == h5l.TYPE_HARD:
            oid = h5o.open(root, raw)
            if isinstance(oid, h5g.GroupID) and _attr_text(oid, b"NX_class") == "NXentry":
                name = raw.decode("utf-8", "replace")
                return _Node(name, oid, f"/{name}", broken)
    raise IngestError(path, "no NXentry group")


def _warnings(broken: Broken) -> tuple[str, ...]:
    shown = [f"skipped {text}" for text in list(broken.values())[:MAX_WARNINGS]]
    if len(broken) > MAX_WARNINGS:
        shown.append(f"skipped {len(broken) - MAX_WARNINGS} more links that cannot be followed")
    return tuple(shown)


def _read_entry(fid: h5f.FileID, path: Path, info: os.stat_result) -> NexusMetadata:
    root = h5g.open(fid, b"/")
    broken: Broken = {}
    entry = _find_entry(root, path, broken)
    where = f"/{entry.name}"

    def required(field: str, value: str | None) -> str:
        if value is None:
            link = broken.get(f"{where}/{field}")
            raise IngestError(path, f"missing required field {where}/{field}"
                              + (f" ({link})" if link else ""))
        return value

    title = required("title", entry.text("title"))
    start_text = required("start_time", entry.text("start_time"))
    start = _parse_time(start_text)
    if start is None:
        raise IngestError(path, f"{where}/start_time {start_text!r} is not an ISO-8601 time")
    end_text = entry.text("end_time")
    end = None if end_text is None else _parse_time(end_text)
    if end_text is not None and end is None:
        raise IngestError(path, f"{where}/end_time {end_text!r} is not an ISO-8601 time")
    if end is not None and end < start:
        raise IngestError(path, f"{where}/end_time {end_text} is before start_time {start_text}")
    identifier = required("experiment_identifier", entry.text("experiment_identifier"))
    proposal, visit = _proposal_visit(entry, identifier, where, path)
    instrument = entry.group("instrument", "NXinstrument")
    instrument_name = required("instrument/name", instrument and instrument.text("name"))
    sample = entry.group("sample", "NXsample")
    skip = set(_MAPPED)
    if instrument is not None:
        skip.add(f"{instrument.name}/name")
    if sample is not None:
        skip |= {f"{sample.name}/name", f"{sample.name}/chemical_formula"}
    users = [node for node in entry.members().values() if node.nx_class == "NXuser"]
    return NexusMetadata(
        path=path,
        entry=where,
        title=title,
        start_time=start,
        end_time=end,
        definition=entry.text("definition"),
        experiment_identifier=identifier,
        proposal=proposal,
        visit=visit,
        entry_identifier=entry.text("entry_identifier"),
        instrument=instrument_name,
        sample_name=sample and sample.text("name"),
        sample_formula=sample and sample.text("chemical_formula"),
        users=tuple(_user(node) for node in users),
        parameters=_parameters(entry, skip),
        plot=_plot(root, entry, where),
        size=info.st_size,
        mtime=info.st_mtime,
        warnings=_warnings(broken),
    )


def _proposal_visit(entry: _Node, identifier: str, where: str, path: Path) -> tuple[str, str]:
    """Diamond style "mx23694-1": proposal before the last "-", visit after it; else the whole
    identifier is the proposal and the visit is its @visit or the entry's visit_id."""
    match = _VISIT_SUFFIX.match(identifier)
    if match:
        return match["proposal"], match["visit"]
    visit = _attr_text(entry.members()["experiment_identifier"].oid, b"visit")
    visit = visit or entry.text("visit_id")
    if visit:
        return identifier, visit
    raise IngestError(
        path,
        f"experiment_identifier {identifier!r} at {where}/experiment_identifier has no visit "
        "(expected PROPOSAL-VISIT)",
    )


def _user(node: _Node) -> NexusUser:
    return NexusUser(
        name=node.text("name") or "",
        role=node.text("role"),
        affiliation=node.text("affiliation"),
        orcid=node.text("ORCID") or node.text("orcid"),
        email=node.text("email"),
    )


def _parameters(entry: _Node, skip: set[str]) -> tuple[NexusParameter, ...]:
    """Small datasets of the entry, depth first in name order, outside NXdata and NXuser (people
    are mapped as users; their other fields, phone numbers, are not for a public catalogue)."""
    found: list[NexusParameter] = []
    budget = MAX_OBJECTS
    seen: set[int] = set()  # group addresses: a hard link may make a group its own ancestor

    def visit(group: _Node, prefix: str, depth: int) -> None:
        nonlocal budget
        address = h5o.get_info(group.oid).addr
        if address in seen:
            return
        seen.add(address)
        for node in group.members().values():
            if len(found) >= MAX_PARAMETERS or budget <= 0:
                return
            budget -= 1
            relative = prefix + node.name
            if not node.is_group:
                parameter = None if relative in skip else _parameter(node, relative)
                if parameter is not None:
                    found.append(parameter)
            elif node.nx_class not in ("NXdata", "NXuser") and depth < MAX_DEPTH:
                visit(node, relative + "/", depth + 1)

    visit(entry, "", 1)
    return tuple(found)


def _parameter(node: _Node, name: str) -> NexusParameter | None:
    array = _read_small(node.oid)  # type: ignore[arg-type]
    if array is None or array.size != 1:  # small vectors (a unit cell, a pixel size) skipped
        return None
    value = _scalar(array)
    if isinstance(value, str):
        if not value or len(value) > MAX_TEXT:
            return None
        if name.rsplit("/", 1)[-1].lower().endswith(("time", "date")):
            value = _parse_time(value) or value
    elif isinstance(value, float) and not math.isfinite(value):
        return None  # NaN/inf mean "not measured": nothing to search, and not valid JSON
    return NexusParameter(name, value, _attr_text(node.oid, b"units"))  # type: ignore[arg-type]


def _plot(root: h5g.GroupID, entry: _Node, where: str) -> NexusPlot | None:
    """The default NXdata: follow @default from the entry (it may pass through a subentry or
    a path), else the entry's first NXdata group."""
    node, path = entry, where
    for _ in range(4):
        target = _attr_text(node.oid, b"default")
        if not target or node.nx_class == "NXdata":
            break
        if target.startswith("/"):
            parent, path = _Node("", root, "/", entry.broken), ""
        else:
            parent = node
        for part in filter(None, target.split("/")):
            parent = parent.members().get(part) if parent and parent.is_group else None
            path = f"{path}/{part}"
        if parent is None or not parent.is_group:
            break
        node = parent
    if node.nx_class != "NXdata":
        node = next((n for n in entry.members().values() if n.nx_class == "NXdata"), None)
        if node is None:
            return None
        path = f"{where}/{node.name}"
    signal, axes = _attr_text(node.oid, b"signal"), _attr(node.oid, b"axes")
    if signal is None:  # NeXus before 2014: @signal=1 (and @axes) on the signal dataset
        for member in node.members().values():
            flag = None if member.is_group else _attr(member.oid, b"signal")
            if flag is not None and _scalar(flag[:1]) in (1, "1"):
                signal, axes = member.name, _attr(member.oid, b"axes")
                break
    raw = (signal or "").encode()
    if not raw or not node.oid.links.exists(raw):
        return None
    soft = node.oid.links.get_info(raw).type == h5l.TYPE_SOFT
    if soft and _follow(node.oid, raw, f"{path}/{signal}", entry.broken) is None:
        return None  # a preview could not read it either
    return NexusPlot(path, signal, _axes(axes))


def _axes(array: np.ndarray | None) -> tuple[str, ...]:
    if array is None or array.dtype.kind not in "SO":
        return ()
    if array.size > 1:
        return tuple(_decode(item) for item in array)
    return tuple(part for part in re.split(r"[:,\s]+", _decode(array[0])) if part)  # "x:y"


# -- the file ----------------------------------------------------------------------------------


def read_nexus(path: str | os.PathLike[str]) -> NexusMetadata:
    """Read one file's catalogue metadata; every problem is an ``IngestError``."""
    given = Path(path)
    try:
        resolved = given.resolve()
        info = os.stat(resolved)
    except FileNotFoundError:
        raise IngestError(given, "no such file") from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise IngestError(given, f"cannot access file: {exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise IngestError(resolved, "is a directory, not a NeXus file")
    if not stat.S_ISREG(info.st_mode):
        raise IngestError(resolved, "not a regular file")
    try:
        fid = h5f.open(os.fsencode(resolved), h5f.ACC_RDONLY, fapl=_fapl())
    except _ERRORS as exc:
        raise IngestError(resolved, _diagnose(resolved, info.st_size, exc)) from None
    try:
        meta = _read_entry(fid, resolved, info)
    except _ERRORS as exc:
        raise IngestError(resolved, f"truncated or corrupt HDF5 file ({_first_line(exc)})") from exc
    finally:
        fid.close()
    for warning in meta.warnings:
        log.warning("%s: %s", resolved, warning)
    return meta


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."


def _diagnose(path: Path, size: int, exc: BaseException) -> str:
    """One line saying why HDF5 refused to open the file."""
    try:
        with open(path, "rb") as handle:
            if size == 0:
                return "empty file (not an HDF5 file)"
            # the superblock is at 0 or, after a user block, at 512, 1024, 2048...
            offset, found = 0, False
            while offset < size and not found:
                handle.seek(offset)
                found = handle.read(8) == _SIGNATURE
                offset = 512 if offset == 0 else offset * 2
    except PermissionError:
        return "permission denied"
    except OSError as err:
        return f"cannot read file: {err.strerror or err}"
    if not found:
        return "not an HDF5 file"
    message = str(exc)
    if "already open for write" in message:
        return "file is being written (HDF5 consistency flags set; retry later or run h5clear -s)"
    return f"truncated or corrupt HDF5 file ({_first_line(exc)})"


def iter_nexus_paths(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """NeXus files under the given files and folders.

    A folder is walked recursively in sorted name order, yielding files whose suffix is one of
    ``SUFFIXES`` (any case) and skipping hidden names (``.snapshot``, macOS ``._x.nxs`` resource
    forks, which are not HDF5) and symlinked folders (they can loop). Anything else given
    explicitly is yielded whatever its suffix, even if it does not exist, so ``read_nexus`` reports
    it. Arguments are taken in the order given; a file reached twice is yielded once.
    """
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        found = _walk(path) if path.is_dir() else iter((path,))
        for item in found:
            key = item.absolute()
            if key not in seen:
                seen.add(key)
                yield item


def _walk(folder: Path) -> Iterator[Path]:
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        log.warning("cannot list %s: %s", folder, exc.strerror or exc)
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        elif os.path.splitext(entry.name)[1].lower() in SUFFIXES and entry.is_file():
            yield Path(entry.path)
