"""Scratch a killed export leaves (page folders built aside, files written aside, build trees) is
cleared by the next run, under the export's lock, and is never served meanwhile."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from faircat.catalogue.models import Investigation
from faircat.publisher.export import export_site
from faircat.publisher.writer import ExportError
from tests.publisher.exportworld import NOW, complete

PAGE = "doi/10.80100/tls.pub-1"
SCRATCH = re.compile(r"^\.(.+\.new-[a-z0-9_]{8}|tmp-[a-z0-9_]{8}|.+\.build-[a-z0-9_]{8}|.+\.old)$")


def _env(world, out: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    settings = world.settings
    return {**os.environ, "FAIRCAT_CONFIG": "", "FAIRCAT_DATABASE_URL": settings.database_url,
            "FAIRCAT_INSTANCE_PATH": str(settings.instance_path), "FAIRCAT_SITE_DIR": str(out),
            "FAIRCAT_FACILITY_NAME": settings.facility_name,
            "FAIRCAT_FACILITY_SHORT_NAME": settings.facility_short_name,
            "FAIRCAT_FACILITY_ROR": settings.facility_ror,
            "FAIRCAT_FACILITY_DOI_PREFIX": settings.facility_doi_prefix,
            "FAIRCAT_FACILITY_BASE_URL": settings.facility_base_url}


def _locked(lock: Path) -> bool:
    """Whether another process holds the export's lock on ``lock``."""
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def kill_an_export_while_it_runs(world, out: Path, now) -> None:  # type: ignore[no-untyped-def]
    """Start ``faircat export`` and kill -9 it while it holds the site's lock."""
    command = [sys.executable, "-m", "faircat.cli", "export", "--no-progress", "--jobs", "1",
               "--now", now.isoformat()]
    lock = out.parent / f".{out.name}.lock"
    for _ in range(5):  # the export may finish between two looks: start another
        process = subprocess.Popen(command, env=_env(world, out), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        while process.poll() is None and not _locked(lock):
            time.sleep(0.001)
        time.sleep(0.02)  # into the run, past taking the lock
        if process.poll() is None:
            process.kill()
            process.wait()
            assert not _locked(lock)  # freed with the process
            return
    pytest.fail("every export finished before it could be killed")


def plant_scratch(out: Path) -> list[Path]:
    """What a killed run can leave, wherever it can leave it."""
    page = out / PAGE
    staged = page.with_name(f".{page.name}.new-abcd1234")  # tempfile's names (older versions)
    staged.mkdir()
    (staged / "index.html").write_text("<!doctype html><title>half a page</title>")
    staged2 = page.with_name(f".{page.name}.new-0f1e2d3c")
    staged2.mkdir()
    paths = [staged, staged2, out / ".tmp-k2j4h6g8", out / "search" / ".tmp-0a1b2c3d",
             out / ".faircat" / ".tmp-x9y8z7w6"]
    for path in paths[2:]:
        path.write_text("half a file")
    build = out.parent / f".{out.name}.build-5e6f7a8b"
    (build / "doi").mkdir(parents=True)
    return [*paths, build]


def scratch_in(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*") if SCRATCH.match(p.name)]


def test_a_run_after_a_killed_one_clears_its_scratch(world, tmp_path):
    out = tmp_path / "site"
    export_site(world, out=out, now=NOW)
    with world.transaction() as session:
        inv = session.scalar(select(Investigation).where(Investigation.proposal == "PUB"))
        inv.title, inv.updated_at = "Retitled experiment", NOW + timedelta(minutes=1)
    kill_an_export_while_it_runs(world, out, NOW + timedelta(minutes=2))
    planted = plant_scratch(out)
    # not ours: a dot-name the export never makes, and a page folder that merely looks like it
    (out / ".htaccess").write_text("kept")
    (out / "doi" / "10.80100" / "notes.new-abcd1234").mkdir()

    from faircat.web.app import create_app

    client = create_app(world.settings).test_client()  # faircat serve never serves them either
    assert client.get(f"/{PAGE}/").status_code == 200
    assert client.get("/doi/10.80100/.tls.pub-1.new-abcd1234/").status_code == 404

    report = export_site(world, out=out, now=NOW + timedelta(minutes=3))
    assert not report.full and report.cleared >= len(planted) - 1  # the build tree: by the lock
    assert [p for p in planted if p.exists()] == []
    assert scratch_in(out) == [] and scratch_in(out.parent) == []
    assert (out / ".htaccess").read_text() == "kept"
    assert (out / "doi" / "10.80100" / "notes.new-abcd1234").is_dir()
    assert "Retitled experiment" in (out / PAGE / "index.html").read_text()
    complete(out)
    # the run finished: the next one has nothing to clear
    assert export_site(world, out=out, now=NOW + timedelta(minutes=4)).cleared == 0


def test_the_scratch_of_a_running_export_is_left_alone(world, tmp_path):
    """Only the export holding the site's lock clears scratch: never another run's."""
    out = tmp_path / "site"
    export_site(world, out=out, now=NOW)
    lock = out.parent / f".{out.name}.lock"
    lock.write_bytes(b"")  # as an older version leaves it: whether its run finished is unknown
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a run in progress
        planted = plant_scratch(out)
        with pytest.raises(ExportError, match=r"another export of .* is running"):
            export_site(world, out=out, now=NOW + timedelta(minutes=1))
        assert [p for p in planted if not p.exists()] == []
    # that run is gone (killed: it never said it finished): the next one clears
    assert export_site(world, out=out, now=NOW + timedelta(minutes=2)).cleared >= 5
    assert scratch_in(out) == [] and scratch_in(out.parent) == []
    complete(out)


def test_a_page_swapped_out_and_never_replaced_is_put_back(world, tmp_path):
    """Without renameat2 a page is replaced with two renames; a kill between them leaves the old
    page at ``.<name>.old`` and none at its path: the next run puts it back."""
    out = tmp_path / "site"
    export_site(world, out=out, now=NOW)
    page = out / PAGE
    before = (page / "index.html").read_bytes()
    page.rename(page.with_name(f".{page.name}.old"))
    kill_an_export_while_it_runs(world, out, NOW + timedelta(minutes=1))
    report = export_site(world, out=out, now=NOW + timedelta(minutes=2))
    assert report.cleared == 1 and (page / "index.html").read_bytes() == before
    assert scratch_in(out) == []
    complete(out)
