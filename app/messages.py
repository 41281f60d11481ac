"""Messages stored as a code + params (sync errors, quarantine reasons, webhook problems), so
each reader sees them in their own language: services store the code and its params, pages
translate them (`translated`), logs and the CLI use the English text (`english`).

Params hold numbers, codes and Meta's own words, never lead data (names, answers)."""

from collections.abc import Mapping
from typing import Any, NamedTuple

from flask_babel import gettext, ngettext

from app.i18n.labels import status_label


def N_(text: str) -> str:
    """Mark *text* for message extraction; it is translated where it is shown."""
    return text


class Plural(NamedTuple):
    """A message whose words follow a number: its singular, its plural, and the param counted."""

    singular: str
    plural: str
    counted: str


def Nn_(singular: str, plural: str, counted: str) -> Plural:  # noqa: N802 (gettext style)
    """Mark a plural message for extraction (the Makefile's `-k Nn_:1,2`)."""
    return Plural(singular, plural, counted)


MESSAGES: dict[str, str | Plural] = {
    # Meta's answers, in plain words with what to do about them
    "meta_auth": N_("Meta refused the token (code %(code)s): paste a new Page access token."),
    "meta_throttled": N_(
        "Meta is rate-limiting this Page (code %(code)s); syncing resumes after %(until)s."
    ),
    "meta_throttled_soon": N_(
        "Meta is rate-limiting this Page (code %(code)s); try again in a few minutes."
    ),
    "meta_unreachable": N_("Meta could not be reached (%(reason)s); the next run retries."),
    "meta_error": N_("Meta answered with error %(code)s: %(message)s"),
    "meta_unreadable": N_("Meta sent an answer that could not be read (%(reason)s)."),
    # what was wrong with a page of leads (the checkpoint stays put; the next run reads again)
    "page_data_not_list": N_("A page of leads from Meta was not a list; it is read again."),
    "page_entries_unusable": Nn_(
        "%(count)s entry on a page from Meta was not a lead.",
        "%(count)s entries on a page from Meta were not leads.",
        "count",
    ),
    "paging_cut_short": N_("Meta's list of leads stopped early; the rest is read again."),
    "paging_next_missing": N_("Meta's list of leads left out a link to the next page."),
    "leads_quarantined": N_("Leads kept raw because they could not be stored: %(count)s."),
    "internal_error": N_("Internal error; see the server log."),
    "interrupted": N_("Interrupted: the process running this sync stopped."),
    # why a raw lead is quarantined
    "lead_not_object": N_("The lead is not a JSON object."),
    "lead_no_id": N_("The lead has no usable id."),
    "field_data_shape": N_("Its answers (field_data) are %(shape)s instead of a list."),
    "lead_unreadable": N_("Meta's answer for this lead could not be read (%(reason)s)."),
    "database_refused": N_("The database refused the lead (%(error)s)."),
    "lead_crashed": N_("The lead could not be processed (%(error)s); see the server log."),
    "webhook_entry_invalid": N_("A signed webhook entry that is not a lead notification."),
    "lead_erased": N_("This person's data was erased on request; the lead is not stored again."),
    # timeline rows written by the system
    "reinquiry": N_("Asked again as lead #%(lead_id)s."),
    "entered_by_hand": N_("Entered by hand."),
    "lead_merged": N_("Lead #%(lead_id)s was merged into this one."),
    "merged_into": N_("Merged into lead #%(lead_id)s."),
    "merge_undone": N_("The merge with lead #%(lead_id)s was undone."),
    "bulk_status": N_("Status changed to %(status)s by bulk action #%(job_id)s."),
    "bulk_assigned": N_("Assigned by bulk action #%(job_id)s."),
    "bulk_unassigned": N_("Unassigned by bulk action #%(job_id)s."),
    "bulk_deleted": N_("Deleted by bulk action #%(job_id)s."),
    "bulk_restored": N_("Restored by bulk action #%(job_id)s."),
    "bulk_undone": N_("Bulk action #%(job_id)s undone."),
    "routed_round_robin": N_("Assigned to %(user)s by the rule “%(rule)s” (round-robin)."),
    "routed_least_loaded": N_("Assigned to %(user)s by the rule “%(rule)s” (least open load)."),
    "routed_reinquiry_owner": N_("Assigned to %(user)s, who has the original lead #%(lead_id)s."),
    "rerouted_breach": N_(
        "Re-routed to %(user)s by the rule “%(rule)s”: the response target was missed."
    ),
    "rerouted_deactivated": N_(
        "Re-routed to %(user)s by the rule “%(rule)s”: the previous owner was deactivated."
    ),
    "dnc_set_patient_request": N_("Marked do not contact: the patient asked not to be contacted."),
    "dnc_set_wrong_number": N_("Marked do not contact: wrong number."),
    "dnc_set_complaint": N_("Marked do not contact: the patient complained."),
    "dnc_cleared": N_("Do not contact lifted: this lead may be contacted again."),
    "dnc_reinquiry": N_(
        "This person is marked do not contact (lead #%(lead_id)s): stored for a superadmin to "
        "review, not routed and no alerts."
    ),
    "response_breached": Nn_(
        "The first-contact target of %(minutes)s minute was missed.",
        "The first-contact target of %(minutes)s minutes was missed.",
        "minutes",
    ),
    # webhook events
    "no_connection": N_("No active Meta connection owns this Page or form."),
    "not_listed_yet": N_("Meta does not list this new lead yet (code %(code)s); retrying."),
    "gave_up": Nn_(
        "Gave up after %(attempts)s attempt.", "Gave up after %(attempts)s attempts.", "attempts"
    ),
}


def english(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The message in English (logs, the CLI, the plain-text columns kept beside the code)."""
    template, values = MESSAGES.get(code), dict(params or {})
    if isinstance(template, Plural):
        template = template.singular if count_of(template, values) == 1 else template.plural
    return code if template is None else template % values


def count_of(message: Plural, params: Mapping[str, Any]) -> int:
    try:
        return int(params.get(message.counted, 0))
    except (TypeError, ValueError):
        return 0


def translated(code: str | None, params: Mapping[str, Any] | None, fallback: str | None) -> str:
    """The message in the current locale; *fallback* (the stored text) for unknown codes."""
    if not code or code not in MESSAGES:
        return fallback or ""
    template, values = MESSAGES[code], dict(params or {})
    if "status" in values:  # stored as its code ("lost"): shown as the reader's word for it
        values["status"] = status_label(values["status"])
    if isinstance(template, Plural):
        n = count_of(template, values)
        return ngettext(template.singular, template.plural, n, **values)
    return gettext(template, **values)
