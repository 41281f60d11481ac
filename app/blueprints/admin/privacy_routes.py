"""Admin: erasing a person from their lead page, and the privacy audit (erasures, the access
log, retention runs). Superadmins only (the admin blueprint checks)."""

import json
from datetime import UTC, datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user

from app.blueprints.admin import bp
from app.blueprints.admin.forms import EraseForm, PersonExportForm
from app.errors import DomainError
from app.extensions import db
from app.models import AccessAction, FacebookLead
from app.models.base import MAX_ID
from app.services import accounts
from app.services.privacy import access_log, erasure, retention, subject_export


def lead_or_404(lead_id: int) -> FacebookLead:
    """Any lead, deleted ones too (privacy services bypass visible_leads)."""
    return (db.session.get(FacebookLead, lead_id) if lead_id <= MAX_ID else None) or abort(404)


@bp.route("/privacy/erase/<int:lead_id>", methods=["GET", "POST"])
def erase_person(lead_id: int):
    lead = lead_or_404(lead_id)
    person = erasure.find_person(lead_id=lead.id)
    form = EraseForm(expected=str(lead.id))
    if form.validate_on_submit():
        record = erasure.erase(person, reason=form.reason.data, user=current_user, channel="web")
        count = record.leads
        db.session.commit()
        erasure.after_commit()
        flash(
            ngettext(
                "Erased %(count)s lead of this person.",
                "Erased %(count)s leads of this person.",
                count,
                count=count,
            ),
            "success",
        )
        return redirect(url_for("admin.privacy"), 303)
    rows = erasure.summary(person)
    return render_template("admin/privacy_erase.html", lead=lead, rows=rows, form=form)


@bp.post("/privacy/export")
def export_person():
    form = PersonExportForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.privacy"), 303)
    try:
        person = erasure.find_person(**form.person_key())
    except DomainError as error:
        flash(str(error), "warning")
        return redirect(url_for("admin.privacy"), 303)
    data = subject_export.export_person(person, user=current_user)
    db.session.commit()
    return download(data)


def download(data: dict) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2)
    name = f"person_{datetime.now(UTC):%Y-%m-%d_%H%M%S}.json"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(body, mimetype="application/json", headers=headers)


@bp.get("/privacy")
def privacy():
    filters = access_log.AccessFilter.from_args(request.args)
    users = accounts.list_users()
    return render_template(
        "admin/privacy.html",
        erasures=erasure.list_erasures(),
        entries=access_log.list_entries(filters, request.args.get("page", 1, type=int)),
        filters=filters,
        users=users,
        user_names={user.id: user.username for user in users},
        actions=list(AccessAction),
        retention=retention.last_run(),
        export_form=PersonExportForm(),
    )
