"""Meta's `leadgen` webhook: verify, persist each change before acknowledging, then fetch the
lead with the owning config's token and store it through the same insert path as the poll.
These functions flush; the job loop (app/tasks/webhook_jobs.py) commits.

Events are unique per leadgen_id, so a replayed delivery is one event (Meta's redelivery of one
that failed puts it back in the queue); the lead insert is `ON CONFLICT DO NOTHING`, so a
webhook racing the poll is one lead and one `lead_created`. Each event has its own attempt
count: a lead Meta does not list yet (code 100, seconds after the webhook) is retried with
backoff, and after MAX_ATTEMPTS an event is `failed` with its reason, shown on sync health."""

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app import messages
from app.database import upsert
from app.extensions import db
from app.meta.text import scrub_json
from app.models import MetaWebhookEvent
from app.models import WebhookEventStatus as Status
from app.services import lead_quarantine
from app.services.lead_quarantine import Failure
from app.services.privacy import tombstones

log = logging.getLogger(__name__)
EVENTS = MetaWebhookEvent.__table__
ID_RE = re.compile(r"^\d{1,64}$")
SIGNATURE_RE = re.compile(r"^sha256=([0-9a-f]{64})$")
MAX_ATTEMPTS = 8
CLAIM_SECONDS = 60  # a claimed event not finished by then (its process died) is taken again
REQUEUED = (Status.FAILED.value, Status.UNKNOWN_PAGE.value)


def valid_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`, in constant time."""
    match = SIGNATURE_RE.match((header or "").strip().lower())
    if not app_secret or not match:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(1))


def verify_subscription(args: Any, verify_token: str) -> str | None:
    """The `hub.challenge` to echo when Meta's verification request is genuine, else None."""
    given = args.get("hub.verify_token", "")
    if args.get("hub.mode") != "subscribe" or not verify_token:
        return None
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        return None
    return args.get("hub.challenge", "")


@dataclass
class Delivery:
    """A signed POST: the usable `leadgen` changes, and entries we could not understand."""

    changes: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[Any] = field(default_factory=list)


def parse_delivery(body: bytes) -> Delivery:
    """Every `entry[].changes[]` of field `leadgen` with a usable leadgen_id; anything
    malformed is kept aside (never an error: Meta retries errors and may give up on us)."""
    delivery = Delivery()
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        delivery.invalid.append({"body": body[:65536].decode("utf-8", "replace")})
        return delivery
    entries = payload.get("entry") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        delivery.invalid.append(payload)
        return delivery
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            delivery.invalid.append(entry)
            continue
        for change in changes:
            read_change(change, delivery)
    return delivery


def read_change(change: Any, delivery: Delivery) -> None:
    if isinstance(change, dict) and change.get("field") not in (None, "leadgen"):
        return  # another subscribed field: not ours to judge
    value = change.get("value") if isinstance(change, dict) else None
    leadgen_id = value.get("leadgen_id") if isinstance(value, dict) else None
    if isinstance(leadgen_id, str | int) and ID_RE.match(str(leadgen_id)):
        delivery.changes.append(value)
    else:
        delivery.invalid.append(change)


def record_delivery(delivery: Delivery, now: datetime) -> list[int]:
    """Store each change as a pending event, and keep the invalid entries in the quarantine;
    ids of the events to process now. Caller commits (before answering Meta)."""
    if delivery.invalid:
        failures = [Failure(item, "webhook_entry_invalid") for item in delivery.invalid]
        lead_quarantine.quarantine(failures, config_id=None, form_id=None, now=now)
    # An erased person's lead delivered again is not even kept as an event.
    erased = tombstones.erased_lead_ids(str(c["leadgen_id"]) for c in delivery.changes)
    changes = [c for c in delivery.changes if str(c["leadgen_id"]) not in erased]
    return record_changes(changes, now)


def record_changes(changes: Sequence[dict[str, Any]], now: datetime | None = None) -> list[int]:
    """One pending event per leadgen_id; a failed or unknown-page event delivered again is
    queued again. Ids of the new and re-queued events. Caller commits."""
    now = now or datetime.now(UTC)
    rows: dict[str, dict[str, Any]] = {}
    for value in changes:
        rows.setdefault(str(value["leadgen_id"]), event_row(value, now))
    if not rows:
        return []
    insert = upsert(EVENTS)
    stmt = insert.on_conflict_do_update(
        index_elements=["leadgen_id"],
        set_={"status": Status.PENDING.value, "attempts": 0, "next_attempt_at": now},
        where=sa.or_(*(EVENTS.c.status == status for status in REQUEUED)),  # no IN: executemany
    ).returning(EVENTS.c.id)
    return list(db.session.scalars(stmt, list(rows.values())))


def event_row(value: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "leadgen_id": str(value["leadgen_id"]),
        "page_id": short_id(value.get("page_id")),
        "form_id": short_id(value.get("form_id")),
        "payload": scrub_json(value),
        "status": Status.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "received_at": now,
    }


def short_id(value: Any) -> str | None:
    text = str(value) if isinstance(value, str | int) else ""
    return text if ID_RE.match(text) else None


def due_event_ids(limit: int = 200, now: datetime | None = None) -> list[int]:
    now = now or datetime.now(UTC)
    query = (
        sa.select(EVENTS.c.id)
        .where(
            EVENTS.c.status.in_([Status.PENDING.value, Status.PROCESSING.value]),
            EVENTS.c.next_attempt_at <= now,
        )
        .order_by(EVENTS.c.next_attempt_at)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def claim(event_ids: Sequence[int], now: datetime) -> list[int]:
    """Take the due ones of *event_ids* for this worker (one conditional UPDATE, atomic), so
    no event is fetched twice at once. Caller commits at once."""
    due = sa.and_(
        EVENTS.c.id.in_(event_ids),
        EVENTS.c.status.in_([Status.PENDING.value, Status.PROCESSING.value]),
        EVENTS.c.next_attempt_at <= now,
    )
    give_up(sa.and_(due, EVENTS.c.attempts >= MAX_ATTEMPTS), now)
    claimed = db.session.scalars(
        sa.update(EVENTS)
        .where(due, EVENTS.c.attempts < MAX_ATTEMPTS)
        .values(
            status=Status.PROCESSING.value,
            attempts=EVENTS.c.attempts + 1,
            next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS),
        )
        .returning(EVENTS.c.id)
    ).all()
    return list(claimed)


def give_up(condition: sa.ColumnElement[bool], now: datetime) -> None:
    """Events out of attempts (a batch kept dying on them) become `failed`."""
    db.session.execute(
        sa.update(EVENTS)
        .where(condition)
        .values(
            status=Status.FAILED.value,
            processed_at=now,
            last_error_code="gave_up",
            last_error_params={"attempts": MAX_ATTEMPTS},
            last_error=messages.english("gave_up", {"attempts": MAX_ATTEMPTS}),
        )
    )


def release(event_ids: Sequence[int], now: datetime) -> None:
    """Make claimed events due again at once (to be processed one by one). Caller commits."""
    db.session.execute(
        sa.update(EVENTS)
        .where(EVENTS.c.id.in_(event_ids), EVENTS.c.status == Status.PROCESSING.value)
        .values(status=Status.PENDING.value, next_attempt_at=now)
    )


def retry_event(event: MetaWebhookEvent, now: datetime) -> None:
    """A superadmin's Retry: a fresh set of attempts from now. Caller commits."""
    event.status, event.attempts, event.next_attempt_at = Status.PENDING, 0, now


def get_event(event_id: int) -> MetaWebhookEvent | None:
    return db.session.get(MetaWebhookEvent, event_id)
