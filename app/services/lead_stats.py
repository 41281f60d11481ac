"""Counting leads: the status cards and totals, from the `lead_counters` table when it can
answer the filter, else a count capped at COUNT_CAP."""

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, FailedLead, LeadCounter, LeadStatus, User
from app.services import search_matches
from app.services.lead_filters import LeadFilters, assignee_id
from app.services.lead_service import filtered_leads

L = FacebookLead
COUNT_CAP = 50_000  # beyond this a filtered total is shown as "50,000+"


def count_leads(user: User, filters: LeadFilters, tz: str = "UTC") -> tuple[int, bool]:
    """(total, exact): from the counters when possible, else a count capped at COUNT_CAP."""
    if filters.counter_only:
        return counter_total(user, filters), True
    inner = (
        filtered_leads(user, filters, tz)
        .order_by(None)
        .with_only_columns(L.id)
        .limit(COUNT_CAP + 1)
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(inner.subquery())) or 0
    return min(total, COUNT_CAP), total <= COUNT_CAP


def grouped_counts(user: User, filters: LeadFilters, tz: str) -> dict[str, tuple[int, bool]] | None:
    """Exact counts per status of the leads *filters* match, in one query over at most
    COUNT_CAP of them (a narrow filter matches a few thousand: one pass, not a capped count per
    status); None when more match (the caller counts each status capped)."""
    inner = (
        filtered_leads(user, filters, tz)
        .order_by(None)
        .with_only_columns(L.status.label("status"))
        .limit(COUNT_CAP + 1)
        .subquery()
    )
    query = sa.select(inner.c.status, sa.func.count()).group_by(inner.c.status)
    rows = {str(status): n for status, n in db.session.execute(query)}
    if sum(rows.values()) > COUNT_CAP:
        return None
    return {s.value: (rows.get(s.value, 0), True) for s in LeadStatus}


def counters_query(user: User) -> sa.Select:
    query = sa.select(LeadCounter.status, sa.func.sum(LeadCounter.n))
    if not user.is_superadmin:
        query = query.where(LeadCounter.assigned_to_id == user.id)
    return query.group_by(LeadCounter.status)


def counter_total(user: User, filters: LeadFilters) -> int:
    query = counters_query(user)
    if not (filters.include_duplicates or filters.include_test):
        query = query.where(LeadCounter.hidden.is_(False))
    # Hidden mixes duplicates and test leads; with only one of them included, count exactly.
    elif not (filters.include_duplicates and filters.include_test):
        return exact_count(user, filters)
    if filters.statuses:
        query = query.where(LeadCounter.status.in_(filters.statuses))
    if filters.distributor_id:
        query = query.where(LeadCounter.distributor_id == filters.distributor_id)
    assignee = assignee_id(filters, user)
    if assignee:
        query = query.where(LeadCounter.assigned_to_id == (0 if assignee == "none" else assignee))
    return sum(n or 0 for _, n in db.session.execute(query))


def exact_count(user: User, filters: LeadFilters) -> int:
    inner = filtered_leads(user, filters).order_by(None).with_only_columns(L.id)
    return db.session.scalar(sa.select(sa.func.count()).select_from(inner.subquery())) or 0


@dataclass(frozen=True)
class LeadStats:
    by_status: dict[str, int]
    total: int
    unassigned_new: int
    today: int
    capped: tuple[str, ...] = ()  # statuses whose count reached COUNT_CAP ("50,000+")
    filtered: bool = False  # counted under filters other than the status


def lead_stats(user: User, tz: str = "UTC", filters: LeadFilters | None = None) -> LeadStats:
    """Status cards: counts per status (no duplicates or test leads), unassigned, today's.
    With *filters*, each card counts the leads those filters match in its status (the status
    filter aside), so the cards add up to the dashboard's "N matching": exact from the counters
    when they can answer, else a count capped at COUNT_CAP; a search's from its matches
    (`search_matches`: a wide search's from a sample, each card a lower bound)."""
    others = replace(filters or LeadFilters(), statuses=(), sort="received")
    capped: tuple[str, ...] = ()
    if others.q:
        found = search_matches.matches(user, others, tz)
        by_status = {s.value: 0 for s in LeadStatus} | found.counts()
        capped = () if found.exact else tuple(by_status)
    elif others.active:
        counted = None if others.counter_only else grouped_counts(user, others, tz)
        if counted is None:  # past the cap: each status capped on its own
            counted = {
                s.value: count_leads(user, replace(others, statuses=(s.value,)), tz)
                for s in LeadStatus
            }
        by_status = {status: n for status, (n, _) in counted.items()}
        capped = tuple(status for status, (_, exact) in counted.items() if not exact)
    else:
        rows = db.session.execute(counters_query(user).where(LeadCounter.hidden.is_(False))).all()
        by_status = {s.value: 0 for s in LeadStatus} | {st: int(n or 0) for st, n in rows}
    unassigned = 0
    if user.is_superadmin:
        unassigned = (
            db.session.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(LeadCounter.n), 0)).where(
                    LeadCounter.hidden.is_(False),
                    LeadCounter.assigned_to_id == 0,
                    LeadCounter.status == LeadStatus.NEW.value,
                )
            )
            or 0
        )
    local_today = datetime.now(ZoneInfo(tz)).date()
    today = count_leads(user, replace(LeadFilters(), date_from=local_today), tz)[0]
    total = sum(by_status.values())
    return LeadStats(by_status, total, int(unassigned), today, capped, others.active)


def count_failed_leads() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(FailedLead)
            .where(FailedLead.resolved_at.is_(None))
        )
        or 0
    )
