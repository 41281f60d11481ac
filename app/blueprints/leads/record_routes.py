"""The lead record by hand: correct a lead's fields (a page and the JSON PATCH)."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.leads.forms import LeadAddForm, LeadEditForm
from app.blueprints.leads.routes import bp, visible_lead_or_404
from app.errors import DomainError
from app.extensions import db
from app.services import lead_intake, lead_record, lead_service


def edit_page(lead, form: LeadEditForm, problem: DomainError | None) -> str:
    labels = lead_service.answer_labels(lead)
    return render_template("leads/edit.html", lead=lead, form=form, problem=problem, labels=labels)


@bp.route("/<int:lead_id>/edit", methods=["GET", "POST"])
@login_required
def edit(lead_id: int):
    lead = visible_lead_or_404(lead_id)
    if not lead_record.may_edit(lead, current_user):
        abort(403)
    form = LeadEditForm(obj=lead, version_id=lead.version_id)
    if not form.validate_on_submit():
        return edit_page(lead, form, None)
    try:
        lead_record.edit_lead(
            lead,
            form.typed(),
            actor=current_user,
            expected_version=form.version_id.data,
            confirm_same_person=form.confirm_same_person.data == "1",
            region=current_app.config["DEFAULT_PHONE_REGION"],
        )
    except DomainError as problem:
        db.session.rollback()
        lead = visible_lead_or_404(lead_id)  # typed values stay in the form
        form.version_id.data = lead.version_id  # saving again overwrites, knowingly
        return edit_page(lead, form, problem), problem.status
    db.session.commit()
    flash(_("Lead saved."), "success")
    return redirect(url_for(".detail", lead_id=lead.id), 303)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = LeadAddForm()
    if not form.validate_on_submit():
        return render_template("leads/new.html", form=form, problem=None)
    try:
        lead = lead_intake.add_lead(
            form.typed(),
            source=form.source.data,
            distributor_id=int(form.distributor_id.data),
            actor=current_user,
            as_reinquiry=form.confirm_same_person.data == "1",
            region=current_app.config["DEFAULT_PHONE_REGION"],
        )
    except DomainError as problem:
        db.session.rollback()
        return render_template("leads/new.html", form=form, problem=problem), problem.status
    db.session.commit()
    return after_adding(lead)


def after_adding(lead):
    """To the new lead's page, or, when routing gave it to someone else, back to My day."""
    if lead_service.get_visible_lead(current_user, lead.id) is None:
        flash(_("Lead #%(id)s added; the routing rules gave it to a colleague.", id=lead.id))
        return redirect(url_for(".my_day"), 303)
    flash(_("Lead added."), "success")
    return redirect(url_for(".detail", lead_id=lead.id), 303)
