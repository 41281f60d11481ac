"""Reconciliation: Meta's own count of a form's leads against what we hold, so leads a sync
could not see (a list cut short, a lead Meta listed late) are noticed and read again.

Shortfall = Meta's `leads_count` − `expired_leads_count` − what we hold: stored leads (deleted,
test and re-inquiry rows included) submitted by the time Meta counted, plus quarantined leads,
plus erased ones (their tombstones keep the form and the time received). A form with a
shortfall is *behind*: a deep re-read of the last 90 days is due, at most once per
DEEP_READ_EVERY from the scheduler."""

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.meta.client import GraphClient, GraphError
from app.meta.text import scrub_json
from app.models import Distributor, FacebookLead, MetaApiConfig, MetaForm
from app.services import lead_quarantine
from app.services.privacy import tombstones

log = logging.getLogger(__name__)
DEEP_READ_EVERY = timedelta(hours=6)


def refresh_form(form: MetaForm, client: GraphClient, now: datetime) -> None:
    """Ask Meta about the form (name, status, counts, questions) and reconcile. Best effort:
    a Graph or database failure is logged and changes nothing. Caller commits."""
    try:
        details = client.get_form(form.form_id)
    except GraphError as error:
        log.info("form %s details unavailable: code=%s", form.form_id, error.code)
        return
    try:
        with db.session.begin_nested():
            apply_form_details(form, details, now)
    except SQLAlchemyError:
        log.exception("form %s details could not be stored", form.form_id)


def apply_form_details(form: MetaForm, details: dict[str, Any], now: datetime) -> None:
    form.name = str(details.get("name") or form.name or "")[:255] or None
    form.status_on_meta = str(details.get("status") or "")[:16] or None
    if isinstance(details.get("questions"), list):
        form.questions = scrub_json(details["questions"])
    count, expired = count_of(details, "leads_count"), count_of(details, "expired_leads_count")
    if count is not None:
        form.leads_count_on_meta, form.leads_counted_at = count, now
        form.expired_leads_count_on_meta = expired
        reconcile(form, now)


def count_of(details: dict[str, Any], key: str) -> int | None:
    """A count Meta reported, if it is one (an INTEGER column holds up to 2^31 − 1)."""
    value = details.get(key)
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31
    return value if ok else None


def reconcile(form: MetaForm, now: datetime) -> int:
    """Compare Meta's count with what we hold; store and return the shortfall."""
    expected = (form.leads_count_on_meta or 0) - (form.expired_leads_count_on_meta or 0)
    form.shortfall = expected - held(form)
    form.reconciled_at = now
    if form.shortfall > 0:
        log.warning("form %s is behind Meta by %d lead(s)", form.form_id, form.shortfall)
    return form.shortfall


def held(form: MetaForm) -> int:
    """Leads of the form we hold (stored by the time Meta counted, quarantined, or erased)."""
    query = sa.select(sa.func.count()).where(FacebookLead.meta_form_id == form.form_id)
    if form.leads_counted_at is not None:
        query = query.where(FacebookLead.meta_created_at <= form.leads_counted_at)
    erased = tombstones.erased_per_form(form.form_id, form.leads_counted_at)
    return (db.session.scalar(query) or 0) + lead_quarantine.count_held(form.form_id) + erased


def stored_when_counted(form: MetaForm) -> int:
    """Stored (or erased) leads of the form submitted by the time Meta counted (the health
    page)."""
    return held(form) - lead_quarantine.count_held(form.form_id)


def behind_forms(now: datetime) -> list[MetaForm]:
    """Synced forms with a shortfall whose last deep re-read is older than DEEP_READ_EVERY."""
    return list(
        db.session.scalars(
            sa.select(MetaForm)
            .join(MetaApiConfig)
            .join(Distributor)
            .where(
                MetaForm.is_active,
                MetaApiConfig.is_active,
                Distributor.is_active,
                MetaForm.shortfall > 0,
                sa.or_(
                    MetaForm.deep_read_at.is_(None),
                    MetaForm.deep_read_at < now - DEEP_READ_EVERY,
                ),
            )
            .order_by(MetaForm.id)
        )
    )


def report_lines(outcome) -> list[str]:
    """Per form of a reconcile run: Meta's count, ours, what was fetched and added."""
    lines = []
    for form_outcome in outcome.forms:
        form = db.session.scalar(
            sa.select(MetaForm).where(MetaForm.form_id == form_outcome.form_id)
        )
        meta = "?" if form.leads_count_on_meta is None else form.leads_count_on_meta
        expired = form.expired_leads_count_on_meta or 0
        lines.append(
            f"form {form.form_id}: meta={meta} expired={expired} ours={held(form)} "
            f"fetched={form_outcome.result.fetched} added={form_outcome.result.created} "
            f"{form_outcome.status}"
            + (f" error: {form_outcome.error}" if form_outcome.error else "")
        )
    return lines
