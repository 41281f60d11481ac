"""Re-inquiries: a new lead with the E.164 phone or email of an earlier lead of the same
distributor points at that first lead (`duplicate_of_id`), which gets a `reinquiry` entry.

Decided before the insert, so a duplicate is written with its link instead of being updated
afterwards: links to stored leads are known at once; a lead repeating one earlier in the same
batch waits for that one's id (it is inserted in a second statement)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.extensions import db
from app.models import FacebookLead, InteractionType, LeadInteraction

LEADS = FacebookLead.__table__


@dataclass
class DuplicatePlan:
    # meta_lead_id of a re-inquiry → meta_lead_id of its original earlier in the same batch
    waiting: dict[str, str] = field(default_factory=dict)


def person_keys(row: Any) -> list[tuple[str, str]]:
    return [key for key in (("p", row["phone"]), ("e", row["email"])) if key[1]]


def plan_duplicates(rows: Sequence[dict[str, Any]], distributor_id: int | None) -> DuplicatePlan:
    """Set `duplicate_of_id` on rows that repeat a stored lead; list those that repeat an
    earlier row of the batch (*rows* are oldest first). Meta test leads are never linked."""
    plan = DuplicatePlan()
    people = [row for row in rows if not row["is_test"]]
    stored = stored_roots(people, distributor_id)
    in_batch: dict[tuple[str, str], str] = {}
    for row in people:
        keys = person_keys(row)
        roots = [stored[key] for key in keys if key in stored]
        if roots:
            row["duplicate_of_id"] = min(roots)
            for key in keys:
                stored.setdefault(key, row["duplicate_of_id"])
            continue
        originals = [in_batch[key] for key in keys if key in in_batch]
        original = originals[0] if originals else row["meta_lead_id"]
        if originals:
            plan.waiting[row["meta_lead_id"]] = original
        for key in keys:
            in_batch.setdefault(key, original)
    return plan


def stored_roots(rows: Sequence[dict[str, Any]], distributor_id: int | None) -> dict:
    """(kind, value) → the id of the first stored lead with that phone or email."""
    phones = {row["phone"] for row in rows if row["phone"]}
    emails = {row["email"] for row in rows if row["email"]}
    if not phones and not emails:
        return {}
    # The phone and e-mail matches first, then the rest of the conditions: without fresh
    # statistics (a first backfill, autovacuum behind or off) PostgreSQL intersected them with
    # the whole distributor's index and took seconds a page past a few hundred thousand leads.
    columns = (LEADS.c.id, LEADS.c.phone, LEADS.c.email, LEADS.c.duplicate_of_id)
    matches = (
        sa.select(*columns, LEADS.c.distributor_id, LEADS.c.deleted_at, LEADS.c.is_test)
        .where(sa.or_(one_of(LEADS.c.phone, phones), one_of(LEADS.c.email, emails)))
        .cte("matches")
    )
    if db.session.get_bind().dialect.name == "postgresql":
        matches = matches.prefix_with("MATERIALIZED")
    found = db.session.execute(
        sa.select(matches.c.id, matches.c.phone, matches.c.email, matches.c.duplicate_of_id)
        .where(
            matches.c.distributor_id == distributor_id,
            matches.c.deleted_at.is_(None),
            matches.c.is_test.is_(False),
        )
        .order_by(matches.c.id)
    )
    roots: dict[tuple[str, str], int] = {}
    for lead in found:
        for key in person_keys(lead._mapping):
            roots.setdefault(key, lead.duplicate_of_id or lead.id)
    return roots


def one_of(column: sa.Column, values: set[str]) -> sa.ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter however many values
    (a page of 500 leads would otherwise be a statement of a thousand placeholders)."""
    if db.session.get_bind().dialect.name == "postgresql":
        array = sa.bindparam(None, sorted(values), type_=postgresql.ARRAY(sa.String))
        return column == sa.any_(array)
    return column.in_(values)


def resolve_waiting(
    rows: Sequence[dict[str, Any]], plan: DuplicatePlan, ids: dict[str, int]
) -> None:
    """Fill in the originals' ids (inserted just now, or found stored) on waiting rows."""
    for row in rows:
        original = plan.waiting[row["meta_lead_id"]]
        row["duplicate_of_id"] = ids.get(original) or db.session.scalar(
            sa.select(LEADS.c.id).where(LEADS.c.meta_lead_id == original)
        )


def log_reinquiries(links: dict[int, int], now: datetime) -> None:
    """A `reinquiry` entry on each original for each new lead that repeats it. Caller commits."""
    if links:
        db.session.execute(
            sa.insert(LeadInteraction.__table__),
            [
                {
                    "lead_id": original,
                    "user_id": None,
                    "description": f"Asked again as lead #{lead_id}.",
                    "interaction_type": InteractionType.REINQUIRY.value,
                    "message_code": "reinquiry",
                    "message_params": {"lead_id": lead_id},
                    "created_at": now,
                }
                for lead_id, original in links.items()
            ],
        )
