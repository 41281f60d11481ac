from flask import Blueprint, render_template
from flask_login import current_user

from app.security import superadmin_required
from app.services import lead_scoring, scoring_report

bp = Blueprint("scoring", __name__, url_prefix="/facebook-leads")


@bp.get("/scoring-dashboard")
@superadmin_required
def dashboard():
    report = scoring_report.scoring_report(current_user)
    return render_template(
        "scoring/dashboard.html", report=report, rules=lead_scoring.DEFAULT_RULES
    )
