"""The account page and the mails' unsubscribe links."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.account.forms import PasswordChangeForm, ProfileForm, UnsubscribeForm
from app.blueprints.auth.routes import put_in_cookie
from app.errors import ValidationError
from app.extensions import csrf, db
from app.models import Distributor
from app.services import accounts, notification_prefs
from app.services.notification_prefs import CHOICES

bp = Blueprint("account", __name__, url_prefix="/account")


def profile_form() -> ProfileForm:
    form = ProfileForm(obj=current_user)
    form.language.data = form.language.data or ""
    return form


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    form = profile_form()
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user,
                email=form.email.data,
                display_name=form.display_name.data,
                language=form.language.data,
            )
        except ValidationError as error:
            form.email.errors.append(str(error))
        else:
            notification_prefs.set_choices(current_user, {c: form[c].data for c in CHOICES})
            db.session.commit()
            flash(_("Your account is saved."), "success")
            return redirect(url_for(".index"), 303)
    return render_page(form, PasswordChangeForm(formdata=None))


@bp.post("/password")
@login_required
def password():
    form, me = PasswordChangeForm(), current_user._get_current_object()
    if form.validate_on_submit():
        try:
            renewed = accounts.change_password(
                me, form.current.data, form.password.data, keep_session=me.session_id
            )
        except ValidationError as error:
            form.current.errors.append(str(error))
        else:
            db.session.commit()
            if renewed:
                put_in_cookie(me)  # this sign-in is re-issued; all others ended
            flash(_("Your password is changed; your other sessions are signed out."), "success")
            return redirect(url_for(".index"), 303)
    return render_page(profile_form(), form), 400


def render_page(profile: ProfileForm, password_form: PasswordChangeForm) -> str:
    return render_template(
        "account/index.html",
        form=profile,
        password_form=password_form,
        choices=CHOICES,
        min_password_length=accounts.MIN_PASSWORD_LENGTH,
    )


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    found = notification_prefs.read_unsubscribe_token(token) or abort(404)
    subject, choice = found  # a user, or a distributor (its contact address's alerts)
    form = UnsubscribeForm()
    done = form.validate_on_submit()
    if done:
        notification_prefs.unsubscribe(subject, choice)
        db.session.commit()
    label = notification_prefs.label_of(subject, choice)
    return render_template(
        "account/unsubscribe.html",
        form=form,
        label=label,
        done=done,
        distributor=isinstance(subject, Distributor),
    )
