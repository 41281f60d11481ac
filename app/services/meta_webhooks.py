"""Meta's `leadgen` webhook: verify, persist each change before acknowledging, then fetch the
lead with the owning config's token and store it through the same insert path as the poll.

Events are unique per leadgen_id, so a replayed delivery is one event; the lead insert is
`ON CONFLICT DO NOTHING`, so a webhook racing the poll is one lead and one `lead_created`."""

import hashlib
import hmac
import logging
import re
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from app.errors import ValidationError
from app.extensions import db
from app.meta.client import ErrorKind, GraphClient, GraphError
from app.meta.normalize import scrub_json
from app.models import ConfigStatus, FacebookLead, MetaApiConfig, MetaForm, MetaWebhookEvent
from app.models import WebhookEventStatus as Status
from app.services import meta_configs
from app.services.meta_lead_service import LeadSource, ingest_raw_leads
from app.services.meta_sync import record_config_error

log = logging.getLogger(__name__)
EVENTS = MetaWebhookEvent.__table__
ID_RE = re.compile(r"^\d{1,64}$")
MAX_ATTEMPTS = 8
FETCH_THREADS = 4
CLAIM_SECONDS = 300  # a claimed event not finished by then is taken up again
SIGNATURE_RE = re.compile(r"^sha256=([0-9a-f]{64})$")


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


def leadgen_changes(payload: Any) -> list[dict[str, Any]]:
    """Every `entry[].changes[]` of field `leadgen` with a usable leadgen_id."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise ValidationError("Not a Meta webhook payload.")
    changes = []
    for entry in payload["entry"]:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if change.get("field") != "leadgen" or not isinstance(value, dict):
                continue
            leadgen_id = str(value.get("leadgen_id", ""))
            if ID_RE.match(leadgen_id):
                changes.append(value)
    return changes


def record_changes(changes: Sequence[dict[str, Any]]) -> list[int]:
    """Store each change as a pending event (one per leadgen_id); ids of the new ones.
    Caller commits (before answering Meta)."""
    rows = {}
    for value in changes:
        rows.setdefault(
            str(value["leadgen_id"]),
            {
                "leadgen_id": str(value["leadgen_id"]),
                "page_id": short_id(value.get("page_id")),
                "form_id": short_id(value.get("form_id")),
                "payload": scrub_json(value),
                "status": Status.PENDING.value,
                "attempts": 0,
                "next_attempt_at": datetime.now(UTC),
                "received_at": datetime.now(UTC),
            },
        )
    if not rows:
        return []
    insert = (
        postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    stmt = (
        insert(EVENTS).on_conflict_do_nothing(index_elements=["leadgen_id"]).returning(EVENTS.c.id)
    )
    return [row.id for row in db.session.execute(stmt, list(rows.values()))]


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


def process_due_events(limit: int = 200) -> int:
    """Fetch and store the leads of every event that is due (job loop: commits)."""
    ids = due_event_ids(limit)
    db.session.commit()
    return sum(process_events(ids).values()) if ids else 0


def process_event(event_id: int) -> Status | None:
    """One event (see `process_events`); None when another worker has it."""
    outcome = process_events([event_id])
    return next(iter(outcome), None)


def claim(event_ids: Sequence[int], now: datetime) -> list[int]:
    """Take the due ones of *event_ids* for this worker (atomic), so no event is fetched
    twice by two workers. Commits."""
    claimed = db.session.scalars(
        sa.update(EVENTS)
        .where(
            EVENTS.c.id.in_(event_ids),
            EVENTS.c.status.in_([Status.PENDING.value, Status.PROCESSING.value]),
            EVENTS.c.next_attempt_at <= now,
        )
        .values(
            status=Status.PROCESSING.value,
            attempts=EVENTS.c.attempts + 1,
            next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS),
        )
        .returning(EVENTS.c.id)
    ).all()
    db.session.commit()
    return list(claimed)


@dataclass
class Fetch:
    event: MetaWebhookEvent
    config: MetaApiConfig
    source: LeadSource
    leadgen_id: str
    settings: dict[str, Any]
    result: dict[str, Any] | GraphError | None = None


def process_events(event_ids: Sequence[int]) -> Counter[Status]:
    """Fetch the events' leads from Meta (a few at a time) and store them in one insert per
    form; a batch of webhooks costs one transaction, not three per lead. Commits."""
    now, outcome = datetime.now(UTC), Counter()
    claimed = claim(event_ids, now)
    if not claimed:
        return outcome
    fetches = plan_fetches(claimed, now, outcome)
    db.session.commit()  # hold no transaction (on SQLite: no write lock) while Meta answers
    fetch_all(fetches)
    store_fetched(fetches, now, outcome)
    db.session.commit()
    log.info("webhook events processed: %s", dict(outcome))
    return outcome


def plan_fetches(event_ids: list[int], now: datetime, outcome: Counter) -> list[Fetch]:
    events = db.session.scalars(
        sa.select(MetaWebhookEvent).where(MetaWebhookEvent.id.in_(event_ids))
    )
    fetches, settings = [], {}
    for event in events:
        config = owning_config(event)
        if config is None:
            outcome[
                mark(event, Status.UNKNOWN_PAGE, "No active Meta connection owns this Page/form.")
            ] += 1
            continue
        event.config_id = config.id
        if config.status == ConfigStatus.NEEDS_REAUTH:
            reason = config.last_error or "Token needs replacing."
            outcome[retry_later(event, now + timedelta(hours=1), reason)] += 1
            continue
        if config.id not in settings:
            settings[config.id] = meta_configs.client_settings(config)
        source = LeadSource(config.distributor_id, config.page_id, event.form_id, config.id)
        fetches.append(Fetch(event, config, source, event.leadgen_id, settings[config.id]))
    return fetches


def fetch_all(fetches: list[Fetch]) -> None:
    """GET each lead, FETCH_THREADS at a time, one client (HTTP session) per thread and config."""
    local = threading.local()

    def fetch(item: Fetch) -> None:
        clients = local.__dict__.setdefault("clients", {})
        key = item.settings["token"]
        client = clients.get(key) or clients.setdefault(key, GraphClient(**item.settings))
        try:
            item.result = client.get_lead(item.leadgen_id)
        except GraphError as error:
            item.result = error

    if len(fetches) == 1:
        fetch(fetches[0])
        return
    with ThreadPoolExecutor(max_workers=FETCH_THREADS, thread_name_prefix="lead-fetch") as pool:
        list(pool.map(fetch, fetches))


def store_fetched(fetches: list[Fetch], now: datetime, outcome: Counter) -> None:
    groups: dict[LeadSource, list[dict[str, Any]]] = {}
    done: list[Fetch] = []
    for item in fetches:
        if isinstance(item.result, GraphError):
            outcome[fetch_failed(item.event, item.config, item.result, now)] += 1
            continue
        source = item.source
        if source.form_id is None:
            source = replace(source, form_id=short_id(item.result.get("form_id")))
        groups.setdefault(source, []).append(item.result)
        done.append(item)
    region = current_app.config["DEFAULT_PHONE_REGION"]
    for source, raws in groups.items():
        ingest_raw_leads(raws, source, default_region=region)
    lead_ids = dict(
        db.session.execute(
            sa.select(FacebookLead.meta_lead_id, FacebookLead.id).where(
                FacebookLead.meta_lead_id.in_([item.leadgen_id for item in done])
            )
        ).all()
    )
    for item in done:
        item.event.lead_id = lead_ids.get(item.leadgen_id)
        outcome[mark(item.event, Status.DONE, None)] += 1


def owning_config(event: MetaWebhookEvent) -> MetaApiConfig | None:
    """The active config that syncs the event's form, else one for its Page."""
    if event.form_id:
        config = db.session.scalar(
            sa.select(MetaApiConfig)
            .join(MetaForm)
            .where(MetaForm.form_id == event.form_id, MetaApiConfig.is_active)
        )
        if config is not None:
            return config
    if not event.page_id:
        return None
    return db.session.scalar(
        sa.select(MetaApiConfig)
        .where(MetaApiConfig.page_id == event.page_id, MetaApiConfig.is_active)
        .order_by(MetaApiConfig.id)
    )


def fetch_failed(
    event: MetaWebhookEvent, config: MetaApiConfig, error: GraphError, now: datetime
) -> Status:
    message = record_config_error(config, error, now, failing=False)
    if error.kind == ErrorKind.PERMANENT or event.attempts >= MAX_ATTEMPTS:
        return mark(event, Status.FAILED, message)
    if error.kind == ErrorKind.THROTTLED:
        return retry_later(event, config.retry_after or now + timedelta(minutes=10), message)
    if error.kind == ErrorKind.AUTH:
        return retry_later(event, now + timedelta(hours=1), message)
    backoff = min(15 * 2 ** (event.attempts - 1), 3600)
    return retry_later(event, now + timedelta(seconds=backoff), message)


def retry_later(event: MetaWebhookEvent, when: datetime, reason: str) -> Status:
    """Back to pending until *when*. Caller commits."""
    event.status, event.next_attempt_at, event.last_error = Status.PENDING, when, reason
    log.info(
        "webhook event %s: retry at %s (attempt %s)", event.id, when.isoformat(), event.attempts
    )
    return Status.PENDING


def mark(event: MetaWebhookEvent, status: Status, error: str | None) -> Status:
    """A final state for the event. Caller commits."""
    event.status, event.last_error, event.processed_at = status, error, datetime.now(UTC)
    return status
