"""Job loops of the poll sync: a config's forms under its lease (renewed by a heartbeat), each
form page by page with a commit per batch. The rules live in app/services/meta_sync.py."""

import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from flask import current_app

from app import database
from app.extensions import db
from app.meta.client import GraphClient, GraphError
from app.meta.prefetch import prefetched
from app.models import ConfigStatus, MetaApiConfig, MetaForm, SyncTrigger
from app.services import meta_configs, meta_reconcile, meta_sync, sync_lease
from app.services.meta_sync import FormOutcome, SyncOutcome

log = logging.getLogger(__name__)


def sync_config(
    config_id: int,
    *,
    trigger: SyncTrigger = SyncTrigger.MANUAL,
    client: GraphClient | None = None,
    deep: bool = False,
    only: Collection[str] | None = None,
) -> SyncOutcome:
    """Sync the active forms of one config (or *only* these form ids) under its lease;
    *deep* re-reads the last 90 days. Commits per batch."""
    with database.writing():
        return sync_config_with_lease(config_id, trigger, client, deep, only)


def sync_config_with_lease(
    config_id: int,
    trigger: SyncTrigger,
    client: GraphClient | None,
    deep: bool,
    only: Collection[str] | None,
) -> SyncOutcome:
    settings = current_app.config
    duration = timedelta(seconds=settings["META_SYNC_LEASE_SECONDS"])
    db.session.rollback()  # a transaction of the caller's would not be write-ready
    lease = sync_lease.acquire(config_id, datetime.now(UTC), duration)
    db.session.commit()
    if not lease.acquired:
        return SyncOutcome(config_id, skipped=lease.describe(), held_by=lease.holder)
    every = settings["META_SYNC_HEARTBEAT_SECONDS"]
    try:
        with sync_lease.Heartbeat(db.engine, config_id, every, duration):
            return sync_forms(config_id, trigger, client, deep, only)
    finally:
        db.session.rollback()
        sync_lease.release(config_id)
        db.session.commit()


def sync_forms(
    config_id: int,
    trigger: SyncTrigger,
    client: GraphClient | None,
    deep: bool,
    only: Collection[str] | None,
) -> SyncOutcome:
    outcome = SyncOutcome(config_id)
    config = db.session.get(MetaApiConfig, config_id)
    if reason := meta_sync.skip_reason(config, datetime.now(UTC), trigger):
        outcome.skipped = reason
        db.session.commit()
        return outcome
    client = client or meta_configs.build_client(config)
    forms = [f for f in config.forms if f.is_active and (only is None or f.form_id in only)]
    for form in forms:
        outcome.forms.append(sync_form(config, form, client, trigger, deep))
        if config.status == ConfigStatus.NEEDS_REAUTH or config.retry_after:
            break
    meta_sync.finish_config(config, outcome)
    db.session.commit()
    return outcome


def sync_form(
    config: MetaApiConfig, form: MetaForm, client: GraphClient, trigger: SyncTrigger, deep: bool
) -> FormOutcome:
    """Read one form from its checkpoint (or 90 days back) to Meta's last page."""
    settings, now = current_app.config, datetime.now(UTC)
    since = meta_sync.since_for(
        form, deep=deep, overlap_s=settings["META_SYNC_OVERLAP_SECONDS"], now=now
    )
    if deep:
        form.deep_read_at = now
    sync = meta_sync.start_run(config, form, trigger, region=settings["DEFAULT_PHONE_REGION"])
    db.session.commit()  # no transaction stays open while we wait for Meta
    pages = client.iter_lead_pages(form.form_id, since, limit=settings["META_PAGE_SIZE"])
    try:
        for page in prefetched(pages):
            sync.add(page)
            if len(sync.buffer) >= settings["META_SYNC_BATCH"]:
                meta_sync.store(sync)
                db.session.commit()
    except GraphError as error:
        outcome = meta_sync.fail_run(sync, error)
    except Exception:  # recorded on the run, then the job wrapper logs it
        run_id = sync.run.id
        db.session.rollback()
        meta_sync.crash_run(run_id)
        db.session.commit()
        raise
    else:
        outcome = meta_sync.finish_run(sync)
    db.session.commit()
    if not outcome.meta_failed:
        meta_reconcile.refresh_form(form, client, datetime.now(UTC))
        db.session.commit()
    return outcome


def sync_now(config_id: int) -> None:
    """An admin's "Sync now" (the lease keeps it from overlapping a scheduled sync)."""
    sync_config(config_id, trigger=SyncTrigger.MANUAL)


def reconcile_behind() -> int:
    """Deep re-read of the forms reconciliation found behind (each at most every 6 h)."""
    by_config: dict[int, list[str]] = {}
    for form in meta_reconcile.behind_forms(datetime.now(UTC)):
        by_config.setdefault(form.config_id, []).append(form.form_id)
    db.session.commit()
    for config_id, form_ids in by_config.items():
        sync_config(config_id, trigger=SyncTrigger.RECONCILE, deep=True, only=form_ids)
    return sum(len(ids) for ids in by_config.values())


def deep_sweep() -> int:
    """Daily: a deep re-read of every synced form (also catches leads Meta lists late)."""
    config_ids = [config.id for config in meta_configs.list_active_configs()]
    db.session.commit()
    for config_id in config_ids:
        sync_config(config_id, trigger=SyncTrigger.RECONCILE, deep=True)
    return len(config_ids)
