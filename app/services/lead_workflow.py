"""Working a lead: status changes, assignment and logged contact, each with a timeline row.

Callers commit. Every change checks the lead's `version_id` when the caller saw one, so a stale
form never silently overwrites someone else's change (ConflictError → 409 on the API).
"""

import functools
import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from app import events
from app.errors import ConflictError, DomainError, ValidationError
from app.extensions import db
from app.i18n.labels import result_label, status_label
from app.models import FacebookLead, InteractionType, LeadInteraction, LeadStatus, User
from app.services import lead_counters, lead_scoring, lead_tasks, notifications, scoring_rules

log = logging.getLogger(__name__)
S = LeadStatus
OPEN_STATUSES = frozenset({S.NEW, S.ASSIGNED, S.CONTACTED, S.QUALIFIED})
CLOSING = frozenset({S.LOST, S.INVALID})
# Forward along the pipeline; lost/invalid from any open status; a closed lead can be reopened.
TRANSITIONS: dict[LeadStatus, frozenset[LeadStatus]] = {
    S.NEW: frozenset({S.ASSIGNED, S.CONTACTED}) | CLOSING,
    S.ASSIGNED: frozenset({S.NEW, S.CONTACTED}) | CLOSING,
    S.CONTACTED: frozenset({S.QUALIFIED}) | CLOSING,
    S.QUALIFIED: frozenset({S.CONVERTED, S.CONTACTED}) | CLOSING,
    S.CONVERTED: frozenset(),
    S.LOST: frozenset({S.NEW}),
    S.INVALID: frozenset({S.NEW}),
}
CONTACT_TYPES = frozenset({InteractionType.CALL, InteractionType.EMAIL, InteractionType.WHATSAPP})
LOGGABLE_TYPES = CONTACT_TYPES | {InteractionType.NOTE}
RESULTS = ("reached", "no_answer", "callback", "voicemail", "wrong_number", "not_interested")
MAX_DESCRIPTION = 4000


class InvalidTransitionError(DomainError):
    code = "invalid_transition"
    status = 422


class StaleLeadError(ConflictError):
    """The lead changed since the caller read it."""


class NotAllowedError(DomainError):
    code = "forbidden"
    status = 403


def flush_checked() -> None:
    """Flush a change to one lead; StaleLeadError when someone changed it meanwhile (its
    version moved). The caller rolls back (a route that catches it, or the app's handler of
    domain errors), as for any failed change: services flush, callers own the transaction."""
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleLeadError(stale_message()) from None


def stale_message() -> str:
    return _("This lead was changed by someone else. Reload it and try again.")


def held_back(change):
    """Run *change* with autoflush off, so nothing reaches the database before `record`
    flushes once, inside its stale-version handler. (A lazy load mid-change would otherwise
    flush the lead early: two version bumps, and a bare StaleDataError on a conflict.)"""

    @functools.wraps(change)
    def wrapper(*args, **kwargs):
        with db.session.no_autoflush:
            return change(*args, **kwargs)

    return wrapper


@held_back
def change_status(
    lead: FacebookLead,
    status: LeadStatus | str,
    *,
    actor: User | None,
    expected_version: int | None = None,
    note: str | None = None,
) -> LeadInteraction:
    """Move *lead* to *status* if the pipeline allows it; raises InvalidTransitionError."""
    check_version(lead, expected_version)
    before = lead_counters.key_of(lead)
    new = parse_status(status)
    old = lead.status
    if new == old:
        raise InvalidTransitionError(_("The lead is already %(status)s.", status=status_label(old)))
    if new not in TRANSITIONS[old]:
        allowed = ", ".join(status_label(s) for s in sorted(TRANSITIONS[old])) or _("none (closed)")
        raise InvalidTransitionError(
            _(
                "A %(old)s lead cannot become %(new)s. Allowed: %(allowed)s.",
                old=status_label(old),
                new=status_label(new),
                allowed=allowed,
            )
        )
    if new == S.ASSIGNED and lead.assigned_to_id is None:
        raise InvalidTransitionError(_("Assign the lead to someone: its status follows."))
    if new == S.NEW and lead.assigned_to_id is not None:
        raise InvalidTransitionError(_("Unassign the lead first: a new lead belongs to nobody."))
    apply_status(lead, new)
    text = f"Status {old.value} → {new.value}." + (f" {clean_text(note)}" if note else "")
    interaction = record(lead, actor, InteractionType.STATUS_CHANGE, text, before=before)
    if new not in OPEN_STATUSES:
        lead_tasks.complete_open(lead)  # nothing left to follow up on a closed lead
    return interaction


@held_back
def assign(
    lead: FacebookLead, assignee: User | None, *, actor: User, expected_version: int | None = None
) -> LeadInteraction:
    """Give *lead* to *assignee* (None = unassign). Only superadmins assign."""
    if not actor.is_superadmin:
        raise NotAllowedError(_("Only a superadmin can assign leads."))
    check_version(lead, expected_version)
    before = lead_counters.key_of(lead)
    if assignee is not None and not assignee.is_active:
        raise ValidationError(_("That user is deactivated."))
    previous = lead.assigned_to_id
    if previous == (assignee.id if assignee else None):
        raise ValidationError(_("The lead is already assigned to them."))
    was = f" (was {lead.assigned_to.username})" if lead.assigned_to else ""
    old_status = lead.status
    lead.assigned_to = assignee
    lead.assigned_to_id = assignee.id if assignee else None
    if assignee and lead.status == S.NEW:
        apply_status(lead, S.ASSIGNED)
    elif assignee is None and lead.status == S.ASSIGNED:
        apply_status(lead, S.NEW)
    text = (f"Assigned to {assignee.username}" if assignee else "Unassigned") + f"{was}."
    if lead.status != old_status:
        text += f" Status {old_status.value} → {lead.status.value}."
    interaction = record(
        lead, actor, InteractionType.ASSIGNMENT, text, before=before, previous_assignee=previous
    )
    lead_tasks.follow_assignment({lead.id: lead.assigned_to_id})  # open follow-ups move too
    return interaction


@held_back
def add_interaction(
    lead: FacebookLead,
    *,
    actor: User,
    interaction_type: InteractionType | str,
    description: str | None = None,
    result: str | None = None,
    expected_version: int | None = None,
) -> LeadInteraction:
    """Log a note or a contact attempt; reaching an open lead moves it to contacted."""
    check_version(lead, expected_version)
    before = lead_counters.key_of(lead)
    kind = parse_type(interaction_type)
    if result is not None and result not in RESULTS:
        raise ValidationError(
            _(
                "Unknown result; use one of: %(results)s.",
                results=", ".join(f"{r} ({result_label(r)})" for r in RESULTS),
            )
        )
    if kind == InteractionType.NOTE and not (description or "").strip():
        raise ValidationError(_("A note needs some text."))
    if kind in CONTACT_TYPES:
        lead.first_contacted_at = lead.first_contacted_at or datetime.now(UTC)
        if result == "reached" and lead.status in (S.NEW, S.ASSIGNED):
            apply_status(lead, S.CONTACTED)
    # Scored before the one flush, so the stored score and the announced one agree.
    rescore(lead, extra_results=(result,) if result else ())
    interaction = record(lead, actor, kind, clean_text(description), before=before, result=result)
    if kind in CONTACT_TYPES:
        lead_tasks.complete_open(lead)  # this attempt was the follow-up
    return interaction


PIPELINE = (S.NEW, S.ASSIGNED, S.CONTACTED, S.QUALIFIED, S.CONVERTED, S.LOST, S.INVALID)


def next_statuses(lead: FacebookLead) -> list[str]:
    """Where *lead* can go by a status change: forward steps first, closing ones last
    (assigned/new follow the assignment, so they are offered only when they agree with it)."""
    status = lead.status
    here = PIPELINE.index(status)
    allowed = set(TRANSITIONS[status])
    allowed.discard(S.ASSIGNED if lead.assigned_to_id is None else S.NEW)
    ahead = [s for s in PIPELINE[here + 1 :] if s in allowed and s not in CLOSING]
    back = [s for s in PIPELINE[:here] if s in allowed]
    return [s.value for s in ahead + back + [s for s in PIPELINE if s in CLOSING & allowed]]


def check_version(lead: FacebookLead, expected: int | None) -> None:
    if expected is not None and expected != lead.version_id:
        raise StaleLeadError(stale_message())


def parse_status(value: LeadStatus | str) -> LeadStatus:
    try:
        return LeadStatus(value)
    except ValueError:
        raise ValidationError(_("Unknown status %(value)r.", value=str(value)[:40])) from None


def parse_type(value: InteractionType | str) -> InteractionType:
    try:
        kind = InteractionType(value)
    except ValueError:
        kind = None
    if kind not in LOGGABLE_TYPES:
        raise ValidationError(_("Log a note, call, email or whatsapp."))
    return kind


def apply_status(lead: FacebookLead, new: LeadStatus) -> None:
    """Move the status and its milestones (the funnel counts leads that reached a stage, so
    qualified_at stays when a qualified lead goes back to contacted; lost_at goes when a lost
    lead is reopened)."""
    now = datetime.now(UTC)
    if new == S.CONTACTED:
        lead.first_contacted_at = lead.first_contacted_at or now
    if new == S.QUALIFIED:
        lead.qualified_at = lead.qualified_at or now
    if new == S.CONVERTED:
        lead.converted_at = now
    elif lead.status == S.CONVERTED:
        lead.converted_at = None
    lead.lost_at = now if new == S.LOST else None
    lead.status = new


def clean_text(text: str | None) -> str | None:
    text = (text or "").strip()
    return text[:MAX_DESCRIPTION] or None


def record(
    lead: FacebookLead,
    actor: User | None,
    kind: InteractionType,
    text: str | None,
    *,
    before: lead_counters.Key | None,
    previous_assignee: int | None = None,
    result: str | None = None,
) -> LeadInteraction:
    """Write the timeline row, flush (version check), move the lead's counter, queue events."""
    status_changed = before is not None and before[2] != lead.status.value
    interaction = LeadInteraction(
        lead_id=lead.id,
        user_id=actor.id if actor else None,
        interaction_type=kind,
        description=text,
        result=result,
        from_status=before[2] if status_changed else None,
        to_status=lead.status.value if status_changed else None,
        created_at=datetime.now(UTC),
    )
    db.session.add(interaction)
    lead.updated_at = datetime.now(UTC)
    flush_checked()
    lead_counters.moved(before, lead_counters.key_of(lead))
    announce_update(lead, previous_assignee)
    notifications.lead_changed(lead, interaction, actor, previous_assignee)
    log.info("lead %s: %s by user %s", lead.id, kind.value, actor.id if actor else "system")
    return interaction


def rescore(
    lead: FacebookLead, now: datetime | None = None, extra_results: tuple[str, ...] = ()
) -> None:
    """Recompute the stored score and breakdown from the lead and its logged results
    (plus *extra_results*, not yet stored)."""
    with db.session.no_autoflush:
        stored = db.session.scalars(
            sa.select(LeadInteraction.result).where(
                LeadInteraction.lead_id == lead.id, LeadInteraction.result.is_not(None)
            )
        )
        results = (*stored, *extra_results)
    values = {column: getattr(lead, column) for column in lead_scoring.SCORED_COLUMNS}
    lead.score, lead.score_breakdown = lead_scoring.score_values(
        values, now=now, contact_results=results, rules=scoring_rules.current_rules()
    )


def announce_update(lead: FacebookLead, previous_assignee: int | None) -> None:
    """`lead_updated` to the dashboard, the lead's room and its assignee; the previous
    assignee only learns the lead left them."""
    payload = {
        "id": lead.id,
        "status": lead.status.value,
        "assigned_to_id": lead.assigned_to_id,
        "score": lead.score,
        "version_id": lead.version_id,
    }
    rooms = [events.DASHBOARD_ROOM, f"lead:{lead.id}"]
    if lead.assigned_to_id:
        rooms.append(f"user:{lead.assigned_to_id}")
    if previous_assignee and previous_assignee != lead.assigned_to_id:
        # The lead's room may hold the previous assignee's sockets: empty it first (who may
        # still see the lead hears on through the dashboard or their own room).
        events.close_room(rooms[1])
        events.publish(
            "lead_updated", {"id": lead.id, "visible": False}, to=f"user:{previous_assignee}"
        )
    events.publish("lead_updated", payload, to=rooms)
    events.publish("stats_updated", {}, to=rooms[:1] + rooms[2:])
