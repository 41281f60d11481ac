"""Erasure: every lead of a person (exact E.164 phone or email matches and their direct
re-inquiry links, not transitively: families share phones) goes with everything derived from
it or copied from Meta, the counters follow, and a tombstone of keyed hashes keeps a later
poll, webhook or backfill from bringing the person back. Services flush; the caller commits
and then calls `after_commit` (SQLite: the WAL is checkpointed so no copy stays in it)."""

import logging
import sqlite3
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app import events
from app.errors import ValidationError
from app.extensions import db
from app.meta.normalize import normalize_email, normalize_phone
from app.models import (
    AccessAction,
    AccessLog,
    FacebookLead,
    FailedLead,
    PrivacyErasure,
    PrivacyTombstone,
    TombstoneKind,
    User,
)
from app.services.privacy import removal, tombstones

log = logging.getLogger(__name__)
LEADS = FacebookLead.__table__
REASON_MAX = 500


@dataclass
class Person:
    """Who to erase: the keys asked for (folded) and the leads they reach."""

    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    leads: list[FacebookLead] = field(default_factory=list)


def find_person(
    *, email: str | None = None, phone: str | None = None, lead_id: int | None = None
) -> Person:
    """The person named by one of an email, a phone or a lead, and all their leads (deleted
    ones too). Raises ValidationError for a key that is not one."""
    person = Person()
    if email is not None:
        person.emails.add(normalize_email(email) or invalid("email"))
    if phone is not None:
        region = current_app.config["DEFAULT_PHONE_REGION"]
        person.phones.add(normalize_phone(phone, region) or invalid("phone"))
    first = None
    if lead_id is not None:
        first = db.session.get(FacebookLead, lead_id) or invalid("lead")
        person.phones.update({first.phone} - {None})
        person.emails.update({first.email} - {None})
    person.leads = leads_of(person, first)
    return person


def invalid(what: str):
    messages = {
        "email": _("That is not an email address."),
        "phone": _("That is not a phone number."),
        "lead": _("No such lead."),
    }
    raise ValidationError(messages[what])


def leads_of(person: Person, first: FacebookLead | None) -> list[FacebookLead]:
    matches = [LEADS.c.phone.in_(person.phones), LEADS.c.email.in_(person.emails)]
    if first is not None:
        matches.append(LEADS.c.id == first.id)
    query = sa.select(FacebookLead).where(sa.or_(*matches))
    found = {lead.id: lead for lead in db.session.scalars(query)}
    originals = {lead.duplicate_of_id for lead in found.values()} - {None} - set(found)
    linked = sa.or_(FacebookLead.duplicate_of_id.in_(list(found)), FacebookLead.id.in_(originals))
    for lead in db.session.scalars(sa.select(FacebookLead).where(linked)):
        found.setdefault(lead.id, lead)
    return sorted(found.values(), key=lambda lead: lead.id)


def erase(
    person: Person, *, reason: str, user: User | None = None, channel: str = "cli"
) -> PrivacyErasure:
    """Erase *person*'s leads and every copy of them; record the erasure and its tombstone.
    Caller commits, then calls `after_commit`."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("A reason is required."))
    erasure = PrivacyErasure(
        user_id=user.id if user else None,
        actor=user.username if user else "cli",
        channel=channel,
        reason=reason[:REASON_MAX],
        leads=len(person.leads),
    )
    db.session.add(erasure)
    db.session.flush()
    add_tombstones(erasure, person)
    erasure.removed = remove_copies(person)
    db.session.add(
        AccessLog(
            user_id=erasure.user_id,
            action=AccessAction.ERASE,
            erasure_id=erasure.id,
            detail={"leads": erasure.leads, "channel": channel},
        )
    )
    events.publish("stats_updated", {"erased": erasure.leads}, to=events.DASHBOARD_ROOM)
    log.info("erasure %s: %d lead(s) erased (%s)", erasure.id, erasure.leads, channel)
    return erasure


def all_keys(person: Person) -> tuple[set[str], set[str]]:
    """The phones and emails to erase: those asked for and those of every lead found."""
    phones = set(person.phones) | {lead.phone for lead in person.leads if lead.phone}
    emails = set(person.emails) | {lead.email.lower() for lead in person.leads if lead.email}
    return phones, emails


def add_tombstones(erasure: PrivacyErasure, person: Person) -> None:
    phones, emails = all_keys(person)
    rows = [
        PrivacyTombstone(
            erasure_id=erasure.id,
            kind=TombstoneKind.LEAD,
            digest=tombstones.digest(TombstoneKind.LEAD, lead.meta_lead_id),
            form_id=lead.meta_form_id,
            received_at=lead.meta_created_at,
            created_at=erasure.created_at,
        )
        for lead in person.leads
    ]
    for lead_id, form_id in quarantined(person):
        rows.append(tombstone(erasure, TombstoneKind.LEAD, lead_id, form_id))
    rows += [tombstone(erasure, TombstoneKind.PHONE, phone) for phone in sorted(phones)]
    rows += [tombstone(erasure, TombstoneKind.EMAIL, email) for email in sorted(emails)]
    db.session.add_all(rows)


def tombstone(
    erasure: PrivacyErasure, kind: TombstoneKind, value: str, form_id: str | None = None
) -> PrivacyTombstone:
    return PrivacyTombstone(
        erasure_id=erasure.id,
        kind=kind,
        digest=tombstones.digest(kind, value),
        form_id=form_id,
        created_at=erasure.created_at,
    )


def quarantine_matches(person: Person) -> sa.ColumnElement[bool]:
    """Quarantined raw leads of the person: by lead id, or their email/phone in the payload."""
    meta_ids = [lead.meta_lead_id for lead in person.leads]
    payload = sa.cast(FailedLead.payload, sa.Text)
    phones, emails = all_keys(person)
    texts = sorted(phones | emails)
    return sa.or_(FailedLead.meta_lead_id.in_(meta_ids), *(payload.contains(t) for t in texts))


def quarantined(person: Person) -> list[tuple[str, str | None]]:
    """(Meta lead id, form id) of the person's quarantined raw leads not stored as leads."""
    stored = {lead.meta_lead_id for lead in person.leads}
    query = sa.select(FailedLead.meta_lead_id, FailedLead.form_id).where(
        quarantine_matches(person), FailedLead.resolved_at.is_(None)
    )
    return sorted({(i, f) for i, f in db.session.execute(query) if i and i not in stored})


def remove_copies(person: Person) -> dict[str, int]:
    """Delete the leads and every row holding a copy of them; keep the counters right."""
    quarantined_ids = [lead_id for lead_id, _form in quarantined(person)]
    removed = removal.remove_leads(person.leads, quarantined_ids)
    # Raw copies kept under no id of theirs, found by their email or phone.
    removed["meta_failed_leads"] += removal.delete(FailedLead.__table__, quarantine_matches(person))
    for lead in person.leads:
        db.session.expunge(lead)
    return dict(removed)


def after_commit() -> None:
    """After the erasure is committed (read nothing in between: a read transaction would hold
    the WAL): on SQLite (secure_delete zeroes freed pages), move the
    WAL into the database file and truncate it, so no copy of the erased rows stays there."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # outside SQLAlchemy's BEGIN: a checkpoint needs none open
    try:
        busy, _pages, _moved = raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.warning("WAL checkpoint after an erasure was blocked by a reader; it runs later")
    except sqlite3.OperationalError as error:
        log.warning("WAL checkpoint after an erasure failed: %s", error)
    finally:
        raw.close()


def list_erasures(limit: int = 100) -> list[PrivacyErasure]:
    query = sa.select(PrivacyErasure).order_by(PrivacyErasure.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def summary(person: Person) -> list[dict[str, object]]:
    """What an erasure of *person* would remove, one line per lead (for the confirmation)."""
    return [
        {
            "id": lead.id,
            "name": lead.full_name,
            "received": lead.meta_created_at,
            "status": lead.status,
            "reinquiry_of": lead.duplicate_of_id,
            "deleted": lead.deleted_at is not None,
        }
        for lead in person.leads
    ]
