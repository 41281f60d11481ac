"""Poll sync rules: what a run of one form reads, stores and reports, and when the form's
checkpoint may move. These functions flush; the job loop (app/tasks/sync_jobs.py) commits
after each batch, so a crash loses at most the batch in flight.

The checkpoint moves only over what was really read: to the newest created_time (at most a few
minutes ahead of our clock) of a run that went through well-formed pages to the last one, and
only if nobody moved it meanwhile. Anything less (a Graph error, a malformed page, a list cut
short) makes the run partial and leaves the checkpoint alone, so the next run reads those
leads again; reconciliation (meta_reconcile) catches what a checkpoint cannot see."""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app import events, messages
from app.extensions import db
from app.meta.client import GraphError
from app.meta.lead_pages import LeadPage, Problem, UnreadableLead
from app.models import ConfigStatus, MetaApiConfig, MetaForm, SyncRun, SyncStatus, SyncTrigger
from app.services import lead_quarantine, meta_errors
from app.services.meta_lead_service import IngestResult, LeadSource, ingest_raw_leads

log = logging.getLogger(__name__)
DEEP_READ_WINDOW = timedelta(days=90)  # Meta keeps leads about this long
# A scheduled poll within this share of the interval after the last one is skipped (another
# server of the deployment polled it); the rest absorbs the schedulers' timing jitter.
NOT_DUE_SHARE = 0.8


@dataclass
class FormOutcome:
    form_id: str
    run_id: int
    status: SyncStatus
    result: IngestResult
    error: str | None = None
    meta_failed: bool = False  # Meta itself refused or could not be reached


@dataclass
class SyncOutcome:
    config_id: int
    skipped: str | None = None
    held_by: str | None = None  # who holds the lease, when skipped for it
    forms: list[FormOutcome] = field(default_factory=list)


@dataclass
class FormSync:
    """One run of one form: what it has read so far and what was wrong on the way."""

    config: MetaApiConfig
    form: MetaForm
    run: SyncRun
    source: LeadSource
    checkpoint: datetime | None  # the form's checkpoint when the run started
    region: str
    total: IngestResult = field(default_factory=IngestResult)
    buffer: list[Any] = field(default_factory=list)
    unreadable: list[UnreadableLead] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, page: LeadPage) -> None:
        self.buffer.extend(page.leads)
        self.unreadable.extend(page.unreadable)
        self.problems.extend(page.problems)


def skip_reason(
    config: MetaApiConfig | None, now: datetime, trigger: SyncTrigger = SyncTrigger.MANUAL
) -> str | None:
    """Why this run should not read Meta now, or None. A scheduled run is not due when the
    config was synced within most of its interval: with several servers each running the
    scheduler, every config is then polled once per interval, not once per server."""
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
    if trigger == SyncTrigger.SCHEDULE and not_due(config, now):
        return f"not due: synced at {config.last_fetch_time:%H:%M:%S} UTC"
    return None


def not_due(config: MetaApiConfig, now: datetime) -> bool:
    last = config.last_fetch_time
    if last is None:
        return False
    last = last if last.tzinfo else last.replace(tzinfo=UTC)
    return now - last < timedelta(minutes=config.fetch_interval_minutes) * NOT_DUE_SHARE


def since_for(form: MetaForm, *, deep: bool, overlap_s: int, now: datetime) -> datetime | None:
    """Where a run starts reading: the checkpoint minus the overlap; a deep re-read goes back
    as far as Meta keeps leads; a first run reads everything."""
    if deep:
        return now - DEEP_READ_WINDOW
    if form.checkpoint is None:
        return None
    return form.checkpoint - timedelta(seconds=overlap_s)


def start_run(
    config: MetaApiConfig, form: MetaForm, trigger: SyncTrigger, *, region: str
) -> FormSync:
    """Record the start of a run of *form*. Caller commits (before waiting for Meta)."""
    if form.checkpoint is None and trigger != SyncTrigger.RECONCILE:
        trigger = SyncTrigger.BACKFILL
    run = SyncRun(config_id=config.id, form_id=form.form_id, trigger=trigger)
    db.session.add(run)
    db.session.flush()
    source = LeadSource.of(config, form.form_id)
    return FormSync(config, form, run, source, form.checkpoint, region)


def store(sync: FormSync) -> None:
    """Insert the leads read since the last call and quarantine the unreadable ones (same
    transaction); announce progress after commit. Caller commits."""
    now = datetime.now(UTC)
    if sync.buffer:
        sync.total.add(ingest_raw_leads(sync.buffer, sync.source, default_region=sync.region))
    if sync.unreadable:
        failures = lead_quarantine.unreadable_failures(sync.unreadable)
        erased = lead_quarantine.quarantine(
            failures, config_id=sync.config.id, form_id=sync.form.form_id, now=now
        )
        sync.total.failed += len(failures) - erased
        sync.total.erased += erased
    sync.buffer.clear()
    sync.unreadable.clear()
    record_counts(sync.run, sync.total)
    announce_progress(sync, "running")


def finish_run(sync: FormSync) -> FormOutcome:
    """Close a run that read to the end of Meta's list: ok, or partial when a page was
    malformed or leads were quarantined. The checkpoint moves only when no page was
    malformed. Caller commits."""
    store(sync)
    run, total = sync.run, sync.total
    if not sync.problems:
        advance_checkpoint(sync.form, sync.checkpoint, total.newest)
    problem = sync.problems[0] if sync.problems else None
    if problem is None and total.failed:
        problem = Problem("leads_quarantined", {"count": total.failed})
    run.status = SyncStatus.PARTIAL if problem else SyncStatus.OK
    set_run_error(run, problem.code if problem else None, problem.params if problem else None)
    run.finished_at = datetime.now(UTC)
    announce_progress(sync, run.status.value)
    log.info("synced form %s: %s", sync.form.form_id, summary_counts(run))
    return FormOutcome(sync.form.form_id, run.id, run.status, total, run.error)


def fail_run(sync: FormSync, error: GraphError) -> FormOutcome:
    """Close a run that Meta stopped, and put the failure on the config as its kind demands
    (leads read before it are stored). Caller commits."""
    store(sync)
    now = datetime.now(UTC)
    code, params = meta_errors.record_config_error(sync.config, error, now, failing=True)
    run = sync.run
    run.status = SyncStatus.PARTIAL if sync.total.created else SyncStatus.FAILED
    set_run_error(run, code, params)
    run.finished_at = now
    announce_progress(sync, run.status.value)
    log.warning(
        "sync of form %s stopped: code=%s kind=%s", sync.form.form_id, error.code, error.kind
    )
    return FormOutcome(sync.form.form_id, run.id, run.status, sync.total, run.error, True)


def crash_run(run_id: int) -> None:
    """Close a run that died on an unexpected error (logged by the job). Caller commits."""
    run = db.session.get(SyncRun, run_id)
    if run is not None and run.status == SyncStatus.RUNNING:
        run.status, run.finished_at = SyncStatus.FAILED, datetime.now(UTC)
        set_run_error(run, "internal_error")


def advance_checkpoint(form: MetaForm, old: datetime | None, newest: datetime | None) -> bool:
    """Move the checkpoint to *newest* if it is later and still *old* (another run, a deep
    re-read, may have moved it meanwhile). Caller commits."""
    if newest is None or (old is not None and newest <= old):
        return False
    unchanged = MetaForm.checkpoint.is_(None) if old is None else MetaForm.checkpoint == old
    result = db.session.execute(
        sa.update(MetaForm).where(MetaForm.id == form.id, unchanged).values(checkpoint=newest)
    )
    return result.rowcount == 1


def finish_config(config: MetaApiConfig, outcome: SyncOutcome) -> None:
    """The config's health after a run: ok unless Meta refused or could not be reached."""
    now = datetime.now(UTC)
    config.last_fetch_time = now
    if not any(f.meta_failed for f in outcome.forms):
        config.status = ConfigStatus.OK
        meta_errors.set_last_error(config, None)
        config.last_success_at, config.consecutive_failures = now, 0
    else:
        config.consecutive_failures += 1


def set_run_error(run: SyncRun, code: str | None, params: dict | None = None) -> None:
    run.error = messages.english(code, params) if code else None
    run.error_code, run.error_params = code, (params if code else None)


def record_counts(run: SyncRun, total: IngestResult) -> None:
    run.fetched, run.created, run.failed = total.fetched, total.created, total.failed
    run.erased = total.erased
    run.duplicates = total.already_stored + total.reinquiries


def announce_progress(sync: FormSync, status: str) -> None:
    events.publish(
        "sync_progress",
        {
            "config_id": sync.config.id,
            "form_id": sync.form.form_id,
            "fetched": sync.total.fetched,
            "created": sync.total.created,
            "status": status,
        },
        to=events.DASHBOARD_ROOM,
    )


def summary_counts(run: SyncRun) -> str:
    return (
        f"fetched={run.fetched} created={run.created} duplicates={run.duplicates} "
        f"failed={run.failed} erased={run.erased} status={run.status}"
    )
