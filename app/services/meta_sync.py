"""Poll sync: page through each form's leads from its checkpoint and ingest them.

This is a job loop, so it commits itself: after each page of leads (progress is never lost)
and once more after the form's checkpoint moves. A crash anywhere leaves stored leads stored
and the checkpoint behind them, so the next run re-reads the overlap and skips what it has.
"""

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app import events
from app.extensions import db
from app.meta.client import ErrorKind, GraphClient, GraphError
from app.meta.normalize import scrub_json
from app.meta.prefetch import prefetched
from app.models import ConfigStatus, MetaApiConfig, MetaForm, SyncRun, SyncStatus, SyncTrigger
from app.services import alerts, meta_configs
from app.services.meta_lead_service import IngestResult, LeadSource, ingest_raw_leads

log = logging.getLogger(__name__)
LEASE_SECONDS = 15 * 60

AUTH_HELP = "Meta refused the token (code {code}): paste a new Page access token."
THROTTLE_HELP = "Meta is rate-limiting this Page (code {code}); syncing resumes after {until}."


@dataclass
class FormOutcome:
    form_id: str
    run_id: int
    status: SyncStatus
    result: IngestResult
    error: str | None = None


@dataclass
class SyncOutcome:
    config_id: int
    skipped: str | None = None
    forms: list[FormOutcome] = field(default_factory=list)


def sync_config(
    config_id: int, *, trigger: SyncTrigger = SyncTrigger.MANUAL, client: GraphClient | None = None
) -> SyncOutcome:
    """Sync every active form of one config under a lease; commits per page."""
    outcome = SyncOutcome(config_id)
    now = datetime.now(UTC)
    if not acquire_lease(config_id, now):
        outcome.skipped = "another process is syncing this config"
        return outcome
    try:
        config = db.session.get(MetaApiConfig, config_id)
        if reason := skip_reason(config, now):
            outcome.skipped = reason
            return outcome
        client = client or meta_configs.build_client(config)
        for form in [f for f in config.forms if f.is_active]:
            form_outcome = sync_form(config, form, client, trigger=trigger)
            outcome.forms.append(form_outcome)
            if config.status == ConfigStatus.NEEDS_REAUTH or config.retry_after:
                break
        finish_config(config, outcome)
        db.session.commit()
    finally:
        db.session.rollback()
        release_lease(config_id)
    return outcome


def skip_reason(config: MetaApiConfig | None, now: datetime) -> str | None:
    if config is None:
        return "no such config"
    if not config.is_active:
        return "config is inactive"
    if not config.distributor.is_active:
        return "its distributor is deactivated"
    if config.status == ConfigStatus.NEEDS_REAUTH:
        return "the token needs to be replaced (needs_reauth)"
    if config.retry_after and config.retry_after > now:
        return f"throttled by Meta until {config.retry_after:%Y-%m-%d %H:%M} UTC"
    config.retry_after = None
    return None


def sync_form(
    config: MetaApiConfig, form: MetaForm, client: GraphClient, *, trigger: SyncTrigger
) -> FormOutcome:
    """Read one form from its checkpoint minus the overlap to the last page."""
    settings = current_app.config
    since = None
    if form.checkpoint is not None:
        since = form.checkpoint - timedelta(seconds=settings["META_SYNC_OVERLAP_SECONDS"])
    source = LeadSource(config.distributor_id, config.page_id, form.form_id, config.id)
    run = SyncRun(config_id=config.id, form_id=form.form_id, trigger=backfill_or(trigger, form))
    db.session.add(run)
    db.session.commit()  # no transaction stays open while we wait for Meta
    total, batch = IngestResult(), []

    def store() -> None:
        """Insert the fetched batch and commit (progress survives a crash later on)."""
        total.add(ingest_raw_leads(batch, source, default_region=settings["DEFAULT_PHONE_REGION"]))
        record_counts(run, total)
        events.publish(
            "sync_progress", progress(config.id, source.form_id, total), to=events.DASHBOARD_ROOM
        )
        db.session.commit()
        batch.clear()

    pages = client.iter_lead_pages(source.form_id, since, limit=settings["META_PAGE_SIZE"])
    try:
        for page in prefetched(pages):
            batch.extend(page)
            if len(batch) >= settings["META_SYNC_BATCH"]:
                store()
    except GraphError as error:
        store()  # keep what arrived before the failure
        return fail_form(config, form, run, total, error)
    except Exception:  # record the crash on the run, then let the job wrapper log it
        db.session.rollback()
        run.status, run.error = SyncStatus.FAILED, "internal error; see the server log"
        run.finished_at = datetime.now(UTC)
        db.session.commit()
        raise
    store()
    if total.newest and (form.checkpoint is None or total.newest > form.checkpoint):
        form.checkpoint = total.newest
    run.status, run.finished_at = SyncStatus.OK, datetime.now(UTC)
    events.publish(
        "sync_progress", progress(config.id, source.form_id, total, "ok"), to=events.DASHBOARD_ROOM
    )
    db.session.commit()
    log.info("synced form %s: %s", form.form_id, summary_counts(run))
    refresh_form_details(form, client)
    return FormOutcome(form.form_id, run.id, run.status, total)


def progress(config_id: int, form_id: str, total: IngestResult, status: str = "running") -> dict:
    return {
        "config_id": config_id,
        "form_id": form_id,
        "fetched": total.fetched,
        "created": total.created,
        "status": status,
    }


def refresh_form_details(form: MetaForm, client: GraphClient) -> None:
    """Meta's view of the form (name, status, lead count, questions) for the health page's
    reconciliation and the lead detail's question labels. Best effort; commits."""
    try:
        details = client.get_form(form.form_id)
    except GraphError as error:
        log.info("form %s details unavailable: code=%s", form.form_id, error.code)
        return
    form.name = str(details.get("name") or form.name or "")[:255] or None
    form.status_on_meta = str(details.get("status") or "")[:16] or None
    if isinstance(details.get("leads_count"), int):
        form.leads_count_on_meta, form.leads_counted_at = details["leads_count"], datetime.now(UTC)
    if isinstance(details.get("questions"), list):
        form.questions = scrub_json(details["questions"])
    db.session.commit()


def backfill_or(trigger: SyncTrigger, form: MetaForm) -> SyncTrigger:
    return SyncTrigger.BACKFILL if form.checkpoint is None else trigger


def record_counts(run: SyncRun, total: IngestResult) -> None:
    run.fetched, run.created, run.failed = total.fetched, total.created, total.failed
    run.duplicates = total.already_stored + total.reinquiries


def fail_form(
    config: MetaApiConfig, form: MetaForm, run: SyncRun, total: IngestResult, error: GraphError
) -> FormOutcome:
    """Record a Graph failure on the run and the config, as its kind demands. Commits."""
    now = datetime.now(UTC)
    message = record_config_error(config, error, now, failing=True)
    run.status = SyncStatus.PARTIAL if total.created else SyncStatus.FAILED
    run.error, run.finished_at = message, now
    record_counts(run, total)
    db.session.commit()
    log.warning("sync of form %s stopped: code=%s kind=%s", form.form_id, error.code, error.kind)
    return FormOutcome(form.form_id, run.id, run.status, total, message)


def record_config_error(
    config: MetaApiConfig, error: GraphError, now: datetime, *, failing: bool
) -> str:
    """Put a Graph failure on the config (needs_reauth, throttled until…, or failing) and
    return it in plain words. *failing* False leaves a healthy config's status alone (one
    failed webhook fetch does not make a Page connection "failing"). Caller commits."""
    message = explain(error, now)
    newly_dead = error.kind == ErrorKind.AUTH and config.status != ConfigStatus.NEEDS_REAUTH
    if error.kind == ErrorKind.AUTH:
        config.status = ConfigStatus.NEEDS_REAUTH
    elif error.kind == ErrorKind.THROTTLED:
        config.retry_after = now + timedelta(seconds=error.retry_after_s or 600)
        message = explain(error, now, config.retry_after)
    elif failing:
        config.status = ConfigStatus.FAILING
    config.last_error = message
    if newly_dead:
        alerts.alert_superadmins(config, "dead")
    return message


def explain(error: GraphError, now: datetime, until: datetime | None = None) -> str:
    """The failure in plain words, with what to do about it."""
    if error.kind == ErrorKind.AUTH:
        return AUTH_HELP.format(code=error.code)
    if error.kind == ErrorKind.THROTTLED:
        when = f"{until:%Y-%m-%d %H:%M} UTC" if until else "a pause"
        return THROTTLE_HELP.format(code=error.code, until=when)
    if error.code == 0:
        return f"Meta could not be reached ({error.message}); the next run retries."
    return f"Meta answered with error {error.code}: {error.message}"[:1000]


def finish_config(config: MetaApiConfig, outcome: SyncOutcome) -> None:
    now = datetime.now(UTC)
    config.last_fetch_time = now
    if all(f.status == SyncStatus.OK for f in outcome.forms):
        config.status, config.last_error = ConfigStatus.OK, None
        config.last_success_at, config.consecutive_failures = now, 0
    else:
        config.consecutive_failures += 1


def summary_counts(run: SyncRun) -> str:
    return (
        f"fetched={run.fetched} created={run.created} duplicates={run.duplicates} "
        f"failed={run.failed} status={run.status}"
    )


def lease_owner() -> str:
    """This thread of this process: the unit that may hold a sync lease."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def acquire_lease(config_id: int, now: datetime) -> bool:
    """Take the config's sync lease (a row update, atomic on SQLite and PostgreSQL). Commits."""
    table, owner = MetaApiConfig.__table__, lease_owner()
    result = db.session.execute(
        sa.update(table)
        .where(
            table.c.id == config_id,
            sa.or_(
                table.c.lease_expires_at.is_(None),
                table.c.lease_expires_at < now,
                table.c.lease_owner == owner,
            ),
        )
        .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=LEASE_SECONDS))
    )
    db.session.commit()
    return result.rowcount == 1


def release_lease(config_id: int) -> None:
    table = MetaApiConfig.__table__
    db.session.execute(
        sa.update(table)
        .where(table.c.id == config_id, table.c.lease_owner == lease_owner())
        .values(lease_owner=None, lease_expires_at=None)
    )
    db.session.commit()
