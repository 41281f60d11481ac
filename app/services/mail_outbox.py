"""The mail outbox (`mail_outbox`): a mail is a row queued in the transaction of the change
that causes it, so a rolled-back change sends nothing and a committed one is never lost.

The sender (`app/tasks/mail_jobs.py`) claims due rows with a conditional UPDATE (a lease in
`locked_until`), sends them and writes each outcome. The unique `dedupe_key` (one event, one
recipient) makes a repeated trigger, a retried job or a second process queue nothing twice."""

import logging
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app import events
from app.database import upsert
from app.extensions import db
from app.models import FacebookLead, MailStatus, OutboxMail, User

log = logging.getLogger(__name__)
M = MailStatus
DUE = (M.QUEUED, M.FAILED)
MAX_BACKOFF = timedelta(minutes=30)
MAX_ERROR = 1000


@dataclass(frozen=True)
class MailCounts:
    queued: int = 0
    failed: int = 0
    dead: int = 0
    sent: int = 0


def queue_mail(
    kind: str,
    recipient: str,
    *,
    key: str,
    user_id: int | None = None,
    lead_id: int | None = None,
    language: str | None = None,
    params: Mapping[str, Any] | None = None,
    due: datetime | None = None,
) -> None:
    """Queue one mail (nothing if *key* was queued before). Caller commits."""
    queue_mails(
        [
            {
                "kind": kind,
                "recipient": recipient,
                "dedupe_key": key,
                "user_id": user_id,
                "lead_id": lead_id,
                "language": language,
                "params": dict(params) if params is not None else None,
                "next_attempt_at": due,
            }
        ]
    )


def queue_mails(rows: Iterable[Mapping[str, Any]]) -> int:
    """Queue many mails with one INSERT … ON CONFLICT (dedupe_key) DO NOTHING; returns how
    many rows it was asked for. Each row: kind, recipient, dedupe_key and optionally user_id,
    lead_id, language, params, next_attempt_at. Caller commits."""
    now = datetime.now(UTC)
    values = [
        {
            "user_id": None,
            "lead_id": None,
            "language": None,
            "params": None,
            **row,
            "next_attempt_at": row.get("next_attempt_at") or now,
            "status": M.QUEUED.value,
            "attempts": 0,
            "created_at": now,
        }
        for row in rows
    ]
    if not values:
        return 0
    table = OutboxMail.__table__
    for start in range(0, len(values), 1000):
        statement = upsert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
        db.session.execute(statement, values[start : start + 1000])
    events.mail_queued()
    return len(values)


def claim_due(now: datetime | None = None, limit: int = 200) -> list[OutboxMail]:
    """Take up to *limit* due mails for this sender (lease until now + MAIL_LEASE_SECONDS,
    one more attempt counted), oldest due first. Two senders never claim one row: the UPDATE
    re-checks the lease on the row it locks. Caller commits (before talking to SMTP)."""
    now = now or datetime.now(UTC)
    claimable = sa.and_(
        OutboxMail.status.in_(DUE),
        OutboxMail.next_attempt_at <= now,
        sa.or_(OutboxMail.locked_until.is_(None), OutboxMail.locked_until < now),
    )
    due = (
        sa.select(OutboxMail.id)
        .where(claimable)
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    # The ids first, then the UPDATE: inside `IN (…)` PostgreSQL may run a LIMIT … SKIP
    # LOCKED subquery again for each row it updates, and so claimed every due mail, not a
    # batch (found by tests/tasks/test_mail_kill.py). The UPDATE re-checks the claim.
    chosen = list(db.session.scalars(due))
    if not chosen:
        return []
    claim = (
        sa.update(OutboxMail)
        .where(OutboxMail.id.in_(chosen), claimable)
        .values(locked_until=now + lease(), attempts=OutboxMail.attempts + 1)
        .returning(OutboxMail.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(db.session.scalars(claim))
    if not ids:
        return []
    query = (
        sa.select(OutboxMail)
        .where(OutboxMail.id.in_(ids))
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        .execution_options(populate_existing=True)
    )
    return list(db.session.scalars(query))


def lease() -> timedelta:
    """How long a claim holds: a sender that died lets go of its mails after this."""
    return timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])


def load_related(mails: list[OutboxMail]) -> list[Any]:
    """Load the leads and users of *mails* in two queries; hold the result while rendering,
    so each builder's `db.session.get` finds its row in the session."""
    lead_ids = {m.lead_id for m in mails if m.lead_id}
    user_ids = {m.user_id for m in mails if m.user_id}
    leads = db.session.scalars(sa.select(FacebookLead).where(FacebookLead.id.in_(lead_ids)))
    users = db.session.scalars(sa.select(User).where(User.id.in_(user_ids)))
    return [*leads, *users]


def mark_sent(mail_id: int, now: datetime | None = None) -> None:
    """The SMTP server accepted the mail. Caller commits."""
    db.session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.id == mail_id)
        .values(status=M.SENT, sent_at=now or datetime.now(UTC), locked_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )


def mark_failed(
    mail_id: int, error: str, *, permanent: bool, now: datetime | None = None
) -> MailStatus:
    """A try failed: dead if *permanent* (a refused recipient) or out of attempts, else
    failed and due again after an exponential, jittered backoff. Caller commits."""
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        return M.DEAD
    now = now or datetime.now(UTC)
    dead = permanent or mail.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]
    mail.status = M.DEAD if dead else M.FAILED
    mail.last_error = error[:MAX_ERROR]
    mail.locked_until = None
    mail.next_attempt_at = now + backoff(mail.attempts)
    db.session.flush()
    log.warning("mail %s (%s) %s after %d tries", mail.id, mail.kind, mail.status, mail.attempts)
    return mail.status


def release(mail_ids: Iterable[int], error: str, now: datetime | None = None) -> None:
    """The SMTP server could not be reached: the mails wait (failed, never dead for this)
    and are tried again after the backoff of their attempts. Caller commits."""
    now = now or datetime.now(UTC)
    for mail in db.session.scalars(sa.select(OutboxMail).where(OutboxMail.id.in_(list(mail_ids)))):
        mail.status = M.FAILED
        mail.last_error = error[:MAX_ERROR]
        mail.locked_until = None
        mail.next_attempt_at = now + backoff(mail.attempts)
    db.session.flush()


def drop(mail_id: int) -> None:
    """Delete a mail that has nothing left to say. Caller commits."""
    db.session.execute(sa.delete(OutboxMail).where(OutboxMail.id == mail_id))


def backoff(attempts: int) -> timedelta:
    """Wait before try number attempts + 1: MAIL_RETRY_BASE_S doubled per try, capped at
    MAX_BACKOFF, with ±25 % jitter so a crowd of mails does not retry in one burst."""
    base = current_app.config["MAIL_RETRY_BASE_S"] * 2 ** max(attempts - 1, 0)
    seconds = min(base, MAX_BACKOFF.total_seconds()) * random.uniform(0.75, 1.25)
    return timedelta(seconds=seconds)


def count_by_status() -> MailCounts:
    """How many mails are queued, failed (to be retried), dead and sent."""
    query = sa.select(OutboxMail.status, sa.func.count()).group_by(OutboxMail.status)
    counts = {M(status).value: n for status, n in db.session.execute(query)}
    return MailCounts(**counts)


def retry_mails(statuses: Iterable[MailStatus] = (M.DEAD, M.FAILED)) -> int:
    """Make failed and dead mails due now, with their attempts reset; returns how many.
    Caller commits."""
    result = db.session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.status.in_(list(statuses)))
        .values(status=M.QUEUED, attempts=0, next_attempt_at=datetime.now(UTC), locked_until=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        events.mail_queued()
    return result.rowcount


def list_mails(status: MailStatus | None = None, limit: int = 50) -> list[OutboxMail]:
    query = sa.select(OutboxMail).order_by(OutboxMail.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMail.status == status)
    return list(db.session.scalars(query))
