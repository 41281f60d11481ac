"""The analytics page (superadmins): the period's funnel, speed to lead, staff, sources and
trends; its downloads."""

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user

from app.blueprints.analytics.charts import chart_data, filter_choices, source_label
from app.security import superadmin_required
from app.services import analytics, analytics_report

bp = Blueprint("analytics", __name__, url_prefix="/facebook-leads")


@bp.get("/analytics")
@superadmin_required
def index():
    tz = current_app.config["APP_TIMEZONE"]
    filters, period = analytics.selection(request.args, tz)
    result = analytics.build_analytics(current_user, filters, period, tz)
    return render_template(
        "analytics/index.html",
        result=result,
        kpis=analytics.headline(result),
        charts=chart_data(result),
        choices=filter_choices(result),
        source_label=source_label,
    )


@bp.get("/analytics/report.csv")
@superadmin_required
def report_csv():
    return report("csv")


@bp.get("/analytics/report.xlsx")
@superadmin_required
def report_xlsx():
    return report("xlsx")


def report(ext: str) -> Response:
    tz = current_app.config["APP_TIMEZONE"]
    filters, period = analytics.selection(request.args, tz)
    result = analytics.build_analytics(current_user, filters, period, tz)
    body, name = analytics_report.report_file(result, ext, request.args.get("section"))
    return Response(
        body,
        mimetype=analytics_report.MIMETYPES[ext],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
