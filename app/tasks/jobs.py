"""Thin jobs: each calls a service and logs what happened."""

import logging
import time

from app.models import SyncTrigger
from app.services import lead_scoring, meta_configs, meta_health
from app.tasks import sync_jobs, webhook_jobs

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
    changed = lead_scoring.rescore_freshness()
    log.info(
        "job decay scores: %d lead(s) rescored in %.2fs", changed, time.perf_counter() - started
    )


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
    outcome = meta_health.check_all_tokens()
    log.info("job check tokens: %s", outcome)
