"""``faircat scheduler``: the release job on a timer, in its own process (never in web workers).

APScheduler's blocking scheduler with its job store in the catalogue database: the schedule
survives restarts, missed runs (the machine was down) coalesce into one, and one instance of
the job runs at a time. Two schedulers started by mistake are safe: each run takes the
database lease of :mod:`faircat.publisher.release`, so the second one's run is skipped.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler

from faircat.catalogue.locks import Busy
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


def build_scheduler(settings: Settings, interval: timedelta) -> BlockingScheduler:
    global _settings
    _settings = settings
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.database_url)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(interval.total_seconds()),
        },
        timezone=UTC,
    )
    scheduler.add_job(
        "faircat.publisher.scheduler:release_tick",
        "interval",
        seconds=int(interval.total_seconds()),
        id=JOB_ID,
        replace_existing=True,
        next_run_time=datetime.now(UTC),  # run once at start, then on the interval
    )
    return scheduler


def run_scheduler(settings: Settings, interval: timedelta) -> None:
    scheduler = build_scheduler(settings, interval)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=True)
