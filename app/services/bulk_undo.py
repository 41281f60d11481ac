"""Undoing a bulk action within 15 minutes, and the list of recent ones.

Undo puts back status, assignee, deletion and milestones of each lead the job changed, if
nobody changed the lead since (its version is still the one the job left); the others are
counted, with why. A batch of at most BATCH items at a time; the caller commits each."""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app import events
from app.errors import NotFoundError, ValidationError
from app.extensions import db
from app.messages import english
from app.models import (
    BulkJob,
    BulkJobItem,
    BulkState,
    FacebookLead,
    InteractionType,
    LeadInteraction,
    LeadStatus,
    User,
)
from app.services import lead_derived, lead_tasks
from app.services.bulk import BATCH, STALE_AFTER, undo_deadline
from app.services.bulk_writes import MILESTONES, counter_key
from app.services.lead_workflow import OPEN_STATUSES

L = FacebookLead
LEADS = FacebookLead.__table__
Item = BulkJobItem
S = LeadStatus
UNDOABLE = (BulkState.DONE, BulkState.INTERRUPTED)


def get_job(actor: User, job_id: int) -> BulkJob:
    """The job if *actor* may see it (superadmins: all; staff: their own); NotFoundError."""
    job = db.session.get(BulkJob, job_id)
    if job is None or not (actor.is_superadmin or job.user_id == actor.id):
        raise NotFoundError(_("No such bulk action."))
    return job


def check_undoable(job: BulkJob, now: datetime | None = None) -> None:
    """Raise ValidationError unless *job* can still be undone."""
    now = now or datetime.now(UTC)
    mark_interrupted(now)
    if job.state is BulkState.UNDONE:
        raise ValidationError(_("This bulk action was already undone."))
    if job.state not in UNDOABLE:
        raise ValidationError(_("This bulk action is still running; undo it when it ends."))
    if now > undo_deadline(job):
        raise ValidationError(_("Undo is possible for 15 minutes only."))


def undo_batch(job: BulkJob, actor: User, after_lead_id: int) -> int | None:
    """Undo the next batch of *job*'s items (leads after *after_lead_id*); returns the last
    lead id handled, None when none was left. Caller commits."""
    query = (
        sa.select(Item, L.version_id, L.distributor_id, L.duplicate_of_id, L.is_test)
        .add_columns(L.status, L.assigned_to_id, L.deleted_at, L.updated_at)
        .join(L, L.id == Item.lead_id)
        .where(Item.job_id == job.id, Item.lead_id > after_lead_id)
        .order_by(Item.lead_id)
        .limit(BATCH)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=L)
    rows = db.session.execute(query).all()
    if not rows:
        return None
    result = dict(job.undo_result or {"undone": 0, "counts": {}})
    counts = Counter(result.get("counts", {}))
    undone = [row for row in rows if row.version_id == row.BulkJobItem.version_after]
    counts["changed_since"] += len(rows) - len(undone)
    if undone:
        put_back(job, actor, undone)
    job.undo_result = {"undone": result.get("undone", 0) + len(undone), "counts": dict(counts)}
    return rows[-1].BulkJobItem.lead_id


def put_back(job: BulkJob, actor: User, rows: list[Any]) -> None:
    """The old values (one executemany UPDATE), timeline rows, counters, events."""
    now = datetime.now(UTC)
    params = [old_values(row.BulkJobItem) for row in rows]
    restored = ("status", "assigned_to_id", "deleted_at", *MILESTONES)
    statement = (
        sa.update(LEADS)
        .where(LEADS.c.id == sa.bindparam("b_id"))
        .values({name: sa.bindparam(f"b_{name}") for name in restored})
        .values(version_id=LEADS.c.version_id + 1, updated_at=now)
    )
    db.session.execute(statement, params)
    db.session.execute(
        sa.insert(LeadInteraction.__table__), [timeline_row(job, actor, row, now) for row in rows]
    )
    lead_derived.moved_counts((counter_key(row), counter_key(row, before(row))) for row in rows)
    moves = {
        row.BulkJobItem.lead_id: row.BulkJobItem.old_assigned_to_id
        for row in rows
        if row.assigned_to_id != row.BulkJobItem.old_assigned_to_id
    }
    if moves:
        lead_tasks.follow_assignment(moves)  # and back go their open follow-ups
    # The job closed their follow-ups at the moment it changed them (nobody has since).
    lead_tasks.reopen_closed_at(
        (row.BulkJobItem.lead_id, row.updated_at)
        for row in rows
        if S(row.BulkJobItem.old_status) in OPEN_STATUSES and S(row.status) not in OPEN_STATUSES
    )
    ids = [row.BulkJobItem.lead_id for row in rows]
    events.publish("leads_updated", {"ids": ids}, to=events.DASHBOARD_ROOM)
    users = {row.assigned_to_id for row in rows} | {v["b_assigned_to_id"] for v in params}
    for user_id in sorted(users - {None}):
        events.publish("leads_updated", {"ids": ids}, to=f"user:{user_id}")
    events.publish("stats_updated", {}, to=events.DASHBOARD_ROOM)


def before(row: Any) -> dict[str, Any]:
    item = row.BulkJobItem
    return {
        "status": item.old_status,
        "assigned_to_id": item.old_assigned_to_id,
        "deleted_at": item.old_deleted_at,
    }


def timeline_row(job: BulkJob, actor: User, row: Any, now: datetime) -> dict[str, Any]:
    item = row.BulkJobItem
    moved = str(row.status) != item.old_status
    return {
        "lead_id": item.lead_id,
        "user_id": actor.id,
        "interaction_type": InteractionType.SYSTEM.value,
        "description": english("bulk_undone", {"job_id": job.id}),
        "from_status": str(row.status) if moved else None,
        "to_status": item.old_status if moved else None,
        "message_code": "bulk_undone",
        "message_params": {"job_id": job.id},
        "created_at": now,
    }


def old_values(item: BulkJobItem) -> dict[str, Any]:
    values = {"b_id": item.lead_id, "b_status": item.old_status}
    values |= {"b_assigned_to_id": item.old_assigned_to_id, "b_deleted_at": item.old_deleted_at}
    return values | {f"b_{name}": getattr(item, f"old_{name}") for name in MILESTONES}


def finish_undo(job: BulkJob) -> None:
    job.state = BulkState.UNDONE
    job.undone_at = datetime.now(UTC)


def undo_summary(job: BulkJob) -> dict[str, Any]:
    result = job.undo_result or {"undone": 0, "counts": {}}
    return {"job_id": job.id, "state": str(job.state), **result}


def mark_interrupted(now: datetime | None = None) -> int:
    """Jobs left running without progress (their process stopped) become interrupted: what
    they finished stays, and can be undone. Caller commits."""
    cutoff = (now or datetime.now(UTC)) - STALE_AFTER
    result = db.session.execute(
        sa.update(BulkJob)
        .where(
            BulkJob.state.in_([BulkState.RUNNING, BulkState.QUEUED]), BulkJob.updated_at < cutoff
        )
        .values(
            state=BulkState.INTERRUPTED,
            finished_at=sa.func.coalesce(BulkJob.finished_at, BulkJob.updated_at),
        )
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class JobRow:
    job: BulkJob
    username: str
    undoable: bool


def can_undo(job: BulkJob, now: datetime) -> bool:
    return job.state in UNDOABLE and job.changed > 0 and now <= undo_deadline(job)


def list_jobs(actor: User, limit: int = 50) -> list[JobRow]:
    """Recent bulk actions with who ran them: all for superadmins, their own for staff."""
    query = sa.select(BulkJob, User.username).join(User, User.id == BulkJob.user_id)
    if not actor.is_superadmin:
        query = query.where(BulkJob.user_id == actor.id)
    rows = db.session.execute(query.order_by(BulkJob.id.desc()).limit(limit))
    now = datetime.now(UTC)
    return [JobRow(job, username, can_undo(job, now)) for job, username in rows]
