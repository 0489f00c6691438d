"""Small, valid, realistic NeXus files for the demo, the tests and the benchmarks.

``write_nexus(path, spec)`` writes the parts every file shares (NXroot/NXentry fields, NXuser
groups, NXinstrument name and source, NXsample) and hands the entry to one writer per technique
family (MX, powder diffraction, XAS, SAXS, tomography), which adds the beam, the detector and the
default NXdata plot. Everything is derived from the spec: detector counts come from a random
generator seeded by proposal, visit and scan, and no timestamps are recorded, so one spec gives a
byte-identical file with a given h5py/HDF5.

Big files: with ``spec.big_bytes`` the technique's image stack becomes a *contiguous* dataset of at
least that many bytes whose space HDF5 allocates at creation (alloc time early) and never fills
(fill time never); only the first ``spec.frames`` frames are written. HDF5 sets the end of file past
the allocation when it closes, so the file has that apparent size (``st_size``) while the disk
holds only the blocks actually written: a sparse file, cheap to make and to delete.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import Literal, NamedTuple

import h5py
import numpy as np

Technique = Literal["mx", "powder", "xas", "saxs", "tomo"]
StringStyle = Literal["variable", "fixed", "array"]

DEFINITIONS: dict[str, str] = {
    "mx": "NXmx",
    "powder": "NXmonopd",
    "xas": "NXxas",
    "saxs": "NXsas",
    "tomo": "NXtomo",
}


@dataclass(frozen=True)
class UserSpec:
    name: str
    role: str | None = "participant"  # faircat.catalogue.vocab.MemberRole values
    affiliation: str | None = None
    orcid: str | None = None
    email: str | None = None


class Param(NamedTuple):
    """An extra field: path relative to the entry (groups made as NXcollection), value, unit."""

    path: str
    value: float | int | str | bool | datetime
    unit: str | None = None


@dataclass(frozen=True)
class NexusSpec:
    proposal: str
    visit: str | int
    title: str
    start: datetime  # naive datetimes are taken as UTC
    end: datetime | None = None
    scan: int = 1  # written as entry_identifier
    technique: Technique = "mx"
    definition: str | None = None  # None: the technique's application definition
    instrument: str = "XALOC"
    instrument_short_name: str | None = None  # None: same as instrument
    source: str = "ALBA"
    sample_name: str | None = "lysozyme"
    sample_formula: str | None = None
    temperature: float | None = None  # K; None: 100 K for MX, room temperature otherwise
    users: tuple[UserSpec, ...] = ()
    parameters: tuple[Param, ...] = ()
    frames: int = 4  # images in the detector stack (MX, SAXS, tomography projections)
    detector_shape: tuple[int, int] = (64, 64)
    points: int = 400  # samples of 1-D scans (powder, XAS, SAXS curve)
    compression: bool = True  # gzip the image stack (chunked one frame per chunk)
    big_bytes: int | None = None  # see the module docstring
    string_style: StringStyle = "variable"  # how string fields and attributes are stored

    @property
    def experiment_identifier(self) -> str:
        return f"{self.proposal}-{self.visit}"


def example_spec(technique: Technique = "mx", n: int = 1, **overrides: object) -> NexusSpec:
    """A realistic spec for scan ``n`` of a technique; keyword arguments override fields."""
    start = datetime(2024, 3, 5, 8, 30, tzinfo=UTC) + timedelta(minutes=7 * n)
    samples = {
        "mx": ("lysozyme", "C613H959N193O185S10"),
        "powder": ("LaB6 standard", "LaB6"),
        "xas": ("CuO pellet", "CuO"),
        "saxs": ("silica nanospheres", "SiO2"),
        "tomo": ("limestone core", "CaCO3"),
    }
    name, formula = samples[technique]
    spec = NexusSpec(
        proposal="mx23694" if technique == "mx" else "2023021234",
        visit=1 + n % 2,
        scan=n,
        title=f"{name}: {technique} scan {n}",
        start=start,
        end=start + timedelta(minutes=5),
        technique=technique,
        instrument={"mx": "XALOC", "tomo": "MISTRAL"}.get(technique, "NCD-SWEET"),
        instrument_short_name={"mx": "BL13"}.get(technique),
        sample_name=name,
        sample_formula=formula,
        users=(
            UserSpec(
                "Ada Lovelace",
                "principal_investigator",
                "University of Barcelona",
                "0000-0002-1825-0097",
                "ada@example.org",
            ),
            UserSpec(
                "Jordi Pujol", "local_contact", "ALBA Synchrotron", None, "jpujol@example.org"
            ),
        ),
    )
    return replace(spec, **overrides)  # type: ignore[arg-type]


# -- low-level helpers -------------------------------------------------------------------------


def _text(value: str, style: StringStyle) -> object:
    """A string as the chosen style: vlen UTF-8, fixed-length UTF-8 bytes, or a 1-element array."""
    if style == "fixed":
        raw = value.encode()
        return np.array(raw, dtype=h5py.string_dtype("utf-8", max(1, len(raw))))
    if style == "array":
        return np.array([value], dtype=h5py.string_dtype())
    return value


def _untimed(plist_class: h5py.h5p.PropClassID) -> h5py.h5p.PropID:
    """A creation property list that records no timestamps, so output is byte-reproducible."""
    plist = h5py.h5p.create(plist_class)
    plist.set_obj_track_times(False)
    return plist


def _group(parent: h5py.Group, name: str, nx_class: str, style: StringStyle) -> h5py.Group:
    if name in parent:
        group = parent[name]
    else:
        gcpl = _untimed(h5py.h5p.GROUP_CREATE)
        group = h5py.Group(h5py.h5g.create(parent.id, name.encode(), gcpl=gcpl))
    group.attrs["NX_class"] = _text(nx_class, "fixed" if style == "fixed" else "variable")
    return group


def _put(
    group: h5py.Group,
    name: str,
    value: object,
    style: StringStyle,
    units: str | None = None,
    **kwargs: object,
) -> h5py.Dataset:
    if isinstance(value, datetime):
        value = _iso(value)
    data = _text(value, style) if isinstance(value, str) else value
    ds = group.create_dataset(name, data=data, track_times=False, **kwargs)
    if units is not None:
        ds.attrs["units"] = _text(units, "fixed" if style == "fixed" else "variable")
    return ds


def _iso(when: datetime) -> str:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()


def _link(nxdata: h5py.Group, name: str, target: h5py.Dataset) -> None:
    """Hard link, with the NeXus @target attribute naming the original."""
    target.attrs["target"] = target.name
    nxdata[name] = target


def _plot(nxdata: h5py.Group, signal: str, axes: list[str], style: StringStyle) -> None:
    nxdata.attrs["signal"] = _text(signal, "fixed" if style == "fixed" else "variable")
    if style == "fixed":
        nxdata.attrs["axes"] = np.array([a.encode() for a in axes])
    else:
        nxdata.attrs["axes"] = np.array(axes, dtype=h5py.string_dtype())
    for index, axis in enumerate(axes):
        if axis != ".":
            nxdata.attrs[f"{axis}_indices"] = np.int32(index)


def _image_stack(group: h5py.Group, name: str, spec: NexusSpec, images: np.ndarray) -> h5py.Dataset:
    """The detector's frames: chunked (gzip) normally, a sparse contiguous block when big."""
    height, width = images.shape[1:]
    if not spec.big_bytes:
        return group.create_dataset(
            name,
            data=images,
            chunks=(1, height, width),
            compression="gzip" if spec.compression else None,
            track_times=False,
        )
    frame_bytes = height * width * images.dtype.itemsize
    n_frames = max(len(images), -(-spec.big_bytes // frame_bytes))
    dcpl = _untimed(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.CONTIGUOUS)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
    space = h5py.h5s.create_simple((n_frames, height, width))
    dtype = h5py.h5t.py_create(images.dtype)
    ds = h5py.Dataset(h5py.h5d.create(group.id, name.encode(), dtype, space, dcpl=dcpl))
    ds[: len(images)] = images
    return ds


def _seed(spec: NexusSpec) -> int:
    return zlib.crc32(f"{spec.proposal}/{spec.visit}/{spec.scan}/{spec.technique}".encode())


# -- one writer per technique family -----------------------------------------------------------


def _write_mx(entry: h5py.Group, spec: NexusSpec, rng: np.random.Generator) -> None:
    s = spec.string_style
    instrument, sample = entry["instrument"], entry["sample"]
    beam = _group(instrument, "beam", "NXbeam", s)
    _put(beam, "incident_wavelength", 0.9792, s, "angstrom")
    _put(beam, "flux", 2.1e12, s, "1/s")
    det = _group(instrument, "detector", "NXdetector", s)
    _put(det, "description", "Pilatus 6M", s)
    _put(det, "distance", 250.0, s, "mm")
    _put(det, "count_time", 0.1, s, "s")
    _put(det, "sensor_material", "Si", s)
    _put(det, "sensor_thickness", 0.45, s, "mm")
    height, width = spec.detector_shape
    images = rng.poisson(2.0, (spec.frames, height, width)).astype(np.uint16)
    for _ in range(6):  # a few Bragg spots so a preview shows something
        f, y, x = rng.integers(0, spec.frames), rng.integers(0, height), rng.integers(0, width)
        images[f, y, x] = 4000
    data = _image_stack(det, "data", spec, images)
    data.attrs["units"] = "counts"
    transformations = _group(sample, "transformations", "NXtransformations", s)
    omega = _put(transformations, "omega", np.arange(spec.frames) * 0.1, s, "deg", dtype="float64")
    omega.attrs["transformation_type"] = "rotation"
    omega.attrs["vector"] = np.array([-1.0, 0.0, 0.0])
    _put(transformations, "omega_increment_set", 0.1, s, "deg")
    nxdata = _group(entry, "data", "NXdata", s)
    _link(nxdata, "data", data)
    _link(nxdata, "omega", omega)
    _plot(nxdata, "data", ["omega", ".", "."], s)


def _write_powder(entry: h5py.Group, spec: NexusSpec, rng: np.random.Generator) -> None:
    s = spec.string_style
    instrument = entry["instrument"]
    mono = _group(instrument, "monochromator", "NXmonochromator", s)
    _put(mono, "wavelength", 0.4246, s, "angstrom")
    _put(mono, "crystal", "Si(111)", s)
    det = _group(instrument, "detector", "NXdetector", s)
    two_theta = np.linspace(2.0, 40.0, spec.points)
    counts = 50.0 + 5.0 * np.exp(-two_theta / 20.0)
    for position, height in ((8.7, 900.0), (12.3, 600.0), (15.1, 1200.0), (21.4, 300.0)):
        counts += height * np.exp(-0.5 * ((two_theta - position) / 0.05) ** 2)
    polar = _put(det, "polar_angle", two_theta, s, "degrees")
    data = _put(det, "data", rng.poisson(counts).astype(np.int32), s, "counts")
    _put(det, "distance", 1500.0, s, "mm")
    if spec.big_bytes:  # the area-detector frames the pattern was integrated from
        frames = rng.poisson(5.0, (spec.frames, *spec.detector_shape)).astype(np.uint16)
        _image_stack(det, "raw_frames", spec, frames)
    monitor = _group(entry, "monitor", "NXmonitor", s)
    _put(monitor, "mode", "monitor", s)
    _put(monitor, "preset", 100000, s)
    nxdata = _group(entry, "data", "NXdata", s)
    _link(nxdata, "data", data)
    _link(nxdata, "polar_angle", polar)
    _plot(nxdata, "data", ["polar_angle"], s)


def _write_xas(entry: h5py.Group, spec: NexusSpec, rng: np.random.Generator) -> None:
    s = spec.string_style
    instrument = entry["instrument"]
    mono = _group(instrument, "monochromator", "NXmonochromator", s)
    energy = np.linspace(8880.0, 9380.0, spec.points)
    energy_ds = _put(mono, "energy", energy, s, "eV")
    _put(mono, "crystal", "Si(311)", s)
    _put(mono, "edge_energy", 8979.0, s, "eV")
    _put(mono, "element", "Cu", s)
    _put(mono, "absorption_edge", "K", s)
    k = np.sqrt(np.clip(energy - 8979.0, 0.0, None) * 0.2625)
    mu = 0.5 + np.arctan((energy - 8979.0) / 2.0) / np.pi + 0.05 * np.sin(2 * k) * np.exp(-k / 8)
    mu += rng.normal(0.0, 0.002, spec.points)
    i0 = _group(instrument, "incoming_beam", "NXdetector", s)
    _put(i0, "data", rng.normal(1.0e6, 1.0e3, spec.points), s, "counts")
    _put(i0, "count_time", 1.0, s, "s")
    absorbed = _group(instrument, "absorbed_beam", "NXdetector", s)
    mu_ds = _put(absorbed, "data", mu, s)
    if spec.big_bytes:  # fluorescence detector spectra, one "frame" per energy block
        frames = rng.poisson(3.0, (spec.frames, *spec.detector_shape)).astype(np.uint16)
        _image_stack(absorbed, "mca_frames", spec, frames)
    nxdata = _group(entry, "data", "NXdata", s)
    _link(nxdata, "energy", energy_ds)
    _link(nxdata, "mu", mu_ds)
    _put(nxdata, "mode", "transmission", s)
    _plot(nxdata, "mu", ["energy"], s)


def _write_saxs(entry: h5py.Group, spec: NexusSpec, rng: np.random.Generator) -> None:
    s = spec.string_style
    instrument = entry["instrument"]
    mono = _group(instrument, "monochromator", "NXmonochromator", s)
    _put(mono, "wavelength", 1.0, s, "angstrom")
    _put(mono, "wavelength_spread", 1e-4, s)
    collimator = _group(instrument, "collimator", "NXcollimator", s)
    _put(collimator, "slit_gap", 0.5, s, "mm")
    det = _group(instrument, "detector", "NXdetector", s)
    _put(det, "distance", 6700.0, s, "mm")
    _put(det, "count_time", 1.0, s, "s")
    _put(det, "x_pixel_size", 0.172, s, "mm")
    _put(det, "y_pixel_size", 0.172, s, "mm")
    height, width = spec.detector_shape
    yy, xx = np.mgrid[:height, :width]
    radius = np.hypot(yy - height / 2, xx - width / 2) + 1.0
    images = rng.poisson(np.broadcast_to(5000.0 / radius**2 + 1, (spec.frames, height, width)))
    _image_stack(det, "data", spec, images.astype(np.uint16))
    q = np.geomspace(0.005, 0.5, spec.points)
    qr = q * 80.0  # spheres of 80 angstrom radius
    intensity = 1e3 * (3 * (np.sin(qr) - qr * np.cos(qr)) / qr**3) ** 2 + 0.01
    intensity *= rng.normal(1.0, 0.01, spec.points)
    nxdata = _group(entry, "data", "NXdata", s)
    _put(nxdata, "I", intensity, s, "1/cm")
    _put(nxdata, "Idev", intensity * 0.01, s, "1/cm")
    _put(nxdata, "Q", q, s, "1/angstrom")
    nxdata["I"].attrs["uncertainties"] = "Idev"
    _plot(nxdata, "I", ["Q"], s)


def _write_tomo(entry: h5py.Group, spec: NexusSpec, rng: np.random.Generator) -> None:
    s = spec.string_style
    instrument, sample = entry["instrument"], entry["sample"]
    det = _group(instrument, "detector", "NXdetector", s)
    _put(det, "count_time", 0.05, s, "s")
    _put(det, "x_pixel_size", 0.65, s, "um")
    _put(det, "y_pixel_size", 0.65, s, "um")
    height, width = spec.detector_shape
    angles = np.linspace(0.0, 180.0, spec.frames, endpoint=False)
    columns = np.arange(width) - width / 2
    thickness = 2.0 * np.sqrt(np.clip((width / 3) ** 2 - columns**2, 0.0, None))  # a cylinder
    projection = 20000.0 * np.exp(-thickness / width)
    images = rng.poisson(np.broadcast_to(projection, (spec.frames, height, width)))
    data = _image_stack(det, "data", spec, images.astype(np.uint16))
    _put(det, "image_key", np.zeros(spec.frames, dtype=np.int8), s)
    rotation = _put(sample, "rotation_angle", angles, s, "degrees")
    _put(sample, "x_translation", 0.0, s, "mm")
    nxdata = _group(entry, "data", "NXdata", s)
    _link(nxdata, "data", data)
    _link(nxdata, "rotation_angle", rotation)
    _plot(nxdata, "data", ["rotation_angle", ".", "."], s)


_WRITERS: dict[str, Callable[[h5py.Group, NexusSpec, np.random.Generator], None]] = {
    "mx": _write_mx,
    "powder": _write_powder,
    "xas": _write_xas,
    "saxs": _write_saxs,
    "tomo": _write_tomo,
}


# -- entry point -------------------------------------------------------------------------------


def write_nexus(path: str | PathLike[str], spec: NexusSpec) -> Path:
    """Write one NeXus file for ``spec``; returns its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    s = spec.string_style
    rng = np.random.default_rng(_seed(spec))
    fid = h5py.h5f.create(os.fsencode(path), h5py.h5f.ACC_TRUNC, _untimed(h5py.h5p.FILE_CREATE))
    with h5py.File(fid) as f:
        f.attrs["NX_class"] = _text("NXroot", s if s == "fixed" else "variable")
        f.attrs["default"] = _text("entry", s if s == "fixed" else "variable")
        f.attrs["creator"] = "faircat nexusgen"
        f.attrs["file_name"] = path.name
        f.attrs["file_time"] = _iso(spec.start)
        entry = _group(f, "entry", "NXentry", s)
        entry.attrs["default"] = _text("data", s if s == "fixed" else "variable")
        _put(entry, "title", spec.title, s)
        _put(entry, "start_time", spec.start, s)
        if spec.end is not None:
            _put(entry, "end_time", spec.end, s)
        _put(entry, "definition", spec.definition or DEFINITIONS[spec.technique], s)
        _put(entry, "experiment_identifier", spec.experiment_identifier, s)
        _put(entry, "entry_identifier", str(spec.scan), s)
        _put(entry, "program_name", "faircat nexusgen", s)
        for number, user in enumerate(spec.users, start=1):
            group = _group(entry, f"user_{number:02d}", "NXuser", s)
            for name, value in (
                ("name", user.name),
                ("role", user.role),
                ("affiliation", user.affiliation),
                ("ORCID", user.orcid),
                ("email", user.email),
            ):
                if value is not None:
                    _put(group, name, value, s)
        instrument = _group(entry, "instrument", "NXinstrument", s)
        name = _put(instrument, "name", spec.instrument, s)
        short_name = spec.instrument_short_name or spec.instrument
        name.attrs["short_name"] = _text(short_name, "fixed" if s == "fixed" else "variable")
        source = _group(instrument, "source", "NXsource", s)
        _put(source, "name", spec.source, s)
        _put(source, "type", "Synchrotron X-ray Source", s)
        _put(source, "probe", "x-ray", s)
        _put(source, "current", 250.0, s, "mA")
        sample = _group(entry, "sample", "NXsample", s)
        if spec.sample_name is not None:
            _put(sample, "name", spec.sample_name, s)
        if spec.sample_formula is not None:
            _put(sample, "chemical_formula", spec.sample_formula, s)
        temperature = spec.temperature
        if temperature is None:
            temperature = 100.0 if spec.technique == "mx" else 295.0
        _put(sample, "temperature", temperature, s, "K")
        _WRITERS[spec.technique](entry, spec, rng)
        for param in spec.parameters:
            parent = entry
            *groups, leaf = param.path.split("/")
            for group_name in groups:
                known = group_name in parent
                parent = (
                    parent[group_name] if known else _group(parent, group_name, "NXcollection", s)
                )
            _put(parent, leaf, param.value, s, param.unit)
    return path


def truncate_file(path: str | PathLike[str], keep_bytes: int) -> Path:
    """Cut a file to its first ``keep_bytes`` bytes, as an interrupted copy would."""
    with open(path, "r+b") as handle:
        handle.truncate(keep_bytes)
    return Path(path)


def write_not_hdf5(path: str | PathLike[str]) -> Path:
    """A file with a NeXus suffix that is not HDF5 (a text log saved under the wrong name)."""
    path = Path(path)
    path.write_text("# scan log\nmotor omega 0.0 180.0 1800\nthis is not an HDF5 file\n")
    return path
