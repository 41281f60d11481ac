"""Listing leads a page at a time: ids first (index-only, cheap even deep in a million
leads), then the rows; totals from the counters when they can answer, else capped."""

import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import defer, selectinload

from app.extensions import db
from app.models import FacebookLead, User
from app.services import lead_stats, search_matches
from app.services.lead_filters import SORTS, LeadFilters
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
    offset = (page - 1) * per_page
    if filters.q:
        ids, total, exact = search_page(user, filters, per_page, offset, tz)
    else:
        query = filtered_leads(user, filters, tz).with_only_columns(L.id)
        ids = list(db.session.scalars(query.limit(per_page).offset(offset)))
        total, exact = lead_stats.count_leads(user, filters, tz)
    return LeadPage(load_leads(ids), page, per_page, total, exact)


def search_page(
    user: User, filters: LeadFilters, limit: int, offset: int, tz: str
) -> tuple[list[int], int, bool]:
    """(ids, total, exact) of a page of a search (see `search_matches`): a narrow one from
    its matches read whole; a wide one walked, its total at least what the sample and the
    pages so far show, exact once a page comes back short."""
    found = search_matches.matches(user, filters, tz)
    if found.exact:
        ids = found.page(filters.statuses, filters.sort, limit, offset)
        return ids, found.total(filters.statuses), True
    ids = search_matches.wide_page(user, filters, found, limit, offset, tz)
    if len(ids) < limit and (ids or not offset):
        return ids, offset + len(ids), True
    return ids, max(found.total(filters.statuses), offset + len(ids)), False


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
