"""Admin: routing rules (list, add, edit, order, delete), people's working hours, and the
re-route offered when someone with open leads is deactivated."""

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.blueprints.admin import bp
from app.blueprints.admin.forms import DeleteForm, MoveForm, RoutingRuleForm, UserHoursForm
from app.blueprints.admin.routing_forms import (
    availability_from,
    fill_hours_form,
    fill_rule_choices,
    rule_input,
)
from app.blueprints.auth.forms import ConfirmForm
from app.errors import DomainError
from app.extensions import db
from app.models import RoutingRule, User
from app.services.routing import availability, overview, reroute, rules


@bp.get("/routing")
def routing():
    data = overview.routing_overview(datetime.now(UTC))
    return render_template(
        "admin/routing.html", data=data, delete_form=DeleteForm(), move_form=MoveForm()
    )


@bp.route("/routing/new", methods=["GET", "POST"])
def create_rule():
    form = fill_rule_choices(RoutingRuleForm())
    if form.validate_on_submit():
        try:
            rule = rules.create_rule(rule_input(form))
        except DomainError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Rule %(name)s saved.", name=rule.name), "success")
            return redirect(url_for(".routing"), 303)
    return render_template("admin/routing_form.html", form=form, rule=None)


@bp.route("/routing/<int:rule_id>/edit", methods=["GET", "POST"])
def edit_rule(rule_id: int):
    rule = db.get_or_404(RoutingRule, rule_id)
    form = fill_rule_choices(RoutingRuleForm(obj=rule), rule)
    if form.validate_on_submit():
        try:
            rules.update_rule(rule, rule_input(form))
        except DomainError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Rule %(name)s saved.", name=rule.name), "success")
            return redirect(url_for(".routing"), 303)
    return render_template("admin/routing_form.html", form=form, rule=rule)


@bp.post("/routing/<int:rule_id>/move")
def move_rule(rule_id: int):
    rule = db.get_or_404(RoutingRule, rule_id)
    form = MoveForm()
    if form.validate_on_submit():
        rules.move_rule(rule, -1 if form.direction.data == "up" else 1)
        db.session.commit()
    return redirect(url_for(".routing"), 303)


@bp.post("/routing/<int:rule_id>/delete")
def delete_rule(rule_id: int):
    rule = db.get_or_404(RoutingRule, rule_id)
    if DeleteForm().validate_on_submit():
        name = rule.name
        rules.delete_rule(rule)
        db.session.commit()
        flash(_("Rule %(name)s deleted.", name=name), "success")
    return redirect(url_for(".routing"), 303)


@bp.route("/users/<int:user_id>/hours", methods=["GET", "POST"])
def user_hours(user_id: int):
    user = db.get_or_404(User, user_id)
    form = fill_hours_form(UserHoursForm(), user, request.method == "GET")
    if form.validate_on_submit():
        try:
            availability.set_availability(user, **availability_from(form))
        except DomainError as error:
            form.work_days.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Working hours of %(name)s saved.", name=user.username), "success")
            return redirect(url_for(".users"), 303)
    return render_template("admin/user_hours.html", form=form, user=user)


@bp.route("/users/<int:user_id>/reroute", methods=["GET", "POST"])
def reroute_user(user_id: int):
    user = db.get_or_404(User, user_id)
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        result = reroute.reroute_user_leads(user, datetime.now(UTC))
        db.session.commit()
        flash(_("%(moved)s of %(seen)s open leads re-routed.", moved=result.moved,
                seen=result.seen), "success")  # fmt: skip
        return redirect(url_for(".users"), 303)
    count = reroute.count_open_leads(user.id)
    return render_template(
        "admin/user_reroute.html", user=user, count=count, confirm_form=ConfirmForm()
    )
