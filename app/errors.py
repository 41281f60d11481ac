"""Domain errors raised by services, and the app's error pages (JSON under /api)."""

import logging
import math
import time

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db, limiter
from app.logging_setup import foreign
from app.urls import referrer_path

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain was broken; the message is safe to show to the user."""

    code = "domain_error"
    status = 400


class NotFoundError(DomainError):
    code = "not_found"
    status = 404


class ConflictError(DomainError):
    code = "conflict"
    status = 409


class ValidationError(DomainError):
    code = "invalid"
    status = 400


# What the generic error page says for the other HTTP errors (werkzeug's words are English).
HTTP_MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    401: (_l("Sign in first"), _l("This page needs you to be signed in.")),
    403: (_l("Not allowed"), _l("Your account cannot open this page.")),
    404: (_l("Not found"), _l("There is nothing here, or it is not yours to see.")),
    405: (_l("Not possible here"), _l("This page cannot be used that way.")),
    409: (_l("Conflict"), _l("Someone else changed this in the meantime. Reload and try again.")),
    413: (_l("Too large"), _l("What you sent is larger than the desk accepts.")),
    422: (_l("Cannot be done"), _l("The request was understood but cannot be carried out.")),
    503: (_l("Unavailable"), _l("The desk is busy or being updated. Try again in a moment.")),
}


def http_message(error: HTTPException) -> tuple[str, str]:
    """The error's title and explanation in the reader's language (a description the code
    raising it gave is kept: it says more than the generic one)."""
    title, text = HTTP_MESSAGES.get(error.code or 500, (error.name, error.description or ""))
    if error.description != type(error).description:
        text = error.description or text
    return str(title), str(text)


def wants_json() -> bool:
    return "/api/" in request.path or request.path.startswith("/api") or request.is_json


def json_error(status: int, code: str, message: str, details: dict | None = None):
    return jsonify({"error": {"code": code, "message": message} | (details or {})}), status


def retry_after() -> int | None:
    """Seconds until the breached rate limit lets this caller in again (None if unknown)."""
    limit = limiter.current_limit
    return max(1, math.ceil(limit.reset_at - time.time())) if limit is not None else None


def retry_message(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return ngettext(
        "Too many attempts. Try again in %(num)s minute.",
        "Too many attempts. Try again in %(num)s minutes.",
        minutes,
    )


def handle_http(error: HTTPException):
    title, text = http_message(error)
    retry = retry_after() if error.code == 429 else None
    if retry is not None:
        text = retry_message(retry)
    if wants_json():
        body = {"code": (error.name or "error").lower().replace(" ", "_"), "message": text}
        if retry is not None:
            body["retry_after"] = retry
        return jsonify({"error": body}), error.code or 500
    template = (
        f"errors/{error.code}.html" if error.code in (403, 404, 429, 500) else "errors/generic.html"
    )
    return render_template(template, error=error, title=title, text=text, retry=retry), error.code


def handle_domain(error: DomainError):
    db.session.rollback()  # the change that broke a rule (or met a newer version) is undone
    if wants_json():
        return json_error(error.status, error.code, str(error), getattr(error, "details", None))
    flash(str(error), "danger")
    return redirect(referrer_path() or url_for("leads.index"))


def handle_csrf(error: CSRFError):
    if wants_json():
        return json_error(400, "csrf_failed", error.description)
    flash(_("Your form expired or was sent from elsewhere. Please try again."), "warning")
    return redirect(referrer_path() or url_for("auth.login")), 303


def handle_500(error: Exception):
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, foreign(request.path))
    if wants_json():
        return json_error(500, "internal_error", _("Something went wrong on our side."))
    return render_template("errors/500.html"), 500


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(DomainError, handle_domain)
    app.register_error_handler(Exception, handle_500)
