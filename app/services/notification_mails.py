"""How the lead mails read (builders for mail_render): built at send time from the lead as
it is then, in the recipient's language, with the least personal data that does the job:
name, treatment and score; phone and email only in the assignee's own mail."""

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.extensions import db
from app.i18n.formats import display_name
from app.meta.treatments import treatment_label
from app.models import FacebookLead, OutboxMail, User
from app.services import notifications
from app.services.mail_render import Built, builder

DIGEST_SHOWN = 50  # leads listed in one digest; the link shows the rest


def live_lead(lead_id: int | None) -> FacebookLead | None:
    """The lead a mail is about, if it still deserves one: not deleted, not do-not-contact
    (a flag set after the mail was queued drops it: no prompt to contact the person)."""
    lead = db.session.get(FacebookLead, lead_id) if lead_id else None
    if lead is None or lead.deleted_at is not None or lead.do_not_contact_at is not None:
        return None
    return lead


def live_leads(lead_ids: list[int]) -> list[FacebookLead]:
    query = (
        sa.select(FacebookLead)
        .where(
            FacebookLead.id.in_(lead_ids),
            FacebookLead.deleted_at.is_(None),
            FacebookLead.do_not_contact_at.is_(None),
        )
        .order_by(FacebookLead.score.desc(), FacebookLead.id)
    )
    return list(db.session.scalars(query))


def lead_url(lead: FacebookLead) -> str:
    return url_for("leads.detail", lead_id=lead.id, _external=True)


def name_of(lead: FacebookLead) -> str:
    return display_name(lead.full_name, lead.phone) or _("(no name)")


def user_name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return user.shown_name if user else _("the system")


@builder("new_lead")
def build_new_lead(mail: OutboxMail) -> Built:
    lead = live_lead(mail.lead_id)
    if lead is None:
        return None
    subject = _(
        "[Meta Lead Desk] New lead: %(treatment)s, score %(score)s",
        treatment=treatment_label(lead.service) or _("no treatment given"),
        score=lead.score,
    )
    return subject, {"lead": lead, "name": name_of(lead), "url": lead_url(lead)}


@builder("new_lead_digest")
def build_new_lead_digest(mail: OutboxMail) -> Built:
    leads = live_leads(notifications.digest_lead_ids(mail))
    if not leads:
        return None
    subject = ngettext(
        "[Meta Lead Desk] %(num)s new lead", "[Meta Lead Desk] %(num)s new leads", len(leads)
    )
    return subject, digest_context(leads)


def digest_context(leads: list[FacebookLead]) -> dict:
    shown = leads[:DIGEST_SHOWN]
    return {
        "leads": [(lead, name_of(lead), lead_url(lead)) for lead in shown],
        "total": len(leads),
        "more": len(leads) - len(shown),
        "dashboard_url": url_for("leads.index", _external=True),
    }


@builder("assignment")
def build_assignment(mail: OutboxMail) -> Built:
    lead = live_lead(mail.lead_id)
    if lead is None or lead.assigned_to_id != mail.user_id:
        return None  # reassigned again before the mail went: nothing of theirs to say
    name = name_of(lead)
    subject = _("[Meta Lead Desk] Assigned to you: %(name)s", name=name)
    context = {"lead": lead, "name": name, "url": lead_url(lead)}
    return subject, context | {"by": user_name((mail.params or {}).get("actor_id"))}


@builder("assignment_digest")
def build_assignment_digest(mail: OutboxMail) -> Built:
    leads = [
        lead
        for lead in live_leads(notifications.digest_lead_ids(mail))
        if lead.assigned_to_id == mail.user_id
    ]
    if not leads:
        return None
    subject = ngettext(
        "[Meta Lead Desk] %(num)s lead assigned to you",
        "[Meta Lead Desk] %(num)s leads assigned to you",
        len(leads),
    )
    return subject, digest_context(leads)


@builder("lead_changed")
def build_lead_changed(mail: OutboxMail) -> Built:
    lead = live_lead(mail.lead_id)
    if lead is None:
        return None
    params, name = mail.params or {}, name_of(lead)
    context = {"lead": lead, "name": name, "by": user_name(params.get("actor_id"))}
    if params.get("change") == "reassigned":
        subject = _("[Meta Lead Desk] %(name)s was given to someone else", name=name)
        to = user_name(params["to_user_id"]) if params.get("to_user_id") else None
        missed = params.get("reason") == "rerouted_breach"
        return subject, context | {"reassigned": True, "to": to, "missed_target": missed}
    subject = _("[Meta Lead Desk] Your lead %(name)s changed", name=name)
    status = {"from_status": params.get("from"), "to_status": params.get("to")}
    return subject, context | status | {"url": lead_url(lead)}
