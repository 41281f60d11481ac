import time
from datetime import UTC, datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.blueprints.auth.forms import ConfirmForm, LoginForm
from app.extensions import db, limiter
from app.models import User
from app.services import accounts, two_factor, user_sessions
from app.urls import safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")
DEVICE_COOKIE = "mld_device"
PENDING = "two_factor_pending"  # in the session between the password and the code


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def username_key() -> str:
    return "login-user:" + request.form.get("username", "").strip().lower()[:64]


def put_in_cookie(user: User) -> None:
    """Write *user*'s sign-in (`user.session_key`) into a fresh session cookie: one that ends
    with the browser, and after PERMANENT_SESSION_LIFETIME without a request (security.py)."""
    session.clear()  # no session fixation: nothing of the anonymous session carries over
    login_user(user)


def home_url(user: User) -> str:
    """Where *user* lands after signing in: My day, or the dashboard when they chose it."""
    return url_for("leads.index" if accounts.start_page(user) == "dashboard" else "leads.my_day")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(login_limit, methods=["POST"], key_func=username_key)
def login():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            flash(_("Wrong username or password."), "danger")
        elif two_factor.is_enabled(user) and not two_factor.device_is_trusted(
            user, request.cookies.get(DEVICE_COOKIE), datetime.now(UTC)
        ):
            session.clear()
            session[PENDING] = {"user_id": user.id, "at": time.time()}
            return redirect(url_for(".two_factor_code", next=request.args.get("next")))
        else:
            return sign_in(user)
    return render_template("auth/login.html", form=form)


def sign_in(user: User):
    """Start *user*'s sign-in (password, and the code when they use two-factor sign-in) and go
    where they were going."""
    agent, max_age = request.user_agent.string, current_app.config["SESSION_MAX_AGE"]
    user_sessions.start_session(user, user_agent=agent, max_age=max_age)
    db.session.commit()
    put_in_cookie(user)
    return redirect(safe_next(request.args.get("next")) or home_url(user))


@bp.post("/logout")
@login_required
def logout():
    if ConfirmForm().validate_on_submit():
        user_sessions.end_session(current_user)  # the cookie is dead everywhere, not only here
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


from app.blueprints.auth import reset_routes, two_factor_routes  # noqa: E402,F401  (routes)
