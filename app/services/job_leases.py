"""Periodic jobs claimed once per period across a deployment.

Every server may run the scheduler; before a periodic job runs, its server claims the period
with one conditional UPDATE (`next_due_at <= now` → `now + most of the period`). Exactly one
claim succeeds on either database, so the job runs once per period however many servers ask.
Claiming slightly less than the period absorbs the jitter of the schedulers' timers."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from app import database
from app.extensions import db
from app.models import JobLease
from app.services.sync_lease import lease_owner

LEASES = JobLease.__table__
CLAIM_SHARE = 0.9


def claim(name: str, every: timedelta, now: datetime) -> bool:
    """True when this process may run job *name* for the period starting *now*. Caller
    commits at once."""
    db.session.execute(
        database.upsert(LEASES)
        .values(name=name, next_due_at=now)
        .on_conflict_do_nothing(index_elements=[LEASES.c.name])
    )
    result = db.session.execute(
        sa.update(LEASES)
        .where(LEASES.c.name == name, LEASES.c.next_due_at <= now)
        .values(next_due_at=now + every * CLAIM_SHARE, claimed_at=now, claimed_by=lease_owner())
    )
    return result.rowcount == 1


def get_lease(name: str) -> JobLease | None:
    return db.session.get(JobLease, name)
