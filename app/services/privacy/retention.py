"""Retention: leads are kept no longer than needed. A purge hard-deletes, with every copy,
leads not converted and untouched for RETENTION_MONTHS (lost, invalid and idle open ones
alike) and leads soft-deleted that long ago (converted ones too); raw Meta payloads
(quarantine rows, finished webhook events) after RAW_RETENTION_DAYS; the access log after
ACCESS_LOG_RETENTION_DAYS.
A dry run counts exactly what the real run would remove. `flask privacy purge` and a daily
job run it; each run is recorded (the sync health page shows the last)."""

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import LeadStatus, PrivacyRun
from app.models import WebhookEventStatus as EventStatus
from app.services.privacy import access_log, removal

log = logging.getLogger(__name__)
LEADS, FAILED, EVENTS = removal.LEADS, removal.FAILED, removal.EVENTS
BATCH = 500
FINISHED_EVENTS = (EventStatus.DONE.value, EventStatus.FAILED.value, EventStatus.UNKNOWN_PAGE.value)


def months_ago(now: datetime, months: int) -> datetime:
    """The same day and time *months* calendar months before *now* (clamped to the month)."""
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    day = min(now.day, 28)
    return now.replace(year=year, month=month + 1, day=day)


def purge(
    *, now: datetime | None = None, dry_run: bool = False, trigger: str = "manual"
) -> PrivacyRun:
    """Remove (or, dry, count) what retention says must go; record the run. Caller commits."""
    now = now or datetime.now(UTC)
    config = current_app.config
    run = PrivacyRun(started_at=now, trigger=trigger, dry_run=dry_run)
    counts: Counter = Counter()
    counts["leads"] = purge_leads(months_ago(now, config["RETENTION_MONTHS"]), dry_run)
    raw_cutoff = now - timedelta(days=config["RAW_RETENTION_DAYS"])
    counts["raw_payloads"] = purge_raw(raw_cutoff, dry_run)
    log_cutoff = now - timedelta(days=config["ACCESS_LOG_RETENTION_DAYS"])
    counts["access_log"] = access_log.purge_before(log_cutoff, dry_run=dry_run)
    run.counts, run.finished_at = dict(counts), datetime.now(UTC)
    db.session.add(run)
    log.info("retention %s: %s", "dry run" if dry_run else "purge", dict(counts))
    return run


def purge_leads(cutoff: datetime, dry_run: bool) -> int:
    """Expired leads, a batch at a time; an original waits for its re-inquiries."""
    reinquiry = LEADS.alias("reinquiry")
    kept_child = (
        sa.select(reinquiry.c.id)
        .where(reinquiry.c.duplicate_of_id == LEADS.c.id, sa.not_(expired_of(reinquiry, cutoff)))
        .exists()
    )
    query = sa.select(*removal.COLUMNS).where(expired_of(LEADS, cutoff), ~kept_child)
    if dry_run:
        return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    total, last = 0, 0
    while batch := db.session.execute(
        query.where(LEADS.c.id > last).order_by(LEADS.c.id).limit(BATCH)
    ).all():
        removal.remove_leads(batch)
        total, last = total + len(batch), batch[-1].id
    return total


def expired_of(table: sa.Table, cutoff: datetime) -> sa.ColumnElement[bool]:
    """Past retention: deleted before *cutoff*, or unconverted, untouched since *cutoff* and
    not deleted since (a lead deleted lately can still be restored)."""
    deleted_long_ago = sa.and_(table.c.deleted_at.is_not(None), table.c.deleted_at < cutoff)
    stale = sa.and_(
        table.c.status != LeadStatus.CONVERTED.value,
        table.c.updated_at < cutoff,
        table.c.deleted_at.is_(None),
    )
    return sa.or_(stale, deleted_long_ago)


def purge_raw(cutoff: datetime, dry_run: bool) -> int:
    """Quarantined payloads last seen, and finished webhook events received, before *cutoff*."""
    failed = FAILED.c.last_seen_at < cutoff
    events = sa.and_(EVENTS.c.received_at < cutoff, EVENTS.c.status.in_(FINISHED_EVENTS))
    if dry_run:
        count = sa.func.count()
        return (db.session.scalar(sa.select(count).where(failed)) or 0) + (
            db.session.scalar(sa.select(count).where(events)) or 0
        )
    return removal.delete(FAILED, failed) + removal.delete(EVENTS, events)


def last_run() -> PrivacyRun | None:
    query = sa.select(PrivacyRun).where(PrivacyRun.dry_run.is_(False))
    return db.session.scalar(query.order_by(PrivacyRun.id.desc()).limit(1))
