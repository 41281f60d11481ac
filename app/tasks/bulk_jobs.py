"""Bulk job loops: apply a bulk action (or its undo) a batch at a time, committing each, so a
stopped process keeps every finished batch (the job is then marked interrupted and can be
undone). Requests run small jobs in place and hand large ones to the runner's "bulk" kind."""

import logging
import time
from collections import Counter

from flask import current_app

from app.database import writing
from app.extensions import db
from app.models import BulkAction, BulkJob, BulkJobItem, FacebookLead, User
from app.services import bulk, bulk_undo
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
        while bulk.apply_batch(job, actor, selection, tz) == bulk.BATCH:
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
    """Each assignee of a bulk assignment gets one digest of their new leads (DESIGN, Mail:
    "a bulk or auto assignment job sends each assignee one digest").

    Seam for the mail outbox (issue 11): when it offers an assignment digest, call it here
    with {user id: [lead ids]}; until then only the count per assignee is logged."""
    rows = db.session.execute(
        db.select(FacebookLead.assigned_to_id, FacebookLead.id)
        .join(BulkJobItem, BulkJobItem.lead_id == FacebookLead.id)
        .where(BulkJobItem.job_id == job_id, FacebookLead.assigned_to_id.is_not(None))
    ).all()
    per_user = Counter(user_id for user_id, _ in rows)
    log.info("bulk job %s: assignment digests due for %d user(s)", job_id, len(per_user))
