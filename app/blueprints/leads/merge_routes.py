"""Merging two leads of one person (superadmins): the field-by-field page, the merge (a form
post or JSON `{"other_id", "pick", "version_id"}`), and its undo for 15 minutes."""

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.leads import actions
from app.blueprints.leads.routes import bp, visible_lead_or_404
from app.errors import DomainError, ValidationError
from app.extensions import db
from app.models import LeadMerge
from app.security import superadmin_required
from app.services import lead_merge, lead_record, lead_service


def lead_id_of(value: Any) -> int:
    text = str(value if value is not None else "")
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
        raise ValidationError(_("Name the other lead by its number."))
    return int(text)


def merge_request() -> tuple[int, dict[str, str], int | None]:
    """other_id, the picks (field → "this"|"other") and version_id, from JSON or the form."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("pick", {}), dict):
            raise ValidationError(_("Send a JSON object."))
        version = actions.version_of(body)
        return lead_id_of(body.get("other_id")), body.get("pick", {}), version
    form = request.form
    picks = {name: form.get(f"pick_{name}", "this") for name in lead_record.FIELDS}
    version = form.get("version_id", type=int)
    return lead_id_of(form.get("other_id")), picks, version


@bp.get("/<int:lead_id>/merge")
@superadmin_required
def merge(lead_id: int):
    lead = visible_lead_or_404(lead_id)
    other = visible_lead_or_404(request.args.get("other_id", 0, type=int))
    try:
        lead_merge.check_pair(lead, other, current_user)
    except DomainError as problem:
        return merge_page(lead, other, problem), problem.status
    return merge_page(lead, other, None)


def merge_page(lead, other, problem: DomainError | None) -> str:
    picks = lead_merge.default_picks(lead, other)
    return render_template("leads/merge.html", lead=lead, other=other, problem=problem, picks=picks)


@bp.post("/<int:lead_id>/merge")
@superadmin_required
def merge_leads(lead_id: int):
    lead = visible_lead_or_404(lead_id)
    other_id, picks, version = merge_request()
    other = lead_service.get_visible_lead(current_user, other_id) or abort(404)
    done = lead_merge.merge_leads(
        lead, other, picks=picks, actor=current_user, expected_version=version
    )
    db.session.commit()
    if request.is_json:
        undo_until = (done.created_at + lead_merge.UNDO_WINDOW).isoformat()
        return jsonify({"merge_id": done.id, "survivor_id": lead.id, "undo_until": undo_until})
    flash(_("Lead #%(id)s was merged into this one.", id=other.id), "success")
    return redirect(url_for(".detail", lead_id=lead.id), 303)


@bp.post("/merges/<int:merge_id>/undo")
@superadmin_required
def undo_merge(merge_id: int):
    done = db.get_or_404(LeadMerge, merge_id)
    lead_merge.undo_merge(done, actor=current_user)
    db.session.commit()
    if request.is_json:
        return jsonify({"survivor_id": done.survivor_id, "other_id": done.other_id})
    flash(_("The merge was undone: both leads are as they were."), "success")
    return redirect(url_for(".detail", lead_id=done.survivor_id), 303)
