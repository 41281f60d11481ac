"""Thin jobs: each calls a service and logs what happened."""

import logging
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from app.extensions import db
from app.models import BackupStatus, BackupTrigger, SyncTrigger
from app.services import analytics_mail, analytics_rollup, backups, meta_configs, meta_tokens
from app.services import daily_summary as daily_summary_service
from app.tasks import followup_jobs, mail_jobs, scoring_jobs, sync_jobs, webhook_jobs

log = logging.getLogger(__name__)


def sync_meta_config(config_id: int) -> None:
    """Poll one Meta config's forms (the sync job commits per batch)."""
    started = time.perf_counter()
    outcome = sync_jobs.sync_config(config_id, trigger=SyncTrigger.SCHEDULE)
    created = sum(f.result.created for f in outcome.forms)
    elapsed = time.perf_counter() - started
    log.info(
        "job sync config %s: created=%d skipped=%s in %.2fs",
        config_id,
        created,
        outcome.skipped,
        elapsed,
    )


def active_config_intervals() -> dict[int, int]:
    """config id → fetch interval in minutes, for every active config."""
    return {c.id: c.fetch_interval_minutes for c in meta_configs.list_active_configs()}


def decay_scores() -> None:
    """Hourly: apply freshness decay to recent leads' scores (commits per batch)."""
    started = time.perf_counter()
    changed = scoring_jobs.rescore(freshness_only=True)
    log.info(
        "job decay scores: %d lead(s) rescored in %.2fs", changed, time.perf_counter() - started
    )


def store_analytics_rollup() -> None:
    """Every minute: the analytics rollup of the days whose leads changed (commits per batch
    of days; a first build after an upgrade takes a few batches)."""
    started, days = time.perf_counter(), 0
    tz = current_app.config["APP_TIMEZONE"]
    while stored := analytics_rollup.flush_batch(tz):
        db.session.commit()
        days += stored
    db.session.commit()
    if days:
        elapsed = time.perf_counter() - started
        log.debug("job analytics rollup: %d day(s) stored in %.2fs", days, elapsed)


def process_webhook_events() -> None:
    """Fetch the leads of due webhook events (retries, and events left by a restart)."""
    processed = webhook_jobs.process_due_events()
    if processed:
        log.info("job webhook events: %d processed", processed)


def reconcile_behind() -> None:
    """Deep re-read of forms that reconciliation found behind Meta's count."""
    forms = sync_jobs.reconcile_behind()
    if forms:
        log.info("job reconcile: %d form(s) re-read", forms)


def deep_sweep() -> None:
    """Daily: re-read the last 90 days of every synced form."""
    log.info("job deep sweep: %d config(s) re-read", sync_jobs.deep_sweep())


def check_tokens() -> None:
    """Daily: ask Meta about every token; alert superadmins about dead or expiring ones."""
    outcome = check_all_tokens()
    log.info("job check tokens: %s", outcome)


def backup_database() -> None:
    """Hourly: the daily backup when due (prunes old ones; a failure is recorded and mailed)."""
    if not backups.is_due(datetime.now(UTC)):
        return
    db.session.commit()  # end the read: a backup must not hold SQLite's write lock
    run = backups.run_backup(BackupTrigger.SCHEDULE)
    if run.status is BackupStatus.FAILED:
        log.error("job backup FAILED: %s", run.error)
    else:
        log.info("job backup: %s (%d bytes)", run.path, run.size_bytes)


def announce_due_follow_ups() -> None:
    """Every 30 s: tell owners about their follow-ups that fell due (socket + browser)."""
    sent = followup_jobs.announce_due()
    if sent:
        log.info("job follow-ups: %d due notice(s) sent", sent)


def send_mail() -> None:
    """Send the outbox's due mails (retries, and mails of a process that stopped)."""
    mail_jobs.send_pending()


def daily_summary() -> None:
    """08:00 local: queue yesterday's summary to everyone who wants it (once a day each)."""
    count = daily_summary_service.queue_daily_summaries(daily_summary_service.yesterday())
    log.info("job daily summary: queued for %d recipient(s)", count)


def analytics_reports() -> None:
    """07:00 local: queue the weekly (Mondays) and monthly (the 1st) report mails."""
    today = datetime.now(ZoneInfo(current_app.config["APP_TIMEZONE"])).date()
    count = analytics_mail.queue_reports(today)
    if count:
        log.info("job analytics reports: queued %d mail(s)", count)


def check_all_tokens() -> dict[str, int]:
    """Check every active config's token; commits per config."""
    debugger, outcome = meta_tokens.app_client(), {}
    for config in meta_configs.list_active_configs():
        state = meta_tokens.check_token(config, meta_configs.build_client(config), debugger)
        db.session.commit()
        outcome[state] = outcome.get(state, 0) + 1
    return outcome
