"""Routing a page of leads at once: as they are stored (inside the ingest transaction, before
the insert) and for the unassigned backlog (`flask leads auto-assign`).

Each rule's round-robin cursor is advanced with a conditional UPDATE (`WHERE cursor = what we
read`); if another process moved it first, the page is routed again from fresh numbers, so two
processes never hand out the same turn and a lead is written with one owner."""

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.util import identity_key

from app import messages
from app.extensions import db
from app.models import (
    FacebookLead,
    LeadCounter,
    LeadStatus,
    RoutingRule,
    RoutingRuleStaff,
    RoutingStrategy,
    User,
)
from app.services import lead_derived, work_hours
from app.services.lead_workflow import OPEN_STATUSES
from app.services.routing import rules as rules_service
from app.services.routing.engine import Candidate, pick

log = logging.getLogger(__name__)
LEADS = FacebookLead.__table__
RULES = RoutingRule.__table__
COUNTERS = LeadCounter.__table__
STAFF = RoutingRuleStaff.__table__
USERS = User.__table__
# What deciding needs of a rule's staff (work hours: `work_hours.schedule_of` reads them).
STAFF_USER = (
    USERS.c.id, USERS.c.username, USERS.c.is_active, USERS.c.away_until, USERS.c.capacity,
    USERS.c.work_days, USERS.c.work_start, USERS.c.work_end,
)  # fmt: skip
# Only leads stored within this long of their Meta time are routed as they arrive.
FRESH = timedelta(hours=24)
CURSOR_ATTEMPTS = 8


class CursorMoved(Exception):
    """Another process advanced a rule's cursor since we read it."""


@dataclass(frozen=True)
class Routed:
    """Who got a lead, by which rule, and why (a timeline row says so)."""

    user_id: int
    username: str
    rule_id: int | None
    rule_name: str | None
    reason: str  # round_robin | least_loaded | reinquiry_owner
    # The owner's working hours as the plan read them (their response target is counted in
    # them); None when not read (a re-inquiry's owner).
    schedule: work_hours.Schedule | None = field(default=None, compare=False)


@dataclass
class RuleView:
    """A rule as plain values, read once a plan: routing a page reads its conditions tens of
    thousands of times, and an ORM attribute read costs ten times a plain one."""

    id: int
    name: str
    strategy: RoutingStrategy
    capacity: int | None
    include_backlog: bool
    distributor_id: int | None
    form_id: str | None
    treatment: str | None
    country_code: str | None
    language: str | None
    score_min: int | None
    score_max: int | None
    members: list[Candidate]  # the rule's staff in its order
    present: list[bool]  # each member active, not away and on shift now
    routed: list[Routed]  # the decision for each member (one object, shared by their leads)


@dataclass
class Plan:
    """The rules in order (as RuleViews over Candidates whose loads are shared between
    rules) and each rule's cursor as read."""

    rules: list[RuleView]
    cursors: dict[int, int]


def is_fresh(row: Mapping[str, Any], now: datetime) -> bool:
    """Stored within 24 h of its Meta time (a backfill or a late listing is not)."""
    created = row.get("meta_created_at")
    if created is None:
        return True
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return created >= now - FRESH


def route_rows(
    rows: Sequence[Mapping[str, Any]],
    now: datetime,
    *,
    backlog: bool = False,
    reroute: bool = False,
) -> list[Routed | None]:
    """Decide an owner for each lead (its column values); None = nobody (unassigned).

    Fresh leads meet every active rule; older ones only rules that route the backlog, and
    only when *backlog* (auto-assign). *reroute*: every lead is taken as fresh and goes to
    someone other than its `assigned_to_id`. Advances the cursors; the caller writes."""
    if not rows:
        return []
    for _attempt in range(CURSOR_ATTEMPTS):
        plan = load_plan(now)
        if not plan.rules:
            return [None] * len(rows)
        decisions, cursors = decide(rows, plan, now, backlog=backlog, reroute=reroute)
        try:
            claim_cursors(plan.cursors, cursors)
        except CursorMoved:
            continue
        return decisions
    log.warning("routing gave up on a page of %d leads: cursors kept moving", len(rows))
    return [None] * len(rows)


RULE_COLUMNS = (  # in RuleView's field order
    RULES.c.id, RULES.c.name, RULES.c.strategy, RULES.c.capacity, RULES.c.include_backlog,
    RULES.c.distributor_id, RULES.c.form_id, RULES.c.treatment, RULES.c.country_code,
    RULES.c.language, RULES.c.score_min, RULES.c.score_max,
)  # fmt: skip


def load_plan(now: datetime) -> Plan:
    """The active rules, locked (FOR UPDATE on PostgreSQL, in id order like any other writer of
    them) until the caller commits, then their staff and loads read: a second process routing
    at the same moment waits and then sees this one's leads, so least-loaded and capacity hold
    across processes (the conditional cursor alone misses a turn that leaves a cursor where it
    was). Two Core queries, no ORM objects: this runs for every page of leads stored. Not
    one joined query: a statement that waited for the lock reads the loads as they were when
    it began, before the other process's leads."""
    locked = db.session.execute(LOCKED_RULES).all()
    if not locked:
        return Plan([], {})
    active = sorted(locked, key=lambda rule: (rule.position, rule.id))
    members: dict[int, list[int]] = defaultdict(list)
    staff: dict[int, Candidate] = {}
    names: dict[int, str] = {}
    team = work_hours.team_schedule()
    for user in db.session.execute(RULES_STAFF):
        members[user.rule_id].append(user.id)
        if user.id not in staff:
            staff[user.id] = Candidate(
                user.id, user.is_active, user.away_until, work_hours.schedule_of(user, team),
                user.capacity, int(user.n or 0),
            )  # fmt: skip
            names[user.id] = user.username
    here = {user_id: candidate.present(now) for user_id, candidate in staff.items()}  # once each
    views = []
    for rule in active:
        team_of_rule = [staff[user_id] for user_id in members[rule.id]]
        decisions = [
            Routed(c.user_id, names[c.user_id], rule.id, rule.name, rule.strategy.value, c.schedule)
            for c in team_of_rule
        ]
        present = [here[c.user_id] for c in team_of_rule]
        views.append(RuleView(*rule[: len(RULE_COLUMNS)], team_of_rule, present, decisions))
    return Plan(views, {rule.id: rule.cursor for rule in active})


def open_loads_query() -> sa.Select:
    """Open leads per user, from the status counters (re-inquiries and test leads aside)."""
    return (
        sa.select(COUNTERS.c.assigned_to_id, sa.func.sum(COUNTERS.c.n).label("n"))
        .where(
            COUNTERS.c.assigned_to_id.is_not(None),
            # Each status its own parameter: a list is expanded into the SQL at every run.
            sa.or_(*(COUNTERS.c.status == s.value for s in sorted(OPEN_STATUSES))),
            COUNTERS.c.hidden.is_(False),
        )
        .group_by(COUNTERS.c.assigned_to_id)
    )


# load_plan's statements, built once: it runs for every page of leads stored, and building
# and keying them again cost about what PostgreSQL took to answer them.
LOCKED_RULES = (
    sa.select(*RULE_COLUMNS, RULES.c.position, RULES.c.cursor)
    .where(RULES.c.is_active)
    .order_by(RULES.c.id)
    .with_for_update()
)
_LOADS = open_loads_query().subquery()
RULES_STAFF = (
    sa.select(STAFF.c.rule_id, *STAFF_USER, _LOADS.c.n)
    .join(USERS, USERS.c.id == STAFF.c.user_id)
    .outerjoin(_LOADS, _LOADS.c.assigned_to_id == STAFF.c.user_id)
    .join(RULES, RULES.c.id == STAFF.c.rule_id)
    .where(RULES.c.is_active)  # the locked ones (a rule switched on since: left out below)
    .order_by(STAFF.c.rule_id, STAFF.c.position, STAFF.c.id)
)


ONE_CURSOR = (
    sa.update(RULES)
    .where(RULES.c.id == sa.bindparam("rule_id"), RULES.c.cursor == sa.bindparam("as_read"))
    .values(cursor=sa.bindparam("new_cursor"))
)


def open_loads(user_ids: Iterable[int]) -> dict[int, int]:
    ids = list(user_ids)
    if not ids:
        return {}
    query = open_loads_query().where(COUNTERS.c.assigned_to_id.in_(ids))
    return {user_id: int(n or 0) for user_id, n in db.session.execute(query)}


def decide(
    rows: Sequence[Mapping[str, Any]], plan: Plan, now: datetime, *, backlog: bool, reroute: bool
) -> tuple[list[Routed | None], dict[int, int]]:
    cursors = dict(plan.cursors)
    decisions: list[Routed | None] = []
    for row in rows:
        fresh = reroute or is_fresh(row, now)
        if not fresh and not backlog:
            decisions.append(None)
            continue
        avoid = row.get("assigned_to_id") if reroute else None
        decisions.append(choose(row, plan, cursors, fresh=fresh, avoid=avoid))
    return decisions, cursors


def choose(
    row: Mapping[str, Any],
    plan: Plan,
    cursors: dict[int, int],
    *,
    fresh: bool,
    avoid: int | None = None,
) -> Routed | None:
    """The first matching rule with someone able to take the lead decides (overlapping
    rules fall through to the next when nobody in the first can); never *avoid*."""
    for rule in plan.rules:
        if not (fresh or rule.include_backlog) or not rules_service.matches(rule, row):
            continue
        present = rule.present
        if avoid is not None:
            present = [p and c.user_id != avoid for p, c in zip(present, rule.members, strict=True)]
        index, cursors[rule.id] = pick(
            rule.strategy, rule.members, cursors[rule.id], present, rule.capacity
        )
        if index is not None:
            return rule.routed[index]
    return None


def claim_cursors(read: Mapping[int, int], moved: Mapping[int, int]) -> None:
    """Store the advanced cursors, each only if still what we read, in one statement that
    moves all of them or none (else CursorMoved). A savepoint around an UPDATE per cursor
    did the same in four round trips for every page of leads stored."""
    changed = {rule_id: cursor for rule_id, cursor in moved.items() if cursor != read[rule_id]}
    if len(changed) == 1:
        ((rule_id, cursor),) = changed.items()
        values = {"rule_id": rule_id, "as_read": read[rule_id], "new_cursor": cursor}
        done = db.session.execute(ONE_CURSOR, values)
    elif changed:
        seen = RULES.alias("seen")
        as_read = sa.case({rule_id: read[rule_id] for rule_id in changed}, value=seen.c.id)
        stale = sa.exists().where(seen.c.id.in_(list(changed)), seen.c.cursor != as_read)
        done = db.session.execute(
            sa.update(RULES)
            .where(RULES.c.id.in_(list(changed)), ~stale)
            .values(cursor=sa.case(changed, value=RULES.c.id))
        )
    else:
        return
    if done.rowcount != len(changed):
        raise CursorMoved
    for rule_id in changed:  # the UPDATE bypassed the ORM: a loaded rule reloads its cursor
        if (rule := db.session.identity_map.get(identity_key(RoutingRule, rule_id))) is not None:
            db.session.expire(rule, ["cursor"])


def owners_of(lead_ids: Iterable[int], now: datetime) -> dict[int, tuple[int, str]]:
    """The owner of each lead who can take one more now (active and not away)."""
    ids = list(set(lead_ids))
    if not ids:
        return {}
    query = (
        sa.select(LEADS.c.id, User.id, User.username)
        .join(User, User.id == LEADS.c.assigned_to_id)
        .where(
            LEADS.c.id.in_(ids),
            User.is_active,
            sa.or_(User.away_until.is_(None), User.away_until <= now),
        )
    )
    return {lead_id: (user_id, name) for lead_id, user_id, name in db.session.execute(query)}


def route_new_rows(rows: list[dict[str, Any]], now: datetime) -> dict[str, Routed]:
    """Set the owner on new lead rows before they are inserted: a fresh re-inquiry goes to
    the original's owner when they can take it; other fresh leads by the rules. Meta test
    leads and leads of a person marked do not contact are never routed. Returns
    meta_lead_id → Routed for the timeline."""
    fresh = [
        r for r in rows
        if not r["is_test"] and r.get("do_not_contact_at") is None and is_fresh(r, now)
    ]  # fmt: skip
    repeats = [r for r in fresh if r.get("duplicate_of_id")]
    firsts = [r for r in fresh if not r.get("duplicate_of_id")]
    routed: dict[str, Routed] = {}
    owners = owners_of((r["duplicate_of_id"] for r in repeats), now)
    for row in repeats:
        if owner := owners.get(row["duplicate_of_id"]):
            routed[row["meta_lead_id"]] = Routed(*owner, None, None, "reinquiry_owner")
    for row, decision in zip(firsts, route_rows(firsts, now), strict=True):
        if decision is not None:
            routed[row["meta_lead_id"]] = decision
    assigned = LeadStatus.ASSIGNED.value  # once: an enum's value is read through a descriptor
    for row in fresh:
        if decision := routed.get(row["meta_lead_id"]):
            row["assigned_to_id"] = decision.user_id
            row["status"] = assigned
    return routed


def log_timeline(
    routed: Mapping[int, Routed], originals: Mapping[int, int | None], now: datetime
) -> None:
    """Timeline rows for automatic assignments (lead id → Routed). The leads a rule gives one
    person share one row's values, written together (`lead_derived.log_shared_rows`: ten
    thousand rows built and bound in Python were most of what routing added to a
    backfill). A re-inquiry's row names its original: a group of its own."""
    same: dict[Routed, list[int]] = defaultdict(list)
    groups = []
    for lead_id, decision in routed.items():
        if decision.reason == "reinquiry_owner":
            params = {"user": decision.username, "lead_id": originals.get(lead_id)}
            groups.append(([lead_id], assignment_row(decision, params, now)))
        else:
            same[decision].append(lead_id)
    groups += [
        (lead_ids, assignment_row(d, {"user": d.username, "rule": d.rule_name}, now))
        for d, lead_ids in same.items()
    ]
    lead_derived.log_shared_rows(groups)


def assignment_row(decision: Routed, params: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A timeline row's values for *decision* (the lead id aside)."""
    code = f"routed_{decision.reason}"
    return {
        "user_id": None,
        "interaction_type": "assignment",
        "description": messages.english(code, params),
        "from_status": LeadStatus.NEW.value,
        "to_status": LeadStatus.ASSIGNED.value,
        "message_code": code,
        "message_params": params,
        "created_at": now,
    }


def by_user(routed: Mapping[int, Routed]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    for lead_id, decision in routed.items():
        grouped[decision.user_id].append(lead_id)
    return grouped
