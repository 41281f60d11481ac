"""What the code's values are called on screen, in the current language.

Statuses, roles, interaction kinds and results are stored as English codes; people read these
labels (never `.capitalize()` of a code). Lazy, so the mappings can be built at import.
"""

import enum

from flask_babel import lazy_gettext as _l

from app.models import (
    AccessAction,
    BackupStatus,
    BackupTrigger,
    ConfigStatus,
    InteractionType,
    LeadStatus,
    Role,
    SyncStatus,
    SyncTrigger,
    TaskKind,
    WebhookEventStatus,
)

LEAD_STATUS = {
    LeadStatus.NEW: _l("New"),
    LeadStatus.ASSIGNED: _l("Assigned"),
    LeadStatus.CONTACTED: _l("Contacted"),
    LeadStatus.QUALIFIED: _l("Qualified"),
    LeadStatus.CONVERTED: _l("Converted"),
    LeadStatus.LOST: _l("Lost"),
    LeadStatus.INVALID: _l("Invalid"),
}
INTERACTION = {
    InteractionType.STATUS_CHANGE: _l("Status change"),
    InteractionType.ASSIGNMENT: _l("Assignment"),
    InteractionType.NOTE: _l("Note"),
    InteractionType.CALL: _l("Call"),
    InteractionType.EMAIL: _l("Email"),
    InteractionType.WHATSAPP: _l("WhatsApp"),
    InteractionType.REINQUIRY: _l("Re-inquiry"),
    InteractionType.SYSTEM: _l("System"),
    InteractionType.EDIT: _l("Edited"),
    InteractionType.MERGE: _l("Merged"),
}
# Outcomes of a contact attempt (lead_workflow.RESULTS).
RESULT = {
    "reached": _l("Reached"),
    "no_answer": _l("No answer"),
    "callback": _l("Call back later"),
    "voicemail": _l("Voicemail"),
    "wrong_number": _l("Wrong number"),
    "not_interested": _l("Not interested"),
}
# The "when?" quick picks of a follow-up (lead_tasks.PICKS).
FOLLOW_UP_PICK = {
    "in_1h": _l("In 1 hour"),
    "evening": _l("This evening 18:00"),
    "tomorrow": _l("Tomorrow 10:00"),
    "their_tomorrow": _l("Tomorrow 10:00 their time"),
    "at": _l("At a time…"),
}
TASK_KIND = {
    TaskKind.CALLBACK: _l("Call back"),
    TaskKind.RETRY: _l("Try again"),
    TaskKind.FOLLOW_UP: _l("Follow up"),
    TaskKind.REINQUIRY: _l("Asked again"),
}
ROLE = {Role.SUPERADMIN: _l("Superadmin"), Role.STAFF: _l("Staff")}
SYNC_STATUS = {
    SyncStatus.RUNNING: _l("Running"),
    SyncStatus.OK: _l("OK"),
    SyncStatus.PARTIAL: _l("Partial"),
    SyncStatus.FAILED: _l("Failed"),
}
SYNC_TRIGGER = {
    SyncTrigger.SCHEDULE: _l("Scheduled poll"),
    SyncTrigger.MANUAL: _l("Manual"),
    SyncTrigger.WEBHOOK: _l("Webhook"),
    SyncTrigger.BACKFILL: _l("Backfill"),
}
WEBHOOK_STATUS = {
    WebhookEventStatus.PENDING: _l("Waiting"),
    WebhookEventStatus.PROCESSING: _l("Processing"),
    WebhookEventStatus.DONE: _l("Done"),
    WebhookEventStatus.UNKNOWN_PAGE: _l("Unknown Page"),
    WebhookEventStatus.FAILED: _l("Failed"),
}
CONFIG_STATUS = {
    ConfigStatus.OK: _l("ok"),
    ConfigStatus.FAILING: _l("failing"),
    ConfigStatus.NEEDS_REAUTH: _l("token needed"),
}
BACKUP_TRIGGER = {BackupTrigger.SCHEDULE: _l("Daily"), BackupTrigger.MANUAL: _l("Manual")}
BACKUP_STATUS = {BackupStatus.OK: _l("OK"), BackupStatus.FAILED: _l("Failed")}
# A lead form's status on Meta, as Meta spells it.
META_FORM_STATUS = {
    "ACTIVE": _l("active"),
    "ARCHIVED": _l("archived"),
    "DELETED": _l("deleted"),
    "DRAFT": _l("draft"),
}
PLATFORM = {"fb": "Facebook", "ig": "Instagram"}  # brand names stay as they are
# Where a lead came from (facebook_leads.source): Meta's own, or entered by hand.
LEAD_SOURCE = {
    "meta": _l("Meta"),
    "manual": _l("Entered by hand"),
    "phone": _l("Phone call"),
    "walk_in": _l("Walk-in"),
    "referral": _l("Referral"),
}
# The lead record's editable fields (lead_record.FIELDS), as the edit and merge pages name them.
LEAD_FIELD = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "country": _l("Country"),
    "city": _l("City"),
    "service": _l("Treatment"),
    "notes": _l("Notes"),
}
# Score factors in a word (the score pill's tooltip); lead_scoring.FACTOR_LABELS says more.
SCORE_FACTOR = {
    "contact": _l("Contact"),
    "freshness": _l("Freshness"),
    "service": _l("Treatment"),
    "engagement": _l("Engagement"),
    "age": _l("Age"),
}

ACCESS_ACTION = {
    AccessAction.VIEW: _l("Opened the lead page"),
    AccessAction.API: _l("Read the lead (API)"),
    AccessAction.EXPORT: _l("Exported leads"),
    AccessAction.ERASE: _l("Erased a person"),
    AccessAction.SUBJECT_EXPORT: _l("Exported a person's data"),
}

BY_ENUM: dict[type[enum.Enum], dict] = {
    LeadStatus: LEAD_STATUS,
    InteractionType: INTERACTION,
    Role: ROLE,
    SyncStatus: SYNC_STATUS,
    SyncTrigger: SYNC_TRIGGER,
    WebhookEventStatus: WEBHOOK_STATUS,
    ConfigStatus: CONFIG_STATUS,
    BackupTrigger: BACKUP_TRIGGER,
    BackupStatus: BACKUP_STATUS,
    TaskKind: TASK_KIND,
    AccessAction: ACCESS_ACTION,
}


def label(value: enum.Enum | str | None) -> str:
    """The on-screen name of an enum value of the models (its code when it has none)."""
    if value is None:
        return ""
    if not isinstance(value, enum.Enum):
        return str(value)
    found = BY_ENUM.get(type(value), {}).get(value)
    return str(found) if found is not None else str(value.value)


def status_label(status: LeadStatus | str) -> str:
    """A lead status, given as the enum or its stored code."""
    try:
        return label(LeadStatus(status))
    except ValueError:
        return str(status)


def result_label(result: str | None) -> str:
    if not result:
        return ""
    found = RESULT.get(result)
    return str(found) if found is not None else result


def dnc_reason(reason: str | None) -> str:
    found = DNC_REASON.get(reason or "")
    return str(found) if found is not None else (reason or "")


# Why a lead must not be contacted (FacebookLead.do_not_contact_reason, DNC_REASONS).
DNC_REASON = {
    "patient_request": _l("Patient's request"),
    "wrong_number": _l("Wrong number"),
    "complaint": _l("Complaint"),
}
