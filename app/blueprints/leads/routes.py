from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.security import superadmin_required
from app.services import accounts, lead_service
from app.services.lead_service import LeadFilters

bp = Blueprint("leads", __name__, url_prefix="/facebook-leads")


@bp.get("/")
@superadmin_required
def index():
    filters = LeadFilters.from_args(request.args)
    page = request.args.get("page", 1, type=int)
    pagination = lead_service.list_leads(current_user, filters, max(page, 1))
    if not pagination.items and pagination.pages and page > pagination.pages:
        # A stale page number (leads went away, filters narrowed): show the last page.
        return redirect(url_for(".index", **(request.args.to_dict() | {"page": pagination.pages})))
    return render_template(
        "leads/index.html",
        pagination=pagination,
        filters=filters,
        distributors=accounts.list_distributors(),
        failed_count=lead_service.count_failed_leads(),
    )


@bp.get("/<int:lead_id>")
@superadmin_required
def detail(lead_id: int):
    lead = lead_service.get_visible_lead(current_user, lead_id) or abort(404)
    return render_template(
        "leads/detail.html",
        lead=lead,
        interactions=lead_service.list_interactions(lead),
        duplicates=lead_service.list_duplicates(lead),
    )
