"""Admin: distributors and users (create, edit, deactivate, reset passwords)."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.admin import bp
from app.blueprints.admin.forms import DistributorForm, UserCreateForm, UserPasswordForm
from app.blueprints.auth.forms import ConfirmForm
from app.blueprints.auth.routes import put_in_cookie
from app.errors import DomainError
from app.extensions import db
from app.models import Distributor, Role, User
from app.services import accounts, password_reset, two_factor
from app.services.routing import reroute


@bp.context_processor
def admin_sections() -> dict:
    # The Meta-connection pages are another module's; the nav links them once they exist.
    return {
        "admin_endpoints": current_app.view_functions.keys(),
        "min_password_length": accounts.MIN_PASSWORD_LENGTH,
    }


def see_other(endpoint: str):
    return redirect(url_for(endpoint), 303)


@bp.get("/distributors")
def distributors():
    rows = accounts.list_distributor_summaries()
    return render_template("admin/distributors.html", rows=rows, confirm_form=ConfirmForm())


@bp.route("/distributors/new", methods=["GET", "POST"])
def create_distributor():
    form = DistributorForm()
    if form.validate_on_submit():
        try:
            distributor = accounts.create_distributor(
                form.name.data, form.contact_email.data, form.language.data
            )
        except DomainError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Distributor %(name)s created.", name=distributor.name), "success")
            return see_other(".distributors")
    return render_template("admin/distributor_form.html", form=form, distributor=None)


@bp.route("/distributors/<int:distributor_id>/edit", methods=["GET", "POST"])
def edit_distributor(distributor_id: int):
    distributor = db.get_or_404(Distributor, distributor_id)
    form = DistributorForm(obj=distributor)
    if form.validate_on_submit():
        try:
            accounts.update_distributor(
                distributor,
                form.name.data,
                form.contact_email.data,
                form.language.data,
                notify_new_leads=form.notify_new_leads.data,
            )
        except DomainError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Distributor %(name)s saved.", name=distributor.name), "success")
            return see_other(".distributors")
    return render_template("admin/distributor_form.html", form=form, distributor=distributor)


@bp.post("/distributors/<int:distributor_id>/deactivate")
def deactivate_distributor(distributor_id: int):
    distributor = db.get_or_404(Distributor, distributor_id)
    if ConfirmForm().validate_on_submit():
        accounts.set_distributor_active(distributor, False)
        db.session.commit()
        flash(_("Distributor %(name)s deactivated.", name=distributor.name), "success")
    return see_other(".distributors")


@bp.post("/distributors/<int:distributor_id>/reactivate")
def reactivate_distributor(distributor_id: int):
    distributor = db.get_or_404(Distributor, distributor_id)
    if ConfirmForm().validate_on_submit():
        accounts.set_distributor_active(distributor, True)
        db.session.commit()
        flash(_("Distributor %(name)s reactivated.", name=distributor.name), "success")
    return see_other(".distributors")


@bp.get("/users")
def users():
    rows = accounts.list_users()
    return render_template(
        "admin/users.html",
        users=rows,
        confirm_form=ConfirmForm(),
        two_factor_required=two_factor.policy_on(),
        two_factor_users=two_factor.enabled_user_ids(),
    )


@bp.post("/users/two-factor-policy")
def two_factor_policy():
    """Require two-factor sign-in of every superadmin, or stop requiring it."""
    form = ConfirmForm()
    if form.validate_on_submit():
        required = request.form.get("required") == "1"
        two_factor.set_policy(required)
        db.session.commit()
        if required:
            flash(_("Superadmins must now use two-factor sign-in."), "success")
        else:
            flash(_("Two-factor sign-in is optional again for superadmins."), "info")
    return see_other(".users")


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.username.data,
                form.password.data,
                role=Role(form.role.data),
                email=form.email.data,
                language=form.language.data,
            )
        except DomainError as error:
            form.username.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("User %(name)s created.", name=user.username), "success")
            return see_other(".users")
    return render_template("admin/user_form.html", form=form, user=None)


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit() and set_user_active(user, False):
        flash(_("%(name)s is deactivated and signed out.", name=user.username), "success")
        if reroute.count_open_leads(user.id):  # offer to give their open leads to others
            return redirect(url_for(".reroute_user", user_id=user.id), 303)
    return see_other(".users")


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id: int):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit() and set_user_active(user, True):
        flash(_("%(name)s can sign in again.", name=user.username), "success")
    return see_other(".users")


def set_user_active(user: User, active: bool) -> bool:
    """Commit the change, or flash why the rule refused it."""
    try:
        accounts.set_user_active(user, active, actor=current_user)
    except DomainError as error:
        flash(str(error), "danger")
        return False
    db.session.commit()
    return True


@bp.post("/users/<int:user_id>/send-reset-link")
def send_reset_link(user_id: int):
    """Mail *user* a link to set a password themselves, instead of typing one for them."""
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        if not user.is_active:
            flash(_("%(name)s is deactivated.", name=user.username), "danger")
        elif password_reset.send_link(user):
            db.session.commit()
            flash(
                _("A link to set a password is on its way to %(email)s.", email=user.email),
                "success",
            )
        else:
            flash(
                _("%(name)s has no email: set a password for them instead.", name=user.username),
                "warning",
            )
    return see_other(".users")


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserPasswordForm()
    if form.validate_on_submit():
        own = current_user.session_id if user.id == current_user.id else None
        try:
            renewed = accounts.reset_password(user, form.password.data, keep_session=own)
        except DomainError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            if renewed:
                put_in_cookie(user)  # every other sign-in ended; this one is re-issued
            flash(_("New password set for %(name)s.", name=user.username), "success")
            return see_other(".users")
    return render_template("admin/user_form.html", form=form, user=user)
