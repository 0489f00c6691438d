"""A release job killed at any point, two schedulers, and drift repaired by reconcile."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from faircat.catalogue.models import DataPublication, DoiTask, Investigation
from faircat.catalogue.models.published import PublishedRecord
from faircat.publisher.reconcile import reconcile
from faircat.publisher.release import run_release
from tests.release.conftest import NOW, experiment

ROOT = Path(__file__).resolve().parents[2]


def _env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRCAT_")}
    env.update(
        FAIRCAT_DATABASE_URL=settings.database_url,
        FAIRCAT_INSTANCE_PATH=str(settings.instance_path),
        FAIRCAT_SITE_DIR=str(settings.site_dir),
        FAIRCAT_FACILITY_NAME=settings.facility_name,
        FAIRCAT_FACILITY_SHORT_NAME=settings.facility_short_name,
        FAIRCAT_FACILITY_ROR=settings.facility_ror,
        FAIRCAT_FACILITY_DOI_PREFIX=settings.facility_doi_prefix,
        FAIRCAT_FACILITY_BASE_URL=settings.facility_base_url,
        FAIRCAT_DATACITE_URL=settings.datacite_url,
        FAIRCAT_DATACITE_USERNAME=settings.datacite_username,
        FAIRCAT_DATACITE_PASSWORD=settings.datacite_password,
        FAIRCAT_DATACITE_WORKERS="1",
    )
    return env


def _state(world, datacite) -> tuple:
    with world.transaction() as session:
        pubs = sorted(
            (p.doi, p.doi_state.value, p.doi_target_state.value)
            for p in session.scalars(select(DataPublication))
        )
        open_tasks = session.scalar(select(func.count()).where(DoiTask.status != "done"))
        records = sorted(
            tuple(row)
            for row in session.execute(select(PublishedRecord.pid, PublishedRecord.status))
        )
    registry = sorted((d.doi, d.state, d.url) for d in datacite.dois())
    return pubs, open_tasks, records, registry


@pytest.fixture
def many(world):
    for i in range(12):
        experiment(world, f"BULK{i:02d}", end=NOW - timedelta(days=400 + i))
    return world


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [0.4, 1.2, 2.5])
def test_killed_at_any_point_a_rerun_finishes_the_work(
    many, release_settings, datacite, tmp_path, kill_after
):
    # the reference: the same catalogue, released in one uninterrupted run elsewhere
    datacite.faults(delay=0.08)  # slow registry: the kill lands among the registry calls too
    process = subprocess.Popen(
        [sys.executable, "-m", "faircat.cli", "release", "--now", NOW.isoformat()],
        env=_env(release_settings),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(kill_after)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    datacite.clear_faults()
    run_release(many, release_settings, NOW + timedelta(minutes=10), out=release_settings.site_dir)
    pubs, open_tasks, records, registry = _state(many, datacite)
    assert open_tasks == 0
    # 15 experiments (one public: PUB) and PUB's dataset: one DOI each, no double
    assert len(pubs) == 16 and len({doi for doi, _, _ in pubs}) == 16
    assert "10.80100/tls.pub-1.scan1" in {doi for doi, _, _ in pubs}
    assert all(state == target for _, state, target in pubs)
    assert [(doi, state) for doi, state, _ in registry] == [(doi, state) for doi, state, _ in pubs]
    assert all(url.endswith(f"/doi/{doi}/") for doi, _, url in registry)
    for doi, _status in records:
        assert (release_settings.site_dir / "doi" / doi / "index.html").is_file(), doi


@pytest.mark.slow
def test_two_schedulers_release_everything_once(world, release_settings, datacite):
    # the schedulers use the real clock, after every experiment of the world has ended: each
    # has its DOI, and the dataset of each one public by then (SOON, PUB...) has its DOI too
    with world.transaction() as session:
        public = session.scalar(
            select(func.count()).where(Investigation.release_date <= datetime.now(UTC))
        )
    expected = 4 + public
    assert public >= 1  # PUB at least
    env = _env(release_settings)
    command = [sys.executable, "-m", "faircat.cli", "scheduler", "--interval", "1"]
    schedulers = [
        subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(datacite.dois()) == expected:
                break
            time.sleep(0.5)
        time.sleep(2)
    finally:
        for process in schedulers:
            process.send_signal(signal.SIGTERM)
        logs = [process.communicate(timeout=30)[0] for process in schedulers]
    assert len(datacite.dois()) == expected, logs
    puts = [r for r in datacite.requests() if r["method"] in ("PUT", "POST")]
    assert len(puts) == expected, puts  # each DOI registered once, by one of the two
    with world.transaction() as session:
        jobs = session.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all()
    assert jobs == ["faircat-release"]
    assert "Traceback" not in "".join(logs), logs


def test_reconcile_repairs_drift(world, release_settings, datacite):
    run_release(world, release_settings, NOW, out=release_settings.site_dir)
    client = datacite.client()
    emb, pub = "10.80100/tls.emb-1", "10.80100/tls.pub-1"
    client.update_url(emb, "https://elsewhere.example.org/x")  # wrong URL
    client.hide_doi(pub)  # wrong state
    report = reconcile(world, release_settings, NOW + timedelta(minutes=1))
    problems = {d.doi: d.problem for d in report.drift}
    assert "resolves to" in problems[emb]
    assert problems[pub] == "registry state registered, wanted findable"
    with world.transaction() as session:
        assert session.scalar(select(func.count()).where(DoiTask.status == "pending")) == 2
    run_release(world, release_settings, NOW + timedelta(minutes=2), out=release_settings.site_dir)
    assert datacite.get(emb).url.endswith("/doi/10.80100/tls.emb-1/")
    assert datacite.get(pub).state == "findable"
    again = reconcile(world, release_settings, NOW + timedelta(minutes=3))
    assert again.drift == [] and again.checked == 4  # with PUB's dataset DOI
    assert again.unknown == []


def test_reconcile_re_registers_dois_missing_from_the_registry(world, release_settings, datacite):
    run_release(world, release_settings, NOW, out=release_settings.site_dir)
    datacite.reset()  # the registry lost everything
    report = reconcile(world, release_settings, NOW + timedelta(minutes=1))
    assert {d.problem for d in report.drift} == {"missing from the registry"}
    run_release(world, release_settings, NOW + timedelta(minutes=2), out=release_settings.site_dir)
    assert {d.doi: d.state for d in datacite.dois()} == {
        "10.80100/tls.emb-1": "registered",
        "10.80100/tls.pub-1": "findable",
        "10.80100/tls.pub-1.scan1": "findable",
        "10.80100/tls.soon-1": "registered",
    }
