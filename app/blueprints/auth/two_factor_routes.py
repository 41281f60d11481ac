"""Two-factor sign-in: the code after the password, set-up with a QR code, recovery codes,
turning it off, and the superadmins' policy (enforced on every page until they set it up)."""

import time
from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.auth.forms import EnrolForm, PasswordConfirmForm, TwoFactorForm
from app.blueprints.auth.routes import DEVICE_COOKIE, PENDING, bp, login_limit, sign_in
from app.errors import DomainError
from app.extensions import db, limiter
from app.models import User
from app.services import two_factor

PENDING_S = 300  # the code must follow the password within five minutes
OPEN_ENDPOINTS = frozenset({"static", "main.healthz"})


@bp.route("/two-factor", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def two_factor_code():
    pending = session.get(PENDING) or {}
    user = db.session.get(User, pending.get("user_id") or 0)
    if user is None or not user.is_active or time.time() - pending.get("at", 0) > PENDING_S:
        session.pop(PENDING, None)
        flash(_("Sign in again."), "warning")
        return redirect(url_for(".login", next=request.args.get("next")))
    form = TwoFactorForm()
    if form.validate_on_submit():
        now = datetime.now(UTC)
        if two_factor.verify(user, form.code.data, now):
            remembered = two_factor.remember_device(user, now) if form.remember.data else None
            session.pop(PENDING, None)
            response = sign_in(user)  # commits
            if remembered:
                response.set_cookie(
                    DEVICE_COOKIE,
                    remembered,
                    max_age=two_factor.DEVICE_DAYS * 86400,
                    secure=current_app.config["SESSION_COOKIE_SECURE"],
                    httponly=True,
                    samesite="Lax",
                )
            return response
        form.code.errors.append(_("That code is not right, or it was used already."))
    return render_template("auth/two_factor.html", form=form)


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    issuer = current_app.config.get("TWO_FACTOR_ISSUER", "Meta Lead Desk")
    if two_factor.is_enabled(current_user):
        return render_template(
            "auth/two_factor_setup.html",
            enabled=True,
            codes_left=two_factor.count_recovery_codes(current_user),
            password_form=PasswordConfirmForm(),
            required=current_user.is_superadmin and two_factor.policy_on(),
        )
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(current_user, form.code.data, datetime.now(UTC))
        except DomainError as error:
            form.code.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Two-factor sign-in is on."), "success")
            return render_template("auth/recovery_codes.html", codes=codes)
    enrolment = two_factor.pending_enrolment(current_user, issuer)
    if enrolment is None:
        enrolment = two_factor.begin_enrolment(current_user, issuer)
        db.session.commit()
    return render_template(
        "auth/two_factor_setup.html",
        enabled=False,
        enrolment=enrolment,
        qr_svg=enrolment.qr_svg.partition("?>")[2] or enrolment.qr_svg,
        form=form,
    )


@bp.post("/two-factor/recovery-codes")
@login_required
def two_factor_new_codes():
    form = PasswordConfirmForm()
    if not (form.validate_on_submit() and current_user.check_password(form.password.data)):
        flash(_("Your password was not right."), "danger")
        return redirect(url_for(".two_factor_setup"), 303)
    if not two_factor.is_enabled(current_user):
        return redirect(url_for(".two_factor_setup"), 303)
    codes = two_factor.new_recovery_codes(current_user)
    db.session.commit()
    flash(_("New recovery codes made; the old ones no longer work."), "success")
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.post("/two-factor/turn-off")
@login_required
def two_factor_turn_off():
    form = PasswordConfirmForm()
    if not (form.validate_on_submit() and current_user.check_password(form.password.data)):
        flash(_("Your password was not right."), "danger")
    elif current_user.is_superadmin and two_factor.policy_on():
        flash(_("Two-factor sign-in is required for superadmins."), "danger")
    else:
        two_factor.disable(current_user)
        db.session.commit()
        flash(_("Two-factor sign-in is off."), "info")
    return redirect(url_for(".two_factor_setup"), 303)


@bp.before_app_request
def require_two_factor():
    """Once the policy is on, a superadmin without two-factor sign-in sets it up first."""
    if not current_user.is_authenticated or request.endpoint in OPEN_ENDPOINTS:
        return None
    if (request.blueprint == "auth") or not two_factor.is_required(current_user):
        return None
    if "/api/" in request.path:
        abort(403)
    flash(_("Set up two-factor sign-in to go on: it is required for superadmins."), "warning")
    return redirect(url_for("auth.two_factor_setup"))
