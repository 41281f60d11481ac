"""Role checks, sign-in loading, request guards and response headers shared by every blueprint."""

import re
import time
from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, current_app, jsonify, redirect, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_login.utils import login_url
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.extensions import login_manager
from app.models.base import MAX_ID
from app.services import user_sessions

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src {connect}; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HOST_RE = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
# Raw bodies read (and signed) as bytes, and the development sandbox, are left as they come.
UNCHECKED_BLUEPRINTS = {"webhooks", "meta_sandbox_control", "meta_sandbox_graph"}
NUL = "\x00"
RENEWED = "_renewed"  # when the sign-in cookie was last re-signed (epoch seconds)
RENEW_SECONDS = 60


class IdConverter(IntegerConverter):
    """`<int:…>` in a URL: at most MAX_ID, the largest id a row can have (a larger number is
    a 404, not an overflow in the database driver)."""

    def __init__(self, map, fixed_digits: int = 0, min=None, max=MAX_ID, signed=False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


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


def refuse_nul_characters() -> None:
    """400 for a NUL character anywhere in the query, a form or a JSON body: no text column
    of PostgreSQL can hold one, and no person types one."""
    if request.blueprint in UNCHECKED_BLUEPRINTS:
        return
    if has_nul(request.args.items(multi=True)) or has_nul(request.form.items(multi=True)):
        abort(400)
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # nested thousands deep: not a body any client of ours sends
            abort(400)
        if json_has_nul(body):
            abort(400)


def has_nul(pairs) -> bool:
    return any(NUL in key or NUL in value for key, value in pairs)


def json_has_nul(body: object) -> bool:
    stack = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def connect_sources() -> str:
    """`'self'` plus the WebSocket URL of this very host (older browsers do not count ws: or
    wss: as 'self'); never another origin."""
    host = request.host
    if not HOST_RE.fullmatch(host):
        return "'self'"
    return f"'self' {'wss' if request.is_secure else 'ws'}://{host}"


def renew_sign_in_cookie(response):
    """Re-sign the cookie of a signed-in visitor at most once a minute. Flask refuses a cookie
    signed longer than PERMANENT_SESSION_LIFETIME ago, so this makes that the idle timeout.
    (Not a permanent session: it would end with the browser no more, and Flask-Login's
    "strong" protection would only mark a cookie seen from another address as not fresh.)
    Not on every response: a live page's background fetch, sent with the cookie of a moment
    ago, would set that older cookie back and drop what the request beside it had just put in
    the session (the "Logged." message after a form post went missing this way)."""
    if "_user_id" not in session:
        return response
    now = int(time.time())
    if session.modified or now - session.get(RENEWED, 0) >= RENEW_SECONDS:
        session[RENEWED] = now
    return response


def set_security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CSP.format(connect=connect_sources()))
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"  # lead data never sits in a cache
    if current_app.config["ENV_NAME"] == "production" and current_app.config["HSTS_SECONDS"]:
        response.headers.setdefault(
            "Strict-Transport-Security",
            f"max-age={current_app.config['HSTS_SECONDS']}; includeSubDomains",
        )
    return response


def register(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its rules
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    login_manager.unauthorized_handler(unauthorized)
    login_manager.user_loader(user_sessions.user_for_key)
    app.before_request(refuse_nul_characters)
    app.after_request(set_security_headers)
    app.after_request(renew_sign_in_cookie)
    if hops := app.config["TRUSTED_PROXIES"]:
        # Only what the proxy sets: the client's address and https (rate limits, HSTS, wss).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
