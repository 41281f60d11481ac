"""Password reset by mail: ask for a link (the same answer whether or not the account
exists), then set a new password with it; every sign-in of the account ends."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.auth.forms import ForgotPasswordForm, NewPasswordForm
from app.blueprints.auth.routes import bp, home_url, login_limit
from app.errors import DomainError
from app.extensions import db, limiter
from app.services import accounts, password_reset


def identifier_key() -> str:
    return "reset:" + request.form.get("identifier", "").strip().lower()[:64]


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit("5 per hour", methods=["POST"], key_func=identifier_key)
def forgot_password():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_reset(form.identifier.data)
        db.session.commit()
        flash(
            _(
                "If an account with an email matches, a link to set a new password is on its "
                "way. It works once, for %(minutes)s minutes.",
                minutes=password_reset.current_minutes(),
            ),
            "info",
        )
        return redirect(url_for(".login"), 303)
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def reset_password(token: str):
    user = password_reset.user_for_token(token)
    if user is None:
        return render_template("auth/reset.html", form=None), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(user, form.password.data)
        except DomainError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your password is set. Sign in with it."), "success")
            return redirect(url_for(".login"), 303)
    return render_template("auth/reset.html", form=form, user=user)
