"""Hard deletion of leads with every row that holds a copy of them (erasure and retention
share it): counters first, then the tables that point at the leads, then the leads."""

from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, FailedLead, LeadInteraction, LeadSearchTerm, MetaWebhookEvent
from app.services import lead_counters

LEADS = FacebookLead.__table__
FAILED = FailedLead.__table__
EVENTS = MetaWebhookEvent.__table__
# Tables other issues add that hold copies of a lead (emptied of it when they exist).
LEAD_TABLES = ("lead_tasks", "mail_outbox", "bulk_job_items")
# What `remove_leads` needs of each lead (a Core row or an ORM lead).
COLUMNS = (
    LEADS.c.id,
    LEADS.c.meta_lead_id,
    LEADS.c.distributor_id,
    LEADS.c.assigned_to_id,
    LEADS.c.status,
    LEADS.c.duplicate_of_id,
    LEADS.c.is_test,
    LEADS.c.deleted_at,
)


def counter_key(lead: Any) -> lead_counters.Key | None:
    if lead.deleted_at is not None:
        return None
    hidden = lead.duplicate_of_id is not None or bool(lead.is_test)
    status = lead.status.value if hasattr(lead.status, "value") else str(lead.status)
    return (lead.distributor_id or 0, lead.assigned_to_id or 0, status, hidden)


def remove_leads(leads: Sequence[Any], extra_meta_ids: Sequence[str] = ()) -> Counter:
    """Delete *leads* and their copies (interactions, search terms, follow-ups, mails, raw
    quarantine rows and webhook events of their Meta ids and of *extra_meta_ids*); the
    counters follow. Returns rows removed per table. Caller commits."""
    removed: Counter = Counter()
    ids = [lead.id for lead in leads]
    meta_ids = [lead.meta_lead_id for lead in leads] + list(extra_meta_ids)
    counted = Counter(key for key in map(counter_key, leads) if key)
    lead_counters.bump({key: -n for key, n in counted.items()})
    unlink_reinquiries(ids)
    for name in LEAD_TABLES:
        table = db.metadata.tables.get(name)
        if table is not None and "lead_id" in table.c:
            removed[name] += delete(table, table.c.lead_id.in_(ids))
    interactions, terms = LeadInteraction.__table__, LeadSearchTerm.__table__
    removed["lead_interactions"] += delete(interactions, interactions.c.lead_id.in_(ids))
    removed["lead_search_terms"] += delete(terms, terms.c.lead_id.in_(ids))
    removed["meta_failed_leads"] += delete(FAILED, FAILED.c.meta_lead_id.in_(meta_ids))
    removed["meta_webhook_events"] += delete(
        EVENTS, sa.or_(EVENTS.c.leadgen_id.in_(meta_ids), EVENTS.c.lead_id.in_(ids))
    )
    db.session.execute(sa.update(LEADS).where(LEADS.c.id.in_(ids)).values(duplicate_of_id=None))
    removed["facebook_leads"] += delete(LEADS, LEADS.c.id.in_(ids))
    return removed


def unlink_reinquiries(ids: list[int]) -> None:
    """Re-inquiries of removed leads that stay become first inquiries (counted as shown)."""
    staying = db.session.execute(
        sa.select(*COLUMNS).where(LEADS.c.duplicate_of_id.in_(ids), LEADS.c.id.not_in(ids))
    ).all()
    if not staying:
        return
    moves = Counter()
    for lead in staying:
        if (before := counter_key(lead)) is not None:
            moves[before] -= 1
            moves[(*before[:3], bool(lead.is_test))] += 1
    lead_counters.bump(moves)
    db.session.execute(
        sa.update(LEADS)
        .where(LEADS.c.id.in_([lead.id for lead in staying]))
        .values(duplicate_of_id=None)
    )


def delete(table: sa.Table, condition: sa.ColumnElement[bool]) -> int:
    return db.session.execute(sa.delete(table).where(condition)).rowcount or 0
