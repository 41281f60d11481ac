"""Reading leads: who may see which (`visible_leads`), dashboard filters and pages, stats.

Everything a user can list, count, open, export or be told about goes through
`visible_leads(user)`: staff see the leads assigned to them, superadmins all of them,
and nobody a soft-deleted lead."""

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import defer, selectinload

from app.extensions import db
from app.models import (
    FacebookLead,
    FailedLead,
    LeadCounter,
    LeadInteraction,
    LeadStatus,
    MetaForm,
    User,
)
from app.models.base import MAX_ID
from app.services import lead_search

L = FacebookLead
SORTS = {  # sort → (column, descending); the id breaks ties in the same direction
    "received": ("meta_created_at", True),
    "received_asc": ("meta_created_at", False),
    "score": ("score", True),
    "score_asc": ("score", False),
}
# A list row never shows the raw answers: decoding their JSON was a tenth of a page's time.
LIST_OPTIONS = (
    defer(L.form_data),
    defer(L.consent_responses),
    selectinload(L.distributor),
    selectinload(L.assigned_to),
)
MAX_QUERY_LENGTH = 100
MAX_PAGE = 1_000_000
MAX_RECENT = 100
# Dates outside these match every lead anyway; inside, a day's bounds stay valid datetimes.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
COUNT_CAP = 50_000  # beyond this a filtered total is shown as "50,000+"
PLATFORMS = ("fb", "ig")


@dataclass(frozen=True)
class LeadFilters:
    """The dashboard's filters, parsed leniently from query arguments (bad values ignored)."""

    status: str | None = None
    distributor_id: int | None = None
    assignee: int | str | None = None  # a user id, or "none" for unassigned
    score_min: int | None = None
    score_max: int | None = None
    service: str | None = None
    platform: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    include_duplicates: bool = False
    include_test: bool = False
    sort: str = "received"

    @classmethod
    def from_args(cls, args: Any) -> "LeadFilters":
        status = args.get("status") or None
        assignee = args.get("assignee", "")
        return cls(
            status=status if status in {s.value for s in LeadStatus} else None,
            distributor_id=as_int(args.get("distributor")),
            assignee="none" if assignee == "none" else as_int(assignee),
            score_min=as_int(args.get("score_min"), 0, 100),
            score_max=as_int(args.get("score_max"), 0, 100),
            service=(args.get("service") or "").strip()[:64] or None,
            platform=args.get("platform") if args.get("platform") in PLATFORMS else None,
            date_from=as_date(args.get("date_from")),
            date_to=as_date(args.get("date_to")),
            q=(args.get("q") or "").strip()[:MAX_QUERY_LENGTH] or None,
            include_duplicates=args.get("duplicates") == "1",
            include_test=args.get("test") == "1",
            sort=args.get("sort") if args.get("sort") in SORTS else "received",
        )

    @property
    def counter_only(self) -> bool:
        """True when the counters table can answer the total without touching the leads."""
        return not any(
            (
                self.score_min is not None,
                self.score_max is not None,
                self.service,
                self.platform,
                self.date_from,
                self.date_to,
                self.q,
            )
        )

    @property
    def active(self) -> bool:
        return self != LeadFilters(sort=self.sort)


def as_int(value: Any, low: int = 1, high: int = 2**31 - 1) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and low <= int(text) <= high else None


def as_date(value: Any) -> date | None:
    """An ISO date, held within FIRST_DAY…LAST_DAY; None when it is not one."""
    try:
        day = date.fromisoformat(str(value or "").strip()) if value else None
    except ValueError:
        return None
    return min(max(day, FIRST_DAY), LAST_DAY) if day else None


@dataclass
class LeadPage:
    """One page of leads plus what a pager needs; `total` may be capped (`exact` False)."""

    items: list[FacebookLead]
    page: int
    per_page: int
    total: int
    exact: bool = True
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / self.per_page)) + (0 if self.exact else 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, left_edge=1, left_current=2, right_current=3, right_edge=1):
        """Page numbers for a pager, None where some are skipped (Flask-SQLAlchemy's rule),
        computed from the edges instead of walking every page of a million leads."""
        around = range(
            max(1, self.page - left_current), min(self.page + right_current, self.pages) + 1
        )
        first = range(1, min(left_edge, self.pages) + 1)
        last_pages = range(max(1, self.pages - right_edge + 1), self.pages + 1)
        last = 0
        for num in sorted(set(first) | set(around) | set(last_pages)):
            if last + 1 != num:
                yield None
            yield num
            last = num


def visible_leads(user: User) -> sa.Select:
    """The one rule for which leads a user may see: staff their own, superadmins all."""
    query = sa.select(L).where(L.deleted_at.is_(None))
    if not user.is_superadmin:
        query = query.where(L.assigned_to_id == user.id)
    return query


def filtered_leads(user: User, filters: LeadFilters, tz: str = "UTC") -> sa.Select:
    """visible_leads narrowed by the filters and sorted. Written so the partial indexes of
    the default view (not a duplicate, not a test lead) can be used."""
    query = visible_leads(user)
    if not filters.include_duplicates:
        query = query.where(L.duplicate_of_id.is_(None))
    if not filters.include_test:
        query = query.where(L.is_test.is_(False))
    return query.where(*lead_conditions(filters, tz)).order_by(*ordering(filters.sort))


def ordering(sort: str, columns: Any = L) -> tuple[sa.UnaryExpression, sa.UnaryExpression]:
    """ORDER BY for *sort* over *columns*: the model's, or those of a subquery of it."""
    name, descending = SORTS[sort]
    direction = sa.desc if descending else sa.asc
    return direction(getattr(columns, name)), direction(columns.id)


def lead_conditions(filters: LeadFilters, tz: str) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if filters.status:
        conditions.append(L.status == filters.status)
    if filters.distributor_id:
        conditions.append(L.distributor_id == filters.distributor_id)
    if filters.assignee == "none":
        conditions.append(L.assigned_to_id.is_(None))
    elif filters.assignee:
        conditions.append(L.assigned_to_id == filters.assignee)
    if filters.score_min is not None:
        conditions.append(L.score >= filters.score_min)
    if filters.score_max is not None:
        conditions.append(L.score <= filters.score_max)
    if filters.service:
        conditions.append(L.service == filters.service)
    if filters.platform:
        conditions.append(L.platform == filters.platform)
    if filters.date_from:
        conditions.append(L.meta_created_at >= day_start(filters.date_from, tz))
    if filters.date_to:
        conditions.append(L.meta_created_at < day_start(filters.date_to + timedelta(days=1), tz))
    if filters.q:
        conditions.append(lead_search.matching(filters.q))
    return conditions


def day_start(day: date, tz: str) -> datetime:
    return datetime.combine(day, time.min, ZoneInfo(tz)).astimezone(UTC)


def list_leads(
    user: User, filters: LeadFilters, page: int = 1, *, per_page: int = 50, tz: str = "UTC"
) -> LeadPage:
    """A page of leads: ids first (index-only, cheap even deep in the list), then the rows.
    *page* is held within 1…MAX_PAGE."""
    page = min(max(1, page), MAX_PAGE)
    query = filtered_leads(user, filters, tz)
    offset = (page - 1) * per_page
    one_pass = bool(filters.q) and lead_search.matches_at_most(filters.q, COUNT_CAP)
    found = search_page(query, filters.sort, per_page, offset) if one_pass else None
    if found is None:
        ids = list(db.session.scalars(query.with_only_columns(L.id).limit(per_page).offset(offset)))
        total, exact = count_leads(user, filters, tz)
    else:
        ids, total, exact = found
    return LeadPage(load_leads(ids), page, per_page, total, exact)


def search_page(
    query: sa.Select, sort: str, limit: int, offset: int
) -> tuple[list[int], int, bool] | None:
    """(ids, total, exact) of a page of a search of at most COUNT_CAP matches, from one read
    of them: no index hands them over in order, so a page query and a count would each read
    every match; here they are collected once, then counted and sorted. None past the last
    page, where no row carries the total."""
    name, _ = SORTS[sort]
    matches = query.order_by(None).with_only_columns(L.id, getattr(L, name)).cte("matches")
    total = sa.select(sa.func.count()).select_from(matches).scalar_subquery()
    rows = db.session.execute(
        sa.select(matches.c.id, total)
        .order_by(*ordering(sort, matches.c))
        .limit(limit)
        .offset(offset)
    ).all()
    if not rows:
        return None
    return [row[0] for row in rows], min(rows[0][1], COUNT_CAP), rows[0][1] <= COUNT_CAP


def load_leads(ids: list[int]) -> list[FacebookLead]:
    """The leads with these ids, in this order, with what a list row shows."""
    if not ids:
        return []
    rows = db.session.scalars(sa.select(L).where(L.id.in_(ids)).options(*LIST_OPTIONS))
    by_id = {lead.id: lead for lead in rows}
    return [by_id[i] for i in ids if i in by_id]


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
    if filters.status:
        query = query.where(LeadCounter.status == filters.status)
    if filters.distributor_id:
        query = query.where(LeadCounter.distributor_id == filters.distributor_id)
    if filters.assignee:
        assignee = 0 if filters.assignee == "none" else filters.assignee
        query = query.where(LeadCounter.assigned_to_id == assignee)
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


def lead_stats(user: User, tz: str = "UTC") -> LeadStats:
    """Status cards: counts per status (no duplicates or test leads), unassigned, today's."""
    rows = db.session.execute(counters_query(user).where(LeadCounter.hidden.is_(False))).all()
    by_status = {s.value: 0 for s in LeadStatus} | {status: int(n or 0) for status, n in rows}
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
    return LeadStats(by_status, sum(by_status.values()), int(unassigned), today)


def recent_leads(user: User, limit: int = 20) -> list[FacebookLead]:
    """The newest visible leads, *limit* held within 1…MAX_RECENT."""
    query = filtered_leads(user, LeadFilters()).limit(min(max(limit, 1), MAX_RECENT))
    return list(db.session.scalars(query.options(*LIST_OPTIONS)))


def get_visible_lead(user: User, lead_id: int) -> FacebookLead | None:
    """The lead if *user* may see it; None otherwise (callers answer 404 either way)."""
    if not 0 < lead_id <= MAX_ID:
        return None
    return db.session.scalar(visible_leads(user).where(L.id == lead_id))


def list_interactions(lead: FacebookLead, limit: int = 200) -> list[LeadInteraction]:
    query = lead.interactions.select().options(selectinload(LeadInteraction.user))
    return list(
        db.session.scalars(
            query.order_by(None)
            .order_by(LeadInteraction.created_at.desc(), LeadInteraction.id.desc())
            .limit(limit)
        )
    )


def list_duplicates(user: User, lead: FacebookLead) -> list[FacebookLead]:
    """Leads linked to this one as re-inquiries, and the original it re-inquires (visible ones)."""
    root_id = lead.duplicate_of_id or lead.id
    query = visible_leads(user).where(
        sa.or_(L.id == root_id, L.duplicate_of_id == root_id), L.id != lead.id
    )
    return list(db.session.scalars(query.order_by(L.id).limit(100)))


def answer_labels(lead: FacebookLead) -> tuple[dict[str, str], dict[str, str]]:
    """(question key → label, option key → label) of the lead's form, when Meta told us."""
    form = db.session.scalar(sa.select(MetaForm).where(MetaForm.form_id == lead.meta_form_id))
    return form.labels() if form is not None else ({}, {})


def count_failed_leads() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(FailedLead)
            .where(FailedLead.resolved_at.is_(None))
        )
        or 0
    )
