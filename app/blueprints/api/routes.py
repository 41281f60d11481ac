"""JSON API: the dashboard's data, with the same role rules as the pages."""

from dataclasses import asdict

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user, login_required

from app.blueprints.access import log_access
from app.blueprints.analytics.building import built
from app.blueprints.analytics.serialize import analytics_json
from app.blueprints.leads import actions
from app.blueprints.leads.serialize import lead_detail, lead_summary
from app.extensions import db, limiter
from app.models import AccessAction
from app.security import superadmin_required
from app.services import (
    analytics,
    do_not_contact,
    lead_intake,
    lead_listing,
    lead_record,
    lead_service,
    lead_stats,
)
from app.services.lead_filters import LeadFilters

bp = Blueprint("api", __name__, url_prefix="/facebook-leads/api")
# 1,000 calls an hour per IP across the whole API (SECURITY.md #13), one budget shared by
# every route; the error handler answers 429 as JSON.
limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api")(bp)


@bp.get("/stats")
@login_required
def stats():
    """The status cards; with the dashboard's filter parameters, the cards of that filter."""
    tz, filters = current_app.config["APP_TIMEZONE"], LeadFilters.from_args(request.args)
    return jsonify(asdict(lead_stats.lead_stats(current_user, tz, filters)))


@bp.get("/recent")
@login_required
def recent():
    limit = request.args.get("limit", 20, type=int)
    return jsonify(
        {"items": [lead_summary(lead) for lead in lead_listing.recent_leads(current_user, limit)]}
    )


@bp.get("/leads")
@login_required
def leads():
    filters = LeadFilters.from_args(request.args)
    per_page = min(max(request.args.get("per_page", 50, type=int), 1), 100)
    page = lead_listing.list_leads(
        current_user,
        filters,
        request.args.get("page", 1, type=int),
        per_page=per_page,
        tz=current_app.config["APP_TIMEZONE"],
    )
    return jsonify(
        {
            "items": [lead_summary(lead) for lead in page.items],
            "total": page.total,
            "total_exact": page.exact,
            "page": page.page,
            "pages": page.pages,
            "per_page": per_page,
        }
    )


@bp.get("/leads/<int:lead_id>")
@login_required
def lead(lead_id: int):
    found = lead_service.get_visible_lead(current_user, lead_id) or abort(404)
    log_access(AccessAction.API, found.id)
    return jsonify(lead_detail(found, lead_service.list_interactions(found)))


@bp.post("/leads")
@login_required
def create_lead():
    body = actions.json_object()
    lead = lead_intake.add_lead(
        {key: value for key, value in body.items() if key in lead_record.FIELDS},
        source=body.get("source") or "manual",
        distributor_id=actions.distributor_of(body.get("distributor_id")),
        actor=current_user,
        as_reinquiry=body.get("reinquiry") is True,
        region=current_app.config["DEFAULT_PHONE_REGION"],
    )
    db.session.commit()
    return jsonify(lead_intake.who_entered(lead, current_user)), 201


@bp.patch("/leads/<int:lead_id>")
@login_required
def edit_lead(lead_id: int):
    found = lead_service.get_visible_lead(current_user, lead_id) or abort(404)
    body = actions.json_object()
    lead_record.edit_lead(
        found,
        {key: value for key, value in body.items() if key in lead_record.FIELDS},
        actor=current_user,
        expected_version=actions.version_of(body),
        confirm_same_person=body.get("confirm_same_person") is True,
        region=current_app.config["DEFAULT_PHONE_REGION"],
    )
    set_do_not_contact(found, body)
    db.session.commit()
    return jsonify(lead_detail(found, lead_service.list_interactions(found)))


def set_do_not_contact(lead, body: dict) -> None:
    """`do_not_contact` (with `do_not_contact_reason` to set it) as the lead page's form does
    it: the same service and role rule (lifting it is a superadmin's). The version was
    checked by the edit, whose own change (if any) this follows."""
    if "do_not_contact" in body:
        wanted = actions.flag_value(body["do_not_contact"], "do_not_contact")
        reason = body.get("do_not_contact_reason")
        reason = reason if isinstance(reason, str) else None
        do_not_contact.apply(lead, wanted, actor=current_user, reason=reason)


@bp.get("/analytics")
@superadmin_required
def analytics_data():
    tz = current_app.config["APP_TIMEZONE"]
    filters, period = analytics.selection(request.args, tz)
    return jsonify(analytics_json(built(filters, period, tz)))
