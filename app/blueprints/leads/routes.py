"""The lead workspace: dashboard, detail, and the actions on a lead (form posts or JSON)."""

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.access import log_access
from app.blueprints.leads import actions, chips
from app.blueprints.leads.forms import (
    AssignForm,
    DoNotContactForm,
    InteractionForm,
    SaveViewForm,
    StatusForm,
)
from app.extensions import db
from app.i18n.labels import status_label
from app.meta.treatments import TREATMENTS
from app.models import AccessAction
from app.services import (
    accounts,
    do_not_contact,
    lead_listing,
    lead_merge,
    lead_record,
    lead_service,
    lead_stats,
    lead_tasks,
    lead_work,
    lead_workflow,
    saved_views,
)
from app.services.lead_filters import LeadFilters
from app.services.privacy import consent

bp = Blueprint("leads", __name__, url_prefix="/facebook-leads")


def visible_lead_or_404(lead_id: int):
    return lead_service.get_visible_lead(current_user, lead_id) or abort(404)


@bp.get("/")
@login_required
def index():
    filters = LeadFilters.from_args(request.args)
    page = request.args.get("page", 1, type=int)
    tz = current_app.config["APP_TIMEZONE"]
    pagination = lead_listing.list_leads(current_user, filters, page, tz=tz)
    if not pagination.items and pagination.total and page > pagination.pages:
        # A stale page number (leads went away, filters narrowed): show the last page.
        return redirect(url_for(".index", **(request.args.to_dict() | {"page": pagination.pages})))
    staff, distributors = accounts.list_staff(), accounts.list_distributors()
    return render_template(
        "leads/index.html",
        pagination=pagination,
        next_actions=lead_tasks.next_actions(lead.id for lead in pagination.items),
        filters=filters,
        list_args=filters.to_args(),
        views=saved_views.built_in_views() + saved_views.list_views(current_user),
        view_form=SaveViewForm(query=saved_views.filter_query(request.args)),
        chips=chips.filter_chips(filters, staff, distributors),
        stats=lead_stats.lead_stats(current_user, tz, filters),
        distributors=distributors,
        staff=staff,
        treatments=TREATMENTS,
        failed_count=lead_stats.count_failed_leads() if current_user.is_superadmin else 0,
        returning_count=do_not_contact.count_returning(current_user),
    )


@bp.get("/<int:lead_id>")
@login_required
def detail(lead_id: int):
    lead = visible_lead_or_404(lead_id)
    log_access(AccessAction.VIEW, lead.id)
    return render_detail(lead)


def render_detail(lead, kept=None, seen: int | None = None):
    """The lead page; *kept* is a refused post's form data, put back into the work form, and
    the timeline rows newer than *seen* (the newest one the poster had) are what changed."""
    filters = LeadFilters.from_args(request.args)  # the list this lead was opened from
    tz = current_app.config["APP_TIMEZONE"]
    interactions = lead_service.list_interactions(lead)
    changes = [i for i in interactions if i.id > seen] if kept is not None and seen else []
    return render_template(
        "leads/detail.html",
        lead=lead,
        list_args=filters.to_args(),
        neighbours=lead_listing.neighbours(current_user, filters, lead, tz),
        interactions=interactions,
        conflict=kept is not None,
        changes=changes,
        kept=kept or {},
        duplicates=lead_service.list_duplicates(current_user, lead),
        status_form=StatusForm(status=lead.status.value, version_id=lead.version_id),
        assign_form=actions.assign_form(lead),
        interaction_form=actions.interaction_form(lead, kept),
        open_tasks=lead_tasks.list_open(lead),
        next_statuses=lead_workflow.next_statuses(lead),
        labels=lead_service.answer_labels(lead),
        consent_answers=consent.answers(lead),
        dnc_form=DoNotContactForm(version_id=lead.version_id),
        dnc_may_set=do_not_contact.may_set(current_user, lead),
        dnc_may_clear=do_not_contact.may_clear(current_user),
        can_edit=lead_record.may_edit(lead, current_user),
        undo_offer=lead_merge.undo_offer(lead) if current_user.is_superadmin else None,
    )


@bp.post("/<int:lead_id>/status")
@login_required
def change_status(lead_id: int):
    lead = visible_lead_or_404(lead_id)
    data = actions.read(StatusForm, ("status",), ("note", "version_id"))
    lead_workflow.change_status(
        lead,
        data["status"],
        actor=current_user,
        expected_version=data.get("version_id"),
        note=data.get("note"),
    )
    db.session.commit()
    changed = _("Status changed to %(status)s.", status=status_label(lead.status))
    return actions.respond(lead, changed)


@bp.post("/<int:lead_id>/assign")
@login_required
def assign(lead_id: int):
    lead = visible_lead_or_404(lead_id)
    data = actions.read(AssignForm, ("user_id",), ("version_id",))
    assignee = actions.assignee_or_error(data["user_id"])
    lead_workflow.assign(
        lead, assignee, actor=current_user, expected_version=data.get("version_id")
    )
    db.session.commit()
    if assignee is None:
        return actions.respond(lead, _("Lead unassigned."))
    return actions.respond(lead, _("Lead assigned to %(who)s.", who=assignee.username))


@bp.post("/<int:lead_id>/interactions")
@login_required
def add_interaction(lead_id: int):
    lead = visible_lead_or_404(lead_id)
    data = actions.read(InteractionForm, ("interaction_type",), actions.WORK_FIELDS)
    step = actions.work_step(data)
    tz = current_app.config["APP_TIMEZONE"]
    try:
        lead_work.work_lead(lead, step, actor=current_user, tz=tz)
    except lead_workflow.StaleLeadError:
        if request.is_json:
            raise
        # Someone else changed the lead meanwhile: keep what was typed, show what changed.
        db.session.rollback()
        lead = visible_lead_or_404(lead_id)
        return render_detail(lead, kept=request.form, seen=request.form.get("seen", type=int)), 409
    db.session.commit()
    return actions.respond(lead, _("Logged."), status=201)


@bp.post("/<int:lead_id>/do-not-contact")
@login_required
def set_do_not_contact(lead_id: int):
    lead = visible_lead_or_404(lead_id)
    data = actions.read(DoNotContactForm, ("do_not_contact",), ("reason", "version_id"))
    wanted = actions.flag_value(data["do_not_contact"], "do_not_contact")
    version = data.get("version_id")
    reason = data.get("reason")
    do_not_contact.apply(lead, wanted, actor=current_user, reason=reason, expected_version=version)
    db.session.commit()
    done = _("Marked do not contact.") if wanted else _("Do not contact lifted.")
    return actions.respond(lead, done)


@bp.post("/<int:lead_id>/tasks/<int:task_id>/done")
@login_required
def complete_task(lead_id: int, task_id: int):
    lead = visible_lead_or_404(lead_id)
    task = lead_tasks.get_open_task(lead, task_id) or abort(404)
    lead_tasks.complete(task)
    db.session.commit()
    return actions.respond(lead, _("Follow-up done."))


@bp.get("/<int:lead_id>/row")
@login_required
def row(lead_id: int):
    """The dashboard row of one lead, for the live dashboard to insert or replace."""
    lead = visible_lead_or_404(lead_id)
    next_actions = lead_tasks.next_actions([lead.id])
    list_args = LeadFilters.from_args(request.args).to_args()
    return render_template(
        "leads/_row.html", lead=lead, next_actions=next_actions, list_args=list_args
    )
