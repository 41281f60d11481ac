"""Correcting a lead's record by hand: name, contact, place, treatment and notes.

The typed values go through the ingest normaliser (E.164 phones, validated emails,
`app/meta/normalize.py`), so a corrected lead looks like one Meta sent right; the score,
search terms and counters follow through the one derived-data place (`lead_derived`);
re-inquiry links are re-checked; Meta's original answers (`form_data`) are never touched.
Every edit writes one timeline row with each field's old → new value. Callers commit."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import ConflictError, ValidationError
from app.extensions import db
from app.meta import normalize
from app.meta.text import clean, scrub_text
from app.meta.treatments import TREATMENTS
from app.models import FacebookLead, InteractionType, LeadInteraction, User
from app.services import lead_derived, lead_duplicates, lead_workflow, notifications

L = FacebookLead
FIELDS = ("first_name", "last_name", "email", "phone", "country", "city", "service", "notes")
LIMITS = {"first_name": 255, "last_name": 255, "country": 120, "city": 120}
MAX_NOTES = 4000


class SamePersonError(ConflictError):
    """The typed phone or email is another lead's: offer to open or merge it instead."""

    code = "same_person"

    def __init__(self, message: str, lead_ids: list[int]) -> None:
        super().__init__(message)
        self.lead_ids = lead_ids
        self.details = {"lead_ids": lead_ids}


def may_edit(lead: FacebookLead, actor: User) -> bool:
    """Superadmins, and the staff member the lead is assigned to."""
    return actor.is_superadmin or (actor.id is not None and lead.assigned_to_id == actor.id)


def clean_fields(data: Mapping[str, Any], current: Mapping[str, Any], region: str) -> dict:
    """The typed fields of *data* (those present) as column values, normalised like Meta's;
    *current* supplies the others (a phone is read in the country's region). Raises
    ValidationError with a clear message for a bad phone, email or treatment."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ValidationError(_("Unknown field: %(fields)s.", fields=", ".join(unknown)[:80]))
    for name, value in data.items():
        if value is not None and not isinstance(value, str):
            raise ValidationError(_("%(field)s must be text.", field=name))
    text = {name: (value or "").strip() for name, value in data.items()}
    values: dict[str, Any] = {}
    for name in ("first_name", "last_name", "country", "city"):
        if name in text:
            values[name] = clean(text[name], LIMITS[name]) or None
    if "notes" in text:
        values["notes"] = scrub_text(text["notes"])[:MAX_NOTES] or None
    if "service" in text:
        values["service"] = checked_service(text["service"])
    if "email" in text:
        values["email"] = checked_email(text["email"])
    merged = dict(current) | values
    if "phone" in text or "country" in text:
        raw = text.get("phone", current.get("phone_raw") or current.get("phone") or "")
        values |= checked_phone(raw, merged, region, strict="phone" in text)
    return values


def checked_service(value: str) -> str | None:
    if value and value not in TREATMENTS:
        raise ValidationError(_("Pick a treatment from the list."))
    return value or None


def checked_email(value: str) -> str | None:
    if not value:
        return None
    email = normalize.normalize_email(value)
    if email is None:
        raise ValidationError(_("The email address is not valid; nothing was saved."))
    return email


def checked_phone(raw: str, merged: Mapping[str, Any], region: str, *, strict: bool) -> dict:
    """phone (E.164), phone_raw and country_code for *raw* read in the lead's country."""
    phone = None
    if raw:
        phone = normalize.normalize_phone(
            raw,
            normalize.region_for(merged.get("country"), region),
            normalize.email_region(merged.get("email")),
        )
        if phone is None and strict:
            raise ValidationError(
                _("The phone number is not valid; write it with its country code (+49 …).")
            )
    return {
        "phone": phone,
        "phone_raw": clean(raw, 255) or None,
        "country_code": normalize.country_code(phone, merged.get("country")),
    }


def current_values(lead: FacebookLead) -> dict[str, Any]:
    return {name: getattr(lead, name) for name in (*FIELDS, "phone_raw")}


def same_person(
    lead: FacebookLead | None, values: Mapping[str, Any], distributor_id: int | None
) -> list[int]:
    """Ids of other stored leads of the distributor with the phone or email in *values*
    (leads already linked to *lead* as the same person are not listed)."""
    keys = [L.phone == values["phone"]] if values.get("phone") else []
    keys += [L.email == values["email"]] if values.get("email") else []
    if not keys:
        return []
    query = sa.select(L.id).where(
        L.distributor_id == distributor_id,
        L.deleted_at.is_(None),
        L.is_test.is_(False),
        sa.or_(*keys),
    )
    if lead is not None:
        root = lead.duplicate_of_id or lead.id
        query = query.where(
            L.id != root, sa.or_(L.duplicate_of_id.is_(None), L.duplicate_of_id != root)
        )
    return list(db.session.scalars(query.order_by(L.id).limit(20)))


def edit_lead(
    lead: FacebookLead,
    data: Mapping[str, Any],
    *,
    actor: User,
    expected_version: int | None,
    confirm_same_person: bool = False,
    region: str = "TR",
) -> LeadInteraction | None:
    """Apply the typed fields to *lead*; None when nothing changed. Raises NotAllowedError,
    StaleLeadError (409), ValidationError, SamePersonError (unless confirmed)."""
    if not may_edit(lead, actor):
        raise lead_workflow.NotAllowedError(
            _("Only a superadmin or the lead's own coordinator can edit it.")
        )
    if expected_version is None:
        raise ValidationError(_("Missing %(fields)s.", fields="version_id"))
    lead_workflow.check_version(lead, expected_version)
    values = clean_fields(data, current_values(lead), region)
    changes = [
        [name, getattr(lead, name), new]
        for name, new in values.items()
        if name in FIELDS and getattr(lead, name) != new
    ]
    if not changes:
        return None
    contact = {n: v for n, v in values.items() if n in ("phone", "email") and getattr(lead, n) != v}
    others = same_person(lead, contact, lead.distributor_id)
    if others and not confirm_same_person:
        raise SamePersonError(
            _(
                "Lead #%(id)s already has this phone or email: open it or merge the two.",
                id=others[0],
            ),
            others,
        )
    return apply_values(lead, values, actor)


def apply_values(
    lead: FacebookLead,
    values: Mapping[str, Any],
    actor: User | None,
    *,
    message: tuple[str, dict[str, Any]] = ("lead_edited", {}),
) -> LeadInteraction:
    """Write *values* with their derived data and one timeline row (*message*: its code and
    params, which gain each field's old → new value), flush, announce. An edit re-checks
    the re-inquiry link; a merge (any other message) sets links itself."""
    code, params = message
    changes = [[n, getattr(lead, n), v] for n, v in values.items() if n in FIELDS]
    changes = [change for change in changes if change[1] != change[2]]
    before = lead_derived.snapshot(lead)
    with db.session.no_autoflush:
        for name, value in values.items():
            setattr(lead, name, value)
        if code == "lead_edited" and {"phone", "email"} & set(values):
            relink(lead)
        lead_derived.prepare(lead, before)
    interaction = LeadInteraction(
        lead_id=lead.id,
        user_id=actor.id if actor else None,
        interaction_type=InteractionType.EDIT if code == "lead_edited" else InteractionType.MERGE,
        description=f"{code}: " + ", ".join(name for name, _old, _new in changes),
        message_code=code,
        message_params=params | {"changes": changes},
        created_at=datetime.now(UTC),
    )
    db.session.add(interaction)
    lead.updated_at = datetime.now(UTC)
    lead_workflow.flush_checked()
    lead_derived.settle(lead, before)
    lead_workflow.announce_update(lead, None)
    notifications.lead_changed(lead, interaction, actor, None)
    return interaction


def relink(lead: FacebookLead) -> None:
    """Re-check the re-inquiry link after a phone or email change: a re-inquiry that no
    longer shares a phone or email with its original stands alone; a lead with no
    re-inquiries of its own that now repeats an earlier lead becomes its re-inquiry."""
    keys = {"phone": lead.phone, "email": lead.email}
    if lead.duplicate_of_id is not None:
        original = db.session.get(L, lead.duplicate_of_id)
        if original is None or not any(keys[k] and keys[k] == getattr(original, k) for k in keys):
            lead.duplicate_of_id = None
        return
    has_children = db.session.scalar(sa.select(L.id).where(L.duplicate_of_id == lead.id).limit(1))
    if has_children or lead.is_test:
        return
    rows = [{"phone": lead.phone, "email": lead.email, "is_test": False}]
    roots = lead_duplicates.stored_roots(rows, lead.distributor_id)
    earlier = [root for key, root in roots.items() if root < lead.id]
    if earlier:
        lead.duplicate_of_id = min(earlier)
        lead_duplicates.log_reinquiries({lead.id: lead.duplicate_of_id}, datetime.now(UTC))
