"""Listing leads a page at a time: ids first (index-only, cheap even deep in a million
leads), then the rows; totals from the counters when they can answer, else capped."""

import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import defer, selectinload

from app.extensions import db
from app.models import FacebookLead, User
from app.services import lead_search, lead_stats
from app.services.lead_filters import SORTS, LeadFilters, ordering
from app.services.lead_service import filtered_leads

L = FacebookLead
# A list row never shows the raw answers: decoding their JSON was a tenth of a page's time.
LIST_OPTIONS = (
    defer(L.form_data),
    defer(L.consent_responses),
    selectinload(L.distributor),
    selectinload(L.assigned_to),
    selectinload(L.response_target),
)
MAX_PAGE = 1_000_000
MAX_RECENT = 100
COUNT_CAP = lead_stats.COUNT_CAP


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
        total, exact = lead_stats.count_leads(user, filters, tz)
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


def neighbours(
    user: User, filters: LeadFilters, lead: FacebookLead, tz: str = "UTC"
) -> tuple[int | None, int | None]:
    """(previous, next) ids around *lead* in the list *filters* select for *user*, in the
    list's order (the lead itself need not match: it may have changed since)."""
    name, descending = SORTS[filters.sort]
    column, value = getattr(L, name), getattr(lead, name)
    later = sa.or_(column < value, sa.and_(column == value, L.id < lead.id))
    earlier = sa.or_(column > value, sa.and_(column == value, L.id > lead.id))
    if not descending:
        later, earlier = earlier, later
    back = sa.asc if descending else sa.desc
    query = filtered_leads(user, filters, tz).with_only_columns(L.id)
    following = db.session.scalar(query.where(later).limit(1))
    previous = db.session.scalar(
        query.where(earlier).order_by(None).order_by(back(column), back(L.id)).limit(1)
    )
    return previous, following


def recent_leads(user: User, limit: int = 20) -> list[FacebookLead]:
    """The newest visible leads, *limit* held within 1…MAX_RECENT."""
    query = filtered_leads(user, LeadFilters()).limit(min(max(limit, 1), MAX_RECENT))
    return list(db.session.scalars(query.options(*LIST_OPTIONS)))
