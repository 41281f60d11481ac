""" "My day": what the signed-in user should do today, and where signing in lands."""

from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.leads.routes import bp
from app.extensions import db
from app.services import accounts, lead_tasks, response_targets


@bp.get("/my-day")
@login_required
def my_day():
    now = datetime.now(UTC)
    day = lead_tasks.my_day(current_user, tz=current_app.config["APP_TIMEZONE"], now=now)
    day = day.with_at_risk(response_targets.at_risk(current_user, now))
    return render_template(
        "leads/my_day.html", day=day, start_page=accounts.start_page(current_user)
    )


@bp.post("/start-page")
@login_required
def set_start_page():
    accounts.set_start_page(current_user, request.form.get("page", ""))
    db.session.commit()
    flash(_("Saved: signing in opens this page from now on."), "success")
    target = "leads.index" if accounts.start_page(current_user) == "dashboard" else ".my_day"
    return redirect(url_for(target), 303)
