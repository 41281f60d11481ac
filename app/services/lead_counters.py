"""The `lead_counters` table: status counts per distributor and assignee, kept in step.

Every place that inserts leads or changes a counted field calls `bump` in the same
transaction; `recount` rebuilds the table from scratch (`flask leads recount`)."""

from collections import Counter
from collections.abc import Mapping

import sqlalchemy as sa

from app.database import upsert
from app.extensions import db
from app.models import FacebookLead, LeadCounter

COUNTERS = LeadCounter.__table__
LEADS = FacebookLead.__table__
Key = tuple[int, int, str, bool]


def key_of(lead: FacebookLead) -> Key | None:
    """The counter a lead is counted in (None for a soft-deleted lead)."""
    if lead.deleted_at is not None:
        return None
    hidden = lead.duplicate_of_id is not None or bool(lead.is_test)
    status = lead.status.value if hasattr(lead.status, "value") else str(lead.status)
    return (lead.distributor_id or 0, lead.assigned_to_id or 0, status, hidden)


def bump(deltas: Mapping[Key, int]) -> None:
    """Add each delta to its counter row (created when missing). Caller commits."""
    changes = [
        {"distributor_id": d, "assigned_to_id": a, "status": s, "hidden": h, "n": n}
        for (d, a, s, h), n in sorted(deltas.items())
        if n
    ]
    if not changes:
        return
    stmt = upsert(COUNTERS)
    stmt = stmt.on_conflict_do_update(
        index_elements=["distributor_id", "assigned_to_id", "status", "hidden"],
        set_={"n": COUNTERS.c.n + stmt.excluded.n},
    )
    db.session.execute(stmt, changes)


def moved(before: Key | None, after: Key | None) -> None:
    """Count a lead that went from one counter to another."""
    if before != after:
        bump(Counter({k: v for k, v in ((before, -1), (after, 1)) if k is not None}))


def recount() -> int:
    """Rebuild every counter from `facebook_leads`. Caller commits."""
    db.session.execute(sa.delete(COUNTERS))
    # One expression object per key, so GROUP BY repeats the SELECT's bind parameters:
    # PostgreSQL refuses `coalesce(x, $1) … GROUP BY coalesce(x, $5)` as ungrouped.
    keys = (
        sa.func.coalesce(LEADS.c.distributor_id, 0),
        sa.func.coalesce(LEADS.c.assigned_to_id, 0),
        LEADS.c.status,
        sa.or_(LEADS.c.duplicate_of_id.is_not(None), LEADS.c.is_test),
    )
    query = sa.select(*keys, sa.func.count()).where(LEADS.c.deleted_at.is_(None)).group_by(*keys)
    rows = db.session.execute(query).all()
    bump({(d, a, s, bool(h)): n for d, a, s, h, n in rows})
    return sum(row[4] for row in rows)
