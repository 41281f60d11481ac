"""Which leads a user may see (`visible_leads`), and reading one lead: its timeline, its
re-inquiries, its form's question labels.

Everything a user can list, count, open, export or be told about goes through
`visible_leads(user)`: staff see the leads assigned to them, superadmins all of them, and
nobody a soft-deleted lead (only a superadmin's restore selects those)."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import FacebookLead, LeadInteraction, LeadMerge, MetaForm, User
from app.models.base import MAX_ID
from app.services.lead_filters import LeadFilters, lead_conditions, ordering

L = FacebookLead


def visible_leads(user: User, *, include_deleted: bool = False) -> sa.Select:
    """The one rule for which leads a user may see: staff their own, superadmins all;
    soft-deleted ones only when a superadmin asks (to restore them)."""
    query = sa.select(L)
    if not (include_deleted and user.is_superadmin):
        query = query.where(L.deleted_at.is_(None))
    if not user.is_superadmin:
        query = query.where(L.assigned_to_id == user.id)
    return query


def filtered_leads(user: User, filters: LeadFilters, tz: str = "UTC") -> sa.Select:
    """visible_leads narrowed by the filters and sorted. Written so the partial indexes of
    the default view (not a duplicate, not a test lead) can be used."""
    query = visible_leads(user, include_deleted=filters.deleted)
    if filters.deleted and user.is_superadmin:
        query = query.where(L.deleted_at.is_not(None))
    if not filters.include_duplicates:
        query = query.where(L.duplicate_of_id.is_(None))
    if not filters.include_test:
        query = query.where(L.is_test.is_(False))
    conditions = lead_conditions(filters, tz, user)
    return query.where(*conditions).order_by(*ordering(filters.sort))


def get_visible_lead(user: User, lead_id: int) -> FacebookLead | None:
    """The lead if *user* may see it; None otherwise (callers answer 404 either way)."""
    if not 0 < lead_id <= MAX_ID:
        return None
    return db.session.scalar(visible_leads(user).where(L.id == lead_id))


def list_interactions(lead: FacebookLead, limit: int = 200) -> list[LeadInteraction]:
    """The lead's timeline, newest first, with the rows of leads merged into it (one
    merged timeline; a merge undone takes its lead's rows back)."""
    merged = sa.select(LeadMerge.other_id).where(
        LeadMerge.survivor_id == lead.id, LeadMerge.undone_at.is_(None)
    )
    query = (
        sa.select(LeadInteraction)
        .where(sa.or_(LeadInteraction.lead_id == lead.id, LeadInteraction.lead_id.in_(merged)))
        .options(selectinload(LeadInteraction.user))
        .order_by(LeadInteraction.created_at.desc(), LeadInteraction.id.desc())
    )
    return list(db.session.scalars(query.limit(limit)))


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
