"""First-contact targets: a fresh lead must get a call, WhatsApp or email within a time set
by its score band (70+: 5 min, 40+: 30 min, else 4 h; RESPONSE_TARGETS), counted in the
working hours of its owner (the team's while unassigned). Missed targets are stored (a
breach: analytics counts them), announced to the superadmins, and re-routed once when the
rule that routed the lead says so."""

import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import ngettext
from sqlalchemy.orm import contains_eager

from app import events, messages
from app.database import insert_many
from app.extensions import db
from app.models import FacebookLead, OutboxMail, ResponseTarget, RoutingRule, User
from app.services import alerts, lead_derived, work_hours
from app.services.lead_service import visible_leads
from app.services.lead_workflow import OPEN_STATUSES
from app.services.mail_render import Built, builder
from app.services.routing import assign, reroute

log = logging.getLogger(__name__)
LEADS = FacebookLead.__table__
TARGETS = ResponseTarget.__table__
RULES = RoutingRule.__table__
SOON = 0.25  # the last quarter of the time left: "about to be missed"
MAIL_MAX_LEADS = 50  # lead links in one breach mail


@functools.lru_cache(maxsize=8)
def parse_bands(text: str) -> tuple[tuple[int, int], ...]:
    """'70:5,40:30,0:240' → ((70, 5), (40, 30), (0, 240)), highest score first."""
    bands = []
    for part in text.split(","):
        low, _, minutes = part.strip().partition(":")
        bands.append((int(low), int(minutes)))
    return tuple(sorted(bands, reverse=True))


def target_minutes(score: int | None) -> int:
    """The working minutes a lead of *score* has until its first contact."""
    bands = parse_bands(current_app.config["RESPONSE_TARGETS"])
    return next((m for low, m in bands if (score or 0) >= low), bands[-1][1])


def add_targets(
    rows: Sequence[Mapping[str, Any]], routed: Mapping[int, assign.Routed], now: datetime
) -> int:
    """Targets for freshly stored leads (column dicts with `id`), set-based. Re-inquiries,
    test leads, do-not-contact leads and leads stored long after Meta got them have none.
    Caller commits."""
    fresh = [
        r for r in rows
        if not r["is_test"] and not r.get("duplicate_of_id") and assign.is_fresh(r, now)
        and r.get("do_not_contact_at") is None
    ]  # fmt: skip
    if not fresh:
        return 0
    schedules = {d.user_id: d.schedule for d in routed.values() if d.schedule is not None}
    owners = {r.get("assigned_to_id") for r in fresh} - {None} - set(schedules)
    schedules |= owner_schedules(owners)
    team = work_hours.team_schedule()
    # Counted once for each set of hours (owners who keep the team's share them), looked up
    # by owner for each lead.
    counted = functools.cache(
        lambda schedule, minutes: work_hours.add_working_minutes(schedule, now, minutes)
    )
    due_at = functools.cache(lambda owner, minutes: counted(schedules.get(owner, team), minutes))
    values = []
    for row in fresh:
        minutes = target_minutes(row["score"])
        decision = routed.get(row["id"])
        values.append(
            {
                "lead_id": row["id"],
                "rule_id": decision.rule_id if decision else None,
                "target_minutes": minutes,
                "started_at": now,
                "due_at": due_at(row.get("assigned_to_id"), minutes),
            }
        )
    insert_many(TARGETS, values)  # PostgreSQL: one statement, not a round trip per row
    return len(values)


def owner_schedules(user_ids: set[int]) -> dict[int, work_hours.Schedule]:
    if not user_ids:
        return {}
    hours = sa.select(User.id, User.work_days, User.work_start, User.work_end)  # no ORM objects
    team = work_hours.team_schedule()
    users = db.session.execute(hours.where(User.id.in_(user_ids)))
    return {u.id: work_hours.schedule_of(u, team) for u in users}


@dataclass
class BreachResult:
    breached: int = 0
    rerouted: int = 0


def overdue_query(now: datetime, size: int) -> sa.Select:
    """Targets due by *now*, not yet breached, whose lead is open, was never contacted and
    may be contacted."""
    return (
        sa.select(
            TARGETS.c.lead_id,
            TARGETS.c.target_minutes,
            TARGETS.c.rule_id,
            TARGETS.c.rerouted_at,
            *reroute.ROW_COLUMNS[1:],
        )
        .join(LEADS, LEADS.c.id == TARGETS.c.lead_id)
        .where(
            TARGETS.c.breached_at.is_(None),
            TARGETS.c.due_at <= now,
            LEADS.c.first_contacted_at.is_(None),
            LEADS.c.deleted_at.is_(None),
            LEADS.c.do_not_contact_at.is_(None),
            LEADS.c.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .order_by(TARGETS.c.due_at)
        .limit(size)
    )


def record_breaches(now: datetime, size: int = 500) -> BreachResult:
    """Flag one batch of missed targets (each once: a conditional UPDATE), write their
    timeline rows, tell the superadmins, and re-route those whose rule says so. Caller
    commits (the job, per batch)."""
    rows = [dict(r._mapping, id=r.lead_id) for r in db.session.execute(overdue_query(now, size))]
    if not rows:
        return BreachResult()
    flagged = set(flag(rows, now))
    rows = [r for r in rows if r["id"] in flagged]
    lead_derived.log_system_rows([breach_row(r, now) for r in rows])
    announce(rows)
    mail_superadmins(rows)
    return BreachResult(breached=len(rows), rerouted=reroute_once(rows, now))


def flag(rows: Sequence[Mapping[str, Any]], now: datetime) -> list[int]:
    flagged: list[int] = []
    for owner in {r["assigned_to_id"] for r in rows}:
        ids = [r["id"] for r in rows if r["assigned_to_id"] == owner]
        done = db.session.execute(
            sa.update(TARGETS)
            .where(TARGETS.c.lead_id.in_(ids), TARGETS.c.breached_at.is_(None))
            .values(breached_at=now, breached_user_id=owner)
            .returning(TARGETS.c.lead_id)
        )
        flagged.extend(done.scalars())
    return flagged


def breach_row(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    params = {"minutes": row["target_minutes"]}
    return {
        "lead_id": row["id"],
        "user_id": None,
        "interaction_type": "system",
        "description": messages.english("response_breached", params),
        "from_status": None,
        "to_status": None,
        "message_code": "response_breached",
        "message_params": params,
        "created_at": now,
    }


def announce(rows: Sequence[Mapping[str, Any]]) -> None:
    """`sla_breached` to the superadmins' dashboard room and to each owner (after commit)."""
    for row in rows:
        payload = {"id": row["id"], "assigned_to_id": row["assigned_to_id"],
                   "minutes": row["target_minutes"]}  # fmt: skip
        rooms = [events.DASHBOARD_ROOM]
        if row["assigned_to_id"]:
            rooms.append(f"user:{row['assigned_to_id']}")
        events.publish("sla_breached", payload, to=rooms)
    log.info("response targets missed: %d lead(s)", len(rows))


def mail_superadmins(rows: Sequence[Mapping[str, Any]]) -> None:
    """One mail per batch of breaches to each superadmin with an address (lead ids only)."""
    ids = sorted(r["id"] for r in rows)
    event = f"{ids[0]}-{ids[-1]}:{len(ids)}"
    alerts.queue_to_superadmins("sla_breached", event, {"lead_ids": ids[:MAIL_MAX_LEADS],
                                                       "count": len(ids)})  # fmt: skip


@builder("sla_breached")
def build_breach_mail(mail: OutboxMail) -> Built:
    ids = mail.params.get("lead_ids") or []
    still = db.session.scalars(
        sa.select(LEADS.c.id).where(LEADS.c.id.in_(ids), LEADS.c.deleted_at.is_(None))
    ).all()
    if not still:
        return None  # erased or deleted since
    count = mail.params.get("count", len(ids))
    subject = ngettext(
        "[Meta Lead Desk] %(num)s lead missed its first-contact target",
        "[Meta Lead Desk] %(num)s leads missed their first-contact target",
        count,
    )
    return subject, {"lead_ids": sorted(still), "count": count}


def reroute_once(rows: Sequence[Mapping[str, Any]], now: datetime) -> int:
    """Re-route the breached leads whose routing rule asks for it, once each."""
    rerouting = set(
        db.session.scalars(
            sa.select(RULES.c.id).where(RULES.c.reroute_on_breach, RULES.c.is_active)
        )
    )
    due = [r for r in rows if r["rule_id"] in rerouting and r["rerouted_at"] is None]
    if not due:
        return 0
    moved = reroute.move(due, assign.route_rows(due, now, reroute=True), "rerouted_breach", now)
    if moved:
        db.session.execute(
            sa.update(TARGETS).where(TARGETS.c.lead_id.in_(moved)).values(rerouted_at=now)
        )
    return len(moved)


@dataclass(frozen=True)
class Timer:
    """A lead's response timer as the pages show it: due at, and ok / soon / late."""

    due_at: datetime
    minutes: int
    state: str

    @property
    def due_iso(self) -> str:
        return self.due_at.isoformat()


def at_risk(user: User, now: datetime, *, limit: int = 100) -> list[FacebookLead]:
    """*user*'s leads whose first-contact target is about to be missed or missed, soonest
    first ("My day"); a superadmin's include the unassigned ones nobody else will call."""
    longest = max(minutes for _low, minutes in parse_bands(current_app.config["RESPONSE_TARGETS"]))
    owners = FacebookLead.assigned_to_id == user.id
    if user.is_superadmin:
        owners = sa.or_(owners, FacebookLead.assigned_to_id.is_(None))
    query = (
        visible_leads(user)
        .join(ResponseTarget, ResponseTarget.lead_id == FacebookLead.id)
        .where(
            owners,
            FacebookLead.first_contacted_at.is_(None),
            FacebookLead.do_not_contact_at.is_(None),
            FacebookLead.status.in_(OPEN_STATUSES),
            ResponseTarget.due_at < now + timedelta(minutes=SOON * longest),
        )
        .options(contains_eager(FacebookLead.response_target))
        .order_by(ResponseTarget.due_at, FacebookLead.id)
        .limit(limit)
    )
    leads = db.session.scalars(query).unique()
    return [lead for lead in leads if (clock := timer(lead, now)) and clock.state != "ok"]


def timer(lead: FacebookLead, now: datetime) -> Timer | None:
    """The running timer of *lead* (None once contacted, closed, marked do not contact, or
    without a target)."""
    target = lead.response_target
    if (
        target is None
        or lead.first_contacted_at is not None
        or lead.do_not_contact_at is not None
        or lead.status not in OPEN_STATUSES
    ):
        return None
    left = (target.due_at - now).total_seconds()
    if target.breached_at is not None or left <= 0:
        state = "late"
    else:
        state = "soon" if left < SOON * target.target_minutes * 60 else "ok"
    return Timer(target.due_at, target.target_minutes, state)
