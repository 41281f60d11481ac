"""Reading leads: who may see which (`visible_leads`), dashboard filters, one lead's detail."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from app.extensions import db
from app.models import FacebookLead, FailedLead, LeadInteraction, LeadStatus, User

SORTS = {
    "received": (FacebookLead.meta_created_at.desc(), FacebookLead.id.desc()),
    "received_asc": (FacebookLead.meta_created_at.asc(), FacebookLead.id.asc()),
    "score": (FacebookLead.score.desc(), FacebookLead.id.desc()),
}
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class LeadFilters:
    status: str | None = None
    distributor_id: int | None = None
    q: str | None = None
    sort: str = "received"

    @classmethod
    def from_args(cls, args: Any) -> "LeadFilters":
        status = args.get("status") or None
        distributor = args.get("distributor", "")
        sort = args.get("sort", "received")
        return cls(
            status=status if status in {s.value for s in LeadStatus} else None,
            distributor_id=int(distributor) if distributor.isdigit() else None,
            q=(args.get("q") or "").strip()[:MAX_QUERY_LENGTH] or None,
            sort=sort if sort in SORTS else "received",
        )


def visible_leads(user: User) -> sa.Select:
    """The one rule for which leads a user may see: staff their own, superadmins all."""
    query = sa.select(FacebookLead).where(FacebookLead.deleted_at.is_(None))
    if not user.is_superadmin:
        query = query.where(FacebookLead.assigned_to_id == user.id)
    return query


def filtered_leads(user: User, filters: LeadFilters) -> sa.Select:
    query = visible_leads(user)
    if filters.status:
        query = query.where(FacebookLead.status == filters.status)
    if filters.distributor_id:
        query = query.where(FacebookLead.distributor_id == filters.distributor_id)
    if filters.q:
        query = query.where(text_match(filters.q))
    return query.order_by(*SORTS[filters.sort])


def text_match(q: str) -> sa.ColumnElement[bool]:
    """Name, email or phone containing *q* (digits-only queries also match phones)."""
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    conditions = [
        sa.func.lower(FacebookLead.first_name).like(like, escape="\\"),
        sa.func.lower(FacebookLead.last_name).like(like, escape="\\"),
        FacebookLead.email.like(like, escape="\\"),
    ]
    digits = "".join(ch for ch in q if ch.isdigit())
    if len(digits) >= 3:
        conditions.append(FacebookLead.phone.like(f"%{digits}%"))
    return sa.or_(*conditions)


def list_leads(user: User, filters: LeadFilters, page: int, per_page: int = 50) -> Pagination:
    return db.paginate(
        filtered_leads(user, filters),
        page=page,
        per_page=per_page,
        max_per_page=100,
        error_out=False,
    )


def get_visible_lead(user: User, lead_id: int) -> FacebookLead | None:
    """The lead if *user* may see it; None otherwise (callers answer 404 either way)."""
    return db.session.scalar(visible_leads(user).where(FacebookLead.id == lead_id))


def list_interactions(lead: FacebookLead, limit: int = 200) -> list[LeadInteraction]:
    return list(db.session.scalars(lead.interactions.select().limit(limit)))


def list_duplicates(lead: FacebookLead) -> list[FacebookLead]:
    """Leads linked to this one as re-inquiries, and the original it re-inquires."""
    root_id = lead.duplicate_of_id or lead.id
    query = sa.select(FacebookLead).where(
        sa.or_(FacebookLead.id == root_id, FacebookLead.duplicate_of_id == root_id),
        FacebookLead.id != lead.id,
        FacebookLead.deleted_at.is_(None),
    )
    return list(db.session.scalars(query.order_by(FacebookLead.id).limit(100)))


def count_failed_leads() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(FailedLead)
            .where(FailedLead.resolved_at.is_(None))
        )
        or 0
    )
