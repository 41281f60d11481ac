"""Leads entered by hand (a phone call, a walk-in, a referral): checked like an edit, then
stored through Meta's own insert path (`meta_lead_service.ingest_raw_leads`), so they are
normalised, scored, linked as re-inquiries, routed and announced exactly as Meta's are.

The typed answers are kept as the lead's `form_data` (what was first entered), under a lead
id of our own (`manual-…`), unique like Meta's. Callers commit."""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from app.errors import ValidationError
from app.extensions import db
from app.meta.treatments import TREATMENTS
from app.models import (
    Distributor,
    FacebookLead,
    InteractionType,
    LeadInteraction,
    LeadOrigin,
    User,
)
from app.services import lead_record, meta_lead_service

BY_HAND = tuple(origin.value for origin in LeadOrigin if origin != LeadOrigin.META)
# How each typed field is asked on a Meta form, so the one normaliser reads it the same way.
QUESTIONS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone_number",
    "country": "country",
    "city": "city",
}


def add_lead(
    data: Mapping[str, Any],
    *,
    source: str,
    distributor_id: int | None,
    actor: User,
    as_reinquiry: bool = False,
    region: str = "TR",
) -> FacebookLead:
    """Store a lead typed in by hand and return it. Raises ValidationError for bad input
    and SamePersonError when the phone or email is already a lead's (unless *as_reinquiry*:
    then it is stored as that lead's re-inquiry, as a repeat from Meta would be)."""
    if source not in BY_HAND:
        raise ValidationError(_("Choose where the lead came from."))
    distributor = db.session.get(Distributor, distributor_id) if distributor_id else None
    if distributor is None or not distributor.is_active:
        raise ValidationError(_("Choose the distributor the lead belongs to."))
    values = lead_record.clean_fields(data, {}, region)
    if not (values.get("phone") or values.get("email")):
        raise ValidationError(_("Enter a phone number or an email address."))
    others = lead_record.same_person(None, values, distributor.id)
    if others and not as_reinquiry:
        raise lead_record.SamePersonError(
            _("This person already exists as lead #%(id)s.", id=others[0]), others
        )
    now = datetime.now(UTC)
    raw = raw_lead(values, now)
    origin = meta_lead_service.LeadSource(distributor.id, origin=source)
    result = meta_lead_service.ingest_raw_leads([raw], origin, default_region=region, now=now)
    if not result.created_ids:
        raise ValidationError(_("The lead could not be stored."))
    lead = db.session.get(FacebookLead, result.created_ids[0])
    lead.notes = values.get("notes")
    db.session.add(
        LeadInteraction(
            lead_id=lead.id,
            user_id=actor.id,
            interaction_type=InteractionType.SYSTEM,
            description="Entered by hand.",
            message_code="entered_by_hand",
            created_at=now,
        )
    )
    db.session.flush()
    return lead


def raw_lead(values: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The typed values as a Graph lead (the treatment by its English name, which the
    normaliser maps back to its key)."""
    typed = dict(values) | {"phone": values.get("phone_raw")}  # as typed; read the same way
    answers = [
        {"name": question, "values": [typed[name]]}
        for name, question in QUESTIONS.items()
        if typed.get(name)
    ]
    if values.get("service"):
        with force_locale("en"):
            answers.append({"name": "treatment", "values": [str(TREATMENTS[values["service"]])]})
    return {
        "id": f"manual-{uuid.uuid4().hex[:24]}",
        "created_time": now.isoformat(),
        "field_data": answers,
    }


def who_entered(lead: FacebookLead, actor: User) -> dict[str, Any]:
    """What the API answers for a new lead: its id (and whether the actor may open it)."""
    return {"id": lead.id, "visible": actor.is_superadmin or lead.assigned_to_id == actor.id}
