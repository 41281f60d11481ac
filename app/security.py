"""Role checks and response headers shared by every blueprint."""

from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, jsonify, redirect, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_login.utils import login_url

from app.extensions import login_manager

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def superadmin_required(view: Callable) -> Callable:
    """`login_required` plus the superadmin role (403 for staff)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_superadmin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def unauthorized():
    """Anonymous callers: 401 JSON on the API, the login page (with ?next=) elsewhere."""
    if "/api/" in request.path:
        return jsonify({"error": {"code": "unauthorized", "message": _("Sign in first.")}}), 401
    return redirect(login_url("auth.login", next_url=request.url))


def set_security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response


def register(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    login_manager.unauthorized_handler(unauthorized)
    app.after_request(set_security_headers)
