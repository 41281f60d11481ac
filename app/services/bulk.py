"""Bulk actions over a selection of leads: change status, assign (one user, nobody, or
round-robin over several), soft-delete and restore; and their undo.

A job is prepared once (`prepare_job`: checks, count, the `bulk_jobs` row), then applied a
batch of at most BATCH leads at a time (`apply_batch`, keyset by id, set-based: one SELECT,
one INSERT of undo items, one UPDATE per target value, one INSERT of timeline rows, one
counter upsert); the caller commits each batch. Derived data follows `lead_derived`
(milestones, counters); status, assignee and deletion are not scored or searched, so scores
and search terms stay as they are. Undo puts back leads nobody has changed since (the
version each change left is kept in `bulk_job_items`)."""

import functools
import logging
from collections import Counter, namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app import events
from app.errors import DomainError, ValidationError
from app.extensions import db
from app.models import (
    BulkAction,
    BulkJob,
    BulkJobItem,
    BulkState,
    FacebookLead,
    LeadStatus,
    User,
)
from app.models.base import MAX_ID
from app.services.bulk_writes import Change, write_changes
from app.services.lead_selection import Selection
from app.services.lead_workflow import TRANSITIONS, NotAllowedError, parse_status

log = logging.getLogger(__name__)
L = FacebookLead
LEADS = FacebookLead.__table__
ITEMS = BulkJobItem.__table__
S = LeadStatus
BATCH = 1000
LISTED_SKIPS = 100
CONFIRM_OVER = 100  # deleting more leads than this needs the count typed back
UNDO_WINDOW = timedelta(minutes=15)
STALE_AFTER = timedelta(minutes=5)  # a running job without progress this long was interrupted
MAX_SPREAD = 50
# What deciding, counting and announcing read of a lead, as the driver hands it over: the
# status as its code and the deletion time as whatever the driver gives (only its absence
# counts), not through the enum and UTC types (their processing was a sixth of a batch).
READ = (
    LEADS.c.id,
    sa.type_coerce(LEADS.c.status, sa.String()).label("status"),
    LEADS.c.assigned_to_id,
    sa.type_coerce(LEADS.c.deleted_at, sa.String()).label("deleted_at"),
    LEADS.c.distributor_id,
    LEADS.c.duplicate_of_id,
    LEADS.c.is_test,
)
# A batch's rows as plain named tuples: an attribute of SQLAlchemy's Row costs ~1.6 µs here
# (a tuple's ~0.05), and deciding, counting and announcing a lead read several of them.
ReadRow = namedtuple("ReadRow", [column.key for column in READ])


class ConfirmationRequiredError(DomainError):
    code = "confirmation_required"
    status = 400


@dataclass
class BatchOutcome:
    rows: int = 0
    changes: list[Change] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def prepare_job(
    actor: User, action: str, selection: Selection, *, params: dict[str, Any], tz: str
) -> BulkJob:
    """Check the request and add its `bulk_jobs` row with the number of matching leads;
    raises ValidationError, NotAllowedError or ConfirmationRequiredError. Caller commits."""
    kind = parse_action(action)
    if kind is not BulkAction.STATUS and not actor.is_superadmin:
        raise NotAllowedError(_("Only a superadmin can assign, delete or restore leads."))
    checked = check_params(kind, params)
    matched, first_id = count_matching(actor, selection, tz)
    if matched == 0:
        raise ValidationError(_("No leads match this selection; nothing was changed."))
    typed = str(params.get("confirm") or "").strip()
    if kind is BulkAction.DELETE and matched > CONFIRM_OVER and typed != str(matched):
        raise ConfirmationRequiredError(
            _("Type %(count)s to delete %(count)s leads.", count=matched)
        )
    job = BulkJob(
        user_id=actor.id,
        action=kind,
        params=checked,
        selection={},
        matched=matched,
        skipped={"items": [], "counts": {}},
        last_id=first_id - 1,
    )
    db.session.add(job)
    db.session.flush()
    return job


def parse_action(action: Any) -> BulkAction:
    try:
        return BulkAction(action)
    except ValueError:
        raise ValidationError(_("Unknown action; use status, assign, delete or restore.")) from None


def check_params(kind: BulkAction, params: dict[str, Any]) -> dict[str, Any]:
    """The action's arguments, checked: a known status, active users."""
    if kind is BulkAction.STATUS:
        return {"status": parse_status(str(params.get("status") or "")).value}
    if kind is not BulkAction.ASSIGN:
        return {}
    if params.get("user_ids") is not None:
        ids = params["user_ids"]
        if not isinstance(ids, list) or not 0 < len(ids) <= MAX_SPREAD:
            raise ValidationError(_("user_ids must list the users to spread the leads over."))
        return {"user_ids": [active_user(user_id).id for user_id in dict.fromkeys(ids)]}
    user_id = params.get("user_id")
    return {"user_id": None if user_id is None else active_user(user_id).id}


def active_user(user_id: Any) -> User:
    valid = isinstance(user_id, int) and not isinstance(user_id, bool) and 0 < user_id <= MAX_ID
    user = db.session.get(User, user_id) if valid else None
    if user is None:
        raise ValidationError(_("No such user."))
    if not user.is_active:
        raise ValidationError(_("That user is deactivated."))
    return user


def count_matching(actor: User, selection: Selection, tz: str) -> tuple[int, int]:
    """(how many leads match, the lowest matching id). The batches walk the id index from
    just before that id: walked from the start, the first batch of a selection of recent
    leads (one day's, say) read the id index through every older lead to find them (half a
    second at a million leads on PostgreSQL), where the count's own plan finds them directly."""
    ids = selection.query(actor, tz).order_by(None).with_only_columns(L.id).subquery()
    count, first = db.session.execute(sa.select(sa.func.count(), sa.func.min(ids.c.id))).one()
    return count or 0, first or 0


def batch_query(actor: User, selection: Selection, tz: str) -> sa.Select:
    """The SELECT of a job's next batch (the BATCH leads after id `:after`), built once a job:
    building the selection's query and keying it again for every batch cost a tenth of the
    batch. Locked on PostgreSQL: a single edit racing a batch waits, then 409s."""
    query = (
        selection.query(actor, tz)
        .order_by(None)
        .with_only_columns(*READ)
        .where(L.id > sa.bindparam("after"))
        .order_by(L.id)
        .limit(BATCH)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=LEADS)
    return query


def apply_batch(job: BulkJob, actor: User, query: sa.Select) -> int:
    """Apply *job* to its next batch of leads (*query*, from `batch_query`, after
    `job.last_id`), set-based; returns the number of leads read (0: the job is done).
    Caller commits."""
    result = db.session.connection().execute(query, {"after": job.last_id})
    rows = [ReadRow._make(row) for row in result.cursor.fetchall()]  # no ORM loading a lead
    result.close()
    if not rows:
        return 0
    outcome = decide(job, rows)
    now = datetime.now(UTC)
    write_changes(job, actor, rows, outcome.changes, now)
    record_progress(job, outcome, rows[-1].id, now)
    return len(rows)


def decide(job: BulkJob, rows: Sequence[Any]) -> BatchOutcome:
    """What each lead of the batch becomes, or why it is skipped."""
    outcome = BatchOutcome(rows=len(rows))
    spread, first = job.params.get("user_ids"), job.changed
    change_of = None if spread else change_for(job)
    for row in rows:
        if change_of is None:
            change = assign_change(row, spread[(first + len(outcome.changes)) % len(spread)])
        else:
            change = change_of(row)
        if isinstance(change, str):
            outcome.skipped.append((row.id, change))
        else:
            outcome.changes.append(change)
    return outcome


def change_for(job: BulkJob) -> Callable[[Any], Change | str]:
    """The change *job* makes to one lead (its action and parameters read once a batch)."""
    action, params = job.action, job.params
    if action is BulkAction.STATUS:
        return status_changer(S(params["status"]))
    if action is BulkAction.ASSIGN:
        return functools.partial(assign_change, target=params["user_id"])
    values = (("deleted_at", "now" if action is BulkAction.DELETE else None),)
    return lambda row: Change(row.id, values)


def status_changer(new: LeadStatus) -> Callable[[Any], Change | str]:
    """The move to *new*, or the reason it is not allowed (the workflow's rules), decided
    once per old status and assignee-or-not: the same for every lead alike."""
    verdicts: dict[tuple[str, bool], tuple[tuple[tuple[str, Any], ...], str] | str] = {}

    def verdict(old: LeadStatus, assigned: bool) -> tuple[tuple[tuple[str, Any], ...], str] | str:
        if old == new:
            return "already"
        if new not in TRANSITIONS[old]:
            return "invalid_transition"
        if new == S.ASSIGNED and not assigned:
            return "needs_assignee"
        if new == S.NEW and assigned:
            return "assigned"
        return (("status", new.value),), new.value

    def change(row: Any) -> Change | str:
        key = (row.status, row.assigned_to_id is not None)
        if (found := verdicts.get(key)) is None:
            found = verdicts[key] = verdict(S(row.status), key[1])
        return found if isinstance(found, str) else Change(row.id, *found)

    return change


def assign_change(row: Any, target: int | None) -> Change | str:
    if row.assigned_to_id == target:
        return "already"
    values: list[tuple[str, Any]] = [("assigned_to_id", target)]
    status = None
    if target is not None and row.status == S.NEW:
        status = S.ASSIGNED.value
    elif target is None and row.status == S.ASSIGNED:
        status = S.NEW.value
    if status:
        values.append(("status", status))
    return Change(row.id, tuple(values), status=status)


def record_progress(job: BulkJob, outcome: BatchOutcome, last_id: int, now: datetime) -> None:
    skipped = dict(job.skipped or {"items": [], "counts": {}})
    items, counts = list(skipped.get("items", [])), Counter(skipped.get("counts", {}))
    for lead_id, reason in outcome.skipped:
        counts[reason] += 1
        if len(items) < LISTED_SKIPS:
            items.append({"id": lead_id, "reason": reason})
    job.skipped = {"items": items, "counts": dict(counts)}
    job.processed += outcome.rows
    job.changed += len(outcome.changes)
    job.last_id = last_id
    job.updated_at = now
    events.publish("bulk_progress", progress(job), to=f"user:{job.user_id}")


def start_job(job: BulkJob) -> None:
    job.state = BulkState.RUNNING
    job.updated_at = datetime.now(UTC)


def finish_job(job: BulkJob, selection_ids: Sequence[int] | None = None) -> None:
    """Mark *job* done; ids that were asked for but are not visible count as skipped
    ("not_found", whether they exist or not). Caller commits."""
    if selection_ids is not None:
        unseen = len(selection_ids) - job.processed
        if unseen > 0:
            counts = dict(job.skipped["counts"])
            counts["not_found"] = counts.get("not_found", 0) + unseen
            job.skipped = {"items": job.skipped["items"], "counts": counts}
    job.state = BulkState.DONE
    job.finished_at = job.updated_at = datetime.now(UTC)
    events.publish("bulk_progress", progress(job), to=f"user:{job.user_id}")
    log.info(
        "bulk job %s (%s): matched=%d changed=%d", job.id, job.action, job.matched, job.changed
    )


def progress(job: BulkJob) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "state": str(job.state),
        "matched": job.matched,
        "processed": job.processed,
        "changed": job.changed,
    }


def result(job: BulkJob) -> dict[str, Any]:
    """The answer of a bulk request (DESIGN: job_id, matched, changed, skipped)."""
    skipped = job.skipped or {"items": [], "counts": {}}
    return {
        "job_id": job.id,
        "state": str(job.state),
        "matched": job.matched,
        "changed": job.changed,
        "skipped": skipped["items"],
        "skipped_counts": skipped["counts"],
        "undo_until": undo_deadline(job).isoformat() if job.changed else None,
    }


def undo_deadline(job: BulkJob) -> datetime:
    return (job.finished_at or job.created_at) + UNDO_WINDOW
