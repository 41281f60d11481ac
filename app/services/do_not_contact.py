"""Do not contact: a lead whose person objected (KVKK/GDPR), whose number is wrong, or who
complained is flagged with when, who and why. Routing, response targets, follow-ups, the
contact buttons, alert mails and exports read the flag (`contactable`); a new lead from a
flagged person (same E.164 phone or email) is stored flagged, for a superadmin to review,
instead of being routed (`flag_returning_rows`).

Who: the superadmin or the lead's assignee may set the flag; only a superadmin may lift it
(lifting it undoes a person's objection, so it takes the role that answers for that).
Callers commit."""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app import messages
from app.errors import ValidationError
from app.extensions import db
from app.models import DNC_REASONS, FacebookLead, InteractionType, LeadInteraction, User
from app.services import lead_duplicates, lead_tasks, lead_workflow
from app.services.lead_filters import contact_conditions
from app.services.lead_service import visible_leads
from app.services.lead_workflow import NotAllowedError, check_version

log = logging.getLogger(__name__)
L = FacebookLead
LEADS = FacebookLead.__table__


def contactable(columns: Any = L) -> sa.ColumnElement[bool]:
    """SQL: the lead may be contacted (over the model or a table's columns)."""
    return columns.do_not_contact_at.is_(None)


def may_set(user: User, lead: FacebookLead) -> bool:
    return user.is_superadmin or (
        lead.assigned_to_id is not None and lead.assigned_to_id == user.id
    )


def may_clear(user: User) -> bool:
    return user.is_superadmin


def mark(
    lead: FacebookLead,
    *,
    actor: User,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> LeadInteraction:
    """Flag *lead* do-not-contact for *reason* (DNC_REASONS); its open follow-ups are closed.
    Raises NotAllowedError, ValidationError or StaleLeadError."""
    if not may_set(actor, lead):
        raise NotAllowedError(
            _("Only a superadmin or the lead's owner can mark it do not contact.")
        )
    if reason not in DNC_REASONS:
        raise ValidationError(_("Choose why this lead must not be contacted."))
    check_version(lead, expected_version)
    if lead.do_not_contact_at is not None:
        raise ValidationError(_("This lead is already marked do not contact."))
    now = now or datetime.now(UTC)
    lead.do_not_contact_at, lead.do_not_contact_by_id = now, actor.id
    lead.do_not_contact_reason = reason
    interaction = timeline(lead, actor, f"dnc_set_{reason}", now)
    closed = lead_tasks.complete_open(lead, now=now)
    log.info("lead %s: do not contact (%s), %d follow-ups closed", lead.id, reason, closed)
    return interaction


def lift(
    lead: FacebookLead, *, actor: User, expected_version: int | None = None
) -> LeadInteraction:
    """Clear the flag (superadmin only). Raises NotAllowedError, ValidationError or
    StaleLeadError."""
    if not may_clear(actor):
        raise NotAllowedError(_("Only a superadmin can lift do not contact."))
    check_version(lead, expected_version)
    if lead.do_not_contact_at is None:
        raise ValidationError(_("This lead is not marked do not contact."))
    lead.do_not_contact_at = lead.do_not_contact_by_id = lead.do_not_contact_reason = None
    interaction = timeline(lead, actor, "dnc_cleared", datetime.now(UTC))
    log.info("lead %s: do not contact lifted by user %s", lead.id, actor.id)
    return interaction


def timeline(lead: FacebookLead, actor: User, code: str, now: datetime) -> LeadInteraction:
    interaction = LeadInteraction(
        lead_id=lead.id,
        user_id=actor.id,
        interaction_type=InteractionType.SYSTEM,
        description=messages.english(code),
        message_code=code,
        message_params={},
        created_at=now,
    )
    db.session.add(interaction)
    lead.updated_at = now
    lead_workflow.flush_checked()
    lead_workflow.announce_update(lead, None)
    return interaction


def apply(
    lead: FacebookLead,
    wanted: bool,
    *,
    actor: User,
    reason: str | None = None,
    expected_version: int | None = None,
) -> LeadInteraction | None:
    """Set or lift the flag as asked (the lead API's `do_not_contact`); None if unchanged."""
    if wanted == (lead.do_not_contact_at is not None):
        return None
    if wanted:
        return mark(lead, actor=actor, reason=reason or "", expected_version=expected_version)
    return lift(lead, actor=actor, expected_version=expected_version)


def flag_returning_rows(rows: Sequence[dict[str, Any]], now: datetime) -> dict[str, int]:
    """New lead rows (before the insert) from a person with a flagged lead, matched on the
    E.164 phone or email across all distributors, are flagged too (the earlier reason, by
    the system). Returns meta_lead_id → the flagged lead's id, for the timeline."""
    people = [row for row in rows if not row["is_test"]]
    phones = {row["phone"] for row in people if row["phone"]}
    emails = {row["email"] for row in people if row["email"]}
    if not phones and not emails:
        return {}
    found = db.session.execute(
        sa.select(LEADS.c.id, LEADS.c.phone, LEADS.c.email, LEADS.c.do_not_contact_reason)
        .where(
            LEADS.c.do_not_contact_at.is_not(None),
            LEADS.c.deleted_at.is_(None),
            sa.or_(
                lead_duplicates.one_of(LEADS.c.phone, phones),
                lead_duplicates.one_of(LEADS.c.email, emails),
            ),
        )
        .order_by(LEADS.c.id)
    )
    flagged: dict[tuple[str, str], tuple[int, str]] = {}
    for lead in found:
        for key in lead_duplicates.person_keys(lead._mapping):
            flagged.setdefault(key, (lead.id, lead.do_not_contact_reason))
    returning: dict[str, int] = {}
    for row in people:
        match = next((flagged[k] for k in lead_duplicates.person_keys(row) if k in flagged), None)
        if match is not None:
            row.update(do_not_contact_at=now, do_not_contact_reason=match[1])
            returning[row["meta_lead_id"]] = match[0]
    return returning


def returning_rows(
    inserted: Sequence[sa.Row], returning: dict[str, int], now: datetime
) -> list[dict[str, Any]]:
    """Timeline rows for the new leads flagged because their person is (`dnc_reinquiry`)."""
    return [
        {
            "lead_id": row.id,
            "user_id": None,
            "interaction_type": InteractionType.SYSTEM.value,
            "description": messages.english(
                "dnc_reinquiry", {"lead_id": returning[row.meta_lead_id]}
            ),
            "message_code": "dnc_reinquiry",
            "message_params": {"lead_id": returning[row.meta_lead_id]},
            "created_at": now,
        }
        for row in inserted
        if row.meta_lead_id in returning
    ]


def count_returning(user: User) -> int:
    """Flagged re-inquiries the system stored that wait for a superadmin (still new)."""
    if not user.is_superadmin:
        return 0
    query = visible_leads(user).where(*contact_conditions("returning"))
    return db.session.scalar(query.with_only_columns(sa.func.count()).order_by(None)) or 0
