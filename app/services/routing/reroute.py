"""Moving open leads to someone else by the rules: a deactivated user's leads (offered when
they are deactivated) and a lead whose response target was missed (once, when its rule says
so). Each move is a conditional UPDATE on the owner read, with a timeline row."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app import events, messages
from app.extensions import db
from app.models import FacebookLead, LeadStatus, User
from app.services import lead_derived, lead_tasks, notifications
from app.services.lead_workflow import OPEN_STATUSES
from app.services.routing import assign
from app.services.routing.backlog import COLUMNS

LEADS = FacebookLead.__table__
ROW_COLUMNS = (*COLUMNS, LEADS.c.status, LEADS.c.assigned_to_id, LEADS.c.duplicate_of_id,
               LEADS.c.is_test)  # fmt: skip
PAGE = 2000


@dataclass
class RerouteResult:
    seen: int = 0
    moved: int = 0

    @property
    def left(self) -> int:
        return self.seen - self.moved


def open_leads_query(user_id: int) -> sa.Select:
    return sa.select(*ROW_COLUMNS).where(
        LEADS.c.assigned_to_id == user_id,
        LEADS.c.status.in_([s.value for s in OPEN_STATUSES]),
        LEADS.c.deleted_at.is_(None),
        LEADS.c.do_not_contact_at.is_(None),  # nobody is to work them: they stay put
    )


def count_open_leads(user_id: int) -> int:
    """How many open leads *user_id* holds (what deactivating them leaves behind)."""
    query = open_leads_query(user_id).with_only_columns(sa.func.count())
    return db.session.scalar(query) or 0


def reroute_user_leads(user: User, now: datetime) -> RerouteResult:
    """Give *user*'s open leads to others by the rules (as if fresh); leads no rule can place
    stay with them. Caller commits."""
    result, after = RerouteResult(), 0
    while rows := [
        dict(r._mapping)
        for r in db.session.execute(
            open_leads_query(user.id).where(LEADS.c.id > after).order_by(LEADS.c.id).limit(PAGE)
        )
    ]:
        after = rows[-1]["id"]
        decisions = assign.route_rows(rows, now, reroute=True)
        result.seen += len(rows)
        result.moved += len(move(rows, decisions, "rerouted_deactivated", now))
    return result


def move(
    rows: Sequence[Mapping[str, Any]],
    decisions: Sequence[assign.Routed | None],
    code: str,
    now: datetime,
) -> list[int]:
    """Write the new owners (only where the owner is still the one read); counters, timeline
    rows and `leads_updated` for what moved. The moved ids."""
    by_id = {row["id"]: row for row in rows}
    routed = {row["id"]: d for row, d in zip(rows, decisions, strict=True) if d is not None}
    groups: dict[tuple[int | None, int], list[int]] = defaultdict(list)
    for lead_id, decision in routed.items():
        groups[(by_id[lead_id]["assigned_to_id"], decision.user_id)].append(lead_id)
    moved: list[int] = []
    for (old, new), ids in groups.items():
        moved.extend(write_owner(ids, old, new, now))
    lead_tasks.follow_assignment({i: routed[i].user_id for i in moved})  # follow-ups move too
    lead_derived.moved_counts(counter_moves(by_id, routed, moved))
    lead_derived.log_system_rows(timeline(by_id, routed, moved, code, now))
    announce(by_id, routed, moved)
    if moved:  # the new owners hear of it as of any automatic assignment, the old ones too
        by_owner = assign.by_user({i: routed[i] for i in moved})
        job_key = f"{code}:{now:%Y%m%dT%H%M%S.%f}:{min(moved)}"
        notifications.assignments_made(by_owner, job_key=job_key)
        taken = {i: (by_id[i]["assigned_to_id"], routed[i].user_id) for i in moved}
        notifications.leads_taken(taken, reason=code, job_key=job_key)
    return moved


def write_owner(ids: list[int], old: int | None, new: int, now: datetime) -> list[int]:
    owner = LEADS.c.assigned_to_id.is_(None) if old is None else LEADS.c.assigned_to_id == old
    status = sa.case(
        (LEADS.c.status == LeadStatus.NEW.value, LeadStatus.ASSIGNED.value), else_=LEADS.c.status
    )
    done = db.session.execute(
        sa.update(LEADS)
        .where(LEADS.c.id.in_(ids), owner, LEADS.c.deleted_at.is_(None))
        .values(
            assigned_to_id=new, status=status, version_id=LEADS.c.version_id + 1, updated_at=now
        )
        .returning(LEADS.c.id)
    )
    return list(done.scalars())


def after_status(status: str) -> str:
    return LeadStatus.ASSIGNED.value if status == LeadStatus.NEW.value else status


def counter_moves(
    by_id: Mapping[int, Mapping[str, Any]], routed: Mapping[int, assign.Routed], moved: list[int]
) -> Iterable[tuple]:
    for lead_id in moved:
        row = by_id[lead_id]
        hidden = row["duplicate_of_id"] is not None or bool(row["is_test"])
        distributor = row["distributor_id"] or 0
        yield (
            (distributor, row["assigned_to_id"] or 0, row["status"], hidden),
            (distributor, routed[lead_id].user_id, after_status(row["status"]), hidden),
        )


def timeline(
    by_id: Mapping[int, Mapping[str, Any]],
    routed: Mapping[int, assign.Routed],
    moved: list[int],
    code: str,
    now: datetime,
) -> list[dict[str, Any]]:
    rows = []
    for lead_id in moved:
        params = {"user": routed[lead_id].username, "rule": routed[lead_id].rule_name}
        was_new = by_id[lead_id]["status"] == LeadStatus.NEW.value
        rows.append(
            {
                "lead_id": lead_id,
                "user_id": None,
                "interaction_type": "assignment",
                "description": messages.english(code, params),
                "from_status": LeadStatus.NEW.value if was_new else None,
                "to_status": LeadStatus.ASSIGNED.value if was_new else None,
                "message_code": code,
                "message_params": params,
                "created_at": now,
            }
        )
    return rows


def announce(
    by_id: Mapping[int, Mapping[str, Any]], routed: Mapping[int, assign.Routed], moved: list[int]
) -> None:
    if not moved:
        return
    rooms: dict[str, list[int]] = defaultdict(list)
    for lead_id in moved:
        rooms[f"user:{routed[lead_id].user_id}"].append(lead_id)
        if old := by_id[lead_id]["assigned_to_id"]:
            rooms[f"user:{old}"].append(lead_id)
    rooms[events.DASHBOARD_ROOM] = list(moved)
    for room, ids in rooms.items():
        events.publish("leads_updated", {"ids": sorted(ids)}, to=room)
    events.publish("stats_updated", {}, to=events.DASHBOARD_ROOM)
