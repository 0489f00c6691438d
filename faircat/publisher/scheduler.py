"""``faircat scheduler``: the release job on a timer, in its own process (never in web workers).

APScheduler with its job store in the catalogue database: the schedule
survives restarts, missed runs (the machine was down) coalesce into one, and one instance of
the job runs at a time. Two schedulers started by mistake are safe: each run takes the
database lease of :mod:`faircat.publisher.release`, so the second one's run is skipped.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from faircat.catalogue.db import make_engine
from faircat.catalogue.locks import Busy, lease
from faircat.catalogue.store import Catalogue
from faircat.config import Settings

log = logging.getLogger(__name__)
JOB_ID = "faircat-release"
_settings: Settings | None = None  # set by run_scheduler; jobs are stored by reference


def release_tick() -> None:
    """One scheduled run; errors are logged, never fatal to the scheduler."""
    from faircat.publisher.release import run_release

    assert _settings is not None, "release_tick runs inside run_scheduler"
    catalogue = Catalogue.open(_settings)
    try:
        report = run_release(catalogue, _settings, datetime.now(UTC))
        log.info("%s", report.describe())
    except Busy as exc:
        log.info("skipped: %s", exc)
    except Exception:  # keep the scheduler alive; the next run retries
        log.exception("release job failed; it will run again at the next interval")
    finally:
        catalogue.close()


def build_scheduler(settings: Settings, interval: timedelta) -> BackgroundScheduler:
    global _settings
    _settings = settings
    return BackgroundScheduler(
        # Our engine, with SQLite's busy timeout: two schedulers starting together would
        # otherwise get "database is locked" creating or updating the job table.
        jobstores={"default": SQLAlchemyJobStore(engine=make_engine(settings.database_url))},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(interval.total_seconds()),
        },
        timezone=UTC,
    )


def install_job(scheduler: BackgroundScheduler, settings: Settings, interval: timedelta) -> None:
    """Start the (paused) scheduler and (re)place the release job in the shared job store, one
    scheduler at a time: two starting together would race creating the job table and row."""
    catalogue = Catalogue.open(settings)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with lease(catalogue, "scheduler-setup", timedelta(minutes=1)):
                    scheduler.start(paused=True)
                    scheduler.add_job(
                        "faircat.publisher.scheduler:release_tick",
                        "interval",
                        seconds=int(interval.total_seconds()),
                        id=JOB_ID,
                        replace_existing=True,
                        next_run_time=datetime.now(UTC),  # once now, then on the interval
                    )
                return
            except Busy:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        catalogue.close()


def run_scheduler(settings: Settings, interval: timedelta) -> None:
    """Run until SIGTERM or Ctrl-C, then wait for a running job to finish."""
    scheduler = build_scheduler(settings, interval)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        install_job(scheduler, settings, interval)
        scheduler.resume()
        stop.wait()
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
