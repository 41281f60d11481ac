"""Domain errors raised by services, and the app's error pages (JSON under /api)."""

import logging

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db
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


def wants_json() -> bool:
    return "/api/" in request.path or request.path.startswith("/api") or request.is_json


def json_error(status: int, code: str, message: str):
    return jsonify({"error": {"code": code, "message": message}}), status


def handle_http(error: HTTPException):
    if wants_json():
        code = (error.name or "error").lower().replace(" ", "_")
        return json_error(error.code or 500, code, error.description or error.name)
    template = (
        f"errors/{error.code}.html" if error.code in (403, 404, 429, 500) else "errors/generic.html"
    )
    return render_template(template, error=error), error.code


def handle_domain(error: DomainError):
    if wants_json():
        return json_error(error.status, error.code, str(error))
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
        return json_error(500, "internal_error", "Something went wrong on our side.")
    return render_template("errors/500.html"), 500


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(DomainError, handle_domain)
    app.register_error_handler(Exception, handle_500)
