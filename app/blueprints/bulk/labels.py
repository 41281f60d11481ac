"""What bulk actions, their states and skip reasons are called on screen."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.i18n.labels import status_label
from app.i18n.web import plural_forms
from app.models import BulkAction, BulkJob, BulkState

STATES = {
    BulkState.QUEUED: _l("Waiting"),
    BulkState.RUNNING: _l("Running"),
    BulkState.DONE: _l("Done"),
    BulkState.INTERRUPTED: _l("Interrupted"),
    BulkState.FAILED: _l("Failed"),
    BulkState.UNDONE: _l("Undone"),
}
REASONS = {
    "already": _l("already so"),
    "invalid_transition": _l("not allowed from its status"),
    "needs_assignee": _l("nobody assigned"),
    "assigned": _l("still assigned"),
    "not_found": _l("not found"),
}


def action(job: BulkJob) -> str:
    params = job.params or {}
    if job.action is BulkAction.STATUS:
        return _("Status → %(status)s", status=status_label(params.get("status", "")))
    if job.action is BulkAction.ASSIGN and params.get("user_ids"):
        count = len(params["user_ids"])
        return ngettext("Spread over %(num)s person", "Spread over %(num)s people", count)
    if job.action is BulkAction.ASSIGN:
        return _("Assign") if params.get("user_id") else _("Unassign")
    return _("Delete") if job.action is BulkAction.DELETE else _("Restore")


def state(value: BulkState) -> str:
    return str(STATES.get(value, value))


def reason(code: str) -> str:
    return str(REASONS.get(code, code))


def ui_strings() -> dict:
    """What static/js/bulk.js shows, translated (the dashboard embeds it with `|tojson`)."""
    n = "{count}"
    return {
        "selected": plural_forms(
            lambda k: ngettext("%(count)s selected", "%(count)s selected", k, count=n)
        ),
        "selectAll": plural_forms(
            lambda k: ngettext(
                "Select all %(count)s matching lead",
                "Select all %(count)s matching leads",
                k,
                count=n,
            )
        ),
        "allSelected": plural_forms(
            lambda k: ngettext(
                "The %(count)s matching lead is selected.",
                "All %(count)s matching leads are selected.",
                k,
                count=n,
            )
        ),
        "changed": _(
            "%(changed)s of %(matched)s changed.", changed="{changed}", matched="{matched}"
        ),
        "skipped": plural_forms(
            lambda k: ngettext("%(count)s skipped", "%(count)s skipped", k, count=n)
        ),
        "running": _(
            "Working: %(processed)s of %(matched)s…", processed="{processed}", matched="{matched}"
        ),
        "undone": _("Undone: %(undone)s put back.", undone="{undone}"),
        "notUndone": plural_forms(
            lambda k: ngettext(
                "%(count)s changed since and kept.", "%(count)s changed since and kept.", k, count=n
            )
        ),
        "confirmDelete": plural_forms(
            lambda k: ngettext("Delete %(count)s lead?", "Delete %(count)s leads?", k, count=n)
        ),
        "typeCount": _("Type %(count)s to confirm.", count=n),
        "failed": _("The bulk action failed. Nothing more was changed."),
        "reasons": {key: str(text) for key, text in REASONS.items()},
    }
