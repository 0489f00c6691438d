"""The site is readable by the web server, a user other than the export's: every file and folder
the export writes gets the mode ``open``/``mkdir`` give under the process umask."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from faircat.catalogue.models import Investigation
from faircat.publisher.export import export_site
from tests.publisher.exportworld import NOW

PAGE = "doi/10.80100/tls.pub-1"  # the public experiment's landing page


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def wrong_modes(root: Path, mask: int) -> list[str]:
    """Files and folders under ``root`` (``root`` too) whose mode is not 0666 / 0777 less
    ``mask``."""
    wrong = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = (0o777 if path.is_dir() else 0o666) & ~mask
        if mode != want:
            wrong.append(f"{path.relative_to(root)}: {mode:o}, not {want:o}")
    return wrong


def retitle_a_dataset(world, when) -> None:  # type: ignore[no-untyped-def]
    """Its page and its experiment's page change (the experiment lists it), nothing else."""
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        inv.datasets[1].title = f"Retitled at {when.isoformat()}"
        inv.datasets[1].updated_at = when


@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_full_and_incremental_exports_follow_the_umask(world, tmp_path, mask):
    """mkdtemp made the site's root 0700 (nginx: 403 for everything); staging folders and
    site-wide files got fixed modes whatever the umask (027: a facility's web server in the
    group, nobody else)."""
    out = tmp_path / "site"
    with umask(mask):
        assert export_site(world, out=out, now=NOW).full
        assert wrong_modes(out, mask) == []
        retitle_a_dataset(world, NOW + timedelta(minutes=1))
        report = export_site(world, out=out, now=NOW + timedelta(minutes=2))
    assert not report.full and report.written == 2
    assert wrong_modes(out, mask) == []


def test_files_of_another_umask_are_not_linked(world, tmp_path):
    """A hard link has its source's mode: a file of a run under another umask is written anew
    rather than linked, by a full export (which links the live site's unchanged files) and by
    an incremental one (which links a rewritten page's unchanged files)."""
    out = tmp_path / "site"
    with umask(0o077):  # say, a cron job's: the site is the owner's alone
        export_site(world, out=out, now=NOW)
    assert stat.S_IMODE((out / PAGE / "citation.bib").stat().st_mode) == 0o600
    with umask(0o022):
        export_site(world, out=out, now=NOW + timedelta(minutes=1), full=True)
        assert wrong_modes(out, 0o022) == []
    with umask(0o077):
        retitle_a_dataset(world, NOW + timedelta(minutes=2))
        export_site(world, out=out, now=NOW + timedelta(minutes=3))
    page = out / PAGE
    assert wrong_modes(page, 0o077) == []  # rewritten: citation.bib (0644) not linked
    assert stat.S_IMODE((out / "robots.txt").stat().st_mode) == 0o644  # not rewritten


# -- read by another user -------------------------------------------------------------------------

as_root = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="reading the site as another user (setpriv to nobody) needs root; run as root",
)


@pytest.fixture
def public_folder() -> Iterator[Path]:
    """A folder any user may enter (pytest's temporary folders are 0700: nobody could)."""
    folder = Path(tempfile.mkdtemp(prefix="faircat-site-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_as_nobody(path: Path, *groups: int) -> subprocess.CompletedProcess[bytes]:
    """``cat path`` as the unprivileged user nobody, in the given supplementary groups only."""
    ids = ["--groups=" + ",".join(map(str, groups))] if groups else ["--clear-groups"]
    command = ["setpriv", "--reuid=nobody", "--regid=nogroup", *ids, "cat", str(path)]
    return subprocess.run(command, capture_output=True, check=False)


@as_root
@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_another_user_reads_the_site(world, public_folder, mask):
    """nginx's workers run as their own user. Under 022 anyone reads the site; under 027 only
    a member of the site's group (the facility puts nginx in it)."""
    out = public_folder / "site"
    group = os.getgid()  # the group of everything the export creates
    readers = [(), (group,)] if mask == 0o022 else [(group,)]
    with umask(mask):
        export_site(world, out=out, now=NOW)
        retitle_a_dataset(world, NOW + timedelta(minutes=1))
        assert export_site(world, out=out, now=NOW + timedelta(minutes=2)).written == 2
    dataset = next(p.parent for p in (out / "doi").rglob("preview.png"))
    files = [out / "index.html", out / PAGE / "index.html", out / PAGE / "datacite.xml",
             dataset / "index.html", dataset / "preview.png", out / "search" / "index.json"]
    for groups in readers:
        for path in files:
            read = read_as_nobody(path, *groups)
            assert read.returncode == 0, (path, groups, read.stderr)
            assert read.stdout == path.read_bytes()
    if mask == 0o027:  # and not anyone else: the umask is respected
        read = read_as_nobody(out / "index.html")
        assert read.returncode != 0 and b"Permission denied" in read.stderr
