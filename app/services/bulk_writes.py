"""The writing half of a bulk batch, set-based: undo items and timeline rows by INSERT …
SELECT, one UPDATE per distinct change (milestones through `lead_derived`), counters from what
the locked rows were and become, open follow-ups moved or closed with their leads, one
batched event."""

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import Any

import sqlalchemy as sa

from app import events
from app.database import among
from app.extensions import db
from app.messages import english
from app.models import (
    BulkAction,
    BulkJob,
    BulkJobItem,
    FacebookLead,
    InteractionType,
    LeadStatus,
    User,
)
from app.services import lead_derived, lead_tasks
from app.services.lead_workflow import OPEN_STATUSES

LEADS = FacebookLead.__table__
ITEMS = BulkJobItem.__table__
S = LeadStatus
MILESTONES = ("first_contacted_at", "qualified_at", "converted_at", "lost_at")


@dataclass(frozen=True)
class Change:
    """What one lead becomes: the values to set, grouped so one UPDATE sets a group."""

    lead_id: int
    values: tuple[tuple[str, Any], ...]
    status: str | None = None  # the new status, when it moves


def write_changes(
    job: BulkJob, actor: User, rows: Sequence[Any], changes: list[Change], now: datetime
) -> None:
    """Undo items, timeline rows and the UPDATE (each one statement per distinct change),
    counters (from what the rows were and become), events."""
    if not changes:
        return
    ids = [change.lead_id for change in changes]
    kept = (LEADS.c.id, LEADS.c.version_id + 1, LEADS.c.status, LEADS.c.assigned_to_id)
    kept += (LEADS.c.deleted_at, *(LEADS.c[name] for name in MILESTONES))
    db.session.execute(
        sa.insert(ITEMS).from_select(
            ["lead_id", "version_after", "old_status", "old_assigned_to_id", "old_deleted_at"]
            + [f"old_{name}" for name in MILESTONES]
            + ["job_id"],
            sa.select(*kept, sa.literal(job.id)).where(among(LEADS.c.id, ids)),
        )
    )
    groups: dict[tuple[Any, str | None], list[int]] = {}
    for change in changes:
        groups.setdefault((change.values, change.status), []).append(change.lead_id)
    for (values, status), group in groups.items():
        change = Change(0, values, status)
        log_timeline(job, actor, change, group, now)
        db.session.execute(
            sa.update(LEADS)
            .where(among(LEADS.c.id, group))
            .values(**update_values(change.values, now))
        )
    moves = {
        c.lead_id: dict(c.values)["assigned_to_id"]
        for c in changes
        if c.values[0][0] == "assigned_to_id"
    }
    if moves:
        lead_tasks.follow_assignment(moves)  # open follow-ups move with their lead
    closed = [c.lead_id for c in changes if c.status and S(c.status) not in OPEN_STATUSES]
    if closed:
        lead_tasks.complete_open_of(closed, now=now)  # nothing left to follow up
    by_id = {row.id: row for row in rows}
    lead_derived.moved_counts(counter_moves(changes, by_id))
    announce(changes, by_id)


def counter_moves(changes: list[Change], by_id: dict[int, Any]) -> Iterator[tuple]:
    """Each changed lead's (counter before, counter after). The rows were read locked
    (PostgreSQL) or in this write's own snapshot (SQLite): what each lead was is known, and
    what it becomes is its change. Leads alike in every counted field and in their change
    share their keys: made once per kind of lead, not per lead (a tenth of a batch's Python
    time)."""
    kinds: Counter = Counter()
    sample: dict[tuple, Any] = {}
    for change in changes:
        row = by_id[change.lead_id]
        kind = (row.distributor_id, row.assigned_to_id, row.status, row.deleted_at is None)
        kind += (row.duplicate_of_id is None, row.is_test, change.values)
        kinds[kind] += 1
        sample.setdefault(kind, row)
    for kind, n in kinds.items():
        row = sample[kind]
        yield from repeat((counter_key(row), counter_key(row, dict(kind[-1]))), n)


def log_timeline(job: BulkJob, actor: User, change: Change, ids: list[int], now: datetime) -> None:
    """One timeline row per lead of a group (before its UPDATE: from_status is read from the
    lead): the status move as data, the action as a message code."""
    code, params, text = describe(job, change)
    kinds = {BulkAction.STATUS: InteractionType.STATUS_CHANGE}
    kinds[BulkAction.ASSIGN] = InteractionType.ASSIGNMENT
    moved = change.status is not None
    values = {
        "user_id": actor.id,
        "interaction_type": kinds.get(job.action, InteractionType.SYSTEM).value,
        "description": text,
        "from_status": LEADS.c.status if moved else None,
        "to_status": change.status if moved else None,
        "message_code": code,
        "message_params": params,
        "created_at": now,
    }
    lead_derived.log_grouped_rows([(ids, values)])


def update_values(values: tuple[tuple[str, Any], ...], now: datetime) -> dict[str, Any]:
    """The SET clause of one group: its values, the milestones a status move sets (the one
    derived-data rule), a version bump (single edits racing it fail their version check)."""
    sets = {name: (now if value == "now" else value) for name, value in values}
    if "status" in sets:
        sets |= lead_derived.milestone_values(S(sets["status"]), now, LEADS.c)
    return sets | {"version_id": LEADS.c.version_id + 1, "updated_at": now}


def counter_key(row: Any, changes: dict[str, Any] | None = None) -> tuple | None:
    values = {"deleted_at": row.deleted_at, "assigned_to_id": row.assigned_to_id}
    values["status"] = str(row.status)
    values |= changes or {}
    if values["deleted_at"] is not None:
        return None
    hidden = row.duplicate_of_id is not None or bool(row.is_test)
    return (row.distributor_id or 0, values["assigned_to_id"] or 0, values["status"], hidden)


def describe(job: BulkJob, change: Change) -> tuple[str, dict[str, Any], str]:
    """(message code, params, English text) of a change by a bulk job."""
    values = dict(change.values)
    params: dict[str, Any] = {"job_id": job.id}
    if job.action is BulkAction.STATUS:
        code = "bulk_status"
        params["status"] = change.status
    elif job.action is BulkAction.ASSIGN and values["assigned_to_id"] is not None:
        code = "bulk_assigned"
        params["user_id"] = values["assigned_to_id"]
    elif job.action is BulkAction.ASSIGN:
        code = "bulk_unassigned"
    else:
        code = "bulk_deleted" if job.action is BulkAction.DELETE else "bulk_restored"
    return code, params, english(code, params)


def announce(changes: list[Change], by_id: dict[int, Any]) -> None:
    """One `leads_updated {ids}` to the dashboard and to each assignee concerned (before or
    after), then `stats_updated`: after the commit, through the outbox."""
    ids = [change.lead_id for change in changes]
    rooms: dict[str, list[int]] = {}
    for change in changes:
        row, values = by_id[change.lead_id], dict(change.values)
        for user_id in {row.assigned_to_id, values.get("assigned_to_id", row.assigned_to_id)}:
            if user_id:
                rooms.setdefault(f"user:{user_id}", []).append(change.lead_id)
    events.publish("leads_updated", {"ids": ids}, to=events.DASHBOARD_ROOM)
    for room, room_ids in rooms.items():
        events.publish("leads_updated", {"ids": room_ids}, to=room)
    events.publish("stats_updated", {}, to=[events.DASHBOARD_ROOM, *rooms])
