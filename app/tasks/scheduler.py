"""APScheduler wiring: one interval job per active Meta config, refreshed every minute.

Several servers may each run one (the web process with SCHEDULER_ENABLED=1, or `flask
scheduler run`): a periodic job runs only where its period is claimed (`job_leases`), a
scheduled poll skips a config synced within most of its interval, the per-config lease keeps
two from syncing one config at once, and webhook events are claimed one by one.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from app.extensions import db
from app.services import job_leases
from app.tasks import jobs, privacy_jobs, routing_jobs

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 15 * 60}


def init_scheduler(app: Flask, *, start: bool = True) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
    scheduler.add_job(refresh_jobs, "interval", minutes=1, args=(app, scheduler), id="refresh_jobs")
    now = datetime.now(UTC)
    scheduler.add_job(
        run_job,
        "interval",
        seconds=15,
        args=(app, jobs.process_webhook_events),  # retries, events of a restart (claimed per event)
        id=jobs.process_webhook_events.__name__,
        next_run_time=now,
    )
    scheduler.add_job(
        run_job,
        "interval",
        seconds=30,
        args=(app, jobs.announce_due_follow_ups),  # claimed per follow-up: any server may run it
        id=jobs.announce_due_follow_ups.__name__,
        next_run_time=now,
    )
    for job, every, first_run in (
        (jobs.decay_scores, timedelta(hours=1), now + timedelta(hours=1)),
        (jobs.reconcile_behind, timedelta(minutes=10), now + timedelta(minutes=2)),
        (jobs.deep_sweep, timedelta(days=1), now + timedelta(hours=1)),
        (jobs.check_tokens, timedelta(days=1), now + timedelta(minutes=1)),
        (jobs.backup_database, timedelta(hours=1), now + timedelta(minutes=5)),  # daily when due
        (privacy_jobs.purge_retention, timedelta(days=1), now + timedelta(minutes=30)),
        (routing_jobs.check_response_targets, timedelta(minutes=1), now + timedelta(seconds=30)),
        (jobs.store_analytics_rollup, timedelta(minutes=1), now + timedelta(seconds=20)),
    ):
        scheduler.add_job(
            run_job,
            "interval",
            seconds=every.total_seconds(),
            args=(app, claimed(job, every)),
            id=job.__name__,
            next_run_time=first_run,
        )
    for job, hour in ((jobs.daily_summary, 8), (jobs.analytics_reports, 7)):
        scheduler.add_job(
            run_job,
            "cron",
            hour=hour,
            timezone=app.config["APP_TIMEZONE"],
            args=(app, claimed(job, timedelta(days=1))),
            id=job.__name__,
        )
    scheduler.add_job(
        wake_mail_sender, "interval", seconds=30, args=(app,), id="send_mail", next_run_time=now
    )
    app.extensions["scheduler"] = scheduler
    if start:
        scheduler.start()
        refresh_jobs(app, scheduler)
    return scheduler


def run_job(app: Flask, job: Callable[..., None], *args) -> None:
    with app.app_context():
        try:
            job(*args)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job.__name__)
        finally:
            db.session.remove()


def claimed(job: Callable[[], None], every: timedelta) -> Callable[[], None]:
    """*job* run only by the server that claims the period (job_leases): with several servers
    each running a scheduler, a daily job still runs once a day."""

    def run_if_claimed() -> None:
        if not job_leases.claim(job.__name__, every, datetime.now(UTC)):
            db.session.rollback()
            log.debug("job %s: claimed by another server for this period", job.__name__)
            return
        db.session.commit()
        job()

    run_if_claimed.__name__ = job.__name__
    return run_if_claimed


def wake_mail_sender(app: Flask) -> None:
    """Retries and a backlog go out on the runner's mail thread, as every send does: a hung
    SMTP server then holds that one thread, never a scheduler or webhook thread."""
    app.extensions["task_runner"].submit_once("mail", jobs.send_mail)


def refresh_jobs(app: Flask, scheduler: BackgroundScheduler) -> None:
    """Add, reschedule or remove the per-config sync jobs to match the database."""
    with app.app_context():
        try:
            wanted = jobs.active_config_intervals()
        finally:
            db.session.remove()
    for job in scheduler.get_jobs():
        if job.id.startswith("sync_meta_config:") and int(job.id.split(":")[1]) not in wanted:
            job.remove()
    for config_id, minutes in wanted.items():
        job_id = f"sync_meta_config:{config_id}"
        existing = scheduler.get_job(job_id)
        if existing is not None and existing.trigger.interval.total_seconds() == minutes * 60:
            continue
        scheduler.add_job(
            run_job,
            "interval",
            minutes=minutes,
            args=(app, jobs.sync_meta_config, config_id),
            id=job_id,
            replace_existing=True,
            next_run_time=_soon(),
        )
        log.info("scheduled sync of config %s every %d min", config_id, minutes)


def _soon() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=2)
