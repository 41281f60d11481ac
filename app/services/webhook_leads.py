"""Fetching the leads of claimed webhook events and storing them: one Graph call per lead (a
few at a time), one insert per form for the whole batch. These functions flush; the job loop
(app/tasks/webhook_jobs.py) commits, and holds no transaction while Meta answers."""

import logging
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app import messages
from app.extensions import db
from app.meta.client import ErrorKind, GraphClient, GraphError
from app.models import ConfigStatus, FacebookLead, MetaApiConfig, MetaForm, MetaWebhookEvent
from app.models import WebhookEventStatus as Status
from app.services import lead_quarantine, meta_configs, meta_errors
from app.services.lead_quarantine import Failure
from app.services.meta_lead_service import LeadSource, ingest_raw_leads
from app.services.meta_webhooks import EVENTS, MAX_ATTEMPTS, short_id
from app.services.privacy import tombstones

log = logging.getLogger(__name__)
FETCH_THREADS = 4
LISTING_LAG = timedelta(hours=2)  # Meta may answer 100 for a lead this new: retry meanwhile


@dataclass
class Fetch:
    event: MetaWebhookEvent
    config: MetaApiConfig
    source: LeadSource
    leadgen_id: str
    settings: dict[str, Any]
    result: dict[str, Any] | GraphError | None = None


def plan_fetches(event_ids: Sequence[int], now: datetime, outcome: Counter) -> list[Fetch]:
    """What to fetch for the claimed events, with which config's token. Caller commits."""
    events = db.session.scalars(
        sa.select(MetaWebhookEvent).where(MetaWebhookEvent.id.in_(event_ids))
    )
    fetches, settings = [], {}
    events = list(events)
    erased = tombstones.erased_lead_ids(event.leadgen_id for event in events)
    for event in events:
        if event.leadgen_id in erased:  # an erased person's: fetched from Meta no more
            db.session.delete(event)
            outcome["erased"] += 1
            continue
        config = owning_config(event.page_id, event.form_id)
        if config is None:
            outcome[mark(event, Status.UNKNOWN_PAGE, "no_connection")] += 1
            continue
        event.config_id = config.id
        if config.status == ConfigStatus.NEEDS_REAUTH:
            params = {"code": 190}
            outcome[retry_later(event, now + timedelta(hours=1), "meta_auth", params)] += 1
            continue
        if config.id not in settings:
            settings[config.id] = meta_configs.client_settings(config)
        source = LeadSource.of(config, event.form_id)
        fetches.append(Fetch(event, config, source, event.leadgen_id, settings[config.id]))
    return fetches


def fetch_all(fetches: list[Fetch]) -> None:
    """GET each lead, FETCH_THREADS at a time, one client (HTTP session) per thread and config.
    No database access: the caller holds no transaction meanwhile."""
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
    """Insert the fetched leads (one statement per form) and settle each event."""
    groups: dict[LeadSource, list[dict[str, Any]]] = {}
    done: list[Fetch] = []
    for item in fetches:
        if isinstance(item.result, GraphError):
            outcome[fetch_failed(item, item.result, now)] += 1
            continue
        source = item.source
        if source.form_id is None:
            source = replace(source, form_id=short_id(item.result.get("form_id")))
        groups.setdefault(source, []).append(item.result)
        done.append(item)
    region = current_app.config["DEFAULT_PHONE_REGION"]
    erased: set[str] = set()
    for source, raws in groups.items():
        erased |= ingest_raw_leads(raws, source, default_region=region, now=now).erased_ids
    lead_ids = dict(
        db.session.execute(
            sa.select(FacebookLead.meta_lead_id, FacebookLead.id).where(
                FacebookLead.meta_lead_id.in_([item.leadgen_id for item in done])
            )
        ).all()
    )
    for item in done:
        if item.leadgen_id in erased:  # an erased person's lead Meta still had
            db.session.delete(item.event)
            outcome["erased"] += 1
            continue
        item.event.lead_id = lead_ids.get(item.leadgen_id)
        outcome[mark(item.event, Status.DONE, None)] += 1


def owning_config(page_id: str | None, form_id: str | None) -> MetaApiConfig | None:
    """The active config that syncs the form, else one for its Page."""
    if form_id:
        config = db.session.scalar(
            sa.select(MetaApiConfig)
            .join(MetaForm)
            .where(MetaForm.form_id == form_id, MetaApiConfig.is_active)
        )
        if config is not None:
            return config
    if not page_id:
        return None
    return db.session.scalar(
        sa.select(MetaApiConfig)
        .where(MetaApiConfig.page_id == page_id, MetaApiConfig.is_active)
        .order_by(MetaApiConfig.id)
    )


def fetch_failed(item: Fetch, error: GraphError, now: datetime) -> Status:
    """Settle an event whose lead Meta would not give: retry, or fail with the reason."""
    event = item.event
    code, params = meta_errors.record_config_error(item.config, error, now, failing=False)
    if error.unreadable:
        raw = {"id": event.leadgen_id, "unreadable": error.excerpt}
        failure = Failure(raw, "lead_unreadable", {"reason": error.message})
        lead_quarantine.quarantine(
            [failure], config_id=item.config.id, form_id=event.form_id, now=now
        )
        return mark(event, Status.FAILED, "lead_unreadable", {"reason": error.message})
    if error.code == 100 and event.received_at > now - LISTING_LAG:
        code, params = "not_listed_yet", {"code": error.code}
    elif error.kind == ErrorKind.PERMANENT:
        return mark(event, Status.FAILED, code, params)
    if event.attempts >= MAX_ATTEMPTS:
        return mark(event, Status.FAILED, code, params)
    if error.kind == ErrorKind.THROTTLED:
        return retry_later(event, item.config.retry_after or now, code, params)
    if error.kind == ErrorKind.AUTH:
        return retry_later(event, now + timedelta(hours=1), code, params)
    backoff = min(15 * 2 ** (event.attempts - 1), 3600)
    return retry_later(event, now + timedelta(seconds=backoff), code, params)


def retry_later(
    event: MetaWebhookEvent, when: datetime, code: str, params: dict | None = None
) -> Status:
    """Back to pending until *when*. Caller commits."""
    event.status, event.next_attempt_at = Status.PENDING, when
    set_error(event, code, params)
    log.info(
        "webhook event %s: retry at %s (attempt %s)", event.id, when.isoformat(), event.attempts
    )
    return Status.PENDING


def mark(
    event: MetaWebhookEvent, status: Status, code: str | None, params: dict | None = None
) -> Status:
    """A final state for the event. Caller commits."""
    event.status, event.processed_at = status, datetime.now(UTC)
    set_error(event, code, params)
    return status


def set_error(event: MetaWebhookEvent, code: str | None, params: dict | None) -> None:
    event.last_error = messages.english(code, params) if code else None
    event.last_error_code, event.last_error_params = code, (params if code else None)


def requeue_unknown_pages(now: datetime) -> int:
    """Events of a Page or form nobody synced when they came, now that one does. Caller
    commits."""
    active_pages = sa.select(MetaApiConfig.page_id).where(MetaApiConfig.is_active)
    active_forms = (
        sa.select(MetaForm.form_id)
        .join(MetaApiConfig)
        .where(MetaApiConfig.is_active, MetaForm.is_active)
    )
    result = db.session.execute(
        sa.update(EVENTS)
        .where(
            EVENTS.c.status == Status.UNKNOWN_PAGE.value,
            sa.or_(EVENTS.c.page_id.in_(active_pages), EVENTS.c.form_id.in_(active_forms)),
        )
        .values(status=Status.PENDING.value, attempts=0, next_attempt_at=now)
    )
    return result.rowcount
