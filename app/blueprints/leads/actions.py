"""Shared plumbing of the lead action routes: read a form post or a JSON body, answer both."""

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.leads.forms import AssignForm, InteractionForm
from app.blueprints.leads.serialize import lead_summary
from app.errors import ValidationError
from app.extensions import db
from app.models import FacebookLead, User
from app.models.base import MAX_ID
from app.services import accounts, lead_work, patient_time
from app.urls import referrer_path, safe_next


def read(form_class, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Any]:
    """The action's fields from JSON (`X-CSRFToken` header) or a validated form post."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValidationError(_("Send a JSON object."))
        data = {key: body.get(key) for key in required + optional}
    else:
        form = form_class(meta={"csrf": False})  # CSRFProtect already checked the token
        if hasattr(form, "user_id"):
            form.user_id.choices = [("", "")] + [
                (str(u.id), u.username) for u in accounts.list_staff()
            ]
        if not form.validate():
            raise ValidationError(first_error(form))
        data = {key: getattr(form, key).data for key in required + optional}
    missing = [key for key in required if data.get(key) in (None, "") and key != "user_id"]
    if missing:
        raise ValidationError(_("Missing %(fields)s.", fields=", ".join(missing)))
    version = data.get("version_id")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ValidationError(_("version_id must be a number."))
    return data


def json_object() -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError(_("Send a JSON object."))
    return body


def version_of(body: dict[str, Any]) -> int | None:
    version = body.get("version_id")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ValidationError(_("version_id must be a number."))
    return version


def distributor_of(value: Any) -> int | None:
    """A distributor id from JSON; the only active distributor when none is named."""
    if value is None:
        active = [d for d in accounts.list_distributors() if d.is_active]
        return active[0].id if len(active) == 1 else None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise ValidationError(_("distributor_id must be a distributor's id."))
    return value


WORK_FIELDS = ("description", "result", "next_status", "follow_up", "follow_up_at", "version_id")


def work_step(data: dict[str, Any]) -> lead_work.WorkStep:
    """The one-step form's fields (or the JSON body's) as a WorkStep; strings only."""
    for key in ("interaction_type",) + WORK_FIELDS[:-1]:
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ValidationError(_("%(field)s must be text.", field=key))
    text = {key: data.get(key) or None for key in WORK_FIELDS[:-1]}
    return lead_work.WorkStep(
        interaction_type=data["interaction_type"], expected_version=data.get("version_id"), **text
    )


def flag_value(value: Any, field: str) -> bool:
    """A yes/no field from JSON (true/false) or a form post ("1"/"0")."""
    if value in (True, "1", "true", "on"):
        return True
    if value in (False, "0", "false", "off"):
        return False
    raise ValidationError(_("%(field)s must be true or false.", field=field))


def first_error(form) -> str:
    for name, errors in form.errors.items():
        return f"{getattr(form, name).label.text}: {errors[0]}"
    return _("Invalid form.")


def assignee_or_error(user_id: Any) -> User | None:
    if user_id in (None, "", 0, "0"):
        return None
    text = str(user_id)
    if isinstance(user_id, bool) or not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise ValidationError(_("user_id must be a user's id."))
    user = db.session.get(User, int(user_id))
    if user is None:
        raise ValidationError(_("No such user."))
    return user


def interaction_form(lead: FacebookLead, kept=None) -> InteractionForm:
    """The lead page's one-step form; "tomorrow 10:00 their time" only when the patient's
    clock is known and shows another time than ours."""
    form = InteractionForm(formdata=kept, meta={"csrf": False})
    tz = current_app.config["APP_TIMEZONE"]
    clock = patient_time.clock(lead, datetime.now(UTC), tz)
    if clock is None or not clock.differs:
        form.follow_up.choices = [c for c in form.follow_up.choices if c.value != "their_tomorrow"]
    return form


def assign_form(lead: FacebookLead) -> AssignForm | None:
    if not current_user.is_superadmin:
        return None
    form = AssignForm(user_id=str(lead.assigned_to_id or ""), version_id=lead.version_id)
    form.user_id.choices = [("", _("— nobody —"))] + [
        (str(u.id), u.username) for u in accounts.list_staff()
    ]
    return form


def respond(lead: FacebookLead, message: str, status: int = 200):
    if request.is_json:
        return jsonify(lead_summary(lead)), status
    flash(message, "success")
    target = safe_next(request.form.get("next")) or lead_page(lead)
    return redirect(target, 303)


def lead_page(lead: FacebookLead) -> str:
    """The lead's page, still within the list it was opened from: a form posted from that
    page (the referrer) keeps its query, so previous / next and "back" keep the filter."""
    page = url_for("leads.detail", lead_id=lead.id)
    came_from = referrer_path()
    return came_from if came_from and urlsplit(came_from).path == page else page
