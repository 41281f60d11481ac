"""`flask leads auto-assign`: route the unassigned backlog a page at a time, set-based.

Each owner's leads are written by one conditional UPDATE (`WHERE assigned_to_id IS NULL AND
status = 'new'`), so a lead someone assigned meanwhile keeps that owner: never two."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from app import events
from app.extensions import db
from app.models import FacebookLead, LeadStatus
from app.services import lead_derived, lead_tasks, notifications
from app.services.routing import assign

LEADS = FacebookLead.__table__
PAGE = 5000
COLUMNS = (
    LEADS.c.id,
    LEADS.c.distributor_id,
    LEADS.c.meta_form_id,
    LEADS.c.service,
    LEADS.c.country_code,
    LEADS.c.score,
    LEADS.c.meta_created_at,
)


@dataclass
class PageResult:
    seen: int = 0
    assigned: int = 0
    last_id: int = 0


def unassigned_page(after_id: int, size: int = PAGE) -> list[dict]:
    """The next unassigned new leads (not re-inquiries, test leads, deleted or do-not-contact
    ones) by id."""
    query = (
        sa.select(*COLUMNS)
        .where(
            LEADS.c.id > after_id,
            LEADS.c.assigned_to_id.is_(None),
            LEADS.c.status == LeadStatus.NEW.value,
            LEADS.c.deleted_at.is_(None),
            LEADS.c.duplicate_of_id.is_(None),
            LEADS.c.is_test.is_(False),
            LEADS.c.do_not_contact_at.is_(None),
        )
        .order_by(LEADS.c.id)
        .limit(size)
    )
    return [dict(row._mapping) for row in db.session.execute(query)]


def assign_backlog_page(after_id: int, now: datetime, size: int = PAGE) -> PageResult:
    """Route one page of the backlog (fresh leads by every rule, older ones by the rules that
    take the backlog). Caller commits (the CLI, once per page)."""
    rows = unassigned_page(after_id, size)
    result = PageResult(seen=len(rows), last_id=rows[-1]["id"] if rows else after_id)
    decisions = assign.route_rows(rows, now, backlog=True)
    routed = {row["id"]: d for row, d in zip(rows, decisions, strict=True) if d is not None}
    written = write_owners(routed, now)
    routed = {lead_id: routed[lead_id] for lead_id in written}
    lead_tasks.follow_assignment({i: d.user_id for i, d in routed.items()})
    distributors = {row["id"]: row["distributor_id"] or 0 for row in rows}
    lead_derived.moved_counts(
        (
            (distributors[i], 0, "new", False),
            (distributors[i], routed[i].user_id, "assigned", False),
        )
        for i in routed
    )
    assign.log_timeline(routed, {}, now)
    announce(routed)
    # One auto-assignment mail (digest) per owner per page of this run (a page is 5,000 leads).
    job_key = f"auto-assign:{now:%Y%m%dT%H%M%S.%f}:{after_id}"
    notifications.assignments_made(assign.by_user(routed), job_key=job_key)
    result.assigned = len(routed)
    return result


def write_owners(routed: dict[int, assign.Routed], now: datetime) -> list[int]:
    """Give each owner their leads if still unassigned; the ids actually written. PostgreSQL
    takes the whole page as one UPDATE … FROM jsonb_to_recordset (IN-lists of a thousand ids
    per owner cost more than the change itself); SQLite one UPDATE per owner and 1,000 ids."""
    if not routed:
        return []
    values = {
        "status": LeadStatus.ASSIGNED.value,
        "version_id": LEADS.c.version_id + 1,
        "updated_at": now,
    }
    still_new = (LEADS.c.assigned_to_id.is_(None), LEADS.c.status == LeadStatus.NEW.value)
    if db.session.get_bind().dialect.name == "postgresql":
        pairs = [{"id": lead_id, "user_id": d.user_id} for lead_id, d in routed.items()]
        owners = (
            sa.func.jsonb_to_recordset(sa.bindparam("owners", pairs, type_=JSONB))
            .table_valued(sa.column("id", sa.BigInteger), sa.column("user_id", sa.Integer))
            .render_derived(name="owners", with_types=True)
        )
        statement = (
            sa.update(LEADS)
            .where(LEADS.c.id == owners.c.id, *still_new)
            .values(assigned_to_id=owners.c.user_id, **values)
            .returning(LEADS.c.id)
        )
        return list(db.session.execute(statement).scalars())
    written: list[int] = []
    for user_id, lead_ids in assign.by_user(routed).items():
        for start in range(0, len(lead_ids), 1000):
            chunk = lead_ids[start : start + 1000]
            done = db.session.execute(
                sa.update(LEADS)
                .where(LEADS.c.id.in_(chunk), *still_new)
                .values(assigned_to_id=user_id, **values)
                .returning(LEADS.c.id)
            )
            written.extend(done.scalars())
    return written


def announce(routed: dict[int, assign.Routed]) -> None:
    """`leads_updated {ids}` to the dashboard and to each new owner (after commit)."""
    if not routed:
        return
    events.publish("leads_updated", {"ids": sorted(routed)}, to=events.DASHBOARD_ROOM)
    for user_id, lead_ids in assign.by_user(routed).items():
        events.publish("leads_updated", {"ids": sorted(lead_ids)}, to=f"user:{user_id}")
    events.publish("stats_updated", {}, to=events.DASHBOARD_ROOM)
