"""Bulk job loops: apply a bulk action (or its undo) a batch at a time, committing each, so a
stopped process keeps every finished batch (the job is then marked interrupted and can be
undone). Requests run small jobs in place and hand large ones to the runner's "bulk" kind."""

import logging
import time
from collections import defaultdict

from flask import current_app

from app.database import writing
from app.extensions import db
from app.models import BulkAction, BulkJob, BulkJobItem, FacebookLead, User
from app.services import bulk, bulk_undo, notifications
from app.services.lead_selection import Selection

log = logging.getLogger(__name__)


def run_job(job_id: int, selection: Selection) -> None:
    """Apply bulk job *job_id* to its selection, committing per batch."""
    started = time.perf_counter()
    with writing():
        job = db.session.get(BulkJob, job_id)
        actor = db.session.get(User, job.user_id)
        tz = current_app.config["APP_TIMEZONE"]
        bulk.start_job(job)
        db.session.commit()
        query = bulk.batch_query(actor, selection, tz)
        while bulk.apply_batch(job, actor, query) == bulk.BATCH:
            db.session.commit()
        bulk.finish_job(job, selection.ids)
        db.session.commit()
        if job.action is BulkAction.ASSIGN and job.changed:
            notify_assignees(job.id)
    log.info("bulk job %s ran in %.2fs", job_id, time.perf_counter() - started)


def run_undo(job_id: int, actor_id: int) -> None:
    """Undo bulk job *job_id* for *actor_id*, committing per batch."""
    with writing():
        job = db.session.get(BulkJob, job_id)
        actor = db.session.get(User, actor_id)
        cursor: int | None = 0
        while (cursor := bulk_undo.undo_batch(job, actor, cursor)) is not None:
            db.session.commit()
        bulk_undo.finish_undo(job)
        db.session.commit()


def notify_assignees(job_id: int) -> None:
    """Each assignee of a bulk assignment gets one digest of the leads it gave them (DESIGN,
    Mail: "a bulk or auto assignment job sends each assignee one digest"); not the person who
    ran it. Commits."""
    job = db.session.get(BulkJob, job_id)
    rows = db.session.execute(
        db.select(FacebookLead.assigned_to_id, FacebookLead.id)
        .join(BulkJobItem, BulkJobItem.lead_id == FacebookLead.id)
        .where(BulkJobItem.job_id == job_id, FacebookLead.assigned_to_id.is_not(None))
        .order_by(FacebookLead.id)
    ).all()
    by_assignee: dict[int, list[int]] = defaultdict(list)
    for user_id, lead_id in rows:
        if user_id != job.user_id:
            by_assignee[user_id].append(lead_id)
    mails = notifications.assignments_made(by_assignee, job_key=f"bulk-{job_id}")
    db.session.commit()
    log.info("bulk job %s: %d assignment digest(s) queued", job_id, mails)
