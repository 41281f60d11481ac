"""Working a lead in one step: log the contact, move the status, set the next follow-up.

One submit of the lead page's form (or one JSON post) goes through the workflow's rules
(`lead_workflow`: TRANSITIONS, the timeline, the derived data) and the follow-ups
(`lead_tasks`), in one transaction: nothing is saved when any part is refused. Caller commits.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _

from app.errors import ValidationError
from app.models import FacebookLead, LeadInteraction, LeadTask, TaskKind, User
from app.services import lead_tasks, lead_workflow, patient_time


@dataclass(frozen=True)
class WorkStep:
    """What one submit asks for; every part but the contact type is optional."""

    interaction_type: str
    result: str | None = None
    description: str | None = None
    next_status: str | None = None
    follow_up: str | None = None  # a quick pick (lead_tasks.PICKS)
    follow_up_at: str | None = None  # local YYYY-MM-DDTHH:MM, with the pick "at"
    expected_version: int | None = None


@dataclass(frozen=True)
class WorkDone:
    interaction: LeadInteraction
    status_changed: bool
    task: LeadTask | None


def work_lead(
    lead: FacebookLead, step: WorkStep, *, actor: User, tz: str, now: datetime | None = None
) -> WorkDone:
    """Apply *step* to *lead*; raises the workflow's errors (ValidationError,
    InvalidTransitionError, StaleLeadError) before anything is written when it can."""
    now = now or datetime.now(UTC)
    if step.follow_up and lead.do_not_contact_at is not None:
        raise ValidationError(_("This lead is marked do not contact: no follow-up."))
    due = (
        lead_tasks.due_from_pick(
            step.follow_up,
            step.follow_up_at,
            now=now,
            tz=tz,
            patient_zone=patient_time.lead_zone(lead),
        )
        if step.follow_up
        else None
    )
    interaction = lead_workflow.add_interaction(
        lead,
        actor=actor,
        interaction_type=step.interaction_type,
        description=step.description,
        result=step.result,
        expected_version=step.expected_version,
    )
    changed = bool(step.next_status) and step.next_status != lead.status.value
    if changed:
        lead_workflow.change_status(lead, step.next_status, actor=actor)
    task = None
    if due is not None:
        kind = lead_tasks.ASKS_WHEN.get(step.result or "", TaskKind.FOLLOW_UP)
        task = lead_tasks.schedule(lead, due_at=due, actor=actor, kind=kind)
    return WorkDone(interaction, changed, task)
