"""Job loops of the webhook: fetch and store the leads of claimed events, a batch per
transaction; a batch that dies is taken apart so one poison event fails alone."""

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from app import database
from app.extensions import db
from app.models import WebhookEventStatus as Status
from app.services import meta_webhooks, webhook_leads

log = logging.getLogger(__name__)


def process_events(event_ids: Sequence[int]) -> Counter[Status]:
    """Claim the due ones of *event_ids*, fetch their leads from Meta (a few at a time) and
    store them in one insert per form. Commits."""
    with database.writing():
        db.session.rollback()  # a transaction of the caller's would not be write-ready
        return process_batch(event_ids)


def process_batch(event_ids: Sequence[int]) -> Counter[Status]:
    now, outcome = datetime.now(UTC), Counter()
    claimed = meta_webhooks.claim(event_ids, now)
    db.session.commit()
    if not claimed:
        return outcome
    try:
        fetches = webhook_leads.plan_fetches(claimed, now, outcome)
        db.session.commit()  # hold no transaction (on SQLite: no write lock) while Meta answers
        webhook_leads.fetch_all(fetches)
        webhook_leads.store_fetched(fetches, now, outcome)
        db.session.commit()
    except Exception:
        db.session.rollback()
        if len(claimed) == 1:
            raise  # the event stays claimed; it is retried until it runs out of attempts
        log.exception("webhook batch of %d failed; processing its events one by one", len(claimed))
        meta_webhooks.release(claimed, now)
        db.session.commit()
        return one_by_one(claimed)
    log.info("webhook events processed: %s", dict(outcome))
    return outcome


def one_by_one(event_ids: Sequence[int]) -> Counter[Status]:
    outcome: Counter[Status] = Counter()
    for event_id in event_ids:
        try:
            outcome += process_events([event_id])
        except Exception:
            db.session.rollback()
            log.exception("webhook event %s failed; it is retried later", event_id)
    return outcome


def process_event(event_id: int) -> Status | None:
    """One event (see `process_events`); None when another worker has it."""
    return next(iter(process_events([event_id])), None)


def process_due_events(limit: int = 200) -> int:
    """The sweep: events of Pages connected since, then every event that is due. Commits."""
    with database.writing():
        db.session.rollback()
        now = datetime.now(UTC)
        webhook_leads.requeue_unknown_pages(now)
        ids = meta_webhooks.due_event_ids(limit, now)
        db.session.commit()
        return sum(process_events(ids).values()) if ids else 0
