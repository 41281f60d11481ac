"""The analytics page (superadmins): the period's funnel, speed to lead, staff, sources and
trends; its downloads."""

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from app.blueprints.analytics.building import built
from app.blueprints.analytics.charts import chart_data, filter_choices, source_label
from app.blueprints.analytics.forms import ReportMailsForm
from app.errors import ValidationError
from app.extensions import db
from app.security import superadmin_required
from app.services import analytics, analytics_mail, analytics_report

bp = Blueprint("analytics", __name__, url_prefix="/facebook-leads")


@bp.get("/analytics")
@superadmin_required
def index():
    tz = current_app.config["APP_TIMEZONE"]
    filters, period = analytics.selection(request.args, tz)
    result = built(filters, period, tz)
    return render_template(
        "analytics/index.html",
        result=result,
        kpis=analytics.headline(result),
        charts=chart_data(result),
        choices=filter_choices(result),
        source_label=source_label,
    )


@bp.route("/analytics/report-mails", methods=["GET", "POST"])
@superadmin_required
def report_mails():
    settings = analytics_mail.current_settings()
    form = ReportMailsForm(
        recipients="\n".join(settings.recipients), weekly=settings.weekly, monthly=settings.monthly
    )
    if form.validate_on_submit():
        try:
            analytics_mail.save_settings(
                form.recipients.data, weekly=form.weekly.data, monthly=form.monthly.data
            )
        except ValidationError as error:
            form.recipients.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Report mails saved."), "success")
            return redirect(url_for(".report_mails"), 303)
    return render_template("analytics/report_mails.html", form=form, settings=settings)


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
    result = built(filters, period, tz)
    body, name = analytics_report.report_file(result, ext, request.args.get("section"))
    return Response(
        body,
        mimetype=analytics_report.MIMETYPES[ext],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
